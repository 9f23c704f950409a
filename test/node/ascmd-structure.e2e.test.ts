// [MS-ASCMD] §2.2.3 element rules (parent, children, data type, number allowed) and the matching command rules,
// checked on real FolderSync and Sync responses of the Worker under `wrangler dev`. Every response is also
// validated against the conformance kit's XSDs (Phone.command does it); the assertions here say explicitly
// what each cited requirement demands, so a regression fails here even where the XSD is lenient.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { child, childrenNamed, childText, el, type WbxmlElement } from "../../src/wbxml/index";
import { insertAccount } from "./accounts";
import { Phone, type PhoneResponse } from "./phone";
import { syncRequest } from "./sync-requests";

const url = inject("workerUrl");
const persistTo = inject("persistTo");
const USER = "structure-e2e@example.test";
const PW = "structure e2e password";
const INBOX = "1";
const DRAFTS = "2";

const phone = (deviceId: string) =>
  new Phone({ baseUrl: url, user: USER, password: PW, deviceId, deviceType: "iPhone", protocolVersion: "16.1" });

const elements = (e: WbxmlElement) => e.children.filter((c): c is WbxmlElement => typeof c === "object" && !(c instanceof Uint8Array));
const names = (e: WbxmlElement) => elements(e).map((c) => c.name);

/** `e` has exactly one child `name`, a leaf holding text that matches `pattern`; returns the text. */
function leaf(e: WbxmlElement, name: string, pattern = /^.+$/s): string {
  const found = childrenNamed(e, name);
  expect(found, `${e.name}/${name}`).toHaveLength(1);
  expect(elements(found[0]), `${e.name}/${name} has no child element`).toEqual([]);
  const text = childText(e, name)!;
  expect(text, `${e.name}/${name}`).toMatch(pattern);
  return text;
}

const UNSIGNED = /^\d+$/;
const folderSync = (p: Phone, key: string) =>
  p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", key)));

async function deliver(subject: string): Promise<void> {
  const raw = `From: Alice <alice@example.test>\r\nTo: ${USER}\r\nSubject: ${subject}\r\nDate: ${new Date().toUTCString()}\r\nMessage-ID: <${crypto.randomUUID()}@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody of ${subject}\r\n`;
  const res = await fetch(`${url}/cdn-cgi/handler/email?from=alice@example.test&to=${encodeURIComponent(USER)}`, {
    method: "POST",
    body: raw,
  });
  expect(res.status, await res.text()).toBe(200);
}

beforeAll(async () => {
  await insertAccount(persistTo, USER, PW);
  for (let i = 0; i < 4; i++) await deliver(`Structure ${i}`);
}, 60_000);

describe("FolderSync responses", () => {
  it(
    "MS-ASCMD_R113 MS-ASCMD_R116 MS-ASCMD_R119 MS-ASCMD_R5775 MS-ASCMD_R4578: SyncKey 0 returns every folder, " +
      "one created by another device included, with a new SyncKey, and no items",
    async () => {
      const a = phone("structFS1");
      const k = childText((await folderSync(a, "0")).tree, "SyncKey")!;
      const made = await a.command(
        "FolderCreate",
        el(
          "FolderHierarchy",
          "FolderCreate",
          el("FolderHierarchy", "SyncKey", k),
          el("FolderHierarchy", "ParentId", "0"),
          el("FolderHierarchy", "DisplayName", "Structure"),
          el("FolderHierarchy", "Type", 12),
        ),
      );
      expect(childText(made.tree, "Status")).toBe("1");
      const fs = await folderSync(phone("structFS2"), "0");
      const root = fs.tree!;
      // MS-ASCMD_R3096 MS-ASCMD_R1715 MS-ASCMD_R1716 MS-ASCMD_R1717 MS-ASCMD_R1718: the root FolderSync, a container of Status, SyncKey, Changes.
      expect([root.ns, root.name]).toEqual(["FolderHierarchy", "FolderSync"]);
      expect(names(root)).toEqual(["Status", "SyncKey", "Changes"]);
      // MS-ASCMD_R2703 MS-ASCMD_R2704 MS-ASCMD_R2705 MS-ASCMD_R2706 MS-ASCMD_R4066 MS-ASCMD_R4074: Status, one unsignedByte, 1 = success.
      expect(leaf(root, "Status", UNSIGNED)).toBe("1");
      // MS-ASCMD_R2827 MS-ASCMD_R2828 MS-ASCMD_R2829 MS-ASCMD_R2830: SyncKey, a string leaf under FolderSync.
      expect(leaf(root, "SyncKey")).not.toBe("0");
      // MS-ASCMD_R1155 MS-ASCMD_R1156 MS-ASCMD_R1157 MS-ASCMD_R1158: Changes under FolderSync holds Count and Adds.
      const changes = child(root, "Changes")!;
      const adds = childrenNamed(changes, "Add");
      expect(new Set(names(changes))).toEqual(new Set(["Count", "Add"]));
      // MS-ASCMD_R1454 MS-ASCMD_R1455 MS-ASCMD_R1456 MS-ASCMD_R1457: Count, one unsigned integer leaf, here the number of Adds.
      expect(Number(leaf(changes, "Count", UNSIGNED))).toBe(adds.length);
      // MS-ASCMD_R1031 MS-ASCMD_R1032 MS-ASCMD_R1033 MS-ASCMD_R1034 MS-ASCMD_R5860: each Add (in Changes) creates one folder:
      // MS-ASCMD_R2585 MS-ASCMD_R2586 MS-ASCMD_R2587 MS-ASCMD_R2588 MS-ASCMD_R3911 one ServerId,
      // MS-ASCMD_R2336 MS-ASCMD_R2337 MS-ASCMD_R2338 MS-ASCMD_R2339 MS-ASCMD_R5884 MS-ASCMD_R5885 one ParentId (0 or another folder),
      // MS-ASCMD_R1539 MS-ASCMD_R1540 MS-ASCMD_R1541 MS-ASCMD_R1542 MS-ASCMD_R2195 one DisplayName,
      // MS-ASCMD_R2871 MS-ASCMD_R2872 MS-ASCMD_R2873 MS-ASCMD_R2874 MS-ASCMD_R4665 MS-ASCMD_R4666 one Type, an integer of the 1..19 table.
      const ids = adds.map((a) => childText(a, "ServerId"));
      const folders = adds.map((a) => {
        expect(names(a).sort()).toEqual(["DisplayName", "ParentId", "ServerId", "Type"]);
        const parent = leaf(a, "ParentId");
        expect(parent === "0" || ids.includes(parent), `parent ${parent}`).toBe(true);
        const type = Number(leaf(a, "Type", /^\d+$/));
        expect(type).toBeGreaterThanOrEqual(1);
        expect(type).toBeLessThanOrEqual(19);
        return { id: leaf(a, "ServerId"), parent, name: leaf(a, "DisplayName"), type };
      });
      expect(new Set(ids).size).toBe(ids.length);
      // MS-ASCMD_R119: all folders: the default ones (Inbox 2, Drafts 3, Deleted Items 4, Sent Items 5, Outbox 6) and the created one.
      for (const t of [2, 3, 4, 5, 6]) expect(folders.map((f) => f.type)).toContain(t);
      expect(folders).toContainEqual({ id: childText(made.tree, "ServerId"), parent: "0", name: "Structure", type: 12 });
      // MS-ASCMD_R2198 MS-ASCMD_R5416: display names are unique within a parent folder.
      const siblings = folders.map((f) => `${f.parent}/${f.name.toLowerCase()}`);
      expect(new Set(siblings).size).toBe(siblings.length);
      // MS-ASCMD_R5775: the hierarchy only, no items of the collections.
      expect(JSON.stringify(root)).not.toMatch(/"ns":"(AirSync|Email|AirSyncBase)"/);
    },
  );

  it(
    "MS-ASCMD_R2879 MS-ASCMD_R2880 MS-ASCMD_R2881 MS-ASCMD_R2882 MS-ASCMD_R1482 MS-ASCMD_R1483 MS-ASCMD_R1484 MS-ASCMD_R1485 MS-ASCMD_R5863: " +
      "another device's rename arrives as Update (ServerId, ParentId, DisplayName, Type), its delete as Delete (ServerId)",
    async () => {
      const a = phone("structFS3");
      const b = phone("structFS4");
      const ka = childText((await folderSync(a, "0")).tree, "SyncKey")!;
      let kb = childText((await folderSync(b, "0")).tree, "SyncKey")!;
      const made = await a.command(
        "FolderCreate",
        el(
          "FolderHierarchy",
          "FolderCreate",
          el("FolderHierarchy", "SyncKey", ka),
          el("FolderHierarchy", "ParentId", "0"),
          el("FolderHierarchy", "DisplayName", "Renamed soon"),
          el("FolderHierarchy", "Type", 12),
        ),
      );
      const id = childText(made.tree, "ServerId")!;
      kb = childText((await folderSync(b, kb)).tree, "SyncKey")!;
      const upd = await a.command(
        "FolderUpdate",
        el(
          "FolderHierarchy",
          "FolderUpdate",
          el("FolderHierarchy", "SyncKey", childText(made.tree, "SyncKey")!),
          el("FolderHierarchy", "ServerId", id),
          el("FolderHierarchy", "ParentId", "0"),
          el("FolderHierarchy", "DisplayName", "Renamed"),
        ),
      );
      expect(childText(upd.tree, "Status")).toBe("1");
      let r = (await folderSync(b, kb)).tree!;
      const changes = child(r, "Changes")!;
      expect(names(changes)).toEqual(["Count", "Update"]);
      expect(leaf(changes, "Count", UNSIGNED)).toBe("1");
      const u = child(changes, "Update")!;
      // MS-ASCMD_R2577 MS-ASCMD_R2578 MS-ASCMD_R2579 MS-ASCMD_R2580, MS-ASCMD_R2332 MS-ASCMD_R2333 MS-ASCMD_R2334 MS-ASCMD_R2335 MS-ASCMD_R3622 MS-ASCMD_R3625,
      // MS-ASCMD_R1530 MS-ASCMD_R1531 MS-ASCMD_R1532 MS-ASCMD_R1533, MS-ASCMD_R2867 MS-ASCMD_R2868 MS-ASCMD_R2869 MS-ASCMD_R2870 MS-ASCMD_R4663: one of each in Update.
      expect(names(u).sort()).toEqual(["DisplayName", "ParentId", "ServerId", "Type"]);
      expect([leaf(u, "ServerId"), leaf(u, "ParentId"), leaf(u, "DisplayName"), leaf(u, "Type", /^\d+$/)]).toEqual([
        id,
        "0",
        "Renamed",
        "12",
      ]);
      kb = childText(r, "SyncKey")!;

      const del = await a.command(
        "FolderDelete",
        el(
          "FolderHierarchy",
          "FolderDelete",
          el("FolderHierarchy", "SyncKey", childText(upd.tree, "SyncKey")!),
          el("FolderHierarchy", "ServerId", id),
        ),
      );
      expect(childText(del.tree, "Status")).toBe("1");
      r = (await folderSync(b, kb)).tree!;
      const d = child(child(r, "Changes"), "Delete")!;
      // MS-ASCMD_R2581 MS-ASCMD_R2582 MS-ASCMD_R2583 MS-ASCMD_R2584: Delete holds one ServerId and nothing else.
      expect(names(d)).toEqual(["ServerId"]);
      expect(leaf(d, "ServerId")).toBe(id);
    },
  );

  it("MS-ASCMD_R4068 MS-ASCMD_R4083: an unknown synchronization key fails with Status 9 and no Changes", async () => {
    const r = (await folderSync(phone("structFS5"), "{00000000-0000-0000-0000-000000000000}5")).tree!;
    expect(leaf(r, "Status", UNSIGNED)).toBe("9");
    expect(child(r, "Changes")).toBeUndefined();
  });
});

describe("Sync responses", () => {
  const collectionOf = (r: PhoneResponse) => {
    const colls = childrenNamed(child(r.tree, "Collections")!, "Collection");
    expect(colls).toHaveLength(1);
    return colls[0];
  };
  const mailOptions = el(
    "AirSync",
    "Options",
    el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1), el("AirSyncBase", "TruncationSize", 200)),
  );

  /** Checks the Sync/Collections/Collection frame shared by every non-empty Sync response; returns Collection. */
  function frame(r: PhoneResponse, collectionId: string): WbxmlElement {
    // MS-ASCMD_R4558 MS-ASCMD_R2795 MS-ASCMD_R2796 MS-ASCMD_R2797 MS-ASCMD_R2798: the root Sync holds Collections.
    expect([r.tree!.ns, r.tree!.name]).toEqual(["AirSync", "Sync"]);
    expect(names(r.tree!)).toEqual(["Collections"]);
    const c = collectionOf(r);
    // MS-ASCMD_R1363 MS-ASCMD_R1364 MS-ASCMD_R1365 MS-ASCMD_R1366: Collection (in Collections) holds SyncKey, CollectionId, Status,
    // and optionally MoreAvailable, Commands, Responses; never Class in 16.1 (MS-ASCMD_R6319).
    for (const n of names(c)) expect(["SyncKey", "CollectionId", "Status", "MoreAvailable", "Commands", "Responses"]).toContain(n);
    // MS-ASCMD_R2839 MS-ASCMD_R2840 MS-ASCMD_R2841 MS-ASCMD_R2842 MS-ASCMD_R4596: one SyncKey string.
    leaf(c, "SyncKey");
    // MS-ASCMD_R1400 MS-ASCMD_R1401 MS-ASCMD_R1402 MS-ASCMD_R1403: one CollectionId, the requested one.
    expect(leaf(c, "CollectionId")).toBe(collectionId);
    // MS-ASCMD_R2767 MS-ASCMD_R2768 MS-ASCMD_R2769 MS-ASCMD_R2770 MS-ASCMD_R4411 MS-ASCMD_R4423: one unsignedByte Status, 1 on success.
    expect(leaf(c, "Status", UNSIGNED)).toBe("1");
    return c;
  }

  it(
    "MS-ASCMD_R648 MS-ASCMD_R654 MS-ASCMD_R4606 MS-ASCMD_R4602 MS-ASCMD_R4771 MS-ASCMD_R656: SyncKey 0 gives the initial key without items; " +
      "then every item, WindowSize at a time with MoreAvailable, each response with a new key; then an empty response",
    async () => {
      const p = phone("structSync1");
      const boot = await p.command("Sync", syncRequest(INBOX, "0", [mailOptions]));
      const c0 = frame(boot, INBOX);
      expect(names(c0)).not.toContain("Commands");
      let key = childText(c0, "SyncKey")!;
      expect(key).not.toBe("0");
      const seen: string[] = [];
      for (let page = 0; ; page++) {
        const r = await p.command("Sync", syncRequest(INBOX, key, [el("AirSync", "WindowSize", 3), mailOptions]));
        const c = frame(r, INBOX);
        // MS-ASCMD_R1423 MS-ASCMD_R1425 MS-ASCMD_R1426 MS-ASCMD_R1427 MS-ASCMD_R2053: one Commands with at least one operation.
        expect(childrenNamed(c, "Commands")).toHaveLength(1);
        const ops = elements(child(c, "Commands")!);
        expect(ops.length).toBeGreaterThanOrEqual(1);
        expect(ops.length).toBeLessThanOrEqual(3);
        for (const add of ops) {
          // MS-ASCMD_R1039 MS-ASCMD_R1040 MS-ASCMD_R1041 MS-ASCMD_R1042: Add (in Commands) holds ServerId and ApplicationData;
          // MS-ASCMD_R2605 MS-ASCMD_R2606 MS-ASCMD_R2607 MS-ASCMD_R2608 MS-ASCMD_R5701 one ServerId;
          // MS-ASCMD_R1059 MS-ASCMD_R1061 MS-ASCMD_R1062 MS-ASCMD_R5848 one ApplicationData container.
          expect(add.name).toBe("Add");
          expect(names(add)).toEqual(["ServerId", "ApplicationData"]);
          seen.push(leaf(add, "ServerId"));
          expect(childrenNamed(add, "ApplicationData")).toHaveLength(1);
          expect(elements(child(add, "ApplicationData")!).length).toBeGreaterThan(0);
        }
        // MS-ASCMD_R3835: no client operations, no Responses.
        expect(names(c)).not.toContain("Responses");
        const next = childText(c, "SyncKey")!;
        expect(next).not.toBe(key);
        key = next;
        const more = childrenNamed(c, "MoreAvailable");
        if (page === 0) {
          // 4 items, window 3: MS-ASCMD_R4771 MoreAvailable; MS-ASCMD_R1951 MS-ASCMD_R1952 MS-ASCMD_R1953 MS-ASCMD_R1954 MS-ASCMD_R3448 one empty tag.
          expect(ops).toHaveLength(3);
          expect(more).toHaveLength(1);
          expect(more[0].children).toEqual([]);
        }
        if (more.length === 0) break;
        expect(page).toBeLessThan(3);
      }
      expect(new Set(seen).size).toBe(4);
      // MS-ASCMD_R656: nothing changed, an empty response.
      const idle = await p.command("Sync", syncRequest(INBOX, key, [mailOptions]));
      expect(idle.status).toBe(200);
      expect(idle.raw.length).toBe(0);
    },
  );

  it(
    "MS-ASCMD_R955 MS-ASCMD_R957 MS-ASCMD_R3834 MS-ASCMD_R3836 MS-ASCMD_R5255: a client Add is answered in Responses " +
      "by an Add with its ClientId, the new ServerId and a Status",
    async () => {
      const p = phone("structSync2");
      const key = childText(collectionOf(await p.command("Sync", syncRequest(DRAFTS, "0"))), "SyncKey")!;
      const add = el(
        "AirSync",
        "Add",
        el("AirSync", "ClientId", "struct-1"),
        el(
          "AirSync",
          "ApplicationData",
          el("Email", "To", "bob@example.test"),
          el("Email", "Subject", "Structure draft"),
          el("AirSyncBase", "Body", el("AirSyncBase", "Type", 1), el("AirSyncBase", "Data", "text")),
        ),
      );
      const r = await p.command("Sync", syncRequest(DRAFTS, key, [el("AirSync", "Commands", add)]));
      const c = frame(r, DRAFTS);
      // MS-ASCMD_R2504 MS-ASCMD_R2506 MS-ASCMD_R2507: one Responses in Collection, with at least one child.
      expect(childrenNamed(c, "Responses")).toHaveLength(1);
      const responses = child(c, "Responses")!;
      expect(names(responses)).toEqual(["Add"]);
      // MS-ASCMD_R1043 MS-ASCMD_R1044 MS-ASCMD_R1045 MS-ASCMD_R1046: Add (in Responses) holds ClientId, ServerId, Status;
      // MS-ASCMD_R1347 MS-ASCMD_R1348 MS-ASCMD_R1349 MS-ASCMD_R1350 one ClientId, the client's;
      // MS-ASCMD_R5572 MS-ASCMD_R5573 MS-ASCMD_R5574 MS-ASCMD_R5575 at most one ServerId.
      // A 16.x draft's Add also carries its email2:ConversationId in ApplicationData (MS-ASEMAIL_R11850), nothing else.
      const a = child(responses, "Add")!;
      expect(names(a).sort()).toEqual(["ApplicationData", "ClientId", "ServerId", "Status"]);
      expect(names(child(a, "ApplicationData")!)).toEqual(["ConversationId"]);
      expect(leaf(a, "ClientId")).toBe("struct-1");
      expect(leaf(a, "ServerId")).not.toBe("struct-1");
      expect(leaf(a, "Status", UNSIGNED)).toBe("1");
    },
  );
});

describe("Sync responses: changes made elsewhere, failed client changes", () => {
  const collectionOf = (r: PhoneResponse) => child(child(r.tree, "Collections")!, "Collection")!;

  async function syncToEnd(p: Phone, collectionId: string): Promise<{ key: string; ids: string[] }> {
    let key = childText(collectionOf(await p.command("Sync", syncRequest(collectionId, "0"))), "SyncKey")!;
    const ids: string[] = [];
    for (;;) {
      const r = await p.command("Sync", syncRequest(collectionId, key, [el("AirSync", "WindowSize", 100)]));
      if (r.raw.length === 0) break;
      const c = collectionOf(r);
      ids.push(...childrenNamed(child(c, "Commands") ?? el("AirSync", "Commands"), "Add").map((a) => childText(a, "ServerId")!));
      key = childText(c, "SyncKey")!;
      if (!child(c, "MoreAvailable")) break;
    }
    return { key, ids };
  }

  it(
    "MS-ASCMD_R1147 MS-ASCMD_R1148 MS-ASCMD_R1149 MS-ASCMD_R1150 MS-ASCMD_R1490 MS-ASCMD_R1491 MS-ASCMD_R1492 MS-ASCMD_R1493: " +
      "another device's flag change arrives as Change (ServerId, ApplicationData), its delete as Delete (ServerId)",
    async () => {
      const a = phone("structSync3");
      const b = phone("structSync4");
      const sa = await syncToEnd(a, INBOX);
      const sb = await syncToEnd(b, INBOX);
      const [toRead, toDelete] = sa.ids;
      const done = await a.command(
        "Sync",
        syncRequest(INBOX, sa.key, [
          el(
            "AirSync",
            "Commands",
            el("AirSync", "Change", el("AirSync", "ServerId", toRead), el("AirSync", "ApplicationData", el("Email", "Read", "1"))),
            el("AirSync", "Delete", el("AirSync", "ServerId", toDelete)),
          ),
        ]),
      );
      expect(childText(collectionOf(done), "Status")).toBe("1");
      const r = await b.command("Sync", syncRequest(INBOX, sb.key));
      const cmds = child(collectionOf(r), "Commands")!;
      const change = childrenNamed(cmds, "Change");
      expect(change).toHaveLength(1);
      expect(names(change[0])).toEqual(["ServerId", "ApplicationData"]);
      expect(leaf(change[0], "ServerId")).toBe(toRead);
      expect(childText(child(change[0], "ApplicationData"), "Read")).toBe("1");
      const del = childrenNamed(cmds, "Delete");
      expect(del).toHaveLength(1);
      expect(names(del[0])).toEqual(["ServerId"]);
      expect(leaf(del[0], "ServerId")).toBe(toDelete);
    },
  );

  it(
    "MS-ASCMD_R1151 MS-ASCMD_R1152 MS-ASCMD_R1153 MS-ASCMD_R1154 MS-ASCMD_R7069 MS-ASCMD_R4419 MS-ASCMD_R4447 MS-ASCMD_R5846: " +
      "a Change of an item that no longer exists is answered in Responses by a Change with its ServerId and Status 8",
    async () => {
      const a = phone("structSync5");
      const sa = await syncToEnd(a, INBOX);
      const r = await a.command(
        "Sync",
        syncRequest(INBOX, sa.key, [
          el(
            "AirSync",
            "Commands",
            el(
              "AirSync",
              "Change",
              el("AirSync", "ServerId", `${INBOX}:999999`),
              el("AirSync", "ApplicationData", el("Email", "Read", "1")),
            ),
          ),
        ]),
      );
      const c = collectionOf(r);
      expect(childText(c, "Status")).toBe("1");
      const responses = child(c, "Responses")!;
      expect(names(responses)).toEqual(["Change"]);
      const ch = child(responses, "Change")!;
      expect(names(ch).sort()).toEqual(["ServerId", "Status"]);
      expect(leaf(ch, "ServerId")).toBe(`${INBOX}:999999`);
      expect(leaf(ch, "Status", UNSIGNED)).toBe("8");
    },
  );
});

describe("GetItemEstimate and MoveItems responses", () => {
  const OTHER = "estimate-e2e@example.test";
  const DELETED = "3";
  const p = () =>
    new Phone({ baseUrl: url, user: OTHER, password: PW, deviceId: "structEst1", deviceType: "iPhone", protocolVersion: "16.1" });
  const collectionOf = (r: PhoneResponse) => child(child(r.tree, "Collections")!, "Collection")!;
  const estimate = (phone: Phone, key: string, collectionId: string) =>
    phone.command(
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
  const syncKeys: Record<string, string> = {};

  beforeAll(async () => {
    await insertAccount(persistTo, OTHER, PW);
    for (let i = 0; i < 3; i++) {
      const raw = `From: alice@example.test\r\nTo: ${OTHER}\r\nSubject: Estimate ${i}\r\nMessage-ID: <${crypto.randomUUID()}@example.test>\r\nContent-Type: text/plain\r\n\r\nx\r\n`;
      const res = await fetch(`${url}/cdn-cgi/handler/email?from=alice@example.test&to=${encodeURIComponent(OTHER)}`, {
        method: "POST",
        body: raw,
      });
      expect(res.status, await res.text()).toBe(200);
    }
  }, 60_000);

  it(
    "MS-ASCMD_R171 MS-ASCMD_R3130 MS-ASCMD_R1768 MS-ASCMD_R1769 MS-ASCMD_R1770 MS-ASCMD_R1771 MS-ASCMD_R2483 MS-ASCMD_R2484 MS-ASCMD_R2485 MS-ASCMD_R2486 MS-ASCMD_R3859: " +
      "GetItemEstimate holds one Response with Status and Collection (CollectionId, Estimate = the items still to sync)",
    async () => {
      const phone = p();
      for (const id of [INBOX, DELETED])
        syncKeys[id] = childText(collectionOf(await phone.command("Sync", syncRequest(id, "0"))), "SyncKey")!;
      const r = (await estimate(phone, syncKeys[INBOX], INBOX)).tree!;
      expect([r.ns, r.name]).toEqual(["GetItemEstimate", "GetItemEstimate"]);
      expect(names(r)).toEqual(["Response"]);
      const resp = child(r, "Response")!;
      expect(names(resp)).toEqual(["Status", "Collection"]);
      // MS-ASCMD_R5577 MS-ASCMD_R5578 MS-ASCMD_R5579 MS-ASCMD_R5580 MS-ASCMD_R4127 MS-ASCMD_R4134: Status 1 in Response.
      expect(leaf(resp, "Status", UNSIGNED)).toBe("1");
      // MS-ASCMD_R1355 MS-ASCMD_R1356 MS-ASCMD_R1357 MS-ASCMD_R1358: Collection in Response, with CollectionId and Estimate.
      const coll = child(resp, "Collection")!;
      expect(names(coll).sort()).toEqual(["CollectionId", "Estimate"]);
      // MS-ASCMD_R1371 MS-ASCMD_R1372 MS-ASCMD_R1373 MS-ASCMD_R1374: one CollectionId string.
      expect(leaf(coll, "CollectionId")).toBe(INBOX);
      // MS-ASCMD_R1643 MS-ASCMD_R1644 MS-ASCMD_R1645 MS-ASCMD_R1646 MS-ASCMD_R2289: one integer Estimate, the number of items to sync.
      expect(leaf(coll, "Estimate", /^\d+$/)).toBe("3");
    },
  );

  it("MS-ASCMD_R4130 MS-ASCMD_R4136 MS-ASCMD_R4140: a folder that does not exist is Status 2, a collection never synced (SyncKey 0) Status 3, in Response", async () => {
    const phone = p();
    const missing = child((await estimate(phone, syncKeys[INBOX] ?? "0", "999")).tree!, "Response")!;
    expect(leaf(missing, "Status", UNSIGNED)).toBe("2");
    const unsynced = child((await estimate(phone, "0", INBOX)).tree!, "Response")!;
    expect(leaf(unsynced, "Status", UNSIGNED)).toBe("3");
  });

  it(
    "MS-ASCMD_R285 MS-ASCMD_R289 MS-ASCMD_R3476 MS-ASCMD_R1975 MS-ASCMD_R1976 MS-ASCMD_R1977 MS-ASCMD_R1978 MS-ASCMD_R2492 MS-ASCMD_R2493 MS-ASCMD_R2494 MS-ASCMD_R2495 MS-ASCMD_R3822: " +
      "MoveItems answers one Response per move (SrcMsgId, Status, DstMsgId); the next Syncs show Delete in the source, Add in the destination",
    async () => {
      const phone = p();
      // A second device that has both folders in sync watches the move.
      const watcher = new Phone({
        baseUrl: url,
        user: OTHER,
        password: PW,
        deviceId: "structEst2",
        deviceType: "iPhone",
        protocolVersion: "16.1",
      });
      const watched: Record<string, string> = {};
      for (const id of [INBOX, DELETED]) {
        const k0 = childText(collectionOf(await watcher.command("Sync", syncRequest(id, "0"))), "SyncKey")!;
        const full = await watcher.command("Sync", syncRequest(id, k0, [el("AirSync", "WindowSize", 50)]));
        watched[id] = full.raw.length === 0 ? k0 : childText(collectionOf(full), "SyncKey")!;
      }
      const all = await phone.command("Sync", syncRequest(INBOX, syncKeys[INBOX], [el("AirSync", "WindowSize", 50)]));
      const ids = childrenNamed(child(collectionOf(all), "Commands")!, "Add").map((a) => childText(a, "ServerId")!);
      syncKeys[INBOX] = childText(collectionOf(all), "SyncKey")!;
      const move = (src: string, srcFld: string, dst: string) =>
        el("Move", "Move", el("Move", "SrcMsgId", src), el("Move", "SrcFldId", srcFld), el("Move", "DstFldId", dst));
      const r = (
        await phone.command(
          "MoveItems",
          el(
            "Move",
            "MoveItems",
            move(ids[0], INBOX, DELETED),
            move(`${INBOX}:888888`, INBOX, DELETED),
            move(ids[1], INBOX, "999"),
            move(ids[1], INBOX, INBOX),
          ),
        )
      ).tree!;
      expect([r.ns, r.name]).toEqual(["Move", "MoveItems"]);
      expect(names(r)).toEqual(["Response", "Response", "Response", "Response"]);
      const [moved, noSource, noDest, same] = childrenNamed(r, "Response");
      // MS-ASCMD_R2675 MS-ASCMD_R2676 MS-ASCMD_R2677 MS-ASCMD_R2678 MS-ASCMD_R3977 MS-ASCMD_R3978 MS-ASCMD_R5882: one SrcMsgId, the moved item, at most 64 characters;
      // MS-ASCMD_R2735 MS-ASCMD_R2737 MS-ASCMD_R2738 MS-ASCMD_R4200 MS-ASCMD_R4217: one Status, 3 = success;
      // MS-ASCMD_R1571 MS-ASCMD_R1572 MS-ASCMD_R1573 MS-ASCMD_R1574 MS-ASCMD_R2219 MS-ASCMD_R5870: one DstMsgId of at most 64 characters.
      expect(names(moved).sort()).toEqual(["DstMsgId", "SrcMsgId", "Status"]);
      expect(leaf(moved, "SrcMsgId", /^.{1,64}$/)).toBe(ids[0]);
      expect(leaf(moved, "Status", UNSIGNED)).toBe("3");
      const dst = leaf(moved, "DstMsgId", /^.{1,64}$/);
      // MS-ASCMD_R4201 MS-ASCMD_R4207 MS-ASCMD_R4208: unknown source item, 1; MS-ASCMD_R4212: unknown destination, 2; MS-ASCMD_R4219: same folder, 4.
      expect([noSource, noDest, same].map((x) => leaf(x, "Status", UNSIGNED))).toEqual(["1", "2", "4"]);
      for (const x of [noSource, noDest, same]) expect(child(x, "DstMsgId")).toBeUndefined();
      // MS-ASCMD_R289: a client syncing the affected folders gets a Delete in the source, an Add of the new id in the
      // destination. (The device that moved the item already knows: it gets neither, by design of item-ops.ts.)
      const src = await watcher.command("Sync", syncRequest(INBOX, watched[INBOX]));
      expect(childrenNamed(child(collectionOf(src), "Commands")!, "Delete").map((d) => childText(d, "ServerId"))).toEqual([ids[0]]);
      const dest = await watcher.command("Sync", syncRequest(DELETED, watched[DELETED]));
      expect(childrenNamed(child(collectionOf(dest), "Commands")!, "Add").map((a) => childText(a, "ServerId"))).toEqual([dst]);
    },
  );
});

describe("the same commands in every protocol version served", () => {
  // "[In X] Protocol version V supports this [X] command/element" for FolderSync, Sync, GetItemEstimate, MoveItems
  // and the response elements each test below asserts, by version.
  const SUPPORT_ROWS: Record<string, string> = {
    "12.1":
      "MS-ASCMD_R6012 MS-ASCMD_R6053 MS-ASCMD_R6069 MS-ASCMD_R6117 MS-ASCMD_R6153 MS-ASCMD_R6157 MS-ASCMD_R6173 MS-ASCMD_R6245 MS-ASCMD_R6315 MS-ASCMD_R6336 MS-ASCMD_R6344 MS-ASCMD_R6348 MS-ASCMD_R6376 MS-ASCMD_R6448 MS-ASCMD_R6612 MS-ASCMD_R6678 MS-ASCMD_R6838 MS-ASCMD_R6854 MS-ASCMD_R6918 MS-ASCMD_R7136 MS-ASCMD_R7160 MS-ASCMD_R7226 MS-ASCMD_R7288 MS-ASCMD_R7310 MS-ASCMD_R7318 MS-ASCMD_R7326 MS-ASCMD_R7378 MS-ASCMD_R6309 MS-ASCMD_R6320 MS-ASCMD_R6538 MS-ASCMD_R7049 MS-ASCMD_R7057 MS-ASCMD_R7202 MS-ASCMD_R7234 MS-ASCMD_R7254",
    "14.0":
      "MS-ASCMD_R6013 MS-ASCMD_R6054 MS-ASCMD_R6070 MS-ASCMD_R6118 MS-ASCMD_R6154 MS-ASCMD_R6158 MS-ASCMD_R6174 MS-ASCMD_R6246 MS-ASCMD_R6316 MS-ASCMD_R6337 MS-ASCMD_R6345 MS-ASCMD_R6349 MS-ASCMD_R6377 MS-ASCMD_R6449 MS-ASCMD_R6613 MS-ASCMD_R6679 MS-ASCMD_R6839 MS-ASCMD_R6855 MS-ASCMD_R6919 MS-ASCMD_R7137 MS-ASCMD_R7161 MS-ASCMD_R7227 MS-ASCMD_R7289 MS-ASCMD_R7311 MS-ASCMD_R7319 MS-ASCMD_R7327 MS-ASCMD_R7379 MS-ASCMD_R6310 MS-ASCMD_R6321 MS-ASCMD_R6539 MS-ASCMD_R7050 MS-ASCMD_R7058 MS-ASCMD_R7203 MS-ASCMD_R7235 MS-ASCMD_R7255",
    "14.1":
      "MS-ASCMD_R6014 MS-ASCMD_R6055 MS-ASCMD_R6071 MS-ASCMD_R6119 MS-ASCMD_R6155 MS-ASCMD_R6159 MS-ASCMD_R6175 MS-ASCMD_R6247 MS-ASCMD_R6317 MS-ASCMD_R6338 MS-ASCMD_R6346 MS-ASCMD_R6350 MS-ASCMD_R6378 MS-ASCMD_R6450 MS-ASCMD_R6614 MS-ASCMD_R6680 MS-ASCMD_R6840 MS-ASCMD_R6856 MS-ASCMD_R6920 MS-ASCMD_R7138 MS-ASCMD_R7162 MS-ASCMD_R7228 MS-ASCMD_R7290 MS-ASCMD_R7312 MS-ASCMD_R7320 MS-ASCMD_R7328 MS-ASCMD_R7380 MS-ASCMD_R6311 MS-ASCMD_R6322 MS-ASCMD_R6540 MS-ASCMD_R7051 MS-ASCMD_R7059 MS-ASCMD_R7204 MS-ASCMD_R7236 MS-ASCMD_R7256",
    "16.0":
      "MS-ASCMD_R6015 MS-ASCMD_R6056 MS-ASCMD_R6072 MS-ASCMD_R6120 MS-ASCMD_R6156 MS-ASCMD_R6160 MS-ASCMD_R6176 MS-ASCMD_R6248 MS-ASCMD_R6318 MS-ASCMD_R6339 MS-ASCMD_R6347 MS-ASCMD_R6351 MS-ASCMD_R6379 MS-ASCMD_R6451 MS-ASCMD_R6615 MS-ASCMD_R6681 MS-ASCMD_R6841 MS-ASCMD_R6857 MS-ASCMD_R6921 MS-ASCMD_R7139 MS-ASCMD_R7163 MS-ASCMD_R7229 MS-ASCMD_R7291 MS-ASCMD_R7313 MS-ASCMD_R7321 MS-ASCMD_R7329 MS-ASCMD_R7381 MS-ASCMD_R6312 MS-ASCMD_R6323 MS-ASCMD_R6541 MS-ASCMD_R7052 MS-ASCMD_R7060 MS-ASCMD_R7205 MS-ASCMD_R7237 MS-ASCMD_R7257",
    "16.1":
      "MS-ASCMD_R6015100601 MS-ASCMD_R6056100601 MS-ASCMD_R6072100601 MS-ASCMD_R6120100601 MS-ASCMD_R6156100601 MS-ASCMD_R6160100601 MS-ASCMD_R6176100701 MS-ASCMD_R6248100701 MS-ASCMD_R6318100701 MS-ASCMD_R6339100601 MS-ASCMD_R6347100701 MS-ASCMD_R6351100701 MS-ASCMD_R6379100701 MS-ASCMD_R6451100701 MS-ASCMD_R6615100801 MS-ASCMD_R6681100901 MS-ASCMD_R6841101701 MS-ASCMD_R6857101701 MS-ASCMD_R6921101701 MS-ASCMD_R7139101801 MS-ASCMD_R7163101801 MS-ASCMD_R7229101801 MS-ASCMD_R7291101801 MS-ASCMD_R7313101801 MS-ASCMD_R7321101801 MS-ASCMD_R7329102101 MS-ASCMD_R7381101801 MS-ASCMD_R6312100701 MS-ASCMD_R6323100601 MS-ASCMD_R6541100801 MS-ASCMD_R7052102101 MS-ASCMD_R7060101801 MS-ASCMD_R7205101801 MS-ASCMD_R7237101801 MS-ASCMD_R7257101801",
  };
  const collectionOf = (r: PhoneResponse) => child(child(r.tree, "Collections")!, "Collection")!;

  for (const [version, ids] of Object.entries(SUPPORT_ROWS)) {
    it(`${version}: FolderSync, Sync, GetItemEstimate and MoveItems answer with their elements (${ids.split(" ").length} support rows)`, async () => {
      const p = new Phone({
        baseUrl: url,
        user: USER,
        password: PW,
        deviceId: `structV${version.replace(".", "")}`,
        deviceType: "iPhone",
        protocolVersion: version,
      });
      const fs = (await folderSync(p, "0")).tree!;
      expect([fs.name, leaf(fs, "Status")]).toEqual(["FolderSync", "1"]);
      leaf(fs, "SyncKey");
      const changes = child(fs, "Changes")!;
      expect(Number(leaf(changes, "Count", UNSIGNED))).toBeGreaterThan(0);
      for (const a of childrenNamed(changes, "Add")) expect(names(a).sort()).toEqual(["DisplayName", "ParentId", "ServerId", "Type"]);

      const boot = await p.command("Sync", syncRequest(INBOX, "0"));
      expect(names(boot.tree!)).toEqual(["Collections"]);
      const c0 = collectionOf(boot);
      expect([leaf(c0, "CollectionId"), leaf(c0, "Status")]).toEqual([INBOX, "1"]);
      const key = leaf(c0, "SyncKey");
      const page = collectionOf(await p.command("Sync", syncRequest(INBOX, key, [el("AirSync", "WindowSize", 1)])));
      expect(leaf(page, "Status")).toBe("1");
      const add = child(child(page, "Commands")!, "Add")!;
      expect(names(add)).toEqual(["ServerId", "ApplicationData"]);
      expect(childrenNamed(page, "MoreAvailable")).toHaveLength(1);

      const est = (
        await p.command(
          "GetItemEstimate",
          el(
            "GetItemEstimate",
            "GetItemEstimate",
            el(
              "GetItemEstimate",
              "Collections",
              el(
                "GetItemEstimate",
                "Collection",
                el("AirSync", "SyncKey", leaf(page, "SyncKey")),
                el("GetItemEstimate", "CollectionId", INBOX),
              ),
            ),
          ),
        )
      ).tree!;
      const resp = child(est, "Response")!;
      expect(leaf(resp, "Status")).toBe("1");
      expect(Number(leaf(child(resp, "Collection")!, "Estimate", /^\d+$/))).toBeGreaterThan(0);

      const src = leaf(add, "ServerId");
      const mv = (
        await p.command(
          "MoveItems",
          el(
            "Move",
            "MoveItems",
            el("Move", "Move", el("Move", "SrcMsgId", src), el("Move", "SrcFldId", INBOX), el("Move", "DstFldId", INBOX)),
          ),
        )
      ).tree!;
      expect(mv.name).toBe("MoveItems");
      expect([leaf(child(mv, "Response")!, "SrcMsgId"), leaf(child(mv, "Response")!, "Status")]).toEqual([src, "4"]);
    });
  }
});

describe("FolderCreate, FolderUpdate, FolderDelete responses", () => {
  const fh = (name: string, ...kids: WbxmlElement[]) => el("FolderHierarchy", name, ...kids);
  const v = (name: string, value: string | number) => el("FolderHierarchy", name, value);
  const create = (p: Phone, key: string, parent: string, name: string) =>
    p.command("FolderCreate", fh("FolderCreate", v("SyncKey", key), v("ParentId", parent), v("DisplayName", name), v("Type", 12)));
  const update = (p: Phone, key: string, id: string, parent: string, name: string) =>
    p.command("FolderUpdate", fh("FolderUpdate", v("SyncKey", key), v("ServerId", id), v("ParentId", parent), v("DisplayName", name)));
  const remove = (p: Phone, key: string, id: string) => p.command("FolderDelete", fh("FolderDelete", v("SyncKey", key), v("ServerId", id)));

  it(
    "MS-ASCMD_R79 MS-ASCMD_R139 MS-ASCMD_R140 MS-ASCMD_R97 MS-ASCMD_R98 MS-ASCMD_R99: create under a parent, rename, move, delete; " +
      "each response holds Status and SyncKey (and FolderCreate the new ServerId)",
    async () => {
      const p = phone("structOps1");
      const watcher = phone("structOps2");
      let key = childText((await folderSync(p, "0")).tree, "SyncKey")!;
      let wkey = childText((await folderSync(watcher, "0")).tree, "SyncKey")!;

      const parentRes = (await create(p, key, "0", "Ops parent")).tree!;
      // MS-ASCMD_R3084 MS-ASCMD_R1683 MS-ASCMD_R1684 MS-ASCMD_R1685 MS-ASCMD_R1686: the FolderCreate root holds Status, SyncKey, ServerId;
      // MS-ASCMD_R2695 MS-ASCMD_R2696 MS-ASCMD_R2697 MS-ASCMD_R2698 MS-ASCMD_R4005 MS-ASCMD_R4011 one unsignedByte Status, 1;
      // MS-ASCMD_R2803 MS-ASCMD_R2804 MS-ASCMD_R2805 MS-ASCMD_R2806 one SyncKey; MS-ASCMD_R2569 MS-ASCMD_R2570 MS-ASCMD_R2571 MS-ASCMD_R2572 one ServerId.
      expect([parentRes.ns, parentRes.name]).toEqual(["FolderHierarchy", "FolderCreate"]);
      expect(names(parentRes)).toEqual(["Status", "SyncKey", "ServerId"]);
      expect(leaf(parentRes, "Status", UNSIGNED)).toBe("1");
      key = leaf(parentRes, "SyncKey");
      const parentId = leaf(parentRes, "ServerId");
      const childRes = (await create(p, key, parentId, "Ops child")).tree!;
      key = leaf(childRes, "SyncKey");
      const childId = leaf(childRes, "ServerId");
      let seen = (await folderSync(watcher, wkey)).tree!;
      wkey = childText(seen, "SyncKey")!;
      const added = childrenNamed(child(seen, "Changes")!, "Add").map((a) => [
        childText(a, "ServerId"),
        childText(a, "ParentId"),
        childText(a, "DisplayName"),
      ]);
      expect(added).toEqual([
        [parentId, "0", "Ops parent"],
        [childId, parentId, "Ops child"],
      ]);

      // Rename and move the child to the top in one FolderUpdate.
      const upd = (await update(p, key, childId, "0", "Ops moved")).tree!;
      // MS-ASCMD_R3099 MS-ASCMD_R1723 MS-ASCMD_R1724 MS-ASCMD_R1725 MS-ASCMD_R1726: FolderUpdate holds Status and SyncKey;
      // MS-ASCMD_R2707 MS-ASCMD_R2708 MS-ASCMD_R2709 MS-ASCMD_R2710 MS-ASCMD_R4094 MS-ASCMD_R4100: Status 1; MS-ASCMD_R2819 MS-ASCMD_R2820 MS-ASCMD_R2821 MS-ASCMD_R2822: one SyncKey.
      expect([upd.name, ...names(upd)]).toEqual(["FolderUpdate", "Status", "SyncKey"]);
      expect(leaf(upd, "Status", UNSIGNED)).toBe("1");
      key = leaf(upd, "SyncKey");
      seen = (await folderSync(watcher, wkey)).tree!;
      wkey = childText(seen, "SyncKey")!;
      const u = child(child(seen, "Changes")!, "Update")!;
      expect([childText(u, "ServerId"), childText(u, "ParentId"), childText(u, "DisplayName")]).toEqual([childId, "0", "Ops moved"]);

      const del = (await remove(p, key, parentId)).tree!;
      // MS-ASCMD_R3087 MS-ASCMD_R1691 MS-ASCMD_R1692 MS-ASCMD_R1693 MS-ASCMD_R1694: FolderDelete holds Status and SyncKey;
      // MS-ASCMD_R2699 MS-ASCMD_R2700 MS-ASCMD_R2701 MS-ASCMD_R2702 MS-ASCMD_R4039 MS-ASCMD_R4045: Status 1; MS-ASCMD_R2811 MS-ASCMD_R2812 MS-ASCMD_R2813 MS-ASCMD_R2814: one SyncKey.
      expect([del.name, ...names(del)]).toEqual(["FolderDelete", "Status", "SyncKey"]);
      expect(leaf(del, "Status", UNSIGNED)).toBe("1");
      leaf(del, "SyncKey");
      seen = (await folderSync(watcher, wkey)).tree!;
      expect(childrenNamed(child(seen, "Changes")!, "Delete").map((d) => childText(d, "ServerId"))).toEqual([parentId]);
    },
  );

  it("failures: the Status of each folder command names the cause", async () => {
    const p = phone("structOps3");
    const key = childText((await folderSync(p, "0")).tree, "SyncKey")!;
    const made = (await create(p, key, "0", "Ops taken")).tree!;
    const k = childText(made, "SyncKey")!;
    const status = (r: PhoneResponse) => leaf(r.tree!, "Status", UNSIGNED);
    // MS-ASCMD_R4013: the name exists under that parent → 2. MS-ASCMD_R4018 MS-ASCMD_R4019: the parent does not exist → 5.
    expect(status(await create(p, k, "0", "Ops taken"))).toBe("2");
    expect(status(await create(p, k, "424242", "Ops orphan"))).toBe("5");
    // MS-ASCMD_R4096 MS-ASCMD_R4105 MS-ASCMD_R4106: FolderUpdate of a folder that does not exist → 4;
    // MS-ASCMD_R4108 MS-ASCMD_R4109: to a parent that does not exist → 5; MS-ASCMD_R4101 MS-ASCMD_R5438: to a name that exists → 2.
    expect(status(await update(p, k, "424242", "0", "Ops x"))).toBe("4");
    expect(status(await update(p, k, childText(made, "ServerId")!, "424242", "Ops x"))).toBe("5");
    expect(status(await update(p, k, childText(made, "ServerId")!, "0", "Inbox"))).toBe("2");
    // MS-ASCMD_R4040 MS-ASCMD_R4046 MS-ASCMD_R4047: FolderDelete of the Inbox → 3; MS-ASCMD_R4048 MS-ASCMD_R4049: of a folder that does not exist → 4.
    expect(status(await remove(p, k, INBOX))).toBe("3");
    expect(status(await remove(p, k, "424242"))).toBe("4");
    // MS-ASCMD_R4060 MS-ASCMD_R4120: a mismatched synchronization key → 9.
    expect(status(await remove(p, "{00000000-0000-0000-0000-000000000000}9", childText(made, "ServerId")!))).toBe("9");
    expect(status(await update(p, "{00000000-0000-0000-0000-000000000000}9", childText(made, "ServerId")!, "0", "Ops y"))).toBe("9");
  });
});

describe("ItemOperations responses", () => {
  const IO_USER = "itemops-e2e@example.test";
  const DELETED = "3";
  const BYTES = Buffer.from("0123456789abcdefghij");

  beforeAll(async () => {
    await insertAccount(persistTo, IO_USER, PW);
    const raw =
      `From: alice@example.test\r\nTo: ${IO_USER}\r\nSubject: With file\r\nMessage-ID: <${crypto.randomUUID()}@example.test>\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the file\r\n--b\r\nContent-Type: application/octet-stream\r\n` +
      `Content-Disposition: attachment; filename="f.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${BYTES.toString("base64")}\r\n--b--\r\n`;
    const res = await fetch(`${url}/cdn-cgi/handler/email?from=alice@example.test&to=${encodeURIComponent(IO_USER)}`, {
      method: "POST",
      body: raw,
    });
    expect(res.status, await res.text()).toBe(200);
  }, 60_000);

  const io = (name: string, ...kids: (WbxmlElement | string)[]) => el("ItemOperations", name, ...kids);
  const fetchItem = (collectionId: string, serverId: string) =>
    io(
      "Fetch",
      io("Store", "Mailbox"),
      el("AirSync", "CollectionId", collectionId),
      el("AirSync", "ServerId", serverId),
      io("Options", el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1))),
    );
  const collectionOf = (r: PhoneResponse) => child(child(r.tree, "Collections")!, "Collection")!;

  async function firstItem(p: Phone): Promise<{ serverId: string; ref: string }> {
    const k0 = childText(collectionOf(await p.command("Sync", syncRequest(INBOX, "0"))), "SyncKey")!;
    const all = await p.command(
      "Sync",
      syncRequest(INBOX, k0, [el("AirSync", "Options", el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1)))]),
    );
    const add = child(child(collectionOf(all), "Commands")!, "Add")!;
    return {
      serverId: childText(add, "ServerId")!,
      ref: childText(child(child(child(add, "ApplicationData")!, "Attachments")!, "Attachment")!, "FileReference")!,
    };
  }

  it(
    "MS-ASCMD_R3206 MS-ASCMD_R1820 MS-ASCMD_R1821 MS-ASCMD_R1822 MS-ASCMD_R1823 MS-ASCMD_R2487 MS-ASCMD_R2488 MS-ASCMD_R2489 MS-ASCMD_R2490 MS-ASCMD_R194: " +
      "ItemOperations holds Status and one Response with a status per operation: item Fetch, attachment Fetch with Range, failed Fetch",
    async () => {
      const p = new Phone({
        baseUrl: url,
        user: IO_USER,
        password: PW,
        deviceId: "structIO1",
        deviceType: "iPhone",
        protocolVersion: "16.1",
      });
      const { serverId, ref } = await firstItem(p);
      const r = (
        await p.command(
          "ItemOperations",
          io(
            "ItemOperations",
            fetchItem(INBOX, serverId),
            io("Fetch", io("Store", "Mailbox"), el("AirSyncBase", "FileReference", ref), io("Options", io("Range", "0-9"))),
            fetchItem(INBOX, `${INBOX}:777777`),
          ),
        )
      ).tree!;
      expect([r.ns, r.name, ...names(r)]).toEqual(["ItemOperations", "ItemOperations", "Status", "Response"]);
      // MS-ASCMD_R2715 MS-ASCMD_R2716 MS-ASCMD_R2717 MS-ASCMD_R2718: one integer Status under ItemOperations.
      expect(leaf(r, "Status", UNSIGNED)).toBe("1");
      const resp = child(r, "Response")!;
      expect(names(resp)).toEqual(["Fetch", "Fetch", "Fetch"]);
      const [item, file, missing] = childrenNamed(resp, "Fetch");
      // MS-ASCMD_R1651 MS-ASCMD_R1652 MS-ASCMD_R1653 MS-ASCMD_R1654: Fetch in Response; MS-ASCMD_R2727 MS-ASCMD_R2728 MS-ASCMD_R2729 MS-ASCMD_R2730: one Status each;
      // MS-ASCMD_R1379 MS-ASCMD_R1380 MS-ASCMD_R1381 MS-ASCMD_R5415 CollectionId, MS-ASCMD_R2597 MS-ASCMD_R2598 MS-ASCMD_R2599 MS-ASCMD_R2600 ServerId,
      // MS-ASCMD_R1167 MS-ASCMD_R1168 MS-ASCMD_R1169 MS-ASCMD_R1170 Class, MS-ASCMD_R2396 MS-ASCMD_R2398 MS-ASCMD_R2399 Properties: at most one each.
      expect(names(item)).toEqual(["Status", "CollectionId", "ServerId", "Class", "Properties"]);
      expect([leaf(item, "Status", UNSIGNED), leaf(item, "CollectionId"), leaf(item, "ServerId"), leaf(item, "Class")]).toEqual([
        "1",
        INBOX,
        serverId,
        "Email",
      ]);
      expect(childText(child(item, "Properties")!, "Subject", "Email")).toBe("With file");
      // MS-ASCMD_R2415 MS-ASCMD_R2416 MS-ASCMD_R2417 MS-ASCMD_R2418: one Range string; MS-ASCMD_R1462 MS-ASCMD_R1463 MS-ASCMD_R1464 MS-ASCMD_R1465: one Data string (base64 of the range).
      const props = child(file, "Properties")!;
      expect(leaf(file, "Status", UNSIGNED)).toBe("1");
      expect(leaf(props, "Range")).toBe("0-9");
      expect(leaf(props, "Total")).toBe(String(BYTES.length));
      expect(Buffer.from(leaf(props, "Data"), "base64")).toEqual(BYTES.subarray(0, 10));
      expect(leaf(missing, "Status", UNSIGNED)).toBe("6");
      expect(child(missing, "Properties")).toBeUndefined();
    },
  );

  it(
    "MS-ASCMD_R193 MS-ASCMD_R199 MS-ASCMD_R1603 MS-ASCMD_R1604 MS-ASCMD_R1605 MS-ASCMD_R1606 MS-ASCMD_R5414 MS-ASCMD_R2723 MS-ASCMD_R2724 MS-ASCMD_R2725 MS-ASCMD_R2726: " +
      "operations run in the order sent: a Fetch from Deleted Items before EmptyFolderContents of it still finds the item, the one after does not " +
      "(the answers list EmptyFolderContents first, as the response schema orders them)",
    async () => {
      const p = new Phone({
        baseUrl: url,
        user: IO_USER,
        password: PW,
        deviceId: "structIO2",
        deviceType: "iPhone",
        protocolVersion: "16.1",
      });
      const { serverId } = await firstItem(p);
      const moved = (
        await p.command(
          "MoveItems",
          el(
            "Move",
            "MoveItems",
            el("Move", "Move", el("Move", "SrcMsgId", serverId), el("Move", "SrcFldId", INBOX), el("Move", "DstFldId", DELETED)),
          ),
        )
      ).tree!;
      const inTrash = childText(child(moved, "Response")!, "DstMsgId")!;
      const r = (
        await p.command(
          "ItemOperations",
          io(
            "ItemOperations",
            fetchItem(DELETED, inTrash),
            io("EmptyFolderContents", el("AirSync", "CollectionId", DELETED)),
            fetchItem(DELETED, inTrash),
          ),
        )
      ).tree!;
      const resp = child(r, "Response")!;
      expect(names(resp)).toEqual(["EmptyFolderContents", "Fetch", "Fetch"]);
      const [before, after] = childrenNamed(resp, "Fetch");
      expect(leaf(before, "Status", UNSIGNED)).toBe("1");
      expect(childText(child(before, "Properties")!, "Subject", "Email")).toBe("With file");
      const empty = child(resp, "EmptyFolderContents")!;
      expect(names(empty).sort()).toEqual(["CollectionId", "Status"]);
      expect([leaf(empty, "Status", UNSIGNED), leaf(empty, "CollectionId")]).toEqual(["1", DELETED]);
      expect(leaf(after, "Status", UNSIGNED)).toBe("6");
    },
  );
});

describe("Settings responses", () => {
  const s = (name: string, ...kids: (WbxmlElement | string)[]) => el("Settings", name, ...kids);
  it(
    "MS-ASCMD_R469 MS-ASCMD_R478 MS-ASCMD_R480 MS-ASCMD_R5713 MS-ASCMD_R481 MS-ASCMD_R482 MS-ASCMD_R484 MS-ASCMD_R485 MS-ASCMD_R486: " +
      "properties are answered in request order, after a Status of success; each answer starts with its own Status",
    async () => {
      const p = phone("structSet1");
      const r = (
        await p.command(
          "Settings",
          s(
            "Settings",
            s("UserInformation", s("Get")),
            s("DevicePassword", s("Set", s("Password", "x"))),
            s("Oof", s("Get", s("BodyType", "Text"))),
            s("DeviceInformation", s("Set", s("Model", "Pixel"), s("OS", "Android 15"))),
          ),
        )
      ).tree!;
      expect(names(r)).toEqual(["Status", "UserInformation", "DevicePassword", "Oof", "DeviceInformation"]);
      expect(leaf(r, "Status", UNSIGNED)).toBe("1");
      for (const prop of elements(r).slice(1)) expect(names(prop)[0], prop.name).toBe("Status");
      // Not an error of the request: DevicePassword fails on its own (7: recovery not enabled), the others succeed.
      expect(
        elements(r)
          .slice(1)
          .map((e) => leaf(e, "Status", UNSIGNED)),
      ).toEqual(["1", "7", "1", "1"]);

      // MS-ASCMD_R1755 MS-ASCMD_R1756 MS-ASCMD_R1758 MS-ASCMD_R1759 MS-ASCMD_R5854: UserInformation/Get;
      // MS-ASCMD_R733 MS-ASCMD_R1023 MS-ASCMD_R1024 MS-ASCMD_R1025 MS-ASCMD_R1026: Get/Accounts; MS-ASCMD_R713 MS-ASCMD_R998 MS-ASCMD_R999 MS-ASCMD_R1000 MS-ASCMD_R1001: Accounts/Account;
      // MS-ASCMD_R1595 MS-ASCMD_R1596 MS-ASCMD_R1597 MS-ASCMD_R1598: Account/EmailAddresses with the SMTP addresses.
      const get = child(child(r, "UserInformation")!, "Get")!;
      expect(names(get)).toEqual(["Accounts"]);
      const account = child(child(get, "Accounts")!, "Account")!;
      expect(childrenNamed(child(get, "Accounts")!, "Account")).toHaveLength(1);
      const addresses = child(account, "EmailAddresses")!;
      expect(childrenNamed(account, "EmailAddresses")).toHaveLength(1);
      expect(leaf(addresses, "PrimarySmtpAddress")).toBe(USER);
      // MS-ASCMD_R1991 MS-ASCMD_R1992 MS-ASCMD_R1993 MS-ASCMD_R1994: Oof holds Status and Get; MS-ASCMD_R1747 MS-ASCMD_R1748 MS-ASCMD_R1749 MS-ASCMD_R1750: Get holds OofState.
      const oof = child(r, "Oof")!;
      expect(names(oof)).toEqual(["Status", "Get"]);
      expect(leaf(child(oof, "Get")!, "OofState")).toBe("0");
      // MS-ASCMD_R1506 MS-ASCMD_R1507 MS-ASCMD_R1508 MS-ASCMD_R1509: DeviceInformation holds only its Status;
      // MS-ASCMD_R1514 MS-ASCMD_R1515 MS-ASCMD_R1516 MS-ASCMD_R1517: so does DevicePassword.
      expect(names(child(r, "DeviceInformation")!)).toEqual(["Status"]);
      expect(names(child(r, "DevicePassword")!)).toEqual(["Status"]);
    },
  );

  it("MS-ASCMD_R483: a request that cannot be processed gets a failure Status and no property responses", async () => {
    const r = (await phone("structSet2").command("Settings", el("Settings", "Oof"))).tree!;
    expect(names(r)).toEqual(["Status"]);
    expect(leaf(r, "Status", UNSIGNED)).toBe("2");
  });
});

describe("folder operations and ItemOperations in every protocol version served", () => {
  // "[In X] Protocol version V supports this [X] command/element" for FolderCreate, FolderUpdate, FolderDelete,
  // ItemOperations and the response elements each test asserts, by version.
  const SUPPORT_ROWS: Record<string, string> = {
    "12.1":
      "MS-ASCMD_R6016 MS-ASCMD_R6057 MS-ASCMD_R6542 MS-ASCMD_R6581 MS-ASCMD_R6585 MS-ASCMD_R6616 MS-ASCMD_R6726 MS-ASCMD_R6983 MS-ASCMD_R7053 MS-ASCMD_R7128 MS-ASCMD_R7218 MS-ASCMD_R7222 MS-ASCMD_R7230",
    "14.0":
      "MS-ASCMD_R6017 MS-ASCMD_R6058 MS-ASCMD_R6543 MS-ASCMD_R6582 MS-ASCMD_R6586 MS-ASCMD_R6617 MS-ASCMD_R6727 MS-ASCMD_R6984 MS-ASCMD_R7054 MS-ASCMD_R7129 MS-ASCMD_R7219 MS-ASCMD_R7223 MS-ASCMD_R7231",
    "14.1":
      "MS-ASCMD_R6018 MS-ASCMD_R6059 MS-ASCMD_R6544 MS-ASCMD_R6583 MS-ASCMD_R6587 MS-ASCMD_R6618 MS-ASCMD_R6728 MS-ASCMD_R6985 MS-ASCMD_R7055 MS-ASCMD_R7130 MS-ASCMD_R7220 MS-ASCMD_R7224 MS-ASCMD_R7232",
    "16.0":
      "MS-ASCMD_R6019 MS-ASCMD_R6019100601 MS-ASCMD_R6060 MS-ASCMD_R6545 MS-ASCMD_R6584 MS-ASCMD_R6588 MS-ASCMD_R6619 MS-ASCMD_R6729 MS-ASCMD_R6986 MS-ASCMD_R7056 MS-ASCMD_R7131 MS-ASCMD_R7221 MS-ASCMD_R7225 MS-ASCMD_R7233",
    "16.1":
      "MS-ASCMD_R6060100601 MS-ASCMD_R6545100801 MS-ASCMD_R6584100801 MS-ASCMD_R6619100801 MS-ASCMD_R6729101601 MS-ASCMD_R6986101701 MS-ASCMD_R7056101801 MS-ASCMD_R7131101801 MS-ASCMD_R7221101801 MS-ASCMD_R7225101801 MS-ASCMD_R7233101801",
  };
  const fh = (name: string, ...kids: WbxmlElement[]) => el("FolderHierarchy", name, ...kids);
  const v = (name: string, value: string | number) => el("FolderHierarchy", name, value);

  for (const [version, ids] of Object.entries(SUPPORT_ROWS)) {
    it(`${version}: FolderCreate, FolderUpdate, FolderDelete and an ItemOperations Fetch answer with their elements (${ids.split(" ").length} support rows)`, async () => {
      const p = new Phone({
        baseUrl: url,
        user: USER,
        password: PW,
        deviceId: `structOpsV${version.replace(".", "")}`,
        deviceType: "iPhone",
        protocolVersion: version,
      });
      let key = childText((await folderSync(p, "0")).tree, "SyncKey")!;
      const made = (
        await p.command(
          "FolderCreate",
          fh("FolderCreate", v("SyncKey", key), v("ParentId", "0"), v("DisplayName", `Ops ${version}`), v("Type", 12)),
        )
      ).tree!;
      expect([made.name, ...names(made)]).toEqual(["FolderCreate", "Status", "SyncKey", "ServerId"]);
      expect(leaf(made, "Status")).toBe("1");
      key = leaf(made, "SyncKey");
      const id = leaf(made, "ServerId");
      const upd = (
        await p.command(
          "FolderUpdate",
          fh("FolderUpdate", v("SyncKey", key), v("ServerId", id), v("ParentId", "0"), v("DisplayName", `Ops ${version} renamed`)),
        )
      ).tree!;
      expect([upd.name, ...names(upd), leaf(upd, "Status")]).toEqual(["FolderUpdate", "Status", "SyncKey", "1"]);
      key = leaf(upd, "SyncKey");
      const del = (await p.command("FolderDelete", fh("FolderDelete", v("SyncKey", key), v("ServerId", id)))).tree!;
      expect([del.name, ...names(del), leaf(del, "Status")]).toEqual(["FolderDelete", "Status", "SyncKey", "1"]);

      const boot = await p.command("Sync", syncRequest(INBOX, "0"));
      const page = child(
        child(
          (
            await p.command(
              "Sync",
              syncRequest(INBOX, childText(child(child(boot.tree, "Collections")!, "Collection")!, "SyncKey")!, [
                el("AirSync", "WindowSize", 1),
              ]),
            )
          ).tree,
          "Collections",
        )!,
        "Collection",
      )!;
      const serverId = childText(child(child(page, "Commands")!, "Add")!, "ServerId")!;
      const io = (
        await p.command(
          "ItemOperations",
          el(
            "ItemOperations",
            "ItemOperations",
            el(
              "ItemOperations",
              "Fetch",
              el("ItemOperations", "Store", "Mailbox"),
              el("AirSync", "CollectionId", INBOX),
              el("AirSync", "ServerId", serverId),
            ),
          ),
        )
      ).tree!;
      expect([io.name, ...names(io), leaf(io, "Status")]).toEqual(["ItemOperations", "Status", "Response", "1"]);
      const fetched = child(child(io, "Response")!, "Fetch")!;
      expect(leaf(fetched, "Status")).toBe("1");
      expect(childText(child(fetched, "Properties")!, "Subject", "Email")).toBeTruthy();
    });
  }
});
