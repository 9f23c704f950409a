// VEVENT <-> [MS-ASCAL] round trips: the matrix of zones x protocol x event shapes of anchors §3 rows 9/10/18.
import { describe, expect, it } from "vitest";
import { changeInstance, deleteInstance, eventFromEas, eventToEas, type CalendarContext } from "../../src/eas/pim/calendar";
import { PimConversionError } from "../../src/formats/errors";
import { encodeTimeZone } from "../../src/formats/timezone-blob";
import { timeZoneForZone } from "../../src/formats/timezone-rule";
import { localToUtc } from "../../src/formats/zone-clock";
import { el } from "../../src/wbxml/tree";
import type { WbxmlElement } from "../../src/wbxml/types";
import { canonical } from "./helpers/pim-canonical";

const C = (name: string, ...kids: (WbxmlElement | string | number | false | undefined)[]) => el("Calendar", name, ...kids);
const compact = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
const iso = (ms: number) => new Date(ms).toISOString();
const at = (zone: string, y: number, mo: number, d: number, h = 0, mi = 0) =>
  localToUtc(zone, { year: y, month: mo, day: d, hour: h, minute: mi, second: 0 });
const dateOnly = (y: number, mo: number, d: number) => `${y}${String(mo).padStart(2, "0")}${String(d).padStart(2, "0")}T000000Z`;

/** What a phone in `zone` sends: its own blob (Windows-style names for some zones, none for others). */
function deviceBlob(zone: string, year: number): string {
  const tz = timeZoneForZone(zone, year);
  return encodeTimeZone(zone === "Europe/Paris" || zone === "Australia/Lord_Howe" ? tz : { ...tz, standardName: "", daylightName: "" });
}

/** The zone the server settles on: the named zone, or for an unnamed fixed-offset blob the exact Etc zone. */
function storedZone(zone: string): string {
  return zone === "Pacific/Kiritimati" ? "Etc/GMT-14" : zone;
}

interface Case {
  zone: string;
  /** A date in the zone that matters: a DST change day for the zones that have one. */
  day: [number, number, number];
  /** A weekly series crossing a DST change: first Monday, the moved and the deleted occurrences (weeks from the first). */
  series: [number, number, number];
}

const CASES: Case[] = [
  { zone: "Pacific/Kiritimati", day: [2026, 1, 1], series: [2026, 3, 16] },
  { zone: "Etc/GMT+12", day: [2026, 12, 31], series: [2026, 3, 16] },
  { zone: "Europe/Paris", day: [2026, 3, 29], series: [2026, 3, 16] }, // spring forward
  { zone: "Europe/Paris", day: [2026, 10, 25], series: [2026, 10, 12] }, // fall back
  { zone: "Australia/Lord_Howe", day: [2026, 4, 5], series: [2026, 3, 23] }, // DST ends, 30 minutes
  { zone: "Australia/Lord_Howe", day: [2026, 10, 4], series: [2026, 9, 21] }, // DST starts
];
const VERSIONS = [12.1, 14.1, 16.1];

function common(v: number, uid: string, subject: string): (WbxmlElement | false)[] {
  return [
    C("BusyStatus", 2),
    C("DtStamp", "20260101T120000Z"),
    v >= 16 ? el("AirSyncBase", "Location", el("AirSyncBase", "DisplayName", "Room 4")) : C("Location", "Room 4"),
    C("Reminder", 15),
    C("Sensitivity", 0),
    C("Subject", subject),
    v < 16 && C("UID", uid),
    C("MeetingStatus", 0),
    C("Categories", C("Category", "Work"), C("Category", "Q1, Q2")),
    el(
      "AirSyncBase",
      "Body",
      el("AirSyncBase", "Type", 1),
      el("AirSyncBase", "EstimatedDataSize", 13),
      el("AirSyncBase", "Data", "Agenda: café"),
    ),
  ];
}

function timed(c: Case, v: number): WbxmlElement {
  const [y, m, d] = c.day;
  return el(
    "AirSync",
    "ApplicationData",
    C("Timezone", deviceBlob(c.zone, y)),
    C("AllDayEvent", 0),
    C("StartTime", compact(at(c.zone, y, m, d, 1, 30))),
    C("EndTime", compact(at(c.zone, y, m, d, 4, 0))),
    ...common(v, "uid-timed", "Timed"),
  );
}

function allDay(c: Case, v: number, days: number): WbxmlElement {
  const [y, m, d] = c.day;
  const end = new Date(Date.UTC(y, m - 1, d + days));
  const [ey, em, ed] = [end.getUTCFullYear(), end.getUTCMonth() + 1, end.getUTCDate()];
  // 14.x: local midnights in the event's zone with a Timezone; 16.x: dates, no Timezone (MS-ASCAL_R2005).
  const times =
    v >= 16
      ? [C("StartTime", dateOnly(y, m, d)), C("EndTime", dateOnly(ey, em, ed))]
      : [C("Timezone", deviceBlob(c.zone, y)), C("StartTime", compact(at(c.zone, y, m, d))), C("EndTime", compact(at(c.zone, ey, em, ed)))];
  return el("AirSync", "ApplicationData", C("AllDayEvent", 1), ...times, ...common(v, `uid-allday-${days}`, `All day ${days}`));
}

function recurring(c: Case, v: number): WbxmlElement {
  const [y, m, d] = c.series;
  const occ = (week: number, h = 9) => at(c.zone, y, m, d + 7 * week, h);
  const id = (ms: number) => (v >= 16 ? el("AirSyncBase", "InstanceId", iso(ms)) : C("ExceptionStartTime", compact(ms)));
  return el(
    "AirSync",
    "ApplicationData",
    C("Timezone", deviceBlob(c.zone, y)),
    C("AllDayEvent", 0),
    C("StartTime", compact(occ(0))),
    C("EndTime", compact(occ(0, 10))),
    ...common(v, "uid-series", "Weekly"),
    C("Recurrence", C("Type", 1), C("Occurrences", 6), C("Interval", 1), C("DayOfWeek", 2), v >= 14.1 && C("FirstDayOfWeek", 1)), // MS-ASCAL_R2119 MS-ASCAL_R2121
    C(
      "Exceptions",
      // moved: the occurrence after the DST change, one day later at 11:00
      C(
        "Exception",
        id(occ(2)),
        C("Subject", "Moved"),
        C("StartTime", compact(at(c.zone, y, m, d + 15, 11))),
        C("EndTime", compact(at(c.zone, y, m, d + 15, 12))),
        C("DtStamp", "20260102T080000Z"),
      ),
      C("Exception", C("Deleted", 1), id(occ(3))),
    ),
  );
}

/** A weekly all-day series: the third day moved one day later, the fourth deleted (grommunio PR#27). */
function recurringAllDay(c: Case, v: number): WbxmlElement {
  const [y, m, d] = c.series;
  const day = (n: number) => new Date(Date.UTC(y, m - 1, d + n));
  const ymd = (x: Date) => [x.getUTCFullYear(), x.getUTCMonth() + 1, x.getUTCDate()] as const;
  // 14.x: local midnights (with Timezone); 16.x: dates, InstanceId the date at 00:00 UTC.
  const when = (x: Date) => (v >= 16 ? dateOnly(...ymd(x)) : compact(at(c.zone, ...ymd(x))));
  const id = (x: Date) =>
    v >= 16 ? el("AirSyncBase", "InstanceId", `${x.toISOString().slice(0, 10)}T00:00:00.000Z`) : C("ExceptionStartTime", when(x));
  return el(
    "AirSync",
    "ApplicationData",
    v < 16 && C("Timezone", deviceBlob(c.zone, y)),
    C("AllDayEvent", 1),
    C("StartTime", when(day(0))),
    C("EndTime", when(day(1))),
    ...common(v, "uid-allday-series", "Gym"),
    C("Recurrence", C("Type", 1), C("Occurrences", 5), C("Interval", 1), C("DayOfWeek", 2), v >= 14.1 && C("FirstDayOfWeek", 1)),
    C(
      "Exceptions",
      C("Exception", id(day(14)), C("StartTime", when(day(15))), C("EndTime", when(day(16))), C("DtStamp", "20260102T080000Z")),
      C("Exception", C("Deleted", 1), id(day(21))),
    ),
  );
}

function ctxFor(v: number): CalendarContext {
  return { version: v, defaultZone: "Europe/Berlin", userEmail: "me@example.test" };
}

function roundTrip(device: WbxmlElement, v: number) {
  const ics = eventFromEas(device, ctxFor(v));
  const back = el("AirSync", "ApplicationData", ...eventToEas(ics, ctxFor(v)));
  return { ics, back };
}

/** The server adds UID on 16.x (the device sends none, MS-ASCAL 2.2.2.46); everything else must be identical. */
function expectIdentical(device: WbxmlElement, back: WbxmlElement) {
  const drop = (e: WbxmlElement) => ({
    ...e,
    children: e.children.filter((c) => typeof c === "string" || c instanceof Uint8Array || (c as WbxmlElement).name !== "UID"),
  });
  expect(canonical(drop(back))).toEqual(canonical(drop(device)));
}

describe("device -> server -> device is identical, 12.1 to 16.1 (anchors §3 row 9, MS-ASCAL_R2005 MS-ASCAL_R2006 MS-ASCAL_R2106 MS-ASCAL_R2107 MS-ASCAL_R2098, MS-ASDTYPE_R18 MS-ASDTYPE_R12213)", () => {
  for (const c of CASES) {
    for (const v of VERSIONS) {
      const label = `${c.zone} ${c.day.join("-")} EAS ${v}`;
      it(`${label}: timed event`, () => {
        const device = timed(c, v);
        const { ics, back } = roundTrip(device, v);
        expectIdentical(device, back);
        const [y, m, d] = c.day;
        expect(ics).toContain(`DTSTART;TZID=${storedZone(c.zone)}:${y}${String(m).padStart(2, "0")}${String(d).padStart(2, "0")}T0`);
        if (v >= 16) expect(back.children.some((x) => (x as WbxmlElement).name === "UID")).toBe(true);
      });
      it(`${label}: all-day event`, () => {
        const device = allDay(c, v, 1);
        const { ics, back } = roundTrip(device, v);
        expectIdentical(device, back);
        const [y, m, d] = c.day;
        expect(ics).toContain(`DTSTART;VALUE=DATE:${y}${String(m).padStart(2, "0")}${String(d).padStart(2, "0")}`);
        if (v >= 16) expect(back.children.some((x) => (x as WbxmlElement).name === "Timezone")).toBe(false); // MS-ASCAL_R2006
      });
      it(`${label}: multi-day all-day event (3 days, not a day short)`, () => {
        const device = allDay(c, v, 3);
        const { ics, back } = roundTrip(device, v);
        expectIdentical(device, back);
        const end = new Date(Date.UTC(c.day[0], c.day[1] - 1, c.day[2] + 3));
        expect(ics).toContain(`DTEND;VALUE=DATE:${end.toISOString().slice(0, 10).replace(/-/g, "")}`);
      });
      it(`${label}: weekly all-day series with a moved and a deleted occurrence (anchors §3 rows 9, 10)`, () => {
        const device = recurringAllDay(c, v);
        const { ics, back } = roundTrip(device, v);
        expectIdentical(device, back);
        const [y, m, d] = c.series;
        const ymd = (days: number) => new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10).replace(/-/g, "");
        expect(ics).toContain(`EXDATE;VALUE=DATE:${ymd(21)}`);
        expect(ics).toContain(`RECURRENCE-ID;VALUE=DATE:${ymd(14)}`);
        expect(ics).toContain(`DTSTART;VALUE=DATE:${ymd(15)}`);
      });
      it(`${label}: weekly series with a moved and a deleted occurrence (anchors §3 row 10)`, () => {
        const device = recurring(c, v);
        const { ics, back } = roundTrip(device, v);
        expectIdentical(device, back);
        // EXDATE and RECURRENCE-ID in the series' zone at the local 09:00, whatever the DST state.
        const [y, m, d] = c.series;
        const ymd = (days: number) => new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10).replace(/-/g, "");
        expect(ics).toContain(`EXDATE;TZID=${storedZone(c.zone)}:${ymd(21)}T090000`);
        expect(ics).toContain(`RECURRENCE-ID;TZID=${storedZone(c.zone)}:${ymd(14)}T090000`);
        expect(ics).toContain(`DTSTART;TZID=${storedZone(c.zone)}:${ymd(15)}T110000`);
      });
    }
  }
});

describe("server-side events to the device", () => {
  const ics = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//test//EN",
    "BEGIN:VEVENT",
    "UID:series-1",
    "DTSTAMP:20260101T000000Z",
    "DTSTART;TZID=Europe/Paris:20260316T090000",
    "DTEND;TZID=Europe/Paris:20260316T100000",
    "SUMMARY:Stand-up",
    "RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20261231T080000Z",
    "EXDATE;TZID=Europe/Paris:20260424T090000",
    "ORGANIZER;CN=Boss:mailto:boss@example.test",
    "ATTENDEE;CN=Me;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:me@example.test",
    "ATTENDEE;CN=Room;CUTYPE=RESOURCE:mailto:room@example.test",
    "URL:https://example.test/meeting",
    "END:VEVENT",
    "END:VCALENDAR",
  ].join("\r\n");

  it("monthly-nth, attendees with status and type, received meeting (MeetingStatus 3), compact dates", () => {
    const out = el("AirSync", "ApplicationData", ...eventToEas(ics, ctxFor(14.1)));
    const find = (name: string) => out.children.find((c) => (c as WbxmlElement).name === name) as WbxmlElement;
    expect(find("MeetingStatus").children).toEqual(["3"]);
    expect(find("StartTime").children).toEqual(["20260316T080000Z"]); // CET
    const rec = find("Recurrence");
    expect(canonical(rec)).toEqual(
      canonical(
        C(
          "Recurrence",
          C("Type", 3),
          C("Until", "20261231T080000Z"),
          C("Interval", 1),
          C("DayOfWeek", 32),
          C("WeekOfMonth", 5),
          C("FirstDayOfWeek", 1),
        ),
      ),
    );
    const exc = find("Exceptions");
    expect(canonical(exc)).toEqual(
      canonical(C("Exceptions", C("Exception", C("Deleted", 1), C("ExceptionStartTime", "20260424T070000Z")))),
    ); // CEST
    const att = find("Attendees").children as WbxmlElement[];
    expect(canonical(att[0])).toEqual(
      canonical(C("Attendee", C("Email", "me@example.test"), C("Name", "Me"), C("AttendeeStatus", 3), C("AttendeeType", 1))),
    );
    expect(canonical(att[1])).toEqual(
      canonical(C("Attendee", C("Email", "room@example.test"), C("Name", "Room"), C("AttendeeStatus", 0), C("AttendeeType", 3))),
    );
  });

  it("a device Change keeps what EAS cannot carry (URL) and the Body it did not send", () => {
    const withBody = ics.replace("SUMMARY:Stand-up", "SUMMARY:Stand-up\r\nDESCRIPTION:notes");
    const change = el(
      "AirSync",
      "ApplicationData",
      C("Timezone", encodeTimeZone(timeZoneForZone("Europe/Paris", 2026))),
      C("StartTime", "20260316T080000Z"),
      C("EndTime", "20260316T090000Z"),
      C("Subject", "Renamed"),
    );
    const next = eventFromEas(change, ctxFor(14.1), withBody);
    expect(next).toContain("URL:https://example.test/meeting");
    expect(next).toContain("DESCRIPTION:notes");
    expect(next).toContain("SUMMARY:Renamed");
    expect(next).toContain("UID:series-1");
    expect(next).not.toContain("RRULE:FREQ=MONTHLY"); // not ghosted, not sent: removed (MS-ASCMD_R5912)
  });

  it("ghosted fields (absent from Supported) are kept on Change (MS-ASCMD_R5911 MS-ASCMD_R4537)", () => {
    const change = el(
      "AirSync",
      "ApplicationData",
      C("StartTime", "20260316T080000Z"),
      C("EndTime", "20260316T090000Z"),
      C("Subject", "Renamed"),
    );
    const next = eventFromEas(change, { ...ctxFor(14.1), supported: new Set(["Subject", "StartTime", "EndTime"]) }, ics);
    expect(next).toContain("RRULE:FREQ=MONTHLY");
    expect(next).toContain("EXDATE;TZID=Europe/Paris:20260424T090000");
    expect(next).toContain("ATTENDEE;CN=Me");
  });

  it("16.x: a Change with InstanceId moves one occurrence, a Delete with InstanceId adds an EXDATE in the series zone (MS-ASCAL_R2113, anchors §3 row 10)", () => {
    const moved = changeInstance(
      ics,
      "2026-05-29T07:00:00.000Z",
      el("AirSync", "ApplicationData", C("StartTime", "20260529T120000Z"), C("EndTime", "20260529T130000Z")),
      ctxFor(16.1),
    );
    expect(moved).toContain("RECURRENCE-ID;TZID=Europe/Paris:20260529T090000");
    expect(moved).toContain("DTSTART;TZID=Europe/Paris:20260529T140000");
    const deleted = deleteInstance(moved, "2026-06-26T07:00:00.000Z", ctxFor(16.1));
    expect(deleted).toContain("EXDATE;TZID=Europe/Paris:20260626T090000");
    const out = el("AirSync", "ApplicationData", ...eventToEas(deleted, ctxFor(16.1)));
    const exc = out.children.find((c) => (c as WbxmlElement).name === "Exceptions") as WbxmlElement;
    expect(exc.children).toHaveLength(3);
    // deleting the moved occurrence replaces its override with an EXDATE
    const gone = deleteInstance(deleted, "2026-05-29T07:00:00.000Z", ctxFor(16.1));
    expect(gone).not.toContain("RECURRENCE-ID");
    expect(gone).toContain("20260529T090000");
  });

  it("16.x: changing the series start or pattern drops its exceptions; other edits keep them (MS-ASCAL_R2114 MS-ASCAL_R2180 MS-ASCAL_R2202 MS-ASCAL_R2097)", () => {
    const ctx = ctxFor(16.1);
    const blob = encodeTimeZone(timeZoneForZone("Europe/Paris", 2026));
    const series = changeInstance(
      ics,
      "2026-05-29T07:00:00.000Z",
      el("AirSync", "ApplicationData", C("StartTime", "20260529T120000Z"), C("EndTime", "20260529T130000Z")),
      ctx,
    );
    const rec = C(
      "Recurrence",
      C("Type", 3),
      C("Until", "20261231T080000Z"),
      C("Interval", 1),
      C("DayOfWeek", 32),
      C("WeekOfMonth", 5),
      C("FirstDayOfWeek", 1),
    );
    const same = (start: string, end: string, r = rec) =>
      el("AirSync", "ApplicationData", C("Timezone", blob), C("StartTime", start), C("EndTime", end), C("Subject", "Renamed"), r);
    const renamed = eventFromEas(same("20260316T080000Z", "20260316T090000Z"), ctx, series);
    expect(renamed).toContain("SUMMARY:Renamed");
    expect(renamed).toContain("RECURRENCE-ID");
    expect(renamed).toContain("EXDATE");
    const moved = eventFromEas(same("20260316T090000Z", "20260316T100000Z"), ctx, series);
    expect(moved).not.toContain("RECURRENCE-ID");
    expect(moved).not.toContain("EXDATE");
    const repatterned = eventFromEas(
      same("20260316T080000Z", "20260316T090000Z", C("Recurrence", C("Type", 1), C("Interval", 1), C("DayOfWeek", 2))),
      ctx,
      series,
    );
    expect(repatterned).not.toContain("RECURRENCE-ID");
  });

  it("Until and Occurrences are never both sent; an exception without times inherits the series' (MS-ASCAL_R467 MS-ASCAL_R238 MS-ASCAL_R436 MS-ASCAL_R82)", () => {
    const out = eventToEas(ics.replace("UNTIL=20261231T080000Z", "COUNT=5"), ctxFor(14.1));
    const rec = out.find((e) => e.name === "Recurrence")!;
    expect(rec.children.map((c) => (c as WbxmlElement).name)).toContain("Occurrences");
    expect(rec.children.map((c) => (c as WbxmlElement).name)).not.toContain("Until");
    const withException = eventFromEas(
      el(
        "AirSync",
        "ApplicationData",
        C("Timezone", encodeTimeZone(timeZoneForZone("Europe/Paris", 2026))),
        C("StartTime", "20260316T080000Z"),
        C("EndTime", "20260316T090000Z"),
        C("Subject", "S"),
        C("Recurrence", C("Type", 1), C("Interval", 1), C("DayOfWeek", 2)),
        C("Exceptions", C("Exception", C("ExceptionStartTime", "20260323T080000Z"), C("Subject", "Only the subject"))),
      ),
      ctxFor(14.1),
    );
    expect(withException).toContain("RECURRENCE-ID;TZID=Europe/Paris:20260323T090000");
    expect(withException).toContain("DTSTART;TZID=Europe/Paris:20260323T090000");
    expect(withException).toContain("DTEND;TZID=Europe/Paris:20260323T100000");
  });

  it("TZIDs from other producers: Outlook's Windows names and vendor-prefixed ids map to the IANA zone", () => {
    for (const tzid of ['"W. Europe Standard Time"', "/mozilla.org/20050126_1/Europe/Berlin"]) {
      const outlook = ics
        .replace(/TZID=Europe\/Paris/g, `TZID=${tzid}`)
        .replace(
          "BEGIN:VEVENT",
          `BEGIN:VTIMEZONE\r\nTZID:${tzid.replace(/"/g, "")}\r\nBEGIN:STANDARD\r\nDTSTART:16011028T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT`,
        );
      const out = eventToEas(outlook, ctxFor(14.1));
      expect(out.find((e) => e.name === "StartTime")?.children).toEqual(["20260316T080000Z"]);
      expect(out.find((e) => e.name === "Exceptions")).toBeDefined();
    }
  });

  it("bad device data is a conversion error, never a crash (Sync Status 6)", () => {
    const bad = [
      el("AirSync", "ApplicationData", C("StartTime", "2026-13-01"), C("Subject", "x")),
      el("AirSync", "ApplicationData", C("Timezone", "AAAA"), C("StartTime", "20260101T000000Z")),
      el("AirSync", "ApplicationData", C("StartTime", "20260101T100000Z"), C("EndTime", "20260101T090000Z")),
      el("AirSync", "ApplicationData", C("Subject", "no start")),
      el("AirSync", "ApplicationData", C("StartTime", "20260101T100000Z"), C("Recurrence", C("Type", 9))),
      el("AirSync", "ApplicationData", C("StartTime", "20260101T100000Z"), C("BusyStatus", "busy")),
    ];
    for (const b of bad) expect(() => eventFromEas(b, ctxFor(14.1))).toThrow(PimConversionError);
    expect(() => eventToEas("not ical", ctxFor(14.1))).toThrow(PimConversionError);
  });
});
