// PIM collections through the Sync engine inside workerd: per-device time zone for 14.x all-day events,
// a device without Supported, a bad item is Status 6 and nothing else fails.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeTimeZone } from "../../src/formats/timezone-blob";
import { timeZoneForZone } from "../../src/formats/timezone-rule";
import { createAccount } from "../../src/service/directory";
import { child, childText, childrenNamed, el, type WbxmlElement } from "../../src/wbxml/index";
import { TestPhone, collectionOf, syncKeyOf } from "./helpers/phone";

const USER = "pim-sync@example.test";
const PW = "pim-sync-pw";
const CALENDAR = "6"; // default folders: Inbox 1 … Calendar 6, Contacts 7, Tasks 8, Notes 9
const A = (name: string, ...kids: (WbxmlElement | string | number)[]) => el("AirSync", name, ...kids);
const C = (name: string, ...kids: (WbxmlElement | string | number)[]) => el("Calendar", name, ...kids);

async function admin(method: string, path: string, body: string, type: string) {
  const { exports } = await import("cloudflare:workers");
  const res = await exports.default.fetch(
    new Request(`https://mail.example.test/admin/v1/mailboxes/${USER}/${path}`, {
      method,
      headers: { authorization: "Bearer test-admin-token", "content-type": type },
      body,
    }),
  );
  expect(res.status, await res.text()).toBe(200);
}

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
});

async function boot(phone: TestPhone, id: string): Promise<string> {
  return syncKeyOf(await phone.sync(id, "0"));
}

describe("PIM Sync in workerd", () => {
  it("a 14.1 device that sent a Sydney event gets all-day events at Sydney midnight; a 16.1 device gets the date (anchors §3 row 9)", async () => {
    const folders = childrenNamed(child(await new TestPhone(USER, PW, "TZ141", "14.1").folderSync("0"), "Changes"), "Add").map((a) => [
      childText(a, "Type"),
      childText(a, "ServerId"),
    ]);
    expect(folders).toContainEqual(["8", CALENDAR]);
    const p14 = new TestPhone(USER, PW, "TZ141", "14.1");
    let key = await boot(p14, CALENDAR);
    const add = A(
      "Add",
      A("ClientId", "c1"),
      A(
        "ApplicationData",
        C("Timezone", encodeTimeZone(timeZoneForZone("Australia/Sydney", 2026))),
        C("AllDayEvent", 0),
        C("StartTime", "20261201T230000Z"),
        C("EndTime", "20261202T000000Z"),
        C("Subject", "Breakfast"),
      ),
    );
    const r = await p14.sync(CALENDAR, key, { commands: [add] });
    expect(childText(child(child(collectionOf(r), "Responses"), "Add"), "Status")).toBe("1");
    key = syncKeyOf(r);

    await admin(
      "PUT",
      "calendar.ics",
      [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//t//EN",
        "BEGIN:VEVENT",
        "UID:holiday@x",
        "DTSTAMP:20260101T000000Z",
        "DTSTART;VALUE=DATE:20261210",
        "DTEND;VALUE=DATE:20261211",
        "SUMMARY:Holiday",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
      ].join("\r\n"),
      "text/calendar",
    );
    const down = await p14.sync(CALENDAR, key);
    const adds = childrenNamed(child(collectionOf(down), "Commands"), "Add").map((a) => child(a, "ApplicationData")!);
    const holiday = adds.find((d) => childText(d, "Subject", "Calendar") === "Holiday")!;
    expect(childText(holiday, "StartTime", "Calendar")).toBe("20261209T130000Z"); // Sydney midnight (UTC+11)
    expect(childText(holiday, "EndTime", "Calendar")).toBe("20261210T130000Z");

    const p16 = new TestPhone(USER, PW, "TZ161", "16.1");
    const k16 = await boot(p16, CALENDAR);
    const all16 = childrenNamed(child(collectionOf(await p16.sync(CALENDAR, k16)), "Commands"), "Add").map(
      (a) => child(a, "ApplicationData")!,
    );
    const h16 = all16.find((d) => childText(d, "Subject", "Calendar") === "Holiday")!;
    expect(childText(h16, "StartTime", "Calendar")).toBe("20261210T000000Z");
    expect(child(h16, "Timezone", "Calendar")).toBeUndefined();
  });

  it("a bad item in a Change is Status 6 for that item only; the other change is applied", async () => {
    const ev = (uid: string) => [
      "BEGIN:VEVENT",
      `UID:${uid}`,
      "DTSTAMP:20260101T000000Z",
      "DTSTART:20261210T100000Z",
      "DTEND:20261210T110000Z",
      `SUMMARY:${uid}`,
      "END:VEVENT",
    ];
    await admin(
      "PUT",
      "calendar.ics",
      ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//EN", ...ev("one@x"), ...ev("two@x"), "END:VCALENDAR", ""].join("\r\n"),
      "text/calendar",
    );
    const p = new TestPhone(USER, PW, "BAD141", "14.1");
    let key = await boot(p, CALENDAR);
    const first = await p.sync(CALENDAR, key, { windowSize: 50 });
    key = syncKeyOf(first);
    const ids = childrenNamed(child(collectionOf(first), "Commands"), "Add").map((a) => childText(a, "ServerId")!);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    const bad = A("Change", A("ServerId", ids[0]), A("ApplicationData", C("StartTime", "not a date"), C("Subject", "x")));
    const good = A(
      "Change",
      A("ServerId", ids[1]),
      A(
        "ApplicationData",
        C("Timezone", encodeTimeZone(timeZoneForZone("Europe/Paris", 2026))),
        C("StartTime", "20261215T090000Z"),
        C("EndTime", "20261215T100000Z"),
        C("Subject", "Renamed"),
      ),
    );
    const r = await p.sync(CALENDAR, key, { commands: [bad, good] });
    const changes = childrenNamed(child(collectionOf(r), "Responses"), "Change");
    expect(changes.map((c) => [childText(c, "ServerId"), childText(c, "Status")])).toEqual([[ids[0], "6"]]);
    const other = new TestPhone(USER, PW, "BAD141b", "14.1");
    const seen = childrenNamed(child(collectionOf(await other.sync(CALENDAR, await boot(other, CALENDAR))), "Commands"), "Add").map((a) =>
      childText(child(a, "ApplicationData"), "Subject", "Calendar"),
    );
    expect(seen).toHaveLength(2);
    expect(seen).toContain("Renamed"); // the good change
    expect(seen.filter((x) => x === "one@x" || x === "two@x")).toHaveLength(1); // the bad one left untouched
  });
});

describe("Supported (ghosting) per device and collection", () => {
  it("is taken at SyncKey 0 and cached; a later one is ignored (MS-ASCMD_R4547 MS-ASCMD_R4548 MS-ASCMD_R4552 MS-ASCMD_R5911)", async () => {
    const CONTACTS = "7";
    await admin(
      "PUT",
      "contacts.vcf",
      "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:g1\r\nFN:Ann Lee\r\nN:Lee;Ann;;;\r\nTITLE:Pilot\r\nNOTE:n\r\nEND:VCARD\r\n",
      "text/vcard",
    );
    const p = new TestPhone(USER, PW, "GHOST1", "14.1");
    const supported = el("AirSync", "Supported", el("Contacts", "FirstName"), el("Contacts", "LastName"));
    let key = syncKeyOf(await p.sync(CONTACTS, "0", { extra: [supported] }));
    const first = await p.sync(CONTACTS, key);
    key = syncKeyOf(first);
    const id = childText(child(child(collectionOf(first), "Commands"), "Add"), "ServerId")!;
    // A later Supported naming JobTitle must not un-ghost it: the title survives a Change without it.
    const later = el("AirSync", "Supported", el("Contacts", "FirstName"), el("Contacts", "LastName"), el("Contacts", "JobTitle"));
    const change = A(
      "Change",
      A("ServerId", id),
      A("ApplicationData", el("Contacts", "FirstName", "Anne"), el("Contacts", "LastName", "Lee")),
    );
    const r = await p.sync(CONTACTS, key, { extra: [later], commands: [change] });
    expect(childText(collectionOf(r), "Status")).toBe("1");
    const { exports } = await import("cloudflare:workers");
    const vcf = await (
      await exports.default.fetch(
        new Request(`https://mail.example.test/admin/v1/mailboxes/${USER}/contacts.vcf`, {
          headers: { authorization: "Bearer test-admin-token" },
        }),
      )
    ).text();
    expect(vcf).toContain("N:Lee;Anne;;;");
    expect(vcf).toContain("TITLE:Pilot");
  });
});
