// Issue 13 §1: content never fails a mailbox. A stranger's broken invitation is delivered and imported
// (2xx), stays a plain message in the Inbox, and every phone version syncs Inbox and Calendar to the end.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_MIME_NESTING } from "../../src/formats/limits";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { parseMessage } from "../../src/store/mime";
import { createAccount } from "../../src/service/directory";
import { FolderType } from "../../src/store/types";
import { child, childrenNamed, childText } from "../../src/wbxml/index";
import { collectionOf, TestPhone } from "./helpers/phone";

const VERSIONS = ["12.0", "12.1", "14.0", "14.1", "16.0", "16.1"];

function ics(lines: string[]) {
  return [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Stranger//EN",
    "METHOD:REQUEST",
    "BEGIN:VEVENT",
    `UID:${crypto.randomUUID()}@stranger.example`,
    "DTSTAMP:20261120T100000Z",
    "SUMMARY:Broken",
    "ORGANIZER:mailto:stranger@stranger.example",
    ...lines,
    "END:VEVENT",
    "END:VCALENDAR",
    "",
  ].join("\r\n");
}

const BAD_ICS: Record<string, string> = {
  "DTSTART not a date": ics(["DTSTART:notadate", "DTEND:20261204T160000Z"]),
  "RRULE UNTIL garbage": ics(["DTSTART:20261204T150000Z", "DTEND:20261204T160000Z", "RRULE:FREQ=DAILY;UNTIL=garbage"]),
  "bad EXDATE": ics(["DTSTART:20261204T150000Z", "DTEND:20261204T160000Z", "RRULE:FREQ=DAILY;COUNT=3", "EXDATE:yesterday"]),
  "bad DURATION": ics(["DTSTART:20261204T150000Z", "DURATION:forever"]),
  "20 000 nested VALARMs": ics([
    "DTSTART:20261204T150000Z",
    "DTEND:20261204T160000Z",
    ...Array.from({ length: 20_000 }, () => "BEGIN:VALARM"),
    ...Array.from({ length: 20_000 }, () => "END:VALARM"),
  ]),
  "bad RRULE FREQ": ics(["DTSTART:20261204T150000Z", "DTEND:20261204T160000Z", "RRULE:FREQ=SOMETIMES;INTERVAL=-1"]),
};

function imip(to: string, body: string, method = "REQUEST") {
  return [
    "From: Stranger <stranger@stranger.example>",
    `To: ${to}`,
    "Subject: Hostile invitation",
    "Date: Fri, 20 Nov 2026 10:00:00 +0000",
    `Message-ID: <${crypto.randomUUID()}@stranger.example>`,
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b"',
    "",
    "--b",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "You are invited.",
    "--b",
    `Content-Type: text/calendar; charset=utf-8; method=${method}`,
    "",
    body,
    "--b--",
    "",
  ].join("\r\n");
}

async function adminImport(address: string, raw: string, arrival: "now" | "date") {
  const res = await exports.default.fetch(
    new Request(`https://mail.example.test/admin/v1/mailboxes/${encodeURIComponent(address)}/messages?arrival=${arrival}`, {
      method: "POST",
      headers: { authorization: "Bearer test-admin-token", "content-type": "message/rfc822" },
      body: raw,
    }),
  );
  await res.arrayBuffer();
  return res.status;
}

/** FolderSync, then Sync the folder of `type` from key 0 until MoreAvailable is gone; every page Status 1. */
async function syncToEnd(phone: TestPhone, type: number): Promise<{ adds: number; classes: string[] }> {
  const fs = await phone.folderSync("0");
  const folder = childrenNamed(child(fs, "Changes"), "Add").find((a) => childText(a, "Type") === String(type));
  const id = childText(folder!, "ServerId")!;
  let r = await phone.sync(id, "0");
  expect(r.status).toBe(200);
  expect(childText(collectionOf(r), "Status")).toBe("1");
  let key = childText(collectionOf(r), "SyncKey")!;
  let adds = 0;
  const classes: string[] = [];
  for (let page = 0; page < 50; page++) {
    r = await phone.sync(id, key, { windowSize: 5 });
    expect(r.status).toBe(200);
    if (r.raw.length === 0) return { adds, classes }; // [MS-ASCMD] 2.2.2.21: an empty response, nothing changed
    const c = collectionOf(r);
    expect(childText(c, "Status")).toBe("1");
    key = childText(c, "SyncKey")!;
    for (const a of childrenNamed(child(c, "Commands"), "Add")) {
      adds++;
      const cls = childText(child(a, "ApplicationData"), "MessageClass", "Email");
      if (cls) classes.push(cls);
    }
    if (!child(c, "MoreAvailable")) return { adds, classes };
  }
  throw new Error("never reached the end");
}

describe("broken invitations from a stranger", () => {
  it("are delivered and imported (2xx); Inbox and Calendar sync to the end in every version", async () => {
    const me = `victim-${crypto.randomUUID().slice(0, 8)}@example.test`;
    await createAccount(env.DB, me, "victim-pw");
    const stub = env.MAILBOX.getByName(me);
    let expected = 0;
    for (const [name, body] of Object.entries(BAD_ICS)) {
      const raw = imip(me, body);
      await expect(stub.deliver(new TextEncoder().encode(raw)), name).resolves.toBeTruthy();
      // Another copy (its own Message-ID: a repeated delivery of the same message is recognised and kept once).
      expect(await adminImport(me, imip(me, body), expected % 2 ? "now" : "date"), name).toBe(201);
      expected += 2;
    }
    for (const v of VERSIONS) {
      const phone = new TestPhone(me, "victim-pw", `HOSTILE${v.replace(".", "")}`, v);
      const inbox = await syncToEnd(phone, 2);
      expect(inbox.adds, v).toBe(expected);
      // An invitation that cannot be read is a plain message, not a meeting request the phone would act on.
      expect(new Set(inbox.classes), v).toEqual(new Set(["IPM.Note"]));
      expect((await syncToEnd(phone, 8)).adds, v).toBe(0);
    }
  }, 60_000);
});

describe("only the organizer may change a meeting (RFC 5546 3.2, RFC 6047 3)", () => {
  const meeting = (method: string, organizer: string, extra: string[] = []) =>
    [
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//Organizer//EN",
      `METHOD:${method}`,
      "BEGIN:VEVENT",
      "UID:board-meeting@organizer.example",
      "DTSTAMP:20261120T100000Z",
      "DTSTART:20261204T150000Z",
      "DTEND:20261204T160000Z",
      "SUMMARY:Board meeting",
      `ORGANIZER:mailto:${organizer}`,
      ...extra,
      "END:VEVENT",
      "END:VCALENDAR",
      "",
    ].join("\r\n");
  const from = (sender: string, to: string, ics: string, method: string) =>
    imip(to, ics, method).replace("From: Stranger <stranger@stranger.example>", `From: <${sender}>`);

  it("a stranger's CANCEL, REQUEST or REPLY leaves the meeting as it is, is filed as mail and recorded", async () => {
    const me = `owner-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const OLGA = "olga@organizer.example";
    const EVE = "eve@stranger.example";
    await createAccount(env.DB, me, "owner-pw");
    const stub = env.MAILBOX.getByName(me);
    const attendees = [`ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:${me}`, "ATTENDEE;PARTSTAT=ACCEPTED:mailto:paul@organizer.example"];
    const deliver = (sender: string, method: string, ics: string) => stub.deliver(new TextEncoder().encode(from(sender, me, ics, method)));
    const stored = () =>
      runInDurableObject(stub, async (m: Mailbox) => {
        const cal = m.store.folderByType(FolderType.Calendar)!;
        return (await m.pim.getByUid(cal.id, "board-meeting@organizer.example"))?.data;
      });

    await deliver(OLGA, "REQUEST", meeting("REQUEST", OLGA, ["SEQUENCE:0", ...attendees]));
    const original = await stored();
    expect(original).toContain("SUMMARY:Board meeting");

    await deliver(EVE, "CANCEL", meeting("CANCEL", OLGA, ["SEQUENCE:1"])); // spoofs the organizer in the iCalendar
    await deliver(EVE, "REQUEST", meeting("REQUEST", EVE, ["SEQUENCE:5", ...attendees]).replace("Board meeting", "Moved to my place"));
    await deliver(EVE, "REPLY", meeting("REPLY", OLGA, ["ATTENDEE;PARTSTAT=DECLINED:mailto:paul@organizer.example"]));
    expect(await stored()).toBe(original);
    const refused = await runInDurableObject(stub, async (_m: Mailbox, state: DurableObjectState) =>
      state.storage.sql.exec<{ sender: string; method: string }>("SELECT sender, method FROM pim_itip_refused ORDER BY id").toArray(),
    );
    expect(refused.map((r) => `${r.method} ${r.sender}`)).toEqual([`CANCEL ${EVE}`, `REQUEST ${EVE}`, `REPLY ${EVE}`]);

    // The phone sees the stranger's messages as plain mail, the organizer's as a meeting request.
    const phone = new TestPhone(me, "owner-pw", "ORGCHECK", "14.1");
    const inbox = await syncToEnd(phone, 2);
    expect(inbox.classes.sort()).toEqual(["IPM.Note", "IPM.Note", "IPM.Note", "IPM.Schedule.Meeting.Request"]);

    // The organizer (or whoever it names in SENT-BY) still can; Paul may answer for himself.
    await deliver("paul@organizer.example", "REPLY", meeting("REPLY", OLGA, ["ATTENDEE;PARTSTAT=DECLINED:mailto:paul@organizer.example"]));
    expect(await stored()).toContain("PARTSTAT=DECLINED:mailto:paul@organizer.example");
    // SENT-BY counts as the stored event has it, not as the message claims it.
    const sentBy = (who: string) => `ORGANIZER;SENT-BY="mailto:${who}":mailto:${OLGA}`;
    await deliver(EVE, "CANCEL", meeting("CANCEL", OLGA, ["SEQUENCE:1"]).replace(`ORGANIZER:mailto:${OLGA}`, sentBy(EVE)));
    expect(await stored()).not.toContain("STATUS:CANCELLED");
    const ASSISTANT = "assistant@organizer.example";
    await deliver(
      OLGA,
      "REQUEST",
      meeting("REQUEST", OLGA, ["SEQUENCE:1", ...attendees]).replace(`ORGANIZER:mailto:${OLGA}`, sentBy(ASSISTANT)),
    );
    await deliver(ASSISTANT, "CANCEL", meeting("CANCEL", OLGA, ["SEQUENCE:2"]).replace(`ORGANIZER:mailto:${OLGA}`, sentBy(ASSISTANT)));
    expect(await stored()).toContain("STATUS:CANCELLED");
  }, 30_000);
});

describe("MIME parsing within limits (src/formats/limits.ts)", () => {
  const deep = (depth: number) => {
    const lines = ["From: a@example.test", "Subject: deep", "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b0"', ""];
    for (let i = 0; i < depth; i++) lines.push(`--b${i}`, `Content-Type: multipart/mixed; boundary="b${i + 1}"`, "");
    lines.push(`--b${depth}`, "Content-Type: text/plain", "", "At the bottom.", `--b${depth}--`);
    for (let i = depth - 1; i >= 0; i--) lines.push(`--b${i}--`);
    return new TextEncoder().encode(lines.join("\r\n"));
  };

  it("a 10-deep multipart is parsed; a 100-deep one (over MAX_MIME_NESTING) is kept and shown as its raw text", async () => {
    expect((await parseMessage(deep(10))).plain.trim()).toBe("At the bottom.");
    expect(MAX_MIME_NESTING).toBeLessThan(100);
    const over = await parseMessage(deep(100));
    expect(over.plain).toContain("At the bottom.");
    expect(over.plain).toContain("boundary="); // the raw text: not parsed as MIME
    expect(over.subject).toBe("deep"); // its own headers still read
    expect(over.from).toContain("a@example.test");
  });
});
