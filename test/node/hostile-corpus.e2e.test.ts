// Issue 13 §7: the hostile corpus (test/fixtures/hostile/corpus.ts) end to end. Each message is delivered
// through the Worker's email() handler (2xx), then a phone of every protocol version syncs the Inbox and the
// Calendar to the end: every page Status 1, every response valid against the conformance kit (Phone.command),
// the ordinary mail around the corpus intact, the organizer's meeting untouched by the strangers. A
// pathological WBXML request is refused with 400, never a 5xx.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { child, childrenNamed, childText, el } from "../../src/wbxml/index";
import { hostileCorpus, plain, seed } from "../fixtures/hostile/corpus";
import { insertAccount } from "./accounts";
import { Phone } from "./phone";
import { syncRequest } from "./sync-requests";

const url = inject("workerUrl");
const persistTo = inject("persistTo");
const adminToken = inject("adminToken");
const USER = "hostile-e2e@example.test";
const PW = "hostile e2e password";
const VERSIONS = ["12.0", "12.1", "14.0", "14.1", "16.0", "16.1"];

/**
 * Through the admin import (`arrival=now`: delivery as new mail, invitations filed). The email() handler takes
 * the same path into the mailbox, but `wrangler dev`'s email simulator parses each message first and refuses
 * unknown charsets and 10 000 headers itself, before our code runs.
 */
async function deliver(raw: string): Promise<number> {
  const res = await fetch(`${url}/admin/v1/mailboxes/${encodeURIComponent(USER)}/messages?arrival=now`, {
    method: "POST",
    headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "message/rfc822" },
    body: raw,
  });
  await res.arrayBuffer();
  return res.status;
}

const phone = (v: string) =>
  new Phone({ baseUrl: url, user: USER, password: PW, deviceId: `hostile${v.replace(".", "")}`, deviceType: "iPhone", protocolVersion: v });

/** Syncs one folder from key 0 to the end; returns the Adds' ApplicationData. */
async function syncToEnd(p: Phone, folderId: string, v: string) {
  const body = (key: string) =>
    syncRequest(folderId, key, [
      key !== "0" && el("AirSync", "WindowSize", 25), // one page: paging is covered by test/workers/hostile-corpus.test.ts
      key !== "0" &&
        el(
          "AirSync",
          "Options",
          el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 2), el("AirSyncBase", "TruncationSize", 4096)),
        ),
    ]);
  let r = await p.command("Sync", body("0"));
  let coll = child(child(r.tree, "Collections"), "Collection");
  expect(childText(coll, "Status"), `${v} ${folderId} initial`).toBe("1");
  let key = childText(coll, "SyncKey")!;
  const adds = [];
  for (let page = 0; page < 40; page++) {
    r = await p.command("Sync", body(key));
    expect(r.status, `${v} ${folderId} page ${page}`).toBe(200);
    if (r.raw.length === 0) return adds;
    coll = child(child(r.tree, "Collections"), "Collection");
    expect(childText(coll, "Status"), `${v} ${folderId} page ${page}`).toBe("1");
    key = childText(coll, "SyncKey")!;
    adds.push(...childrenNamed(child(coll, "Commands"), "Add").map((a) => child(a, "ApplicationData")));
    if (!child(coll, "MoreAvailable")) return adds;
  }
  throw new Error(`${v}: folder ${folderId} never reached its end`);
}

const corpus = hostileCorpus(USER);

beforeAll(async () => {
  await insertAccount(persistTo, USER, PW);
  expect(await deliver(plain(USER, "Before the storm").raw)).toBe(201);
  expect(await deliver(seed(USER).raw)).toBe(201);
}, 60_000);

describe("the hostile corpus", () => {
  it("each message is delivered (2xx)", async () => {
    for (const m of corpus) expect(await deliver(m.raw), m.name).toBe(201);
    expect(await deliver(plain(USER, "After the storm").raw)).toBe(201);
  }, 120_000);

  it("a phone of every version syncs Inbox and Calendar to the end, every response valid; the folder and the meeting intact", async () => {
    for (const v of VERSIONS) {
      const p = phone(v);
      const fs = await p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
      const folders = childrenNamed(child(fs.tree, "Changes"), "Add");
      const idOf = (type: string) => childText(folders.find((f) => childText(f, "Type") === type)!, "ServerId")!;
      const inbox = await syncToEnd(p, idOf("2"), v);
      const subjects = inbox.map((d) => childText(d, "Subject", "Email"));
      expect(subjects, v).toHaveLength(corpus.length + 3);
      for (const s of ["Before the storm", "After the storm", "Board meeting", ...corpus.map((m) => m.name)])
        expect(subjects, `${v}: ${s}`).toContain(s);
      // A stranger's iTIP message is plain mail, never a meeting request the phone would act on.
      for (const d of inbox.filter((d) => /^Stranger /.test(childText(d, "Subject", "Email") ?? "")))
        expect(childText(d, "MessageClass", "Email"), v).toBe("IPM.Note");

      const calendar = await syncToEnd(p, idOf("8"), v);
      const board = calendar.filter(
        (d) => childText(d, "Subject", "Calendar") === "Hostile" || childText(d, "Subject", "Calendar") === "Board meeting",
      );
      expect(board.length, v).toBeGreaterThanOrEqual(1);
      // The organizer's meeting: not cancelled (MeetingStatus 7 = cancelled received meeting), not moved.
      const meeting = calendar.find(
        (d) => childText(d, "StartTime", "Calendar") === "20261204T150000Z" && childText(d, "MeetingStatus", "Calendar") !== undefined,
      );
      expect(meeting, v).toBeDefined();
      expect(childText(meeting!, "MeetingStatus", "Calendar"), v).not.toBe("7");
    }
  }, 240_000);

  it("pathological WBXML (20 000 empty opaque values, 100 000 empty tags) is refused with 400, never a 5xx", async () => {
    const p = phone("14.1");
    const header = [0x03, 0x01, 0x6a, 0x00, 0x00, 0x00]; // WBXML 1.3, public id 1, UTF-8, empty string table, page 0
    const opaque = new Uint8Array([...header, 0x45, ...new Array(20_000).fill([0xc3, 0x00]).flat(), 0x01]);
    const tags = new Uint8Array([...header, 0x45, ...new Array(100_000).fill(0x0d), 0x01]);
    // 2 bytes per empty value: within the node budget (1024 + bytes/2), each counted; the Sync is malformed.
    const many = await p.command("Sync", null, { rawBody: opaque, contentType: "application/vnd.ms-sync.wbxml", validate: false });
    expect(many.status).toBeLessThan(500);
    // 1 byte per empty tag: over the budget, refused by the decoder before any object is built for most of them.
    const over = await p.command("Sync", null, { rawBody: tags, contentType: "application/vnd.ms-sync.wbxml", validate: false });
    expect(over.status).toBe(400);
  });
});
