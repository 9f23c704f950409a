// Changes in both directions, conflicts, FilterType windows, empty/Partial Sync, GetItemEstimate, MoveItems,
// ItemOperations and body preferences: over HTTP to the Worker inside workerd, real Mailbox + store.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { createAccount } from "../../src/service/directory";
import { child, childrenNamed, childText, el, type WbxmlElement } from "../../src/wbxml/index";
import { decodeWbxml } from "../../src/wbxml/index";
import {
  TestPhone,
  attachmentFetchBody,
  bodyPref,
  folderCreateBody,
  collectionOf,
  idsOf,
  mailOptions,
  message,
  moreAvailable,
  statusOf,
  syncKeyOf,
  withAttachment,
} from "./helpers/phone";

const USER = "changes@example.test";
const PW = "changes-secret";
const INBOX = "1";
const DELETED = "3";
const mailbox = () => env.MAILBOX.getByName(USER);
const DAY = 86_400_000;

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
});

async function deliver(subject: string, received?: number): Promise<string> {
  return runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.appendMessage(INBOX, message(subject), {}, received));
}

/** Bootstraps and downloads a collection to the end; returns the key and the ServerIds received. */
async function syncToEnd(phone: TestPhone, collectionId: string, options?: WbxmlElement): Promise<{ key: string; ids: string[] }> {
  let key = syncKeyOf(await phone.sync(collectionId, "0", { options }));
  const ids: string[] = [];
  for (let i = 0; i < 100; i++) {
    const r = await phone.sync(collectionId, key, { windowSize: 50, options });
    if (r.raw.length === 0) break;
    ids.push(...idsOf(r, "Add"));
    key = syncKeyOf(r);
    if (!moreAvailable(r)) break;
  }
  return { key, ids };
}

const change = (serverId: string, ...data: WbxmlElement[]) =>
  el("AirSync", "Change", el("AirSync", "ServerId", serverId), el("AirSync", "ApplicationData", ...data));
const read = (v: boolean) => el("Email", "Read", v ? "1" : "0");
const flagged = () => el("Email", "Flag", el("Email", "Status", "2"), el("Email", "FlagType", "Flag for follow up"));
const del = (serverId: string) => el("AirSync", "Delete", el("AirSync", "ServerId", serverId));
const itemId = (serverId: string) => serverId.split(":")[1];

describe("a full session with the mailbox object evicted before every request", () => {
  it("FolderSync, Sync to the end, read, flag, delete, move, fetch by Range: nothing lost, no duplicates (MS-ASCMD_R2160 MS-ASCMD_R2161 MS-ASCMD_R3711 MS-ASCMD_R5422 MS-ASCMD_R5423 MS-ASCMD_R3903 MS-ASEMAIL_R640)", async () => {
    for (let i = 0; i < 12; i++) await deliver(`Session ${i}`);
    const att = new Uint8Array(5000).map((_, i) => i % 251);
    await mailbox().deliver(withAttachment("With attachment", att));
    const phone = new TestPhone(USER, PW, "SESSION1");
    phone.beforeEach = () => evictDurableObject(mailbox());

    const fs = await phone.folderSync("0");
    let hierKey = childText(fs, "SyncKey")!;
    const created = await phone.send("FolderCreate", folderCreateBody(hierKey, "Archive"));
    expect(childText(created.body, "Status")).toBe("1");
    const archive = childText(created.body, "ServerId")!;
    hierKey = childText(created.body, "SyncKey")!;
    // The device's own FolderCreate is not echoed by the next FolderSync.
    expect(childText(child(await phone.folderSync(hierKey), "Changes"), "Count")).toBe("0");

    const inbox = await syncToEnd(phone, INBOX);
    expect(inbox.ids).toHaveLength(13);
    expect(new Set(inbox.ids).size).toBe(13);
    const arch = await syncToEnd(phone, archive);
    expect(arch.ids).toEqual([]);

    const [toRead, toFlag, toDelete, toMove] = inbox.ids;
    const r = await phone.sync(INBOX, inbox.key, { commands: [change(toRead, read(true)), change(toFlag, flagged()), del(toDelete)] });
    expect(child(collectionOf(r), "Responses")).toBeUndefined(); // every change succeeded
    expect(idsOf(r, "Change")).toEqual([]); // no echo of the device's own changes
    let inboxKey = syncKeyOf(r);

    const moved = await phone.send(
      "MoveItems",
      el(
        "Move",
        "MoveItems",
        el("Move", "Move", el("Move", "SrcMsgId", toMove), el("Move", "SrcFldId", INBOX), el("Move", "DstFldId", archive)),
      ),
    );
    const resp = child(moved.body, "Response");
    expect(childText(resp, "Status")).toBe("3"); // MS-ASCMD_R4215
    const newId = childText(resp, "DstMsgId")!;
    expect(newId.startsWith(`${archive}:`)).toBe(true);

    // After the move, neither collection shows the move again (anchors §3 #7).
    const afterInbox = await phone.sync(INBOX, inboxKey);
    expect(afterInbox.raw.length).toBe(0);
    const afterArchive = await phone.sync(archive, arch.key);
    expect(afterArchive.raw.length).toBe(0);

    // The attachment by Range (ItemOperations Fetch, FileReference).
    const withAtt = await phone.sync(INBOX, inboxKey, {
      commands: [el("AirSync", "Fetch", el("AirSync", "ServerId", inbox.ids.find((id) => id !== toDelete && id !== toMove)!))],
    });
    inboxKey = syncKeyOf(withAtt);
    const state = await runInDurableObject(mailbox(), async (mb: Mailbox) => ({
      inbox: (await mb.store.listItems(INBOX, { limit: 100 })).map((s) => ({
        id: s.itemId,
        seen: s.flags.seen,
        flagged: s.flags.flagged,
        atts: s.attachments,
      })),
      trash: await mb.store.countItems(DELETED),
      archive: (await mb.store.listItems(archive, { limit: 10 })).map((s) => s.itemId),
    }));
    expect(state.inbox).toHaveLength(11);
    expect(state.inbox.find((s) => s.id === itemId(toRead))?.seen).toBe(true);
    expect(state.inbox.find((s) => s.id === itemId(toFlag))?.flagged).toBe(true);
    expect(state.inbox.some((s) => s.id === itemId(toDelete))).toBe(false);
    expect(state.trash).toBe(1); // DeletesAsMoves defaults to true for mail
    expect(state.archive).toEqual([itemId(newId)]);

    const attItem = state.inbox.find((s) => s.atts.length > 0)!;
    const fileRef = `${INBOX}:${attItem.id}:${attItem.atts[0].partId}`;
    const fetched = await phone.send("ItemOperations", attachmentFetchBody(fileRef, "0-999"));
    const props = child(child(child(fetched.body, "Response"), "Fetch"), "Properties");
    expect(childText(props, "Range")).toBe("0-999");
    expect(childText(props, "Total")).toBe("5000");
    const data = Uint8Array.from(atob(childText(props, "Data")!), (c) => c.charCodeAt(0));
    expect(data).toEqual(att.slice(0, 1000));
  });
});

describe("server-side changes reach the device in the next Sync", () => {
  it("MS-ASCMD_R3119: new mail → Add, flag/read → Change, expunge → Delete, server move → Delete here and Add there", async () => {
    const phone = new TestPhone(USER, PW, "SERVER1");
    const { key: k0, ids } = await syncToEnd(phone, INBOX);
    const trash = await syncToEnd(phone, DELETED);
    const [a, b, c] = ids;
    const fresh = await deliver("Fresh one");
    await runInDurableObject(mailbox(), async (mb: Mailbox) => {
      await mb.store.setFlags(INBOX, itemId(a), { seen: true, flagged: true });
      await mb.store.deleteItem(INBOX, itemId(b));
      await mb.store.moveItem(INBOX, itemId(c), DELETED);
    });
    const r = await phone.sync(INBOX, k0);
    expect(idsOf(r, "Add")).toEqual([`${INBOX}:${fresh}`]);
    expect(idsOf(r, "Change")).toEqual([a]);
    const ch = childrenNamed(child(collectionOf(r), "Commands"), "Change")[0];
    expect(childText(child(ch, "ApplicationData"), "Read")).toBe("1");
    expect(childText(child(child(ch, "ApplicationData"), "Flag"), "Status")).toBe("2");
    expect(idsOf(r, "Delete").sort()).toEqual([b, c].sort());
    const t = await phone.sync(DELETED, trash.key);
    expect(idsOf(t, "Add")).toHaveLength(1);
  });

  it("MS-ASCMD_R2068: conflicts — the server object wins by default; Conflict 0 lets the client win", async () => {
    const phone = new TestPhone(USER, PW, "CONFLICT1");
    const { key, ids } = await syncToEnd(phone, INBOX);
    const target = ids[0];
    await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.setFlags(INBOX, itemId(target), { seen: false, flagged: true }));
    // Device marks read while the server flagged it: server wins, the device gets the server state.
    const r = await phone.sync(INBOX, key, { commands: [change(target, read(true))] });
    expect(idsOf(r, "Change")).toEqual([target]);
    const data = child(childrenNamed(child(collectionOf(r), "Commands"), "Change")[0], "ApplicationData");
    expect(childText(data, "Read")).toBe("0");
    let seen = await runInDurableObject(mailbox(), async (mb: Mailbox) => (await mb.store.getSummary(INBOX, itemId(target)))!.flags.seen);
    expect(seen).toBe(false);
    // Client wins with Conflict 0.
    await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.setFlags(INBOX, itemId(target), { flagged: false }));
    const r2 = await phone.sync(INBOX, syncKeyOf(r), {
      options: mailOptions(el("AirSync", "Conflict", 0)),
      commands: [change(target, read(true))],
    });
    seen = await runInDurableObject(mailbox(), async (mb: Mailbox) => (await mb.store.getSummary(INBOX, itemId(target)))!.flags.seen);
    expect(seen).toBe(true);
    expect(statusOf(r2)).toBe("1");
  });

  it("MS-ASCMD_R4446 MS-ASEMAIL_R643: a Change or Delete of an unknown item gets Status 8, a non-boolean Read Status 6", async () => {
    const phone = new TestPhone(USER, PW, "NOTFOUND1");
    const { key, ids } = await syncToEnd(phone, INBOX);
    const r = await phone.sync(INBOX, key, {
      commands: [change(`${INBOX}:999999`, read(true)), del(`${INBOX}:999998`), change(ids[0], el("Email", "Read", "yes"))],
    });
    const responses = child(collectionOf(r), "Responses");
    expect(childrenNamed(responses, "Change").map((c) => [childText(c, "ServerId"), childText(c, "Status")])).toEqual([
      [`${INBOX}:999999`, "8"],
      [ids[0], "6"],
    ]);
    expect(childText(child(responses, "Delete"), "Status")).toBe("8");
  });
});

describe("DeletesAsMoves", () => {
  it("MS-ASCMD_R2158: DeletesAsMoves 0 deletes permanently; the default moves to Deleted Items (MS-ASCMD_R5875)", async () => {
    const phone = new TestPhone(USER, PW, "DELETES1");
    await deliver("to purge");
    await deliver("to trash");
    const { key, ids } = await syncToEnd(phone, INBOX);
    const trashBefore = await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.countItems(DELETED));
    const r = await phone.sync(INBOX, key, { extra: [el("AirSync", "DeletesAsMoves", "0")], commands: [del(ids[0])] });
    expect(await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.countItems(DELETED))).toBe(trashBefore);
    await phone.sync(INBOX, syncKeyOf(r), { extra: [el("AirSync", "DeletesAsMoves", "1")], commands: [del(ids[1])] });
    expect(await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.countItems(DELETED))).toBe(trashBefore + 1);
  });
});

describe("FilterType windows", () => {
  it("MS-ASCMD_R3967: a wider window adds older items, a narrower one soft-deletes them", async () => {
    const user = "filter@example.test";
    await createAccount(env.DB, user, PW);
    const mb = env.MAILBOX.getByName(user);
    const now = Date.now();
    const ages = [0.5, 2, 5, 10, 20];
    await runInDurableObject(mb, async (m: Mailbox) => {
      for (const d of ages) await m.store.appendMessage(INBOX, message(`${d} days`), {}, now - d * DAY);
    });
    const phone = new TestPhone(user, PW, "FILTER1");
    const week = mailOptions(el("AirSync", "FilterType", 3));
    const { key, ids } = await syncToEnd(phone, INBOX, week);
    expect(ids).toHaveLength(3); // 0.5, 2 and 5 days
    const all = await phone.sync(INBOX, key, { options: mailOptions(el("AirSync", "FilterType", 0)) });
    expect(idsOf(all, "Add")).toHaveLength(2);
    const narrow = await phone.sync(INBOX, syncKeyOf(all), { options: mailOptions(el("AirSync", "FilterType", 2)) });
    expect(idsOf(narrow, "SoftDelete")).toHaveLength(3); // 5, 10 and 20 days are outside 3 days
    // Delivery of an old message outside the window: no Add, and no pending change for a Ping.
    await runInDurableObject(mb, (m: Mailbox) => m.store.appendMessage(INBOX, message("old"), {}, now - 30 * DAY));
    expect(await mb.pendingChanges("FILTER1", [INBOX])).toEqual([]);
    await runInDurableObject(mb, (m: Mailbox) => m.store.appendMessage(INBOX, message("new"), {}, now));
    expect(await mb.pendingChanges("FILTER1", [INBOX])).toEqual([INBOX]);
    const last = await phone.sync(INBOX, syncKeyOf(narrow));
    expect(idsOf(last, "Add")).toHaveLength(1);
    expect(await mb.pendingChanges("FILTER1", [INBOX])).toEqual([]);
  });
});

describe("the empty Sync request and Partial ([MS-ASCMD] 2.2.3.131)", () => {
  it("MS-ASCMD_R4456: an empty request with nothing cached is Status 13; later it reuses the cached collections", async () => {
    const phone = new TestPhone(USER, PW, "EMPTY1");
    const none = await phone.send("Sync", null);
    expect(childText(none.body, "Status")).toBe("13");
    const { key } = await syncToEnd(phone, INBOX);
    const fresh = await deliver("For the empty request");
    const r = await phone.send("Sync", null);
    expect(idsOf(r, "Add")).toEqual([`${INBOX}:${fresh}`]);
    expect(syncKeyOf(r)).not.toBe(key);
    expect(await mailbox().lastSyncRequest("EMPTY1")).toMatchObject({ collections: [{ collectionId: INBOX }] });
    // Partial: only the Wait changes; the collections come from the cache.
    const fresh2 = await deliver("For the partial request");
    const p = await phone.send("Sync", el("AirSync", "Sync", el("AirSync", "Partial")));
    expect(idsOf(p, "Add")).toEqual([`${INBOX}:${fresh2}`]);
  });

  it("MS-ASCMD_R4748 MS-ASCMD_R3225: Wait with HeartbeatInterval is Status 4; Wait out of range is Status 14 with Limit", async () => {
    const phone = new TestPhone(USER, PW, "WAIT1");
    const both = await phone.send("Sync", el("AirSync", "Sync", el("AirSync", "Wait", 5), el("AirSync", "HeartbeatInterval", 300)));
    expect(childText(both.body, "Status")).toBe("4");
    const tooLong = await phone.send("Sync", el("AirSync", "Sync", el("AirSync", "Wait", 90)));
    expect(childText(tooLong.body, "Status")).toBe("14");
    expect(Number(childText(tooLong.body, "Limit"))).toBeLessThanOrEqual(59);
  });
});

describe("GetItemEstimate", () => {
  const estimate = (phone: TestPhone, collectionId: string, key: string) =>
    phone.send(
      "GetItemEstimate",
      el(
        "GetItemEstimate",
        "GetItemEstimate",
        el(
          "GetItemEstimate",
          "Collections",
          el("GetItemEstimate", "Collection", el("AirSync", "SyncKey", key), el("GetItemEstimate", "CollectionId", collectionId)),
        ),
      ),
    );
  it("MS-ASCMD_R4135 MS-ASCMD_R4139 MS-ASCMD_R4142: Status 2 unknown collection, 3 not primed, 4 bad key, else the count", async () => {
    const phone = new TestPhone(USER, PW, "ESTIMATE1");
    const st = async (coll: string, key: string) =>
      childText(child(await estimate(phone, coll, key).then((r) => r.body), "Response"), "Status");
    expect(await st("999", "0")).toBe("2");
    expect(await st(INBOX, "0")).toBe("3");
    const boot = syncKeyOf(await phone.sync(INBOX, "0"));
    expect(await st(INBOX, "{ffff}9")).toBe("4");
    const total = await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.countItems(INBOX));
    const r = await estimate(phone, INBOX, boot);
    expect(childText(child(child(r.body, "Response"), "Collection"), "Estimate")).toBe(String(total));
    const first = await phone.sync(INBOX, boot, { windowSize: 5 });
    const r2 = await estimate(phone, INBOX, syncKeyOf(first));
    expect(childText(child(child(r2.body, "Response"), "Collection"), "Estimate")).toBe(String(total - 5));
  });
});

describe("bodies ([MS-ASAIRS] BodyPreference, [MS-ASCMD] MIMESupport)", () => {
  it("MS-ASAIRS_R202 MS-ASAIRS_R250 MS-ASAIRS_R276 MS-ASAIRS_R376 MS-ASEMAIL_R437: picks HTML for an HTML message, plain for plain; truncates with EstimatedDataSize; Preview is plain text", async () => {
    const user = "bodies@example.test";
    await createAccount(env.DB, user, PW);
    const mb = env.MAILBOX.getByName(user);
    await mb.deliver(withAttachment("HTML one", new Uint8Array([1, 2, 3])));
    await mb.deliver(message("Plain one", { body: "x".repeat(500) }));
    const phone = new TestPhone(user, PW, "BODIES1");
    const opts = mailOptions(bodyPref(1, 200), bodyPref(2, 5120, [el("AirSyncBase", "Preview", 40)]));
    const k = syncKeyOf(await phone.sync(INBOX, "0", { options: opts }));
    const r = await phone.sync(INBOX, k, { options: opts });
    const adds = childrenNamed(child(collectionOf(r), "Commands"), "Add").map((a) => child(a, "ApplicationData")!);
    const bySubject = new Map(adds.map((d) => [childText(d, "Subject"), d]));
    const html = child(bySubject.get("HTML one"), "Body")!;
    expect(childText(html, "Type")).toBe("2");
    expect(childText(html, "Data")).toContain("<b>attached</b>");
    expect(childText(html, "Preview")).not.toContain("<");
    expect(childText(html, "Preview")!.length).toBeLessThanOrEqual(40);
    expect(childText(child(child(bySubject.get("HTML one"), "Attachments"), "Attachment"), "DisplayName")).toBe("report.bin");
    const plain = child(bySubject.get("Plain one"), "Body")!;
    expect(childText(plain, "Type")).toBe("1");
    expect(childText(plain, "Truncated")).toBe("1");
    expect(childText(plain, "Data")!.length).toBe(200);
    expect(Number(childText(plain, "EstimatedDataSize"))).toBeGreaterThanOrEqual(500);
    expect(childText(bySubject.get("Plain one"), "DateReceived")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);

    // MIME with MIMESupport 2; AllOrNone on a too small type 1 falls through to nothing but sizes.
    const phone2 = new TestPhone(user, PW, "BODIES2");
    const mimeOpts = mailOptions(el("AirSync", "MIMESupport", 2), bodyPref(4));
    const k2 = syncKeyOf(await phone2.sync(INBOX, "0", { options: mimeOpts }));
    const r2 = await phone2.sync(INBOX, k2, { options: mimeOpts });
    for (const a of childrenNamed(child(collectionOf(r2), "Commands"), "Add")) {
      const body = child(child(a, "ApplicationData"), "Body")!;
      expect(childText(body, "Type")).toBe("4");
      expect(childText(body, "Data")).toMatch(/^From: /);
    }
    const phone3 = new TestPhone(user, PW, "BODIES3");
    const aon = mailOptions(bodyPref(1, 10, [el("AirSyncBase", "AllOrNone", 1)]));
    const k3 = syncKeyOf(await phone3.sync(INBOX, "0", { options: aon }));
    const r3 = await phone3.sync(INBOX, k3, { options: aon });
    const plain3 = childrenNamed(child(collectionOf(r3), "Commands"), "Add")
      .map((a) => child(a, "ApplicationData")!)
      .find((d) => childText(d, "Subject") === "Plain one")!;
    expect(childText(child(plain3, "Body"), "Data")).toBeUndefined();
    expect(childText(child(plain3, "Body"), "Truncated")).toBe("1");
  });
});

describe("ItemOperations", () => {
  it("MS-ASCMD_R236 MS-ASCMD_R5503 MS-ASCMD_R5505 MS-ASCMD_R5506 MS-ASCMD_R5509 MS-ASCMD_R5513 MS-ASCMD_R5517 MS-ASCMD_R5518: Fetch of an item by CollectionId+ServerId; multipart when MS-ASAcceptMultiPart: T; unknown item Status 6", async () => {
    const phone = new TestPhone(USER, PW, "ITEMOPS1");
    const { ids } = await syncToEnd(phone, INBOX);
    const fetch = (serverId: string) =>
      el(
        "ItemOperations",
        "Fetch",
        el("ItemOperations", "Store", "Mailbox"),
        el("AirSync", "CollectionId", INBOX),
        el("AirSync", "ServerId", serverId),
        el("ItemOperations", "Options", bodyPref(1)),
      );
    const r = await phone.send("ItemOperations", el("ItemOperations", "ItemOperations", fetch(ids[0]), fetch(`${INBOX}:424242`)));
    const fetches = childrenNamed(child(r.body, "Response"), "Fetch");
    expect(childText(fetches[0], "Status")).toBe("1");
    expect(childText(child(fetches[0], "Properties"), "Subject")).toBeTruthy();
    expect(childText(fetches[1], "Status")).toBe("6");

    const m = await phone.send("ItemOperations", el("ItemOperations", "ItemOperations", fetch(ids[0])), {
      headers: { "MS-ASAcceptMultiPart": "T" },
    });
    expect(m.headers.get("Content-Type")).toBe("application/vnd.ms-sync.multipart");
    const view = new DataView(m.raw.buffer, m.raw.byteOffset);
    expect(view.getInt32(0, true)).toBe(2);
    const off0 = view.getInt32(4, true);
    const len0 = view.getInt32(8, true);
    const off1 = view.getInt32(12, true);
    const len1 = view.getInt32(16, true);
    const wbxml = decodeWbxml(m.raw.subarray(off0, off0 + len0));
    const body = child(child(child(child(wbxml, "Response"), "Fetch"), "Properties"), "Body");
    expect(childText(body, "Part")).toBe("1");
    expect(new TextDecoder().decode(m.raw.subarray(off1, off1 + len1))).toContain("Body of");
  });

  it("MS-ASCMD_R2244: EmptyFolderContents empties Deleted Items", async () => {
    const phone = new TestPhone(USER, PW, "ITEMOPS2");
    await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.appendMessage(DELETED, message("trash")));
    const r = await phone.send(
      "ItemOperations",
      el(
        "ItemOperations",
        "ItemOperations",
        el(
          "ItemOperations",
          "EmptyFolderContents",
          el("AirSync", "CollectionId", DELETED),
          el("ItemOperations", "Options", el("ItemOperations", "DeleteSubFolders")),
        ),
      ),
    );
    expect(childText(child(child(r.body, "Response"), "EmptyFolderContents"), "Status")).toBe("1");
    expect(await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.countItems(DELETED))).toBe(0);
  });
});

describe("MoveItems statuses (MS-ASCMD_R4206 MS-ASCMD_R4211 MS-ASCMD_R4218)", () => {
  it("1 bad source item, 2 bad destination, 4 same folder", async () => {
    const phone = new TestPhone(USER, PW, "MOVE1");
    const { ids } = await syncToEnd(phone, INBOX);
    const move = (src: string, srcFld: string, dst: string) =>
      el("Move", "Move", el("Move", "SrcMsgId", src), el("Move", "SrcFldId", srcFld), el("Move", "DstFldId", dst));
    const r = await phone.send(
      "MoveItems",
      el("Move", "MoveItems", move(`${INBOX}:777777`, INBOX, DELETED), move(ids[0], INBOX, "999"), move(ids[0], INBOX, INBOX)),
    );
    expect(childrenNamed(r.body, "Response").map((x) => childText(x, "Status"))).toEqual(["1", "2", "4"]);
  });
});

describe("protocol versions", () => {
  it("12.1 gets no 14.0+ elements (Preview, Email2:LastVerbExecuted); 14.1 gets them", async () => {
    const user = "versions@example.test";
    await createAccount(env.DB, user, PW);
    const mb = env.MAILBOX.getByName(user);
    const { itemId } = await mb.deliver(message("Answered one"));
    await runInDurableObject(mb, (m: Mailbox) => m.store.setFlags(INBOX, itemId, { answered: true }));
    const props = async (version: string) => {
      const phone = new TestPhone(user, PW, `V${version.replace(".", "")}`, version);
      // HTML: a plain text body returned in Data has no Preview at all (MS-ASAIRS_R1001036).
      const opts = mailOptions(bodyPref(2, 100, [el("AirSyncBase", "Preview", 50)]));
      const k = syncKeyOf(await phone.sync(INBOX, "0", { options: opts }));
      const r = await phone.sync(INBOX, k, { options: opts });
      return child(child(child(collectionOf(r), "Commands"), "Add"), "ApplicationData")!;
    };
    const old = await props("12.1");
    expect(child(child(old, "Body"), "Preview")).toBeUndefined();
    expect(child(old, "LastVerbExecuted", "Email2")).toBeUndefined();
    const cur = await props("14.1");
    expect(childText(child(cur, "Body"), "Preview")).toContain("Body of Answered one");
    expect(childText(cur, "LastVerbExecuted", "Email2")).toBe("1");
  });
});
