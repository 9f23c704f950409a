// Conversations ([MS-ASCON]) on the built-in store: each message's ConversationId and ConversationIndex derived
// once from its headers (store/conversation.ts, kept in the messages table; schema 5 → 6 fills stored mail), the
// store's search by ConversationId, ItemOperations Move of a whole conversation and its MoveAlways rule
// (mailbox/conversations.ts), and the message part a BodyPartPreference asks for (formats/message-part.ts).
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import type { MailboxSearchRequest } from "../../src/mailbox/contract";
import { RULE_TTL_MS } from "../../src/mailbox/conversations";
import { bytesHex, hexBytes } from "../../src/formats/hex";
import { messagePart } from "../../src/formats/message-part";
import {
  conversationIdOf,
  conversationIdOfRoot,
  conversationIdsOfRoots,
  conversationIndexHeader,
  conversationIndexOf,
  conversationRoot,
  normalisedSubject,
} from "../../src/store/conversation";
import { FolderType } from "../../src/store/types";

const enc = new TextEncoder();
const T0 = Date.UTC(2026, 0, 10);

function mail(subject: string, headers: Record<string, string> = {}, body = "Hello.") {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  return enc.encode(
    `From: Alice <alice@example.test>\r\nTo: owner@example.test\r\nSubject: ${subject}\r\nDate: Sat, 10 Jan 2026 10:00:00 +0000\r\n${extra}Content-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`,
  );
}

const request = (over: Partial<MailboxSearchRequest> = {}): MailboxSearchRequest => ({
  collectionIds: [],
  deepTraversal: false,
  classes: [],
  range: { start: 0, end: 99 },
  options: { bodyPreferences: [{ type: 1 }], mimeSupport: 0, protocolVersion: "14.1" },
  ...over,
});

const subjects = (r: { hits: { item: { subject: string } }[] }) => r.hits.map((h) => h.item.subject);

/** A thread of three (root, reply, reply to the reply) and one unrelated message, delivered to the Inbox. */
async function thread(stub: DurableObjectStub<Mailbox>) {
  const root = await stub.deliver(mail("Boat trip", { "Message-ID": "<root-1@example.test>" }), undefined, T0);
  const reply = await stub.deliver(
    mail("Re: Boat trip", {
      "Message-ID": "<reply-1@example.test>",
      "In-Reply-To": "<root-1@example.test>",
      References: "<root-1@example.test>",
    }),
    undefined,
    T0 + 1000,
  );
  const deeper = await stub.deliver(
    mail("RE: Re: Boat trip", {
      "Message-ID": "<reply-2@example.test>",
      "In-Reply-To": "<reply-1@example.test>",
      References: "<root-1@example.test> <reply-1@example.test>",
    }),
    undefined,
    T0 + 2000,
  );
  const other = await stub.deliver(mail("Canteen menu", { "Message-ID": "<menu@example.test>" }), undefined, T0 + 3000);
  const summaries = await runInDurableObject(stub, async (mb: Mailbox) =>
    Promise.all([root, reply, deeper, other].map((d) => mb.store.getSummary(d.folderId, d.itemId))),
  );
  return { root, reply, deeper, other, ids: summaries.map((s) => s!.conversationId!) };
}

describe("conversationIdsOfRoots", () => {
  it("gives each root's conversationIdOfRoot (WebCrypto for a page of new summaries, node:crypto one at a time)", async () => {
    const roots = ["m:a@example.test", "s:hello", "s:café ✓ 😀", "x:|", "", "s:\ud83d lone", `m:${"x".repeat(5000)}`];
    const ids = await conversationIdsOfRoots(roots);
    expect(ids).toEqual(roots.map(conversationIdOfRoot));
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(await conversationIdsOfRoots([])).toEqual([]);
  });
});

describe("the conversation of a message (store/conversation.ts)", () => {
  it("is its thread's root: References' first id, else In-Reply-To, else its Message-ID, else its subject", () => {
    expect(conversationRoot({ subject: "x", references: "<A@x> <b@x>", inReplyTo: "<b@x>", messageId: "<c@x>" })).toBe("m:a@x");
    expect(conversationRoot({ subject: "x", inReplyTo: "<b@x>", messageId: "<c@x>" })).toBe("m:b@x");
    expect(conversationRoot({ subject: "x", messageId: "<c@x>" })).toBe("m:c@x");
    expect(conversationRoot({ subject: "Re: AW: Fwd:  Boat   Trip" })).toBe("s:boat trip");
    expect(normalisedSubject("RE[2]: SV: boat trip")).toBe("boat trip");
    // Neither ids nor subject: one of its own, so such messages never all fall into one conversation.
    expect(conversationRoot({ subject: "", from: "a@x", date: 1 })).not.toBe(conversationRoot({ subject: "", from: "a@x", date: 2 }));
    // MS-ASEMAIL_R345, MS-ASCON_R76: a byte array; 16 bytes here (32 hex digits), stable.
    expect(conversationIdOf({ subject: "x", messageId: "<c@x>" })).toMatch(/^[0-9a-f]{32}$/);
    expect(conversationIdOf({ subject: "x", messageId: "<c@x>" })).toBe(conversationIdOf({ subject: "Re: x", references: "<C@X>" }));
  });

  it("has a ConversationIndex: the 5-byte header from the sent date, or the sender's Thread-Index (MS-ASCON_R90, R304, R309)", () => {
    // Bits 55..16 of the FILETIME (100 ns since 1601), most significant byte first.
    const ft = BigInt(T0) * 10_000n + 116_444_736_000_000_000n;
    const want = ((ft >> 16n) & 0xff_ffff_ffffn).toString(16).padStart(10, "0");
    expect(bytesHex(conversationIndexHeader(T0))).toBe(want);
    expect(conversationIndexOf(undefined, T0)).toBe(want);
    // An Outlook Thread-Index: 22-byte header (reserved byte, FILETIME, GUID) + one 5-byte response level.
    const ti = new Uint8Array(27).map((_, i) => i + 1);
    const b64 = btoa(String.fromCharCode(...ti));
    expect(conversationIndexOf(b64, T0)).toBe(bytesHex(ti.subarray(1, 6)) + bytesHex(ti.subarray(22)));
    // A Thread-Index that is not one (wrong length, not base64) is ignored: the header from the date.
    expect(conversationIndexOf(btoa("short"), T0)).toBe(want);
    expect(conversationIndexOf("!!not base64!!", T0)).toBe(want);
  });

  it("ids kept as hex go back to the same bytes (formats/hex.ts); anything but an even run of hex digits is null", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(hexBytes(bytesHex(all))).toEqual(all);
    expect(hexBytes("00FFaB")).toEqual(Uint8Array.of(0, 255, 0xab));
    expect(hexBytes("")).toEqual(new Uint8Array(0));
    for (const bad of ["abc", "0g", "g0", "0:", "/0", "@1", "`1", "1 ", " 1", "0x"]) expect(hexBytes(bad)).toBeNull();
  });

  it("message part: the text before the quoted history (MS-ASCON_R234)", () => {
    expect(messagePart("Yes, Tuesday.\n\nOn Mon, 5 Jan 2026, Bob wrote:\n> Tuesday?\n")).toBe("Yes, Tuesday.");
    expect(messagePart("Fine by me.\r\n-----Original Message-----\r\nFrom: Bob\r\n")).toBe("Fine by me.");
    expect(messagePart("Ok\n\nFrom: Bob <b@x>\nSent: Monday\nTo: me\n")).toBe("Ok");
    expect(messagePart("Top\n> quoted\nmore")).toBe("Top");
    expect(messagePart("Nothing quoted here.\nSecond line.\n\n")).toBe("Nothing quoted here.\nSecond line.");
    // Hostile input stays cheap (a backtracking pattern would run past the test's timeout): a 2 MB line, and a
    // subject of spaces between a prefix-like word and no colon.
    const long = `On ${"x ".repeat(1_000_000)}wrote`;
    expect(messagePart(`${long}\n> q`)).toBe(long);
    expect(normalisedSubject(`re${" ".repeat(2000)}x`)).toBe("re x");
  });
});

describe("conversations in the built-in store", () => {
  it("every message of a thread has the same ConversationId, kept in the message row; other mail another", async () => {
    const stub = env.MAILBOX.getByName("conv-ids@example.test");
    const t = await thread(stub);
    expect(new Set(t.ids.slice(0, 3)).size).toBe(1);
    expect(t.ids[3]).not.toBe(t.ids[0]);
    expect(t.ids[0]).toBe(conversationIdOf({ subject: "", messageId: "<root-1@example.test>" }));
    const rows = await runInDurableObject(stub, (_mb: Mailbox, state: DurableObjectState) =>
      state.storage.sql
        .exec<{ conversation: string; conversation_index: string }>(`SELECT conversation, conversation_index FROM messages ORDER BY id`)
        .toArray(),
    );
    expect(rows.map((r) => r.conversation)).toEqual(t.ids);
    expect(rows[0]!.conversation_index).toBe(conversationIndexOf(undefined, Date.UTC(2026, 0, 10, 10)));
    // The item rendered for a phone carries both as bytes (email2:ConversationId, ConversationIndex).
    const [fetched] = await stub.itemOperationsFetch([
      { kind: "item", collectionId: t.reply.folderId, serverId: `${t.reply.folderId}:${t.reply.itemId}`, options: request().options },
    ]);
    expect(fetched!.kind === "item" && bytesHex(fetched!.item!.conversationId!)).toBe(t.ids[0]);
    expect(fetched!.kind === "item" && fetched!.item!.conversationIndex!.length).toBe(5);
  });

  it("a store of schema 5 gains the columns and fills them from the stored headers (the versioned upgrade)", async () => {
    const stub = env.MAILBOX.getByName("conv-upgrade@example.test");
    const t = await thread(stub);
    await runInDurableObject(stub, (_mb: Mailbox, state: DurableObjectState) => {
      const sql = state.storage.sql;
      sql.exec(`DROP INDEX messages_conversation`);
      sql.exec(`ALTER TABLE messages DROP COLUMN conversation`);
      sql.exec(`ALTER TABLE messages DROP COLUMN conversation_index`);
      sql.exec(`UPDATE store_schema SET version = 5`);
    });
    await evictDurableObject(stub);
    const after = await runInDurableObject(stub, (mb: Mailbox, state: DurableObjectState) => ({
      // The store opens (and upgrades) its tables when first used.
      opened: mb.store.folderByType(FolderType.Inbox) !== null,
      version: state.storage.sql.exec<{ version: number }>(`SELECT version FROM store_schema`).one().version,
      rows: state.storage.sql.exec<{ conversation: string }>(`SELECT conversation FROM messages ORDER BY id`).toArray(),
      index: state.storage.sql.exec(`SELECT 1 FROM sqlite_master WHERE name = 'messages_conversation'`).toArray().length,
    }));
    expect(after).toEqual({ opened: true, version: 6, rows: t.ids.map((conversation) => ({ conversation })), index: 1 });
    expect(subjects(await stub.search(request({ conversationId: t.ids[0] })))).toEqual(["RE: Re: Boat trip", "Re: Boat trip", "Boat trip"]);
  });

  it("Search by ConversationId finds the thread in every mail folder, newest first, with the other conditions (MS-ASCON_R220)", async () => {
    const stub = env.MAILBOX.getByName("conv-search@example.test");
    const t = await thread(stub);
    const archive = await runInDurableObject(stub, async (mb: Mailbox) => {
      const f = await mb.store.createFolder("0", "Archive", 12);
      await mb.store.moveItem(t.root.folderId, t.root.itemId, f.id);
      return f.id;
    });
    const all = await stub.search(request({ conversationId: t.ids[0] }));
    expect(subjects(all)).toEqual(["RE: Re: Boat trip", "Re: Boat trip", "Boat trip"]);
    expect(all.total).toBe(3);
    expect(all.hits[2]!.collectionId).toBe(archive);
    expect(subjects(await stub.search(request({ conversationId: t.ids[0], collectionIds: [archive] })))).toEqual(["Boat trip"]);
    expect(subjects(await stub.search(request({ conversationId: t.ids[0], freeText: "re" })))).toEqual([
      "RE: Re: Boat trip",
      "Re: Boat trip",
    ]);
    expect(subjects(await stub.search(request({ conversationId: t.ids[0], receivedBefore: T0 + 1500 })))).toEqual([
      "Re: Boat trip",
      "Boat trip",
    ]);
    const paged = await stub.search(request({ conversationId: t.ids[0], range: { start: 1, end: 1 } }));
    expect(paged).toMatchObject({ total: 3, range: { start: 1, end: 1 } });
    expect(subjects(paged)).toEqual(["Re: Boat trip"]);
    expect((await stub.search(request({ conversationId: "00".repeat(16) }))).total).toBe(0);
  });

  it("BodyPartPreference: the message part as HTML in a BodyPart, no Body unless a BodyPreference is there too (MS-ASCON_R245…R248)", async () => {
    const stub = env.MAILBOX.getByName("conv-part@example.test");
    await stub.deliver(mail("Re: Plan", {}, "Sounds good & done.\n\nOn Fri, Bob wrote:\n> What about the plan?\n"), undefined, T0);
    const part = { type: 2, preview: 10 };
    const only = (
      await stub.search(request({ options: { bodyPreferences: [], bodyPartPreference: part, mimeSupport: 0, protocolVersion: "16.1" } }))
    ).hits[0]!.item;
    expect(only.body).toBeUndefined();
    expect(only.bodyPart).toMatchObject({ status: 1, type: 2, truncated: false, preview: "Sounds goo" });
    expect(only.bodyPart!.data).toContain("Sounds good &amp; done.");
    expect(only.bodyPart!.data).not.toContain("What about");
    const both = (
      await stub.search(
        request({
          options: {
            bodyPreferences: [{ type: 1 }],
            bodyPartPreference: { type: 2, truncationSize: 8 },
            mimeSupport: 0,
            protocolVersion: "16.1",
          },
        }),
      )
    ).hits[0]!.item;
    expect(both.body?.data).toContain("What about the plan?");
    expect(both.bodyPart).toMatchObject({ truncated: true });
    expect(new TextEncoder().encode(both.bodyPart!.data!).length).toBeLessThanOrEqual(8);
    expect(both.bodyPart!.estimatedDataSize).toBeGreaterThan(8);
    const allOrNone = (
      await stub.search(
        request({
          options: {
            bodyPreferences: [],
            bodyPartPreference: { type: 2, truncationSize: 8, allOrNone: true },
            mimeSupport: 0,
            protocolVersion: "16.1",
          },
        }),
      )
    ).hits[0]!.item;
    expect(allOrNone.bodyPart).toMatchObject({ truncated: true });
    expect(allOrNone.bodyPart!.data).toBeUndefined();
    // 14.0 has no BodyPart (MS-ASEMAIL_R1142).
    const old = (
      await stub.search(request({ options: { bodyPreferences: [], bodyPartPreference: part, mimeSupport: 0, protocolVersion: "14.0" } }))
    ).hits[0]!.item;
    expect(old.bodyPart).toBeUndefined();
  });
});

describe("ItemOperations Move of a conversation (mailbox/conversations.ts)", () => {
  it("moves the thread from every mail folder but Sent Items, Drafts and Deleted Items into the destination (MS-ASCON_R215, R216)", async () => {
    const stub = env.MAILBOX.getByName("conv-move@example.test");
    const t = await thread(stub);
    const ids = await runInDurableObject(stub, async (mb: Mailbox) => {
      const s = mb.store;
      const projects = await s.createFolder("0", "Projects", 12);
      const sent = s.folderByType(FolderType.SentItems)!.id;
      const drafts = s.folderByType(FolderType.Drafts)!.id;
      const trash = s.folderByType(FolderType.DeletedItems)!.id;
      // My own reply in Sent Items, a draft of another, an old copy in Deleted Items: these stay where they are.
      const refs = { References: "<root-1@example.test>" };
      await s.appendMessage(sent, mail("Re: Boat trip (sent)", refs));
      await s.appendMessage(drafts, mail("Re: Boat trip (draft)", refs));
      await s.appendMessage(trash, mail("Re: Boat trip (deleted)", refs));
      return { projects: projects.id, sent, drafts, trash };
    });
    const status = await stub.moveConversation("phone-1", t.ids[0]!, ids.projects, true);
    expect(status).toBe(1);
    const where = async (folder: string) =>
      runInDurableObject(stub, async (mb: Mailbox) => (await mb.store.listItems(folder, { limit: 50 })).map((m) => m.subject).sort());
    expect(await where(ids.projects)).toEqual(["Boat trip", "RE: Re: Boat trip", "Re: Boat trip"]);
    expect(await where(t.root.folderId)).toEqual(["Canteen menu"]);
    expect(await where(ids.sent)).toEqual(["Re: Boat trip (sent)"]);
    expect(await where(ids.drafts)).toEqual(["Re: Boat trip (draft)"]);
    expect(await where(ids.trash)).toEqual(["Re: Boat trip (deleted)"]);
    // Moved again to where it already is: nothing to move, still Status 1.
    expect(await stub.moveConversation("phone-1", t.ids[0]!, ids.projects, true)).toBe(1);
  });

  it("answers the Move statuses of [MS-ASCON] 2.2.2.10: 6 unknown conversation or folder, 156 not a mail folder", async () => {
    const stub = env.MAILBOX.getByName("conv-move-status@example.test");
    const t = await thread(stub);
    const calendar = await runInDurableObject(stub, (mb: Mailbox) => mb.store.folderByType(FolderType.Calendar)!.id);
    expect(await stub.moveConversation("p", "ab".repeat(16), t.root.folderId, true)).toBe(6); // MS-ASCON_R146
    expect(await stub.moveConversation("p", t.ids[0]!, "4242", true)).toBe(6); // MS-ASCON_R317
    expect(await stub.moveConversation("p", t.ids[0]!, calendar, true)).toBe(156); // MS-ASCON_R338, R273
    // Nothing moved by the refused requests, and no rule left by them.
    expect((await stub.search(request({ conversationId: t.ids[0] }))).hits.map((h) => h.collectionId)).toEqual([
      t.root.folderId,
      t.root.folderId,
      t.root.folderId,
    ]);
    expect(await runInDurableObject(stub, (mb: Mailbox) => mb.conversationRules.list())).toEqual([]);
  });

  it("MoveAlways: new mail of the conversation is delivered into the destination; other mail stays in the Inbox; the rule ages out", async () => {
    const stub = env.MAILBOX.getByName("conv-always@example.test");
    const t = await thread(stub);
    const projects = await runInDurableObject(stub, async (mb: Mailbox) => (await mb.store.createFolder("0", "Projects", 12)).id);
    expect(await stub.moveConversation("p", t.ids[0]!, projects, true)).toBe(1);
    const later = await stub.deliver(
      mail("Re: Boat trip", { "Message-ID": "<reply-3@example.test>", References: "<root-1@example.test> <reply-2@example.test>" }),
    );
    expect(later.folderId).toBe(projects); // MS-ASCON_R215: "including all future e-mail messages"
    const unrelated = await stub.deliver(mail("Payslip", { "Message-ID": "<pay@example.test>" }));
    expect(unrelated.folderId).toBe(t.root.folderId);
    // A rule unused for RULE_TTL_MS is dropped: the next message of the conversation stays in the Inbox.
    await runInDurableObject(stub, (_mb: Mailbox, state: DurableObjectState) => {
      state.storage.sql.exec(`UPDATE conversation_rules SET used = ?`, Date.now() - RULE_TTL_MS - 1000);
    });
    const stale = await stub.deliver(
      mail("Re: Boat trip", { "Message-ID": "<reply-4@example.test>", References: "<root-1@example.test>" }),
    );
    expect(stale.folderId).toBe(t.root.folderId);
    expect(await runInDurableObject(stub, (mb: Mailbox) => mb.conversationRules.list())).toEqual([]);
  });

  it("a rule whose folder is gone is dropped and the mail stays in the Inbox", async () => {
    const stub = env.MAILBOX.getByName("conv-always-gone@example.test");
    const t = await thread(stub);
    const tmp = await runInDurableObject(stub, async (mb: Mailbox) => (await mb.store.createFolder("0", "Tmp", 12)).id);
    expect(await stub.moveConversation("p", t.ids[0]!, tmp, true)).toBe(1);
    await runInDurableObject(stub, (mb: Mailbox) => mb.store.deleteFolder(tmp));
    const next = await stub.deliver(mail("Re: Boat trip", { "Message-ID": "<reply-5@example.test>", References: "<root-1@example.test>" }));
    expect(next.folderId).toBe(t.root.folderId);
    expect(await runInDurableObject(stub, (mb: Mailbox) => mb.conversationRules.list())).toEqual([]);
  });
});
