// Issue 13 §1 and §7 through the bridge: the hostile corpus (test/fixtures/hostile/corpus.ts) in a bridged
// mailbox's IMAP INBOX (as an outside server delivers it, parsed by the IMAP store, not the built-in one) and
// odd events a CalDAV server accepts (converted by the DAV store); phones of 2.5 and 16.1 sync the Inbox and
// the Calendar to the end through the front door, Status 1 on every page, every message there.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { ImapSession } from "../../src/store/imap/connection";
import { DavClient } from "../../src/store/dav/client";
import { child, childrenNamed, childText, el, type WbxmlElement } from "../../src/wbxml/index";
import { hostileCorpus, plain } from "../fixtures/hostile/corpus";
import { collectionOf, TestPhone } from "./helpers/phone";
import { OtherClient } from "./imap/imap-helpers";

const dovecot = inject("dovecot");
const MIA = "mia@bridge.test";
const PW = "mia secret";
const home = `/${MIA}/`;
const corpus = hostileCorpus(MIA);
const appended: string[] = [];

/** Events a CalDAV server may hold that our iCalendar conversion must survive (Radicale's own parser lets them in). */
const EVENTS: Record<string, string[]> = {
  "unknown-tz": ["DTSTART;TZID=Nowhere/Nothing:20270115T090000", "DTEND;TZID=Nowhere/Nothing:20270115T100000"],
  "rrule-odd": ["DTSTART:20270115T090000Z", "DTEND:20270115T100000Z", "RRULE:FREQ=SECONDLY;COUNT=100000;BYDAY=XX"],
  "no-dtend": ["DTSTART:20270115T090000Z", "DURATION:P100000D"],
  "date-only-end-before-start": ["DTSTART;VALUE=DATE:20270115", "DTEND;VALUE=DATE:20270110"],
  "deep-alarms": [
    "DTSTART:20270115T090000Z",
    ...Array.from({ length: 200 }, () => "BEGIN:VALARM"),
    ...Array.from({ length: 200 }, () => "END:VALARM"),
  ],
  good: ["DTSTART:20270115T090000Z", "DTEND:20270115T100000Z"],
};
const accepted: string[] = [];

const ics = (uid: string, lines: string[]) =>
  [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Other//EN",
    "BEGIN:VEVENT",
    `UID:${uid}`,
    "DTSTAMP:20261126T120000Z",
    `SUMMARY:${uid}`,
    ...lines,
    "END:VEVENT",
    "END:VCALENDAR",
    "",
  ].join("\r\n");

beforeAll(async () => {
  const res = await exports.default.fetch(
    new Request("https://sync.example.test/admin/v1/mailboxes", {
      method: "POST",
      headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
      body: JSON.stringify({
        address: MIA,
        backend: {
          kind: "imap",
          imap: { host: dovecot.host, port: dovecot.imapPort, tls: "none" },
          smtp: { host: "127.0.0.1", port: 2525, tls: "none" },
          dav: { url: `${env.RADICALE_URL}/` },
          push: "poll",
        },
      }),
    }),
  );
  expect(res.status).toBe(201);
  const session = await ImapSession.open({ host: dovecot.host, port: dovecot.imapPort, tls: "none" }, { user: MIA, password: PW });
  const c = new OtherClient(session);
  try {
    for (const m of [plain(MIA, "Before"), ...corpus, plain(MIA, "After")]) {
      // An IMAP server takes no NUL in a message: that one cannot arrive this way.
      if (m.raw.includes("\u0000")) continue;
      await c.append("INBOX", m.raw);
      appended.push(m.name);
    }
  } finally {
    await session.close();
  }
  const dav = new DavClient({ url: `${env.RADICALE_URL}/`, username: MIA, password: PW });
  await fetch(env.RADICALE_URL + home, { method: "PROPFIND", headers: { Authorization: `Basic ${btoa(`${MIA}:${PW}`)}`, Depth: "0" } });
  await dav.makeCollection(`${home}calendar/`, "calendar", "Calendar", ["VEVENT"]);
  for (const [uid, lines] of Object.entries(EVENTS)) {
    const put = await fetch(`${env.RADICALE_URL}${home}calendar/${uid}.ics`, {
      method: "PUT",
      body: ics(uid, lines),
      headers: { Authorization: `Basic ${btoa(`${MIA}:${PW}`)}`, "Content-Type": "text/calendar" },
    });
    await put.arrayBuffer();
    if (put.ok) accepted.push(uid);
  }
}, 60_000);

/** Sync from key 0 to the end, `windowSize` a page; every page Status 1. Returns the Adds' ApplicationData. */
async function syncToEnd(phone: TestPhone, id: string, v: string, cls: string): Promise<WbxmlElement[]> {
  const extra = v === "2.5" ? [el("AirSync", "Class", cls)] : [];
  const options =
    v === "2.5"
      ? el("AirSync", "Options", el("AirSync", "FilterType", 0), el("AirSync", "Truncation", 1))
      : el(
          "AirSync",
          "Options",
          el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 2), el("AirSyncBase", "TruncationSize", 4096)),
        );
  let r = await phone.sync(id, "0", { extra, options });
  expect(childText(collectionOf(r), "Status"), `${v} ${cls} initial`).toBe("1");
  let key = childText(collectionOf(r), "SyncKey")!;
  const adds: WbxmlElement[] = [];
  for (let page = 0; page < 40; page++) {
    r = await phone.sync(id, key, { extra, options, windowSize: 5 });
    expect(r.status, `${v} ${cls} page ${page}`).toBe(200);
    if (r.raw.length === 0) return adds;
    expect(childText(collectionOf(r), "Status"), `${v} ${cls} page ${page}`).toBe("1");
    key = childText(collectionOf(r), "SyncKey")!;
    adds.push(...childrenNamed(child(collectionOf(r), "Commands"), "Add").map((a) => child(a, "ApplicationData")!));
    if (!child(collectionOf(r), "MoreAvailable")) return adds;
  }
  throw new Error(`${v}: ${cls} never reached its end`);
}

describe("the hostile corpus through the bridge (IMAP + CalDAV)", () => {
  it("phones of 2.5 and 16.1 sync the Inbox and the Calendar to the end, Status 1 on every page, nothing missing", async () => {
    expect(appended.length).toBeGreaterThanOrEqual(corpus.length);
    expect(accepted).toContain("good");
    const warn = vi.spyOn(console, "warn");
    for (const v of ["2.5", "16.1"]) {
      const phone = new TestPhone(MIA, PW, `HOSTILEBR${v.replace(".", "")}`, v);
      const folders = childrenNamed(child(await phone.folderSync("0"), "Changes"), "Add");
      const idOf = (type: string) => childText(folders.find((f) => childText(f, "Type") === type)!, "ServerId")!;
      const inbox = await syncToEnd(phone, idOf("2"), v, "Email");
      expect(inbox.map((d) => childText(d, "Subject", "Email")).sort(), v).toEqual([...appended].sort());
      const calendar = await syncToEnd(phone, idOf("8"), v, "Calendar");
      // Every event the CalDAV server holds is either on the phone or left out of the page; "good" always comes.
      const subjects = calendar.map((d) => childText(d, "Subject", "Calendar"));
      expect(subjects, v).toContain("good");
      expect(subjects.length, `${v}: ${subjects.join(", ")} of ${accepted.join(", ")}`).toBeLessThanOrEqual(accepted.length);
    }
    // What is left out is left out with its reason recorded (Radicale takes 200 nested VALARMs, our parser's
    // nesting limit does not): never silently.
    const said = warn.mock.calls.map((c) => c.join(" ")).join("\n");
    warn.mockRestore();
    expect(accepted).toContain("deep-alarms");
    expect(said).toMatch(/deep-alarms\.ics left out of the folders: components nested deeper/);
  }, 120_000);
});
