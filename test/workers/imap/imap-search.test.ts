// Search on a bridged mailbox: ImapStore.searchMail asks the test Dovecot (UID SEARCH TEXT/SINCE/BEFORE) and
// orders by arrival time, newest first; the page's summaries only. The mailbox's Search answers the same way
// through the bridge store (search.ts → BridgeMailStore → ImapStore).
import { beforeAll, describe, expect, it } from "vitest";
import { q, Literal } from "../../../src/store/imap/connection";
import { config, otherClient, withStore } from "./imap-helpers";

const erin = config("erin");
const MB = "imap-erin@example.test";

async function appendDated(mailbox: string, subject: string, body: string, date: string): Promise<void> {
  const raw = `From: Olga Berg <olga@example.test>\r\nTo: erin@example.test\r\nSubject: ${subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;
  await otherClient("erin", (c) => c.s.command(["APPEND", q(mailbox), "()", q(date), new Literal(new TextEncoder().encode(raw))]));
}

let inbox = "";
let archive = "";

beforeAll(async () => {
  await otherClient("erin", (c) => c.s.command(["CREATE", q("Archive")]).catch(() => undefined));
  await appendDated("INBOX", "Ferry timetable", "Boats leave at nine.", "10-Jan-2026 08:00:00 +0000");
  await appendDated("INBOX", "Lunch", "Crème brûlée for dessert.", "11-Jan-2026 12:00:00 +0000");
  await appendDated("INBOX", "Re: Ferry timetable", "The ferry is late today.", "12-Jan-2026 09:30:00 +0000");
  await appendDated("Archive", "Old ferry photos", "From last summer.", "1-Jul-2025 10:00:00 +0000");
  const folders = await withStore(MB, erin, (s) => s.listFolders());
  inbox = folders.find((f) => f.name === "Inbox")!.id;
  archive = folders.find((f) => f.name === "Archive")!.id;
});

describe("ImapStore.searchMail (UID SEARCH on Dovecot)", () => {
  it("finds words in subject and body across folders, newest first, with the total and a page", async () => {
    const r = await withStore(MB, erin, (s) => s.searchMail({ folderIds: [inbox, archive], words: ["ferr"], offset: 0, limit: 10 }));
    expect(r.total).toBe(3);
    expect(r.hits.map((h) => h.subject)).toEqual(["Re: Ferry timetable", "Ferry timetable", "Old ferry photos"]);
    expect(r.hits.map((h) => h.folderId)).toEqual([inbox, inbox, archive]);
    const page = await withStore(MB, erin, (s) => s.searchMail({ folderIds: [inbox, archive], words: ["ferry"], offset: 1, limit: 1 }));
    expect(page).toMatchObject({ total: 3, hits: [{ subject: "Ferry timetable" }] });
    // Non-ASCII words go with CHARSET UTF-8; every word must occur.
    const accents = await withStore(MB, erin, (s) => s.searchMail({ folderIds: [inbox], words: ["brûlée"], offset: 0, limit: 10 }));
    expect(accents.hits.map((h) => h.subject)).toEqual(["Lunch"]);
    const both = await withStore(MB, erin, (s) => s.searchMail({ folderIds: [inbox], words: ["ferry late"], offset: 0, limit: 10 }));
    expect(both.hits.map((h) => h.subject)).toEqual(["Re: Ferry timetable"]);
    const none = await withStore(MB, erin, (s) => s.searchMail({ folderIds: [inbox], words: ["submarine"], offset: 0, limit: 10 }));
    expect(none).toEqual({ total: 0, hits: [] });
  });

  it("dates to the millisecond, although IMAP SEARCH compares whole days", async () => {
    const after = Date.UTC(2026, 0, 10, 8, 0, 0); // exactly the first ferry mail: strictly after excludes it
    const r = await withStore(MB, erin, (s) =>
      s.searchMail({
        folderIds: [inbox, archive],
        words: ["ferry"],
        receivedAfter: after,
        receivedBefore: Date.UTC(2026, 0, 13),
        offset: 0,
        limit: 10,
      }),
    );
    expect(r.hits.map((h) => h.subject)).toEqual(["Re: Ferry timetable"]);
    const all = await withStore(MB, erin, (s) =>
      s.searchMail({ folderIds: [inbox], words: [], receivedBefore: Date.UTC(2026, 0, 11, 13), offset: 0, limit: 10 }),
    );
    expect(all.hits.map((h) => h.subject)).toEqual(["Lunch", "Ferry timetable"]);
  });
});
