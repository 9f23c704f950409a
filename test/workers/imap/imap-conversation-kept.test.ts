// The ConversationId and ConversationIndex of a bridged message are computed once, when its summary is made, and
// kept in it (imap_summaries): a later page reads them (issue 15 target 2: hashing on every page). A summary kept
// before they were gets them on its next read, kept from then on, with its root recorded for Search.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { conversationIdOf, conversationIndexOf } from "../../../src/store/conversation";
import { ImapStore } from "../../../src/store/imap/store";
import type { MailSummary } from "../../../src/store/types";
import { config, otherClient } from "./imap-helpers";

const gina = config("gina");
const MB = "imap-gina@example.test";

const ROOT = `From: Olga Berg <olga@example.test>\r\nTo: gina@example.test\r\nSubject: Harbour lease\r\nDate: Mon, 12 Jan 2026 09:30:00 +0000\r\nMessage-ID: <lease-1@example.test>\r\nContent-Type: text/plain\r\n\r\nThe lease ends in March.\r\n`;
const REPLY = `From: Gina <gina@example.test>\r\nTo: olga@example.test\r\nSubject: Re: Harbour lease\r\nDate: Mon, 12 Jan 2026 10:00:00 +0000\r\nMessage-ID: <lease-2@example.test>\r\nIn-Reply-To: <lease-1@example.test>\r\nReferences: <lease-1@example.test>\r\nContent-Type: text/plain\r\n\r\nLet us renew.\r\n`;
const NO_DATE = `From: Piet <piet@example.test>\r\nTo: gina@example.test\r\nSubject: Undated note\r\nContent-Type: text/plain\r\n\r\nNo Date header.\r\n`;

/** Runs `fn` with an ImapStore in gina's mailbox object and that object's SQLite. */
function withStoreSql<T>(fn: (store: ImapStore, sql: SqlStorage) => Promise<T>): Promise<T> {
  return runInDurableObject(env.MAILBOX.getByName(MB), async (_instance, state) => {
    const store = new ImapStore(state.storage, gina);
    try {
      return await fn(store, state.storage.sql);
    } finally {
      await store.close();
    }
  });
}

const kept = (sql: SqlStorage, folder: string) =>
  sql
    .exec<{ content: string }>(`SELECT content FROM imap_summaries WHERE folder = ? ORDER BY uid`, Number(folder))
    .toArray()
    .map((r) => JSON.parse(r.content) as MailSummary);

let inbox = "";

beforeAll(async () => {
  await otherClient("gina", async (c) => {
    await c.append("INBOX", ROOT);
    await c.append("INBOX", REPLY);
    await c.append("INBOX", NO_DATE);
  });
  inbox = await withStoreSql(async (s) => (await s.listFolders()).find((f) => f.name === "Inbox")!.id);
});

describe("an IMAP summary keeps its conversation", () => {
  it("is computed when the summary is made, and a later page reads the kept value instead of hashing again", async () => {
    const first = await withStoreSql((s) => s.listItems(inbox, { limit: 10 }));
    const bySubject = (xs: MailSummary[], subject: string) => xs.find((x) => x.subject === subject)!;
    const thread = conversationIdOf({ messageId: "<lease-1@example.test>", subject: "Harbour lease" });
    expect(bySubject(first, "Harbour lease").conversationId).toBe(thread);
    expect(bySubject(first, "Re: Harbour lease").conversationId).toBe(thread);
    expect(bySubject(first, "Harbour lease").conversationIndex).toBe(conversationIndexOf(undefined, Date.UTC(2026, 0, 12, 9, 30)));
    const undated = bySubject(first, "Undated note");
    // Without a Date the index is the arrival's, computed on each read (not kept: see fetching.ts).
    expect(undated.conversationIndex).toBe(conversationIndexOf(undefined, undated.received));

    // What is kept: the id with every summary, the index with the dated ones.
    const { stored, roots } = await withStoreSql(async (_s, sql) => ({
      stored: kept(sql, inbox),
      roots: sql.exec<{ conversation: string; root: string }>(`SELECT conversation, root FROM imap_conversations ORDER BY root`).toArray(),
    }));
    expect(stored.map((c) => c.conversationId)).toEqual([thread, thread, undated.conversationId]);
    // Each thread's root recorded once, for Search by ConversationId (one statement for the batch).
    expect(roots).toEqual([
      { conversation: thread, root: "m:lease-1@example.test" },
      { conversation: undated.conversationId, root: "s:undated note" },
    ]);
    expect(stored.map((c) => c.conversationIndex !== undefined)).toEqual([true, true, false]);

    // A page reads what is kept: a value planted in the kept summary is what the page gives (a recomputation would not).
    const planted = "ab".repeat(16);
    const plantedIndex = "0102030405";
    const second = await withStoreSql(async (s, sql) => {
      sql.exec(
        `UPDATE imap_summaries SET content = json_set(content, '$.conversationId', ?, '$.conversationIndex', ?)
         WHERE folder = ? AND json_extract(content, '$.subject') = 'Harbour lease'`,
        planted,
        plantedIndex,
        Number(inbox),
      );
      return s.listItems(inbox, { limit: 10 });
    });
    expect(bySubject(second, "Harbour lease")).toMatchObject({ conversationId: planted, conversationIndex: plantedIndex });
    expect(bySubject(second, "Re: Harbour lease").conversationId).toBe(thread);
  });

  it("a summary kept before the change gets the same ids on its next read, kept from then on, and Search finds its thread", async () => {
    const thread = conversationIdOf({ messageId: "<lease-1@example.test>", subject: "Harbour lease" });
    const page = await withStoreSql(async (s, sql) => {
      // As an older version kept them: no conversation in the summary, no root recorded for Search.
      sql.exec(
        `UPDATE imap_summaries SET content = json_remove(content, '$.conversationId', '$.conversationIndex') WHERE folder = ?`,
        Number(inbox),
      );
      sql.exec(`DELETE FROM imap_conversations`);
      return s.listItems(inbox, { limit: 10 });
    });
    const root = page.find((x) => x.subject === "Harbour lease")!;
    expect(root.conversationId).toBe(thread);
    expect(root.conversationIndex).toBe(conversationIndexOf(undefined, Date.UTC(2026, 0, 12, 9, 30)));
    expect(page.find((x) => x.subject === "Re: Harbour lease")!.conversationId).toBe(thread);

    const { stored, found } = await withStoreSql(async (s, sql) => ({
      stored: kept(sql, inbox),
      found: await s.searchMail({ folderIds: [inbox], words: [], conversationId: thread, offset: 0, limit: 10 }),
    }));
    expect(stored.map((c) => c.conversationId)).toEqual([thread, thread, page.find((x) => x.subject === "Undated note")!.conversationId]);
    expect(stored[0]!.conversationIndex).toBe(root.conversationIndex);
    expect(found.hits.map((h) => h.subject).sort()).toEqual(["Harbour lease", "Re: Harbour lease"]);
  });
});
