// SyncKey series, replay of a lost response, ClientId de-duplication, FolderSync stability: over HTTP
// to the Worker inside workerd, against the real Mailbox object and built-in store.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { createAccount } from "../../src/service/directory";
import { child, childrenNamed, childText, el } from "../../src/wbxml/index";
import { TestPhone, collectionOf, folderCreateBody, idsOf, message, moreAvailable, statusOf, syncKeyOf } from "./helpers/phone";

const USER = "keys@example.test";
const PW = "keys-secret";
const INBOX = "1";
const DRAFTS = "2";
const mailbox = () => env.MAILBOX.getByName(USER);

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
  for (let i = 1; i <= 7; i++) await mailbox().deliver(message(`Hello ${i}`, { date: new Date(Date.now() - i * 60_000) }));
});

describe("FolderSync", () => {
  it("MS-ASCMD_R885 MS-ASCMD_R3916 MS-ASCMD_R4580 MS-ASCMD_R4581: SyncKey 0 lists the default folders; a second SyncKey 0 gives the same ServerIds; an unknown key is Status 9", async () => {
    const phone = new TestPhone(USER, PW, "FOLDERS1");
    const first = await phone.folderSync("0");
    expect(childText(first, "Status")).toBe("1");
    const adds = childrenNamed(child(first, "Changes"), "Add").map((a) => [
      childText(a, "DisplayName"),
      childText(a, "ServerId"),
      childText(a, "Type"),
    ]);
    expect(adds).toContainEqual(["Inbox", INBOX, "2"]);
    expect(adds).toContainEqual(["Deleted Items", "3", "4"]);
    const again = await phone.folderSync("0");
    const adds2 = childrenNamed(child(again, "Changes"), "Add").map((a) => [
      childText(a, "DisplayName"),
      childText(a, "ServerId"),
      childText(a, "Type"),
    ]);
    expect(adds2).toEqual(adds);
    // No change: same key, Count 0.
    const key = childText(again, "SyncKey")!;
    const none = await phone.folderSync(key);
    expect(childText(none, "SyncKey")).toBe(key);
    expect(childText(child(none, "Changes"), "Count")).toBe("0");
    // An unknown key: Status 9.
    expect(childText(await phone.folderSync("{abc}7"), "Status")).toBe("9");
  });

  it("server-side create, rename, delete arrive as Add, Update, Delete with stable ids; a lost response is replayed", async () => {
    const phone = new TestPhone(USER, PW, "FOLDERS2");
    let key = childText(await phone.folderSync("0"), "SyncKey")!;
    const made = await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.createFolder("0", "Projects", 12));
    let r = await phone.folderSync(key);
    expect(childrenNamed(child(r, "Changes"), "Add").map((a) => childText(a, "ServerId"))).toEqual([made.id]);
    const lostKey = childText(r, "SyncKey")!;
    // The response was lost: the same request again gets the same change under a fresh key.
    r = await phone.folderSync(key);
    expect(childrenNamed(child(r, "Changes"), "Add").map((a) => childText(a, "ServerId"))).toEqual([made.id]);
    key = childText(r, "SyncKey")!;
    expect(key).not.toBe(lostKey);
    await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.updateFolder(made.id, "Projects 2026", "0"));
    r = await phone.folderSync(key);
    const upd = childrenNamed(child(r, "Changes"), "Update");
    expect(upd.map((u) => [childText(u, "ServerId"), childText(u, "DisplayName")])).toEqual([[made.id, "Projects 2026"]]);
    key = childText(r, "SyncKey")!;
    expect(await mailbox().hierarchyOutdated("FOLDERS2")).toBe(false);
    await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.deleteFolder(made.id));
    expect(await mailbox().hierarchyOutdated("FOLDERS2")).toBe(true);
    r = await phone.folderSync(key);
    expect(childrenNamed(child(r, "Changes"), "Delete").map((d) => childText(d, "ServerId"))).toEqual([made.id]);
  });
});

describe("FolderCreate retried after a lost response", () => {
  it("the same FolderCreate with the same key gets the same ServerId under a fresh key; another key is Status 9 (MS-ASCMD_R4032)", async () => {
    const phone = new TestPhone(USER, PW, "FOLDERS3");
    const key = childText(await phone.folderSync("0"), "SyncKey")!;
    const create = (k: string) => phone.send("FolderCreate", folderCreateBody(k, "Receipts"));
    const first = await create(key);
    const again = await create(key);
    expect(childText(again.body, "Status")).toBe("1");
    expect(childText(again.body, "ServerId")).toBe(childText(first.body, "ServerId"));
    expect(childText(again.body, "SyncKey")).not.toBe(childText(first.body, "SyncKey"));
    const folders = await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.listFolders());
    expect(folders.filter((f) => f.name === "Receipts")).toHaveLength(1);
    expect(childText((await create("{beef}3")).body, "Status")).toBe("9");
  });
});

describe("Sync keys", () => {
  it("MS-ASCMD_R4599 MS-ASCMD_R5555 MS-ASCMD_R5556 MS-ASCMD_R3451 MS-ASCMD_R3456 MS-ASCMD_R4765: SyncKey 0 bootstraps without items, then WindowSize pages with MoreAvailable, no duplicates", async () => {
    const phone = new TestPhone(USER, PW, "PAGER1");
    const boot = await phone.sync(INBOX, "0");
    expect(statusOf(boot)).toBe("1");
    expect(idsOf(boot, "Add")).toEqual([]);
    let key = syncKeyOf(boot);
    const seen: string[] = [];
    let pages = 0;
    for (;;) {
      const r = await phone.sync(INBOX, key, { windowSize: 3 });
      expect(statusOf(r)).toBe("1");
      const ids = idsOf(r, "Add");
      expect(ids.length).toBeLessThanOrEqual(3);
      seen.push(...ids);
      key = syncKeyOf(r);
      pages++;
      if (!moreAvailable(r)) break;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    // Nothing changed since: the empty response, HTTP 200 without body, key unchanged.
    const idle = await phone.sync(INBOX, key);
    expect(idle.status).toBe(200);
    expect(idle.raw.length).toBe(0);
  });

  it("anchors §3 #1: response to Sync(N) lost → Sync(N) again gives the same items and a fresh key; Sync(N-2) → Status 3 (MS-ASCMD_R4424)", async () => {
    const phone = new TestPhone(USER, PW, "RETRY1");
    const k1 = syncKeyOf(await phone.sync(INBOX, "0"));
    const r2 = await phone.sync(INBOX, k1, { windowSize: 4 });
    const k2 = syncKeyOf(r2);
    const first = await phone.sync(INBOX, k2, { windowSize: 4 }); // this response is "lost"
    const lostKey = syncKeyOf(first);
    const again = await phone.sync(INBOX, k2, { windowSize: 4 });
    expect(idsOf(again, "Add")).toEqual(idsOf(first, "Add"));
    expect(idsOf(again, "Add").length).toBe(3);
    const k3 = syncKeyOf(again);
    expect(k3).not.toBe(lostKey);
    expect(k3).not.toBe(k2);
    // Nothing from page 1 comes again, nothing is missing.
    expect(new Set([...idsOf(r2, "Add"), ...idsOf(again, "Add")]).size).toBe(7);
    // Had the "lost" response arrived after all, its key stands for the same state: nothing again, no loss.
    expect((await phone.sync(INBOX, lostKey)).raw.length).toBe(0);
    // N-2 is gone.
    const stale = await phone.sync(INBOX, k1);
    expect(statusOf(stale)).toBe("3");
    expect(syncKeyOf(stale)).toBe("0");
    // The valid key still works: nothing new.
    const idle = await phone.sync(INBOX, k3);
    expect(idle.raw.length).toBe(0);
  });

  it("anchors §3 #20: two concurrent Syncs with the same key get the same items; either answer's key then works", async () => {
    const phone = new TestPhone(USER, PW, "RACE1");
    const k1 = syncKeyOf(await phone.sync(INBOX, "0"));
    const [a, b] = await Promise.all([phone.sync(INBOX, k1, { windowSize: 4 }), phone.sync(INBOX, k1, { windowSize: 4 })]);
    expect(idsOf(a, "Add")).toEqual(idsOf(b, "Add"));
    const restA = await phone.sync(INBOX, syncKeyOf(a), { windowSize: 10 });
    expect(idsOf(restA, "Add")).toHaveLength(3);
    expect(new Set([...idsOf(a, "Add"), ...idsOf(restA, "Add")]).size).toBe(7);
  });

  it("two SyncKey 0 before any item was sent join one series (anchors §3 #3)", async () => {
    const phone = new TestPhone(USER, PW, "DOUBLE0");
    const [a, b] = await Promise.all([phone.sync(INBOX, "0"), phone.sync(INBOX, "0")]);
    expect(syncKeyOf(a)).toBe(syncKeyOf(b));
    const r = await phone.sync(INBOX, syncKeyOf(a), { windowSize: 100 });
    expect(idsOf(r, "Add")).toHaveLength(7);
  });

  it("a SyncKey 0 after the device was told about an item starts a new series: the full resync lists that item (MS-ASCMD_R4580)", async () => {
    // Found by `npm run try:push`: an empty Deleted Items synced (nothing sent, key 1 kept), then a MoveItems
    // into it (the device knows the moved item), then SyncKey 0 again: joining the old series kept the item
    // "known", so the resync never listed it.
    const phone = new TestPhone(USER, PW, "REZERO1");
    const trash = "3";
    const k1 = syncKeyOf(await phone.sync(trash, "0"));
    expect((await phone.sync(trash, k1, { windowSize: 100 })).raw.length).toBe(0); // empty folder: empty response
    await mailbox().deliver(message("To be moved")); // the newest: the one the first Inbox page brings; the Inbox keeps its 7
    const inbox = await phone.sync(INBOX, syncKeyOf(await phone.sync(INBOX, "0")), { windowSize: 1 });
    const moved = await phone.send(
      "MoveItems",
      el(
        "Move",
        "MoveItems",
        el("Move", "Move", el("Move", "SrcMsgId", idsOf(inbox, "Add")[0]!), el("Move", "SrcFldId", INBOX), el("Move", "DstFldId", trash)),
      ),
    );
    const dst = childText(child(moved.body, "Response"), "DstMsgId")!;
    const again = syncKeyOf(await phone.sync(trash, "0"));
    expect(again).not.toBe(k1);
    expect(idsOf(await phone.sync(trash, again, { windowSize: 100 }), "Add")).toEqual([dst]);
  });

  it("MS-ASCMD_R3128 MS-ASCMD_R5838: GetChanges with SyncKey 0 is Status 4; a Collection without SyncKey is Status 4", async () => {
    const phone = new TestPhone(USER, PW, "BADREQ1");
    const r = await phone.sync(INBOX, "0", { extra: [el("AirSync", "GetChanges", "1")] });
    expect(statusOf(r)).toBe("4");
    const noKey = await phone.send(
      "Sync",
      el("AirSync", "Sync", el("AirSync", "Collections", el("AirSync", "Collection", el("AirSync", "CollectionId", INBOX)))),
    );
    expect(childText(noKey.body, "Status")).toBe("4");
  });

  it("MS-ASCMD_R4452: an unknown collection is Status 12", async () => {
    const phone = new TestPhone(USER, PW, "UNKNOWN1");
    expect(statusOf(await phone.sync("999", "0"))).toBe("12");
  });

  it("anchors §3 #2: the same Add with the same ClientId twice → one object, the same ServerId", async () => {
    const phone = new TestPhone(USER, PW, "DRAFTS1", "16.1");
    const key = syncKeyOf(await phone.sync(DRAFTS, "0"));
    expect((await phone.sync(DRAFTS, key)).raw.length).toBe(0); // empty folder: nothing to say
    const add = el(
      "AirSync",
      "Add",
      el("AirSync", "ClientId", "draft-42"),
      el(
        "AirSync",
        "ApplicationData",
        el("Email", "To", "bob@example.test"),
        el("Email", "Subject", "Draft subject"),
        el("AirSyncBase", "Body", el("AirSyncBase", "Type", 1), el("AirSyncBase", "Data", "draft text")),
      ),
    );
    const r1 = await phone.sync(DRAFTS, key, { commands: [add] });
    const resp1 = child(child(collectionOf(r1), "Responses"), "Add");
    expect(childText(resp1, "Status")).toBe("1");
    const serverId = childText(resp1, "ServerId")!;
    // The response is lost; the device sends the same request again.
    const r2 = await phone.sync(DRAFTS, key, { commands: [add] });
    const resp2 = child(child(collectionOf(r2), "Responses"), "Add");
    expect(childText(resp2, "ServerId")).toBe(serverId);
    const count = await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.countItems(DRAFTS));
    expect(count).toBe(1);
    // And its own draft is not echoed back as a server Add.
    const next = await phone.sync(DRAFTS, syncKeyOf(r2));
    expect(idsOf(next, "Add")).toEqual([]);
  });

  it("the sync state survives eviction of the mailbox object between requests", async () => {
    const phone = new TestPhone(USER, PW, "EVICT0");
    const k1 = syncKeyOf(await phone.sync(INBOX, "0"));
    await evictDurableObject(mailbox());
    const r = await phone.sync(INBOX, k1, { windowSize: 5 });
    await evictDurableObject(mailbox());
    const r2 = await phone.sync(INBOX, syncKeyOf(r), { windowSize: 5 });
    expect(new Set([...idsOf(r, "Add"), ...idsOf(r2, "Add")]).size).toBe(7);
  });
});
