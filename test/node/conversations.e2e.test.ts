// Conversations end to end ([MS-ASCON]): a phone of each version from 14.0 syncs its Inbox over HTTP against
// `wrangler dev` and gets email2:ConversationId and ConversationIndex (OPAQUE) on every message, 14.1+ the
// BodyPart it asks for; it searches by the ConversationId (Search Store=Mailbox), moves the whole conversation with
// ItemOperations Move (MoveAlways), and sees the next reply of that conversation land in the destination. Every
// response is decoded and validated against the conformance kit's XSDs by the Phone client.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { child, childrenNamed, childText, el, type WbxmlElement } from "../../src/wbxml/index";
import { insertAccount } from "./accounts";
import { Phone } from "./phone";
import { syncRequest } from "./sync-requests";

const url = inject("workerUrl");
const persistTo = inject("persistTo");
const run = Date.now().toString(36);
const USER = `conv-${run}@c${run}.test`;
const PW = "conversation e2e password";
const VERSIONS = ["14.0", "14.1", "16.1"];
const INBOX = "1";

const phone = (v: string) =>
  new Phone({
    baseUrl: url,
    user: USER,
    password: PW,
    deviceId: `conv${v.replace(".", "")}${run}`,
    deviceType: "iPhone",
    protocolVersion: v,
  });

/** A message of the thread of version `v` (`n` 0 is its root), or an unrelated one. */
function mime(v: string, n: number, subject: string): string {
  const id = (k: number) => `<t${v}-${k}-${run}@example.test>`;
  const refs = n > 0 ? `In-Reply-To: ${id(n - 1)}\r\nReferences: ${Array.from({ length: n }, (_, k) => id(k)).join(" ")}\r\n` : "";
  const body = n > 0 ? `Reply number ${n}.\r\n\r\nOn Mon, Carol wrote:\r\n> the earlier text\r\n` : "The first message.\r\n";
  return (
    `From: Carol Diaz <carol@example.test>\r\nTo: ${USER}\r\nSubject: ${subject}\r\nDate: ${new Date().toUTCString()}\r\n` +
    `Message-ID: ${id(n)}\r\n${refs}Content-Type: text/plain; charset=utf-8\r\n\r\n${body}`
  );
}

async function deliver(raw: string): Promise<void> {
  const res = await fetch(`${url}/cdn-cgi/handler/email?from=carol@example.test&to=${encodeURIComponent(USER)}`, {
    method: "POST",
    body: raw,
  });
  expect(res.status, await res.text()).toBe(200);
}

const s = (name: string, ...c: Parameters<typeof el>[2][]) => el("Search", name, ...c);
const io = (name: string, ...c: Parameters<typeof el>[2][]) => el("ItemOperations", name, ...c);
const bytesOf = (e: WbxmlElement | undefined) => e?.children.find((c): c is Uint8Array => c instanceof Uint8Array);
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : undefined);
const partPref = (type = 2) => el("AirSyncBase", "BodyPartPreference", el("AirSyncBase", "Type", type), el("AirSyncBase", "Preview", 50));

function conversationSearch(id: Uint8Array, options: WbxmlElement[] = []): WbxmlElement {
  return s(
    "Search",
    s(
      "Store",
      s("Name", "Mailbox"),
      s("Query", s("And", el("AirSync", "Class", "Email"), s("ConversationId", id))),
      s("Options", ...options),
    ),
  );
}

const results = (tree: WbxmlElement | undefined) =>
  childrenNamed(child(child(tree, "Response"), "Store"), "Result").filter((r) => r.children.length > 0);

interface Synced {
  serverId: string;
  subject: string;
  conversationId?: Uint8Array;
  conversationIndex?: Uint8Array;
  data: WbxmlElement;
}

/** FolderSync, then the Inbox from SyncKey 0 to the end with `options`; the Adds, and the SyncKeys. */
async function syncInbox(p: Phone, options: WbxmlElement[]): Promise<{ adds: Synced[]; key: string; folderKey: string }> {
  const fs = await p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
  const folderKey = childText(fs.tree, "SyncKey")!;
  let key = childText(
    child(child(await p.command("Sync", syncRequest(INBOX, "0")).then((r) => r.tree), "Collections"), "Collection"),
    "SyncKey",
  )!;
  const adds: Synced[] = [];
  for (;;) {
    const r = await p.command("Sync", syncRequest(INBOX, key, [el("AirSync", "WindowSize", 100), el("AirSync", "Options", ...options)]));
    const coll = child(child(r.tree, "Collections"), "Collection");
    for (const a of childrenNamed(child(coll, "Commands"), "Add")) {
      const data = child(a, "ApplicationData")!;
      adds.push({
        serverId: childText(a, "ServerId")!,
        subject: childText(data, "Subject", "Email")!,
        conversationId: bytesOf(child(data, "ConversationId", "Email2")),
        conversationIndex: bytesOf(child(data, "ConversationIndex", "Email2")),
        data,
      });
    }
    key = childText(coll, "SyncKey")!;
    if (!child(coll, "MoreAvailable")) break;
  }
  return { adds, key, folderKey };
}

beforeAll(async () => {
  await insertAccount(persistTo, USER, PW);
  for (const v of [...VERSIONS, "12.1"]) {
    await deliver(mime(v, 0, `Regatta ${v}`));
    await deliver(mime(v, 1, `Re: Regatta ${v}`));
    await deliver(mime(v, 2, `RE: Re: Regatta ${v}`));
  }
  await deliver(mime("x", 0, "Canteen menu"));
}, 120_000);

describe("conversations over HTTP", () => {
  for (const v of VERSIONS) {
    it(`${v}: Sync gives every message its email2:ConversationId (16 bytes, the same across a thread) and ConversationIndex (MS-ASEMAIL_R343, MS-ASEMAIL_R345, MS-ASEMAIL_R348, MS-ASEMAIL_R350, MS-ASCON_R74, MS-ASCON_R76, MS-ASCON_R79, MS-ASCON_R90, MS-ASCON_R93, MS-ASEMAIL_R1181, MS-ASEMAIL_R1187, MS-ASWBXML_R610, MS-ASWBXML_R611)`, async () => {
      const p = phone(v);
      const wantsPart = v !== "14.0";
      const options = [el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1)), ...(wantsPart ? [partPref()] : [])];
      const { adds } = await syncInbox(p, options);
      const mine = adds.filter((a) => a.subject.endsWith(`Regatta ${v}`));
      expect(mine).toHaveLength(3);
      for (const a of adds) {
        expect(a.conversationId, a.subject).toHaveLength(16);
        expect(a.conversationIndex, a.subject).toHaveLength(5);
      }
      expect(new Set(mine.map((a) => hex(a.conversationId))).size).toBe(1);
      const others = adds.filter((a) => !a.subject.endsWith(`Regatta ${v}`)).map((a) => hex(a.conversationId));
      expect(others).not.toContain(hex(mine[0]!.conversationId));

      const reply = mine.find((a) => a.subject === `Re: Regatta ${v}`)!;
      const part = child(reply.data, "BodyPart", "AirSyncBase");
      if (!wantsPart)
        expect(part).toBeUndefined(); // MS-ASAIRS_R1310, MS-ASEMAIL_R1142: no BodyPart in 14.0
      else {
        // MS-ASCON_R234, MS-ASCON_R237, MS-ASCON_R248: BodyPart (HTML, the message part only) beside the Body.
        expect(childText(part, "Status", "AirSyncBase")).toBe("1");
        expect(childText(part, "Type", "AirSyncBase")).toBe("2");
        expect(childText(part, "Data", "AirSyncBase")).toContain("Reply number 1.");
        expect(childText(part, "Data", "AirSyncBase")).not.toContain("the earlier text");
        expect(childText(part, "Preview", "AirSyncBase")).toBe("Reply number 1.");
        expect(childText(child(reply.data, "Body", "AirSyncBase"), "Data", "AirSyncBase")).toContain("the earlier text");
      }
    });

    it(`${v}: Search by ConversationId finds the thread (MS-ASCMD_R2082, MS-ASCMD_R6365, MS-ASCMD_R6366, MS-ASCMD_R6367100701, MS-ASCON_R220, MS-ASCON_R235)`, async () => {
      const p = phone(v);
      const { adds } = await syncInbox(p, [el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1))]);
      const id = adds.find((a) => a.subject === `Regatta ${v}`)!.conversationId!;
      const withPart = v === "16.1";
      const res = await p.command(
        "Search",
        conversationSearch(id, [
          s("Range", "0-9"),
          ...(withPart ? [partPref()] : [el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1))]),
        ]),
      );
      expect(childText(res.tree, "Status")).toBe("1");
      const hits = results(res.tree);
      expect(hits.map((r) => childText(child(r, "Properties"), "Subject", "Email"))).toEqual([
        `RE: Re: Regatta ${v}`,
        `Re: Regatta ${v}`,
        `Regatta ${v}`,
      ]);
      for (const r of hits) expect(hex(bytesOf(child(child(r, "Properties"), "ConversationId", "Email2")))).toBe(hex(id));
      if (withPart) {
        // MS-ASCON_R247: BodyPartPreference alone gives a BodyPart and no Body.
        const props = child(hits[1], "Properties");
        expect(child(props, "Body", "AirSyncBase")).toBeUndefined();
        expect(childText(child(props, "BodyPart", "AirSyncBase"), "Data", "AirSyncBase")).toContain("Reply number 1.");
      }
    });

    it(`${v}: ItemOperations Move with MoveAlways moves the thread and its next reply (MS-ASCMD_R1437, MS-ASCMD_R1440, MS-ASCMD_R1960, MS-ASCMD_R6851, MS-ASCMD_R6852, MS-ASCMD_R6853101701, MS-ASCON_R69, MS-ASCON_R126, MS-ASCON_R139, MS-ASCON_R143, MS-ASCON_R215, MS-ASCON_R216)`, async () => {
      const p = phone(v);
      const { adds, key, folderKey } = await syncInbox(p, [el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1))]);
      const mine = adds.filter((a) => a.subject.endsWith(`Regatta ${v}`));
      const id = mine[0]!.conversationId!;
      const created = await p.command(
        "FolderCreate",
        el(
          "FolderHierarchy",
          "FolderCreate",
          el("FolderHierarchy", "SyncKey", folderKey),
          el("FolderHierarchy", "ParentId", "0"),
          el("FolderHierarchy", "DisplayName", `Regattas ${v}`),
          el("FolderHierarchy", "Type", 12),
        ),
      );
      const dst = childText(created.tree, "ServerId")!;
      const moved = await p.command(
        "ItemOperations",
        io("ItemOperations", io("Move", io("ConversationId", id), io("DstFldId", dst), io("Options", io("MoveAlways")))),
      );
      expect(childText(moved.tree, "Status")).toBe("1");
      const move = child(child(moved.tree, "Response"), "Move");
      expect(childText(move, "Status")).toBe("1");
      expect(hex(bytesOf(child(move, "ConversationId")))).toBe(hex(id));

      // The phone learns of it by Sync: the thread's messages leave the Inbox.
      const after = await p.command("Sync", syncRequest(INBOX, key));
      const gone = childrenNamed(child(child(child(after.tree, "Collections"), "Collection"), "Commands"), "Delete").map((d) =>
        childText(d, "ServerId"),
      );
      expect(gone.sort()).toEqual(mine.map((a) => a.serverId).sort());

      // MoveAlways: the conversation's next message is delivered into the destination.
      await deliver(mime(v, 3, `Re: Regatta ${v} (later)`));
      const found = await p.command("Search", conversationSearch(id, [s("Range", "0-9")]));
      const where = results(found.tree).map((r) => [
        childText(child(r, "Properties"), "Subject", "Email"),
        childText(r, "CollectionId", "AirSync"),
      ]);
      expect(where).toHaveLength(4);
      expect(where.every(([, c]) => c === dst)).toBe(true);
    });
  }

  it("12.1 has no conversations: no email2 elements in Sync, no ConversationId in Search (MS-ASEMAIL_R1180, MS-ASEMAIL_R1186, MS-ASCMD_R6364)", async () => {
    const { adds } = await syncInbox(phone("12.1"), [el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1))]);
    expect(adds.length).toBeGreaterThan(0);
    for (const a of adds) expect([a.conversationId, a.conversationIndex]).toEqual([undefined, undefined]);
    // MS-ASCMD_R6364: nor a ConversationId condition in Search (Status 2).
    const res = await phone("12.1").command("Search", conversationSearch(new Uint8Array(16).fill(3)));
    expect(childText(child(child(res.tree, "Response"), "Store"), "Status")).toBe("2");
  });

  it("Move statuses: a Change of ConversationId 6 (MS-ASEMAIL_R347); no MoveAlways 155, an unknown conversation 6, a calendar 156; BodyPartPreference Type 1 164 (MS-ASCMD_R3475, MS-ASCMD_R4171, MS-ASCON_R146, MS-ASCON_R338, MS-ASCMD_R5412, MS-ASCON_R241)", async () => {
    const p = phone("16.1");
    const { adds, key: inboxKey } = await syncInbox(p, []);
    const id = adds.find((a) => a.subject === "Regatta 12.1")!.conversationId!;
    // MS-ASEMAIL_R347: a Change that sets email2:ConversationId is Status 6 for that item, nothing applied.
    const root = adds.find((a) => a.subject === "Regatta 12.1")!;
    const changed = await p.command(
      "Sync",
      syncRequest(INBOX, inboxKey, [
        el(
          "AirSync",
          "Commands",
          el(
            "AirSync",
            "Change",
            el("AirSync", "ServerId", root.serverId),
            el("AirSync", "ApplicationData", el("Email", "Read", "1"), el("Email2", "ConversationId", new Uint8Array(16).fill(1))),
          ),
        ),
      ]),
    );
    const answer = child(child(child(child(changed.tree, "Collections"), "Collection"), "Responses"), "Change");
    expect([childText(answer, "ServerId"), childText(answer, "Status")]).toEqual([root.serverId, "6"]);
    const noAlways = await p.command("ItemOperations", io("ItemOperations", io("Move", io("ConversationId", id), io("DstFldId", INBOX))));
    expect(childText(noAlways.tree, "Status")).toBe("155");
    const move = async (cid: Uint8Array, dst: string) =>
      child(
        child(
          (
            await p.command(
              "ItemOperations",
              io("ItemOperations", io("Move", io("ConversationId", cid), io("DstFldId", dst), io("Options", io("MoveAlways")))),
            )
          ).tree,
          "Response",
        ),
        "Move",
      );
    expect(childText(await move(new Uint8Array(16).fill(7), INBOX), "Status")).toBe("6");
    const fs = await p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
    const calendar = childrenNamed(child(fs.tree, "Changes"), "Add").find((a) => childText(a, "Type") === "8")!;
    expect(childText(await move(id, childText(calendar, "ServerId")!), "Status")).toBe("156");
    const badPart = await p.command("Search", conversationSearch(id, [partPref(1)]));
    expect(childText(child(child(badPart.tree, "Response"), "Store"), "Status")).toBe("164");
    // ItemOperations Fetch: BodyPart for Type 2 (MS-ASCON_R236, MS-ASCON_R247), Status 164 for another Type.
    const reply = adds.find((a) => a.subject === "Re: Regatta 12.1")!;
    const fetch = async (type: number) =>
      child(
        child(
          (
            await p.command(
              "ItemOperations",
              io(
                "ItemOperations",
                io(
                  "Fetch",
                  io("Store", "Mailbox"),
                  el("AirSync", "CollectionId", INBOX),
                  el("AirSync", "ServerId", reply.serverId),
                  io("Options", partPref(type)),
                ),
              ),
            )
          ).tree,
          "Response",
        ),
        "Fetch",
      );
    const fetched = await fetch(2);
    expect(childText(fetched, "Status")).toBe("1");
    expect(child(child(fetched, "Properties"), "Body", "AirSyncBase")).toBeUndefined();
    expect(childText(child(child(fetched, "Properties"), "BodyPart", "AirSyncBase"), "Data", "AirSyncBase")).toContain("Reply number 1.");
    expect(childText(await fetch(1), "Status")).toBe("164");
    // Sync: a BodyPartPreference of another Type is Status 164 too.
    const sync = await p.command("Sync", syncRequest(INBOX, "0"));
    const key = childText(child(child(sync.tree, "Collections"), "Collection"), "SyncKey")!;
    const badSync = await p.command("Sync", syncRequest(INBOX, key, [el("AirSync", "Options", partPref(1))]));
    expect(childText(badSync.tree, "Status")).toBe("164");
    // A Search of another class finds nothing, with Status 1 (only mail is searched).
    const cal = await p.command(
      "Search",
      s("Search", s("Store", s("Name", "Mailbox"), s("Query", s("And", el("AirSync", "Class", "Calendar"), s("FreeText", "regatta"))))),
    );
    expect(childText(child(child(cal.tree, "Response"), "Store"), "Status")).toBe("1");
    expect(results(cal.tree)).toEqual([]);
  });
});
