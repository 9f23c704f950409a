// The built-in PIM store in the mailbox object's SQLite and the admin .ics/.vcf endpoints.
import { env, exports } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain ESM demo data shared with `npm start`
import { demoCalendarIcs, demoContactsVcf } from "../../scripts/demo-pim.mjs";
import { eventToEas } from "../../src/eas/pim/calendar";
import { contactToEas } from "../../src/eas/pim/contacts";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { PimConflictError } from "../../src/store/pim-types";
import { FolderType } from "../../src/store/types";

const TOKEN = "test-admin-token";
const BASE = "https://mail.example.test/admin/v1";

async function admin(method: string, path: string, body?: string, type = "application/json") {
  const res = await exports.default.fetch(
    new Request(BASE + path, { method, headers: { authorization: `Bearer ${TOKEN}`, "content-type": type }, body }),
  );
  return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
}

async function newMailbox() {
  const address = `pim-${crypto.randomUUID().slice(0, 8)}@example.test`;
  expect((await admin("POST", "/mailboxes", JSON.stringify({ address, password: "pw-123456" }))).status).toBe(201);
  return address;
}

const EVENT = (uid: string, summary: string) =>
  [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//t//EN",
    "BEGIN:VEVENT",
    `UID:${uid}`,
    "DTSTAMP:20260101T000000Z",
    "DTSTART;TZID=Europe/Paris:20260310T100000",
    "DTEND;TZID=Europe/Paris:20260310T110000",
    `SUMMARY:${summary}`,
    "END:VEVENT",
    "END:VCALENDAR",
    "",
  ].join("\r\n");

describe("PIM store", () => {
  it("put/get by id and UID, ETag and modseq advance, If-Match conflicts, tombstones in changesSince, shared FolderStatus", async () => {
    const stub = env.MAILBOX.getByName("pim-store@example.test");
    await runInDurableObject(stub, async (mailbox: Mailbox) => {
      const cal = mailbox.store.folderByType(FolderType.Calendar)!;
      const before = await mailbox.store.folderStatus(cal.id);
      const a = await mailbox.pim.put(cal.id, EVENT("a@x", "First"));
      expect(a).toMatchObject({ uid: "a@x", href: "a_x.ics", mediaType: "text/calendar" });
      const a2 = await mailbox.pim.put(cal.id, EVENT("a@x", "First, edited"), { ifMatch: a.etag });
      expect(a2.itemId).toBe(a.itemId);
      expect(a2.etag).not.toBe(a.etag);
      await expect(mailbox.pim.put(cal.id, EVENT("a@x", "stale"), { ifMatch: a.etag })).rejects.toThrow(PimConflictError);
      const b = await mailbox.pim.put(cal.id, EVENT("b@x", "Second"));
      expect((await mailbox.pim.getByUid(cal.id, "b@x"))?.itemId).toBe(b.itemId);
      await mailbox.pim.delete(cal.id, a.itemId);
      const status = await mailbox.store.folderStatus(cal.id); // the mail store's view of the folder
      expect(status.count).toBe(before.count + 1);
      expect(status.highestModseq).toBeGreaterThan(before.highestModseq);
      const changes = await mailbox.pim.changesSince(cal.id, before.highestModseq, 100);
      expect(changes.map((c) => [c.itemId, c.deleted])).toEqual([
        [b.itemId, false],
        [a.itemId, true],
      ]);
      await expect(mailbox.pim.put(cal.id, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nUID:c\r\nEND:VCARD\r\n")).rejects.toThrow(/cannot hold/);
      await expect(mailbox.pim.list(mailbox.store.folderByType(FolderType.Inbox)!.id, { limit: 5 })).rejects.toThrow(/not a PIM folder/);
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (mailbox: Mailbox) => {
      const cal = mailbox.store.folderByType(FolderType.Calendar)!;
      expect((await mailbox.pim.getByUid(cal.id, "b@x"))?.data).toContain("SUMMARY:Second");
    });
  });
});

describe("admin calendar.ics and contacts.vcf", () => {
  it("imports the demo calendar and address book, exports them back, device view is right (issue 7 §2)", async () => {
    const address = await newMailbox();
    const put = await admin(
      "PUT",
      `/mailboxes/${address}/calendar.ics`,
      demoCalendarIcs(new Date(Date.UTC(2026, 10, 26))),
      "text/calendar",
    );
    expect(put.status).toBe(200);
    expect(JSON.parse(put.text)).toEqual({ added: 5, updated: 0, unchanged: 0, deleted: 0, skipped: 0 });
    const exported = await admin("GET", `/mailboxes/${address}/calendar.ics`);
    expect(exported.type).toContain("text/calendar");
    expect(exported.text).toContain("RECURRENCE-ID;TZID=Europe/Paris:20261127T093000");
    expect(exported.text).toContain("EXDATE;TZID=Europe/Paris:20261125T093000");
    expect(exported.text.match(/BEGIN:VEVENT/g)).toHaveLength(6);
    // RFC 5545 3.6.5: one VTIMEZONE per TZID used, once in the whole file.
    for (const zone of ["Europe/Paris", "America/New_York", "Australia/Sydney"])
      expect(exported.text.match(new RegExp(`TZID:${zone}\r\n`, "g"))).toHaveLength(1);

    // What a phone sees for the series: a weekly pattern with one deleted and one moved occurrence.
    await runInDurableObject(env.MAILBOX.getByName(address), async (mailbox: Mailbox) => {
      const cal = mailbox.store.folderByType(FolderType.Calendar)!;
      const series = await mailbox.pim.getByUid(cal.id, "demo-standup@mobile-sync.example");
      const eas = eventToEas(series!.data, { version: 14.1, defaultZone: "Europe/Paris" });
      const exceptions = eas.find((e) => e.name === "Exceptions")!;
      expect(exceptions.children).toHaveLength(2);
      const contacts = mailbox.store.folderByType(FolderType.Contacts)!;
      expect(await mailbox.pim.count(contacts.id)).toBe(0);
    });

    const vcf = await admin("PUT", `/mailboxes/${address}/contacts.vcf`, demoContactsVcf(), "text/vcard");
    expect(JSON.parse(vcf.text)).toMatchObject({ added: 3 });
    const cards = await admin("GET", `/mailboxes/${address}/contacts.vcf`);
    expect(cards.text.match(/BEGIN:VCARD/g)).toHaveLength(3);
    expect(cards.text).toContain("+44 20 7946 0003");
    await runInDurableObject(env.MAILBOX.getByName(address), async (mailbox: Mailbox) => {
      const contacts = mailbox.store.folderByType(FolderType.Contacts)!;
      const ada = await mailbox.pim.getByUid(contacts.id, "demo-ada@mobile-sync.example");
      const eas = contactToEas(ada!.data, { version: 16.1 });
      expect(eas.find((e) => e.name === "Picture")).toBeDefined();
      expect(eas.find((e) => e.name === "Birthday")?.children).toEqual(["1815-12-10T12:00:00.000Z"]);
    });

    // Replace: one event changed, the rest dropped.
    const smaller = demoCalendarIcs(new Date(Date.UTC(2026, 10, 26)))
      .split("BEGIN:VEVENT")
      .filter((part: string, i: number) => i === 0 || part.includes("demo-offsite"))
      .join("BEGIN:VEVENT")
      .replace("Company holiday", "Company holiday (all hands)");
    const replaced = await admin(
      "PUT",
      `/mailboxes/${address}/calendar.ics`,
      smaller.endsWith("END:VCALENDAR\r\n") ? smaller : smaller + "END:VCALENDAR\r\n",
      "text/calendar",
    );
    expect(JSON.parse(replaced.text)).toEqual({ added: 0, updated: 1, unchanged: 0, deleted: 4, skipped: 0 });
  });

  it("bad files are 400 problems and change nothing; unknown mailboxes 404; documented in the OpenAPI", async () => {
    const address = await newMailbox();
    await admin("PUT", `/mailboxes/${address}/calendar.ics`, EVENT("keep@x", "Kept"), "text/calendar");
    const bad = await admin(
      "PUT",
      `/mailboxes/${address}/calendar.ics`,
      "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:no uid\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
      "text/calendar",
    );
    expect(bad.status).toBe(400);
    expect(bad.type).toBe("application/problem+json");
    expect((await admin("PUT", `/mailboxes/${address}/contacts.vcf`, "not a vcard", "text/vcard")).status).toBe(400);
    expect((await admin("GET", `/mailboxes/${address}/calendar.ics`)).text).toContain("UID:keep@x");
    expect((await admin("GET", `/mailboxes/nobody@example.test/calendar.ics`)).status).toBe(404);
    const doc = JSON.parse((await admin("GET", "/openapi.json")).text);
    expect(doc.paths["/mailboxes/{address}/calendar.ics"].put.requestBody.content["text/calendar"]).toBeDefined();
    expect(doc.paths["/mailboxes/{address}/contacts.vcf"].get.responses["200"].content["text/vcard"]).toBeDefined();
  });
});

describe("folders holding PIM items", () => {
  it("emptying a calendar folder leaves tombstones for devices; deleting a user calendar drops its items", async () => {
    const stub = env.MAILBOX.getByName("pim-folders@example.test");
    await runInDurableObject(stub, async (mailbox: Mailbox, state) => {
      const cal = mailbox.store.folderByType(FolderType.Calendar)!;
      const a = await mailbox.pim.put(cal.id, EVENT("e1@x", "One"));
      await mailbox.pim.put(cal.id, EVENT("e2@x", "Two"));
      const before = await mailbox.store.folderStatus(cal.id);
      await mailbox.store.emptyFolder(cal.id, false);
      expect(await mailbox.pim.count(cal.id)).toBe(0);
      expect((await mailbox.store.folderStatus(cal.id)).count).toBe(0);
      const gone = await mailbox.pim.changesSince(cal.id, before.highestModseq, 10);
      expect(gone.filter((c) => c.deleted).map((c) => c.itemId)).toContain(a.itemId);

      const mine = await mailbox.store.createFolder("0", "Family", FolderType.UserCalendar);
      await mailbox.pim.put(mine.id, EVENT("f1@x", "Picnic"));
      await mailbox.store.deleteFolder(mine.id);
      const left = state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM pim_items WHERE folder = ?`, Number(mine.id)).one().n;
      expect(left).toBe(0);
    });
  });
});
