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
const folderSync = (p: Phone, key: string) => p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", key)));

async function deliver(subject: string): Promise<void> {
  const raw = `From: Alice <alice@example.test>\r\nTo: ${USER}\r\nSubject: ${subject}\r\nDate: ${new Date().toUTCString()}\r\nMessage-ID: <${crypto.randomUUID()}@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody of ${subject}\r\n`;
  const res = await fetch(`${url}/cdn-cgi/handler/email?from=alice@example.test&to=${encodeURIComponent(USER)}`, { method: "POST", body: raw });
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
        el("FolderHierarchy", "FolderCreate", el("FolderHierarchy", "SyncKey", k), el("FolderHierarchy", "ParentId", "0"), el("FolderHierarchy", "DisplayName", "Structure"), el("FolderHierarchy", "Type", 12)),
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
        el("FolderHierarchy", "FolderCreate", el("FolderHierarchy", "SyncKey", ka), el("FolderHierarchy", "ParentId", "0"), el("FolderHierarchy", "DisplayName", "Renamed soon"), el("FolderHierarchy", "Type", 12)),
      );
      const id = childText(made.tree, "ServerId")!;
      kb = childText((await folderSync(b, kb)).tree, "SyncKey")!;
      const upd = await a.command(
        "FolderUpdate",
        el("FolderHierarchy", "FolderUpdate", el("FolderHierarchy", "SyncKey", childText(made.tree, "SyncKey")!), el("FolderHierarchy", "ServerId", id), el("FolderHierarchy", "ParentId", "0"), el("FolderHierarchy", "DisplayName", "Renamed")),
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
      expect([leaf(u, "ServerId"), leaf(u, "ParentId"), leaf(u, "DisplayName"), leaf(u, "Type", /^\d+$/)]).toEqual([id, "0", "Renamed", "12"]);
      kb = childText(r, "SyncKey")!;

      const del = await a.command("FolderDelete", el("FolderHierarchy", "FolderDelete", el("FolderHierarchy", "SyncKey", childText(upd.tree, "SyncKey")!), el("FolderHierarchy", "ServerId", id)));
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
