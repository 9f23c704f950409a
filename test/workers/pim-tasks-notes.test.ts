// VTODO <-> [MS-ASTASK] and VJOURNAL <-> [MS-ASNOTE].
import { describe, expect, it } from "vitest";
import { PimConversionError } from "../../src/formats/errors";
import { noteFromEas, noteToEas } from "../../src/eas/pim/notes";
import { taskFromEas, taskToEas } from "../../src/eas/pim/tasks";
import { el } from "../../src/wbxml/tree";
import type { WbxmlElement } from "../../src/wbxml/types";
import { canonical } from "./helpers/pim-canonical";

const T = (name: string, ...kids: (WbxmlElement | string | number)[]) => el("Tasks", name, ...kids);
const body = (s: string) =>
  el(
    "AirSyncBase",
    "Body",
    el("AirSyncBase", "Type", 1),
    el("AirSyncBase", "EstimatedDataSize", new TextEncoder().encode(s).length),
    el("AirSyncBase", "Data", s),
  );

describe("tasks (MS-ASTASK_R48 MS-ASTASK_R49 MS-ASTASK_R50 MS-ASTASK_R51 MS-ASTASK_R161 MS-ASTASK_R72)", () => {
  for (const [zone, localOffsetH] of [
    ["Europe/Paris", 1],
    ["Pacific/Kiritimati", 14],
    ["Etc/GMT+12", -12],
  ] as const) {
    for (const version of [14.1, 16.1]) {
      it(`device -> server -> device identical: weekly recurring task with a reminder, ${zone}, EAS ${version}`, () => {
        const utcDue = Date.UTC(2026, 0, 16, 0, 0) - localOffsetH * 3600_000; // local midnight, 16 January
        const iso = (ms: number) => new Date(ms).toISOString();
        const device = el(
          "AirSync",
          "ApplicationData",
          T("Subject", "File taxes"),
          body("Forms A and B"),
          T("Importance", 2),
          T("UtcStartDate", iso(utcDue - 7 * 86_400_000)),
          T("StartDate", "2026-01-09T00:00:00.000Z"),
          T("UtcDueDate", iso(utcDue)),
          T("DueDate", "2026-01-16T00:00:00.000Z"),
          T("Categories", T("Category", "Home")),
          T("Complete", 0),
          T("Sensitivity", 2),
          T("ReminderSet", 1),
          T("ReminderTime", "2026-01-15T08:00:00.000Z"),
          T(
            "Recurrence",
            T("Type", 1),
            T("Start", "2026-01-09T00:00:00.000Z"),
            T("Occurrences", 10),
            T("Interval", 1),
            T("DayOfWeek", 32),
            T("Regenerate", 0),
            T("DeadOccur", 0),
            T("FirstDayOfWeek", 1),
          ),
        );
        const ctx = { version, defaultZone: zone };
        const ics = taskFromEas(device, ctx);
        expect(ics).toContain(`DUE;TZID=${zone}:20260116T000000`);
        expect(ics).toContain("RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=FR");
        const back = el("AirSync", "ApplicationData", ...taskToEas(ics, ctx));
        expect(canonical(back)).toEqual(canonical(device));
      });
    }
  }

  it("a task due in another offset than the mailbox zone keeps its local date", () => {
    const device = el(
      "AirSync",
      "ApplicationData",
      T("Subject", "x"),
      T("UtcDueDate", "2026-03-01T05:00:00.000Z"),
      T("DueDate", "2026-03-01T00:00:00.000Z"),
    );
    const ics = taskFromEas(device, { version: 14.1, defaultZone: "Europe/Paris" });
    const out = taskToEas(ics, { version: 14.1, defaultZone: "Europe/Paris" });
    expect(out.find((e) => e.name === "DueDate")?.children).toEqual(["2026-03-01T00:00:00.000Z"]);
    expect(out.find((e) => e.name === "UtcDueDate")?.children).toEqual(["2026-03-01T05:00:00.000Z"]);
  });

  it("completing a task on the device sets STATUS, COMPLETED, sent back with DateCompleted; ghosted fields stay (MS-ASTASK_R116 MS-ASTASK_R124)", () => {
    const base = taskFromEas(
      el("AirSync", "ApplicationData", T("Subject", "x"), body("keep me"), T("Importance", 0), T("UtcDueDate", "2026-03-01T05:00:00.000Z")),
      { version: 14.1, defaultZone: "UTC" },
    );
    const done = taskFromEas(
      el("AirSync", "ApplicationData", T("Complete", 1), T("DateCompleted", "2026-03-02T10:00:00.000Z")),
      { version: 14.1, defaultZone: "UTC", supported: new Set(["Complete", "DateCompleted"]) },
      base,
    );
    expect(done).toContain("STATUS:COMPLETED");
    expect(done).toContain("COMPLETED:20260302T100000Z");
    expect(done).toContain("SUMMARY:x");
    expect(done).toContain("PRIORITY:9");
    expect(done).toContain("DESCRIPTION:keep me");
    const out = taskToEas(done, { version: 14.1, defaultZone: "UTC" });
    expect(out.find((e) => e.name === "Complete")?.children).toEqual(["1"]);
    expect(out.find((e) => e.name === "DateCompleted")?.children).toEqual(["2026-03-02T10:00:00.000Z"]);
  });

  it("an Importance outside 0-2 is accepted and sent back as is (MS-ASTASK_R187 MS-ASTASK_R550)", () => {
    const ics = taskFromEas(el("AirSync", "ApplicationData", T("Subject", "x"), T("Importance", 7)), { version: 14.1, defaultZone: "UTC" });
    expect(taskToEas(ics, { version: 14.1, defaultZone: "UTC" }).find((e) => e.name === "Importance")?.children).toEqual(["7"]);
  });

  it("bad values are conversion errors", () => {
    expect(() => taskFromEas(el("AirSync", "ApplicationData", T("Importance", "high")), { version: 14.1, defaultZone: "UTC" })).toThrow(
      PimConversionError,
    );
    expect(() => taskFromEas(el("AirSync", "ApplicationData", T("UtcDueDate", "soon")), { version: 14.1, defaultZone: "UTC" })).toThrow(
      PimConversionError,
    );
  });
});

describe("notes (MS-ASNOTE_R29 MS-ASNOTE_R32)", () => {
  it("device -> server -> device identical; stored as VJOURNAL with text, categories and last modified", () => {
    const N = (name: string, ...kids: (WbxmlElement | string)[]) => el("Notes", name, ...kids);
    const device = el(
      "AirSync",
      "ApplicationData",
      N("Subject", "Shopping"),
      body("milk\neggs"),
      N("MessageClass", "IPM.StickyNote"),
      N("LastModifiedDate", "20261126T101500Z"),
      N("Categories", N("Category", "Home")),
    );
    const ics = noteFromEas(device, { version: 14.1 });
    expect(ics).toContain("BEGIN:VJOURNAL");
    expect(ics).toContain("LAST-MODIFIED:20261126T101500Z");
    expect(ics).toContain("DESCRIPTION:milk\\neggs");
    expect(canonical(el("AirSync", "ApplicationData", ...noteToEas(ics, { version: 14.1 })))).toEqual(canonical(device));
    const edited = noteFromEas(
      el("AirSync", "ApplicationData", N("Subject", "Groceries")),
      { version: 14.1, now: () => Date.UTC(2026, 10, 27) },
      ics,
    );
    expect(edited).toContain("DESCRIPTION:milk\\neggs");
    expect(edited).toContain("LAST-MODIFIED:20261127T000000Z");
  });
});
