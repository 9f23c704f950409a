import {
  type AttachmentInfo,
  type BodyText,
  type FolderStatus,
  type FolderTypeValue,
  type ListOptions,
  type MailFlags,
  type MailSearchQuery,
  type MailSearchResult,
  type MailSummary,
  type SearchableMailStore,
  type StoreChange,
  StoreFolderError,
  type ImportResult,
  type StoreFolder,
  StoreNotFoundError,
} from "../types";
import { Blobs, INLINE_LIMIT, utf8Length } from "./blobs";
import { DEFAULT_FOLDERS, isDefaultType, isUserType, itemClassOf, validFolderName } from "../folders";
import { type ParsedMessage, parseMessage, previewText } from "../mime";
import { CountingSql } from "../counting-sql";
import { conversationIdOf, conversationIndexOf } from "../conversation";
import { ensureSchema, IMPORT_DIGESTS_DDL } from "./schema";
import { createIfMissing, hasTable } from "../ddl";
import { PageBodies, type TextRow } from "./page-bodies";
import {
  forgetFolder,
  forgetMessage,
  indexMessage,
  indexNewMessages,
  matchExpression,
  NEW_SEARCH_KEY,
  refillFromSql,
  searchIndex,
  setBody,
  writeWords,
} from "./search-index";

// Semantics (what a caller such as the EAS Sync layer may rely on):
// - Folder ids and item ids are decimal strings of AUTOINCREMENT keys: never reused, even after delete.
// - One modseq counter per mailbox. Every add, flag change or expunge takes the next value; the item row
//   (or its tombstone) and its folder's highest_modseq get it, so highestModseq is exact per folder and
//   a no-op (flags already set) changes nothing.
// - Every change has its own modseq (never shared), so a caller may page changesSince by "last modseq seen".
// - A move is an expunge in the source (tombstone) plus an add in the destination with a new item id
//   (IMAP UID MOVE); the arrival time and flags travel with it.
// - Tombstone pruning: `pruneTombstones(olderThan)` drops tombstones older than a cut-off (every delivery
//   calls it with 30 days, src/mailbox/delivery.ts) and raises each affected folder's tombstone_floor to the
//   highest pruned modseq; FolderStatus.tombstoneFloor tells a syncing caller holding an older modseq
//   that it must resynchronise that folder from scratch.

type ItemRow = {
  uid: number;
  folder: number;
  message: number;
  modseq: number;
  received: number;
  seen: number;
  flagged: number;
  answered: number;
  forwarded: number;
};

type MessageRow = {
  id: number;
  size: number;
  date: number | null;
  subject: string;
  from_addr: string;
  to_addr: string;
  cc_addr: string;
  reply_to: string;
  message_id: string | null;
  in_reply_to: string | null;
  refs: string | null;
  importance: string;
  has_html: number;
  attachments: string;
  content_class: string | null;
  calendar_method: string | null;
  thread_topic: string | null;
  preview: string;
  conversation: string | null;
  conversation_index: string | null;
};

export type FolderRow = {
  seq: number;
  parent_seq: number;
  name: string;
  type: number;
  item_class: string;
  validity: string;
  highest_modseq: number;
  tombstone_floor: number;
  item_count: number;
};

const SUMMARY_COLUMNS = `i.uid, i.folder, i.message, i.modseq, i.received, i.seen, i.flagged, i.answered, i.forwarded,
  m.size, m.date, m.subject, m.from_addr, m.to_addr, m.cc_addr, m.reply_to, m.message_id, m.in_reply_to, m.refs,
  m.importance, m.has_html, m.attachments, m.content_class, m.calendar_method, m.thread_topic, m.preview,
  m.conversation, m.conversation_index`;

const ID = /^[1-9][0-9]{0,15}$/;

export class BuiltinStore implements SearchableMailStore {
  private readonly sql: CountingSql;
  private readonly blobs: Blobs;
  private readonly pageBodies: PageBodies;

  /** `prefix` namespaces this mailbox's objects in the shared R2 bucket. */
  constructor(
    private readonly storage: DurableObjectStorage,
    bucket: R2Bucket,
    prefix: string,
  ) {
    this.sql = new CountingSql(storage.sql);
    this.pageBodies = new PageBodies(this.sql);
    this.blobs = new Blobs(bucket, prefix);
    ensureSchema(storage);
    this.ensureDefaultFolders();
  }

  /** SQLite rows read and written, and statements run, by this store instance so far (cost tests, benchmarks). */
  sqlStats(): { rowsRead: number; rowsWritten: number; statements: number } {
    return { rowsRead: this.sql.rowsRead, rowsWritten: this.sql.rowsWritten, statements: this.sql.statements };
  }

  // ---------- folders ----------

  async listFolders(): Promise<StoreFolder[]> {
    return this.sql.all<FolderRow>(`SELECT * FROM folders ORDER BY seq`).map(toFolder);
  }

  /** The default folder of a type (Inbox, Sent Items …), or null for a type that has none. */
  folderByType(type: FolderTypeValue): StoreFolder | null {
    if (!isDefaultType(type)) return null;
    const row = this.sql.all<FolderRow>(`SELECT * FROM folders WHERE type = ? ORDER BY seq LIMIT 1`, type)[0];
    return row ? toFolder(row) : null;
  }

  async createFolder(parentId: string, name: string, type: FolderTypeValue): Promise<StoreFolder> {
    if (!validFolderName(name)) throw new StoreFolderError("invalid", "invalid folder name");
    if (!isUserType(type)) throw new StoreFolderError("invalid", `folder type ${type} cannot be created`);
    return this.storage.transactionSync(() => {
      const parent = this.parentSeq(parentId);
      this.assertNameFree(parent, name, 0);
      return toFolder(this.insertFolder(parent, name, type));
    });
  }

  async updateFolder(id: string, name: string, parentId: string): Promise<StoreFolder> {
    if (!validFolderName(name)) throw new StoreFolderError("invalid", "invalid folder name");
    return this.storage.transactionSync(() => {
      const folder = this.folderRow(id);
      if (isDefaultType(folder.type)) throw new StoreFolderError("special", "default folders cannot be changed");
      const parent = this.parentSeq(parentId);
      if (parent !== 0 && this.subtree(folder.seq).includes(parent))
        throw new StoreFolderError("invalid", "a folder cannot move under itself");
      this.assertNameFree(parent, name, folder.seq);
      this.sql.run(`UPDATE folders SET name = ?, parent_seq = ? WHERE seq = ?`, name, parent, folder.seq);
      return toFolder({ ...folder, name, parent_seq: parent });
    });
  }

  async deleteFolder(id: string): Promise<void> {
    const keys = this.storage.transactionSync(() => {
      const folder = this.folderRow(id);
      if (isDefaultType(folder.type)) throw new StoreFolderError("special", "default folders cannot be deleted");
      const keys: string[] = [];
      for (const seq of this.subtree(folder.seq)) {
        keys.push(...this.dropItems(seq, false));
        this.sql.run(`DELETE FROM tombstones WHERE folder = ?`, seq);
        this.sql.run(`DELETE FROM folders WHERE seq = ?`, seq);
      }
      return keys;
    });
    await this.blobs.remove(keys);
  }

  async folderStatus(folderId: string): Promise<FolderStatus> {
    const f = this.folderRow(folderId);
    return { validity: f.validity, highestModseq: f.highest_modseq, count: f.item_count, tombstoneFloor: f.tombstone_floor };
  }

  // ---------- reading items ----------

  async listItems(folderId: string, opts: ListOptions): Promise<MailSummary[]> {
    const folder = this.folderRow(folderId).seq;
    const limit = Math.max(0, Math.min(Math.trunc(opts.limit), 10_000));
    const since = opts.since ?? 0;
    let rows: Record<string, SqlStorageValue>[];
    if (opts.after) {
      const uid = ID.test(opts.after.itemId) ? Number(opts.after.itemId) : 0;
      rows = this.sql.all(
        `SELECT ${SUMMARY_COLUMNS} FROM items i JOIN messages m ON m.id = i.message
           WHERE i.folder = ? AND i.received >= ? AND (i.received, i.uid) < (?, ?)
           ORDER BY i.received DESC, i.uid DESC LIMIT ?`,
        folder,
        since,
        opts.after.received,
        uid,
        limit,
      );
    } else {
      rows = this.sql.all(
        `SELECT ${SUMMARY_COLUMNS} FROM items i JOIN messages m ON m.id = i.message
           WHERE i.folder = ? AND i.received >= ? ORDER BY i.received DESC, i.uid DESC LIMIT ?`,
        folder,
        since,
        limit,
      );
    }
    return rows.map((r) => toSummary(r as unknown as ItemRow & MessageRow));
  }

  async countItems(folderId: string, since?: number): Promise<number> {
    const folder = this.folderRow(folderId);
    if (since === undefined) return folder.item_count;
    // Index range count on items_list: touches index entries only, never message rows.
    return this.sql.one<{ n: number }>(`SELECT count(*) AS n FROM items WHERE folder = ? AND received >= ?`, folder.seq, since).n;
  }

  async changesSince(folderId: string, modseq: number, limit: number): Promise<StoreChange[]> {
    const folder = this.folderRow(folderId).seq;
    const n = Math.max(0, Math.trunc(limit));
    // Two index range scans (items_changes, tombstones_changes), merged: at most 2 × limit rows read.
    const scan = (table: "items" | "tombstones", deleted: boolean) =>
      this.sql
        .all<{ uid: number; modseq: number }>(
          `SELECT uid, modseq FROM ${table} WHERE folder = ? AND modseq > ? ORDER BY modseq LIMIT ?`,
          folder,
          modseq,
          n,
        )
        .map((r) => ({ itemId: String(r.uid), modseq: r.modseq, deleted }));
    const live = scan("items", false);
    const gone = scan("tombstones", true);
    return [...live, ...gone].sort((a, b) => a.modseq - b.modseq).slice(0, n);
  }

  async getSummary(folderId: string, itemId: string): Promise<MailSummary | null> {
    // The item first: found, its folder exists (a folder's items go with it). Only a miss asks whether the
    // folder does (StoreNotFoundError) or only the item is missing (null).
    const row =
      ID.test(folderId) && ID.test(itemId)
        ? this.sql.all(
            `SELECT ${SUMMARY_COLUMNS} FROM items i JOIN messages m ON m.id = i.message WHERE i.uid = ? AND i.folder = ?`,
            Number(itemId),
            Number(folderId),
          )[0]
        : undefined;
    if (row) return toSummary(row as unknown as ItemRow & MessageRow);
    this.folderRow(folderId);
    return null;
  }

  async getMime(folderId: string, itemId: string): Promise<Uint8Array | null> {
    const m = this.messageOf(folderId, itemId);
    if (!m) return null;
    const row = this.sql.one<{ raw: ArrayBuffer | null; raw_key: string | null }>(`SELECT raw, raw_key FROM messages WHERE id = ?`, m);
    if (row.raw) return new Uint8Array(row.raw);
    return row.raw_key ? this.blobs.bytes(row.raw_key) : null;
  }

  /** The page about to be rendered: its texts are read together on its first getBody (page-bodies.ts). */
  async prefetchBodies(folderId: string, items: MailSummary[]): Promise<void> {
    const mine = items.filter((s) => s.folderId === folderId && ID.test(s.itemId)).map((s) => Number(s.itemId));
    this.pageBodies.start(ID.test(folderId) ? Number(folderId) : 0, mine);
  }

  async getBody(folderId: string, itemId: string, type: "plain" | "html"): Promise<BodyText | null> {
    // From the page's batch, else one statement for the item (issue 15 target 2: was three per item): an
    // unknown folder still throws (folderRow), an unknown item is null.
    const at = ID.test(folderId) && ID.test(itemId);
    const row = at
      ? (this.pageBodies.get(Number(folderId), Number(itemId), type) ??
        this.sql.all<TextRow>(
          type === "plain"
            ? `SELECT m.plain AS v, m.plain_key AS k, m.plain_size AS n FROM items i JOIN messages m ON m.id = i.message WHERE i.uid = ? AND i.folder = ?`
            : `SELECT m.html AS v, m.html_key AS k, m.html_size AS n FROM items i JOIN messages m ON m.id = i.message WHERE i.uid = ? AND i.folder = ?`,
          Number(itemId),
          Number(folderId),
        )[0])
      : undefined;
    if (!row) {
      this.folderRow(folderId);
      return null;
    }
    const data = row.v ?? (row.k ? await this.blobs.text(row.k) : null);
    if (data === null) return type === "plain" ? { data: "", size: 0 } : null;
    return { data, size: row.n };
  }

  async getAttachment(folderId: string, itemId: string, partId: string): Promise<{ info: AttachmentInfo; data: Uint8Array } | null> {
    const part = this.partRow(folderId, itemId, partId);
    if (!part) return null;
    const data = part.data ? new Uint8Array(part.data) : part.r2_key ? await this.blobs.bytes(part.r2_key) : null;
    return data ? { info: part.info, data } : null;
  }

  /** Parts kept in R2 stream from it (a ranged read for a range); a small part kept inline is one chunk. */
  async openAttachment(
    folderId: string,
    itemId: string,
    partId: string,
    range?: { start: number; end: number },
  ): Promise<{ info: AttachmentInfo; total: number; length: number; body: ReadableStream<Uint8Array> } | null> {
    const part = this.partRow(folderId, itemId, partId);
    if (!part) return null;
    if (part.data) {
      const all = new Uint8Array(part.data);
      const data = range ? all.slice(range.start, range.end + 1) : all;
      return { info: part.info, total: all.byteLength, length: data.byteLength, body: new Blob([data]).stream() };
    }
    if (!part.r2_key) return null;
    // R2 refuses a range that starts past the object; the size is then read from its head.
    if (range && range.start >= part.info.size) {
      const total = await this.blobs.size(part.r2_key);
      return total === null ? null : { info: part.info, total, length: 0, body: new Blob([]).stream() };
    }
    const got = await this.blobs.stream(part.r2_key, range && { offset: range.start, length: range.end - range.start + 1 });
    if (!got) return null;
    const length = range ? Math.max(0, Math.min(range.end, got.size - 1) - range.start + 1) : got.size;
    return { info: part.info, total: got.size, length, body: got.body };
  }

  private partRow(
    folderId: string,
    itemId: string,
    partId: string,
  ): { info: AttachmentInfo; data: ArrayBuffer | null; r2_key: string | null } | null {
    const m = this.messageOf(folderId, itemId);
    if (!m) return null;
    const { attachments } = this.sql.one<{ attachments: string }>(`SELECT attachments FROM messages WHERE id = ?`, m);
    const info = (JSON.parse(attachments) as AttachmentInfo[]).find((a) => a.partId === partId);
    if (!info) return null;
    const part = this.sql.all<{ data: ArrayBuffer | null; r2_key: string | null }>(
      `SELECT data, r2_key FROM parts WHERE message = ? AND part_id = ?`,
      m,
      partId,
    )[0];
    return part ? { info, ...part } : null;
  }

  // ---------- searching ----------

  /**
   * Mail in `folderIds` matching every condition, newest first. The full-text condition is an FTS5 lookup
   * (search-index.ts) joined to items through items_message; dates and folders filter the joined rows.
   */
  async searchMail(q: MailSearchQuery): Promise<MailSearchResult> {
    const folders = q.folderIds.filter((id) => ID.test(id)).map(Number);
    if (folders.length === 0) return { total: 0, hits: [] };
    const limit = Math.max(0, Math.min(Math.trunc(q.limit), 1000));
    const offset = Math.max(0, Math.trunc(q.offset));
    const toHits = (rows: Record<string, SqlStorageValue>[]) => rows.map((r) => toSummary(r as unknown as ItemRow & MessageRow));
    if (q.conversationId !== undefined) return this.searchConversation(q, folders, offset, limit);
    if (q.words.length > 0) {
      const match = matchExpression(this.sql, q.words);
      if (match === null) return { total: 0, hits: [] };
      const found = searchIndex(this.sql, { ...q, match, folders, offset, limit }, SUMMARY_COLUMNS);
      return { total: found.total, hits: toHits(found.rows) };
    }
    // No words: dates and folders only, read from items_list (folder, received) in each folder.
    const where = [`i.folder IN (${folders.map(() => "?").join(",")})`];
    const args: unknown[] = [...folders];
    receivedConditions(q, where, args);
    const cond = where.join(" AND ");
    const total = this.sql.one<{ n: number }>(`SELECT count(*) AS n FROM items i WHERE ${cond}`, ...args).n;
    if (limit === 0 || offset >= total) return { total, hits: [] };
    // The page's items first (index order), then their messages: the sort never carries message rows.
    const rows = this.sql.all(
      `SELECT ${SUMMARY_COLUMNS} FROM
         (SELECT i.uid FROM items i WHERE ${cond} ORDER BY i.received DESC, i.uid DESC LIMIT ? OFFSET ?) p
         CROSS JOIN items i ON i.uid = p.uid CROSS JOIN messages m ON m.id = i.message
         ORDER BY i.received DESC, i.uid DESC`,
      ...args,
      limit,
      offset,
    );
    return { total, hits: toHits(rows) };
  }

  /**
   * A conversation's messages (index messages_conversation, then items_message), with the other conditions:
   * a conversation is a handful of messages, so they are all read and the words matched among them.
   */
  private searchConversation(q: MailSearchQuery, folders: number[], offset: number, limit: number): MailSearchResult {
    const where = [`m.conversation = ?`, `i.folder IN (SELECT value FROM json_each(?))`];
    const args: unknown[] = [q.conversationId, JSON.stringify(folders)];
    receivedConditions(q, where, args);
    if (q.words.length > 0) {
      const match = matchExpression(this.sql, q.words);
      if (match === null) return { total: 0, hits: [] };
      where.push(`m.search_key IN (SELECT rowid FROM mail_fts WHERE mail_fts MATCH ?)`);
      args.push(match);
    }
    const rows = this.sql.all(
      `SELECT ${SUMMARY_COLUMNS} FROM messages m CROSS JOIN items i ON i.message = m.id
         WHERE ${where.join(" AND ")} ORDER BY i.received DESC, i.uid DESC LIMIT 10000`,
      ...args,
    );
    return {
      total: rows.length,
      hits: rows.slice(offset, offset + limit).map((r) => toSummary(r as unknown as ItemRow & MessageRow)),
    };
  }

  /** Refills the index from SQLite at once, then adds the plain bodies kept in R2, one message at a time. */
  async rebuildSearchIndex(): Promise<void> {
    const inR2 = this.storage.transactionSync(() => refillFromSql(this.sql));
    for (const { id, key } of inR2) {
      const plain = await this.blobs.text(key).catch(() => null);
      if (plain !== null) this.storage.transactionSync(() => setBody(this.sql, id, plain));
    }
  }

  // ---------- changing items ----------

  async appendMessage(folderId: string, raw: Uint8Array, flags: Partial<MailFlags> = {}, received = Date.now()): Promise<string> {
    return this.append(folderId, raw, flags, () => received);
  }

  /**
   * Appends a message imported from elsewhere: its arrival time is its Date header (as migration tools
   * set IMAP INTERNALDATE), unless missing or in the future, then now.
   */
  async importMessage(folderId: string, raw: Uint8Array, flags: Partial<MailFlags> = {}): Promise<string> {
    return this.append(
      folderId,
      raw,
      flags,
      (p) => {
        const now = Date.now();
        return p.date !== undefined && p.date <= now ? p.date : now;
      },
      true,
    );
  }

  private async append(
    folderId: string,
    raw: Uint8Array,
    flags: Partial<MailFlags>,
    received: (p: ParsedMessage) => number,
    once = false,
  ): Promise<string> {
    // The folder is checked in the write's transaction (a missing one fails the append and its blobs are removed);
    // before parsing only where that saves work on the failure path: an import (its Message-ID is looked up) and
    // a message over the inline limit (blobs would go to R2 first).
    const before = once || raw.byteLength > INLINE_LIMIT ? this.mailFolder(folderId) : null;
    const parsed = await parseMessage(raw);
    // An import run again after an interruption (npm start's demo seed, a migration) doubles nothing: a
    // message whose Message-ID is already in the folder is not stored twice, and its blobs are not written.
    const existing = once && before ? this.itemWithMessageId(before.seq, parsed.messageId) : null;
    if (existing !== null) return String(existing);
    const placed = await this.placeContent(raw, parsed);
    let stored: { id: number; added: boolean };
    try {
      stored = this.storage.transactionSync(() => {
        const folder = this.mailFolder(folderId); // again: it may have been deleted while R2 was written
        const raced = once ? this.itemWithMessageId(folder.seq, parsed.messageId) : null; // imported meanwhile
        if (raced !== null) return { id: raced, added: false };
        return { id: this.insertItem(folder.seq, raw.byteLength, parsed, placed, flags, received(parsed)), added: true };
      });
    } catch (e) {
      await this.blobs.remove(placed.keys);
      throw e;
    }
    if (!stored.added) await this.blobs.remove(placed.keys);
    return String(stored.id);
  }

  async importMessages(folderId: string, raws: Uint8Array[]): Promise<ImportResult[]> {
    const before = this.mailFolder(folderId);
    const now = Date.now();
    type Pending = { i: number; digest: string; parsed: ParsedMessage; placed?: Placed };
    const out: ImportResult[] = new Array(raws.length);
    const digests = await Promise.all(raws.map(sha256Hex));
    const parsed: ParsedMessage[] = [];
    for (const raw of raws) parsed.push(await parseMessage(raw));
    // What the folder already has: two queries for the whole batch, not two per message.
    const inStore = this.importedItems(before.seq, digests, parsed);
    const pending: Pending[] = [];
    const seen = new Map<string, number>(); // Message-ID or digest → index of its first copy in this batch
    for (const [i, digest] of digests.entries()) {
      const keys = [`d:${digest}`, ...(parsed[i].messageId ? [`m:${parsed[i].messageId}`] : [])];
      const inBatch = keys.map((k) => seen.get(k)).find((x) => x !== undefined);
      if (inStore[i] !== null) out[i] = { status: "duplicate", itemId: String(inStore[i]) };
      else if (inBatch !== undefined)
        out[i] = { status: "duplicate", itemId: `#${inBatch}` }; // resolved below
      else {
        for (const k of keys) seen.set(k, i);
        pending.push({ i, digest, parsed: parsed[i] });
      }
    }
    // Blobs of the messages too large for SQLite go to R2 a few messages at a time.
    const placing = await mapLimit(pending, 8, async (p) => (p.placed = await this.placeContent(raws[p.i], p.parsed)));
    const failed = placing.find((r) => r.status === "rejected");
    if (failed) {
      await this.blobs.remove(pending.flatMap((p) => p.placed?.keys ?? []));
      throw failed.reason;
    }
    const placed = pending as Required<Pending>[];
    const write = (batch: Required<Pending>[]) =>
      this.storage.transactionSync(() => {
        const folder = this.mailFolder(folderId); // again: it may have been deleted while R2 was written
        const raced = this.importedItems(
          folder.seq,
          batch.map((p) => p.digest),
          batch.map((p) => p.parsed),
        ); // imported meanwhile
        const fresh = batch.filter((_, k) => raced[k] === null);
        // One modseq each, taken at once: the folder's row and the counter are written once per batch.
        let modseq = fresh.length > 0 ? this.bumpFolder(folder.seq, fresh.length, fresh.length) - fresh.length : 0;
        const ids = new Map<Required<Pending>, number>();
        for (const p of fresh) {
          const received = p.parsed.date !== undefined && p.parsed.date <= now ? p.parsed.date : now;
          ids.set(p, this.insertItem(folder.seq, raws[p.i].byteLength, p.parsed, p.placed, {}, received, true, ++modseq));
        }
        if (fresh.length > 0) createIfMissing(this.storage.sql, IMPORT_DIGESTS_DDL);
        if (fresh.length > 0)
          this.sql.run(
            `INSERT OR REPLACE INTO import_digests (folder, digest, uid) SELECT ?, value ->> 0, value ->> 1 FROM json_each(?)`,
            folder.seq,
            JSON.stringify(fresh.map((p) => [p.digest, ids.get(p)])),
          );
        return batch.map((p, k) => (raced[k] !== null ? { id: raced[k], added: false } : { id: ids.get(p)!, added: true }));
      });
    let stored: ({ id: number; added: boolean } | { error: string })[];
    try {
      stored = write(placed);
    } catch (e) {
      if (e instanceof StoreFolderError) {
        await this.blobs.remove(placed.flatMap((p) => p.placed.keys));
        throw e;
      }
      // One message the batch's transaction could not take does not fail the others: one transaction each.
      stored = [];
      for (const p of placed) {
        try {
          stored.push(write([p])[0]);
        } catch (err) {
          if (err instanceof StoreFolderError) throw err;
          stored.push({ error: err instanceof Error ? err.message : String(err) });
        }
      }
    }
    for (const [k, p] of placed.entries()) {
      const s = stored[k];
      if ("error" in s) out[p.i] = { status: "skipped", reason: `not stored: ${s.error}` };
      else out[p.i] = { status: s.added ? "imported" : "duplicate", itemId: String(s.id) };
      if ("error" in s || !s.added) await this.blobs.remove(p.placed.keys);
    }
    // A second copy within the batch is the duplicate of what its first copy became.
    for (const [i, r] of out.entries())
      if (r.status === "duplicate" && r.itemId.startsWith("#")) {
        const first = out[Number(r.itemId.slice(1))];
        out[i] = first.status === "skipped" ? first : { status: "duplicate", itemId: first.itemId };
      }
    return out;
  }

  /**
   * For each message, the live item of `folder` an import made from these bytes (digest), else one holding its
   * Message-ID; null when none. One query per kind for the whole batch.
   */
  private importedItems(folder: number, digests: string[], parsed: ParsedMessage[]): (number | null)[] {
    // No table: no bulk import ever ran here (it is made by the first one), so no digest to find.
    const byDigest = new Map(
      !hasTable(this.storage.sql, "import_digests")
        ? []
        : this.sql
            .all<{ digest: string; uid: number }>(
              `SELECT d.digest, i.uid FROM import_digests d JOIN items i ON i.uid = d.uid AND i.folder = d.folder
                 WHERE d.folder = ? AND d.digest IN (SELECT value FROM json_each(?))`,
              folder,
              JSON.stringify(digests),
            )
            .map((r) => [r.digest, r.uid]),
    );
    const wanted = [...new Set(parsed.flatMap((p, k) => (p.messageId && !byDigest.has(digests[k]) ? [p.messageId] : [])))];
    const byMessageId = new Map(
      wanted.length === 0
        ? []
        : this.sql
            .all<{ mid: string; uid: number }>(
              `SELECT m.message_id AS mid, min(i.uid) AS uid FROM messages m JOIN items i ON i.message = m.id
                 WHERE m.message_id IN (SELECT value FROM json_each(?)) AND i.folder = ? GROUP BY m.message_id`,
              JSON.stringify(wanted),
              folder,
            )
            .map((r) => [r.mid, r.uid]),
    );
    return digests.map((d, k) => byDigest.get(d) ?? (parsed[k].messageId ? (byMessageId.get(parsed[k].messageId!) ?? null) : null));
  }

  /** The live item of `folder` holding a message with this Message-ID (index messages_message_id), or null. */
  private itemWithMessageId(folder: number, messageId: string | undefined): number | null {
    if (!messageId) return null;
    const row = this.sql.all<{ uid: number }>(
      `SELECT i.uid FROM messages m JOIN items i ON i.message = m.id WHERE m.message_id = ? AND i.folder = ? LIMIT 1`,
      messageId,
      folder,
    )[0];
    return row ? row.uid : null;
  }

  /**
   * Puts `raw` in place of the item's message, keeping its item id, flags and arrival time; the item's modseq
   * rises, so devices that have it get a Change (a phone's edit of its draft, [MS-ASCMD] 2.2.3.24).
   */
  async replaceMessage(folderId: string, itemId: string, raw: Uint8Array): Promise<void> {
    this.itemRow(folderId, itemId);
    const parsed = await parseMessage(raw);
    const placed = await this.placeContent(raw, parsed);
    let keys: string[];
    try {
      keys = this.storage.transactionSync(() => {
        const item = this.itemRow(folderId, itemId); // again: it may have gone while R2 was written
        const message = this.insertMessage(raw.byteLength, parsed, placed, item.received);
        const modseq = this.bumpFolder(item.folder, 0);
        this.sql.run(`UPDATE items SET message = ?, modseq = ? WHERE uid = ?`, message, modseq, item.uid);
        return this.dropMessage(item.message);
      });
    } catch (e) {
      await this.blobs.remove(placed.keys);
      throw e;
    }
    await this.blobs.remove(keys);
  }

  async setFlags(folderId: string, itemId: string, flags: Partial<MailFlags>): Promise<void> {
    this.storage.transactionSync(() => {
      const item = this.itemRow(folderId, itemId);
      const next = {
        seen: bit(flags.seen, item.seen),
        flagged: bit(flags.flagged, item.flagged),
        answered: bit(flags.answered, item.answered),
        forwarded: bit(flags.forwarded, item.forwarded),
      };
      if (next.seen === item.seen && next.flagged === item.flagged && next.answered === item.answered && next.forwarded === item.forwarded)
        return;
      const modseq = this.bumpFolder(item.folder, 0);
      this.sql.run(
        `UPDATE items SET seen = ?, flagged = ?, answered = ?, forwarded = ?, modseq = ? WHERE uid = ?`,
        next.seen,
        next.flagged,
        next.answered,
        next.forwarded,
        modseq,
        item.uid,
      );
    });
  }

  async moveItem(folderId: string, itemId: string, destFolderId: string): Promise<string> {
    return this.storage.transactionSync(() => {
      const item = this.itemRow(folderId, itemId);
      const dest = this.mailFolder(destFolderId);
      if (dest.seq === item.folder) throw new StoreFolderError("invalid", "source and destination are the same folder");
      this.expunge(item);
      const modseq = this.bumpFolder(dest.seq, +1);
      const uid = this.sql.one<{ uid: number }>(
        `INSERT INTO items (folder, message, modseq, received, seen, flagged, answered, forwarded)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING uid`,
        dest.seq,
        item.message,
        modseq,
        item.received,
        item.seen,
        item.flagged,
        item.answered,
        item.forwarded,
      ).uid;
      return String(uid);
    });
  }

  async deleteItem(folderId: string, itemId: string): Promise<void> {
    const keys = this.storage.transactionSync(() => {
      const item = this.itemRow(folderId, itemId);
      this.expunge(item);
      return this.dropMessage(item.message);
    });
    await this.blobs.remove(keys);
  }

  async emptyFolder(folderId: string, includeSubfolders: boolean): Promise<void> {
    const keys = this.storage.transactionSync(() => {
      const folder = this.folderRow(folderId);
      const keys = this.dropItems(folder.seq, true);
      if (includeSubfolders) {
        for (const seq of this.subtree(folder.seq)) {
          if (seq === folder.seq) continue;
          keys.push(...this.dropItems(seq, false));
          this.sql.run(`DELETE FROM tombstones WHERE folder = ?`, seq);
          this.sql.run(`DELETE FROM folders WHERE seq = ?`, seq);
        }
      }
      return keys;
    });
    await this.blobs.remove(keys);
  }

  /**
   * Drops tombstones older than `olderThan` (ms since epoch) and raises each folder's tombstone floor.
   * Returns how many were dropped. Meant for the mailbox's periodic alarm.
   */
  pruneTombstones(olderThan: number): number {
    return this.storage.transactionSync(() => {
      const floors = this.sql.all<{ folder: number; top: number }>(
        `SELECT folder, max(modseq) AS top FROM tombstones WHERE at < ? GROUP BY folder`,
        olderThan,
      );
      if (floors.length === 0) return 0; // nothing that old (every delivery asks): no DELETE to run
      for (const f of floors) this.sql.run(`UPDATE folders SET tombstone_floor = max(tombstone_floor, ?) WHERE seq = ?`, f.top, f.folder);
      return this.sql.run(`DELETE FROM tombstones WHERE at < ?`, olderThan);
    });
  }

  /**
   * Appends `count` copies of one message with arrival times `newest`, `newest - spacingMs`, … through the
   * same SQL as appendMessage, parsing once. For seeding benchmarks and scale tests. Returns the item ids.
   */
  async seedCopies(
    folderId: string,
    raw: Uint8Array,
    count: number,
    newest: number,
    spacingMs: number,
    opts: { searchIndex?: boolean } = {},
  ): Promise<string[]> {
    this.mailFolder(folderId);
    const parsed = await parseMessage(raw);
    const placed = inlineOnly(raw, parsed);
    const ids: string[] = [];
    for (let start = 0; start < count; start += 2000) {
      this.storage.transactionSync(() => {
        const folder = this.mailFolder(folderId);
        const first = this.sql.one<{ n: number }>(`SELECT coalesce(max(id), 0) + 1 AS n FROM messages`).n;
        for (let i = start; i < Math.min(count, start + 2000); i++) {
          const copy = { ...parsed, subject: `${parsed.subject} #${i + 1}` };
          ids.push(String(this.insertItem(folder.seq, raw.byteLength, copy, placed, {}, newest - i * spacingMs, false)));
        }
        // The same index entries appendMessage writes, set-based for the batch. `searchIndex: false` leaves them
        // out, for scale tests that never search (indexing 100 000 messages costs tens of seconds).
        if (opts.searchIndex !== false) indexNewMessages(this.sql, first);
      });
    }
    return ids;
  }

  // ---------- internals ----------

  private ensureDefaultFolders(): void {
    // The same statement as listFolders (a Ping reads it next): one statement fewer prepared and kept for the life
    // of the object than a read of its own (issue 15 target 3); a mailbox has tens of folders.
    const present = new Set(this.sql.all<FolderRow>(`SELECT * FROM folders ORDER BY seq`).map((r) => r.type));
    const missing = DEFAULT_FOLDERS.filter((f) => !present.has(f.type));
    if (missing.length === 0) return;
    this.storage.transactionSync(() => {
      this.sql.run(`INSERT OR IGNORE INTO store_meta (key, value) VALUES ('modseq', 0)`);
      for (const f of missing) this.insertFolder(0, f.name, f.type);
    });
  }

  private insertFolder(parent: number, name: string, type: number): FolderRow {
    return this.sql.one<FolderRow>(
      `INSERT INTO folders (parent_seq, name, type, item_class, validity) VALUES (?, ?, ?, ?, ?) RETURNING *`,
      parent,
      name,
      type,
      itemClassOf(type),
      crypto.randomUUID().slice(0, 8),
    );
  }

  private folderRow(id: string): FolderRow {
    const row = ID.test(id) ? this.sql.all<FolderRow>(`SELECT * FROM folders WHERE seq = ?`, Number(id))[0] : undefined;
    if (!row) throw new StoreNotFoundError(`no folder ${id}`);
    return row;
  }

  private mailFolder(id: string): FolderRow {
    const f = this.folderRow(id);
    if (f.item_class !== "Email") throw new StoreFolderError("invalid", `folder ${id} does not hold mail`);
    return f;
  }

  private parentSeq(parentId: string): number {
    if (parentId === "0") return 0;
    try {
      return this.folderRow(parentId).seq;
    } catch {
      throw new StoreFolderError("parent-not-found", `no parent folder ${parentId}`);
    }
  }

  private assertNameFree(parent: number, name: string, except: number): void {
    const clash = this.sql.all(
      `SELECT 1 FROM folders WHERE parent_seq = ? AND name = ? COLLATE NOCASE AND seq != ?`,
      parent,
      name,
      except,
    ).length;
    if (clash) throw new StoreFolderError("exists", `a folder named ${name} already exists there`);
  }

  /** The folder and all its descendants. */
  private subtree(seq: number): number[] {
    return this.sql
      .all<{ seq: number }>(
        `WITH RECURSIVE t(seq) AS (SELECT ? UNION SELECT f.seq FROM folders f JOIN t ON f.parent_seq = t.seq) SELECT seq FROM t`,
        seq,
      )
      .map((r) => r.seq);
  }

  private itemRow(folderId: string, itemId: string): ItemRow {
    const folder = this.folderRow(folderId).seq;
    const row = ID.test(itemId)
      ? this.sql.all<ItemRow>(`SELECT * FROM items WHERE uid = ? AND folder = ?`, Number(itemId), folder)[0]
      : undefined;
    if (!row) throw new StoreNotFoundError(`no item ${itemId} in folder ${folderId}`);
    return row;
  }

  private messageOf(folderId: string, itemId: string): number | null {
    const folder = this.folderRow(folderId).seq;
    if (!ID.test(itemId)) return null;
    const row = this.sql.all<{ message: number }>(`SELECT message FROM items WHERE uid = ? AND folder = ?`, Number(itemId), folder)[0];
    return row?.message ?? null;
  }

  /** Takes the next mailbox modseq, records it as the folder's highest, adjusts its count. */
  /** Takes the next modseq (`n` of them: the last is returned) for a change of `countDelta` items in the folder. */
  private bumpFolder(seq: number, countDelta: number, n = 1): number {
    const modseq = this.sql.one<{ value: number }>(`UPDATE store_meta SET value = value + ? WHERE key = 'modseq' RETURNING value`, n).value;
    this.sql.run(`UPDATE folders SET highest_modseq = ?, item_count = item_count + ? WHERE seq = ?`, modseq, countDelta, seq);
    return modseq;
  }

  /** Removes the item row from its folder and leaves a tombstone; the message row is left to the caller. */
  private expunge(item: ItemRow): void {
    const modseq = this.bumpFolder(item.folder, -1);
    this.sql.run(`DELETE FROM items WHERE uid = ?`, item.uid);
    this.sql.run(`INSERT INTO tombstones (folder, uid, modseq, at) VALUES (?, ?, ?, ?)`, item.folder, item.uid, modseq, Date.now());
  }

  /** Deletes a message's rows and returns its R2 keys for the caller to delete after commit. */
  private dropMessage(message: number): string[] {
    const keys: string[] = [];
    const m = this.sql.all<{ raw_key: string | null; plain_key: string | null; html_key: string | null }>(
      `SELECT raw_key, plain_key, html_key FROM messages WHERE id = ?`,
      message,
    )[0];
    if (m) for (const k of [m.raw_key, m.plain_key, m.html_key]) if (k) keys.push(k);
    for (const p of this.sql.all<{ r2_key: string | null }>(`SELECT r2_key FROM parts WHERE message = ? AND r2_key IS NOT NULL`, message))
      if (p.r2_key) keys.push(p.r2_key);
    forgetMessage(this.sql, message);
    this.sql.run(`DELETE FROM parts WHERE message = ?`, message);
    this.sql.run(`DELETE FROM messages WHERE id = ?`, message);
    return keys;
  }

  /** Deletes every item of one folder, with tombstones when the folder stays. */
  /**
   * Other item tables in the same folders (the PIM store) drop theirs here, in the same transaction,
   * when a folder is emptied (`tombstones` true) or deleted.
   */
  readonly folderDroppers: ((seq: number, tombstones: boolean) => void)[] = [];

  private dropItems(seq: number, tombstones: boolean): string[] {
    for (const drop of this.folderDroppers) drop(seq, tombstones);
    // Set-based, so emptying a 100 000-message folder is a handful of statements, not 100 000 round trips.
    const keys = this.sql
      .all<{ k: string }>(
        `SELECT m.raw_key AS k FROM items i JOIN messages m ON m.id = i.message WHERE i.folder = ?1 AND m.raw_key IS NOT NULL
         UNION ALL SELECT m.plain_key FROM items i JOIN messages m ON m.id = i.message WHERE i.folder = ?1 AND m.plain_key IS NOT NULL
         UNION ALL SELECT m.html_key FROM items i JOIN messages m ON m.id = i.message WHERE i.folder = ?1 AND m.html_key IS NOT NULL
         UNION ALL SELECT p.r2_key FROM items i JOIN parts p ON p.message = i.message WHERE i.folder = ?1 AND p.r2_key IS NOT NULL`,
        seq,
      )
      .map((r) => r.k);
    const count = this.sql.one<{ n: number }>(`SELECT count(*) AS n FROM items WHERE folder = ?`, seq).n;
    if (count === 0) return keys;
    if (tombstones) {
      // One distinct modseq per expunged item, like expunge(): callers page changesSince by modseq.
      const base =
        this.sql.one<{ value: number }>(`UPDATE store_meta SET value = value + ? WHERE key = 'modseq' RETURNING value`, count).value -
        count;
      this.sql.run(
        `INSERT INTO tombstones (folder, uid, modseq, at)
         SELECT folder, uid, ? + row_number() OVER (ORDER BY uid), ? FROM items WHERE folder = ?`,
        base,
        Date.now(),
        seq,
      );
      this.sql.run(`UPDATE folders SET highest_modseq = ? WHERE seq = ?`, base + count, seq);
    }
    forgetFolder(this.sql, seq);
    this.sql.run(`DELETE FROM parts WHERE message IN (SELECT message FROM items WHERE folder = ?)`, seq);
    this.sql.run(`DELETE FROM messages WHERE id IN (SELECT message FROM items WHERE folder = ?)`, seq);
    this.sql.run(`DELETE FROM items WHERE folder = ?`, seq);
    this.sql.run(`UPDATE folders SET item_count = 0 WHERE seq = ?`, seq);
    return keys;
  }

  private async placeContent(raw: Uint8Array, parsed: ParsedMessage): Promise<Placed> {
    const rawP = await this.blobs.place(raw, "raw");
    const plainP = await this.blobs.place(parsed.plain, "plain");
    const htmlP = parsed.html !== undefined ? await this.blobs.place(parsed.html, "html") : { inline: null, key: null };
    const parts: Placed["parts"] = [];
    for (const a of parsed.attachments) {
      const p = await this.blobs.place(a.data, `part-${a.info.partId}`);
      parts.push({ partId: a.info.partId, data: p.inline as Uint8Array | null, key: p.key });
    }
    const keys = [rawP.key, plainP.key, htmlP.key, ...parts.map((p) => p.key)].filter((k): k is string => k !== null);
    return {
      raw: rawP.inline as Uint8Array | null,
      rawKey: rawP.key,
      plain: plainP.inline as string | null,
      plainKey: plainP.key,
      html: htmlP.inline as string | null,
      htmlKey: htmlP.key,
      parts,
      keys,
    };
  }

  private insertItem(
    folder: number,
    size: number,
    p: ParsedMessage,
    placed: Placed,
    flags: Partial<MailFlags>,
    received: number,
    index = true,
    modseq = -1, // one the caller took for it (a batch bumps the folder once); -1: the next one
  ): number {
    const message = this.insertMessage(size, p, placed, received, index);
    if (modseq < 0) modseq = this.bumpFolder(folder, +1);
    return this.sql.one<{ uid: number }>(
      `INSERT INTO items (folder, message, modseq, received, seen, flagged, answered, forwarded)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING uid`,
      folder,
      message,
      modseq,
      received,
      flags.seen ? 1 : 0,
      flags.flagged ? 1 : 0,
      flags.answered ? 1 : 0,
      flags.forwarded ? 1 : 0,
    ).uid;
  }

  /** The message row, its parts and its index entry; returns the message id. */
  private insertMessage(size: number, p: ParsedMessage, placed: Placed, received: number, index = true): number {
    // The search key is set by the INSERT (one row write, not an INSERT and an UPDATE); in the rare case its guess
    // of the new id meets a key already taken, the row goes in without one and indexMessage finds a free one.
    const keyed = index ? this.tryInsertMessage(size, p, placed, received, true) : null;
    const message = keyed ?? this.tryInsertMessage(size, p, placed, received, false)!;
    if (keyed !== null) writeWords(this.sql, message, p);
    else if (index) indexMessage(this.sql, message, received, p);
    for (const part of placed.parts)
      this.sql.run(
        `INSERT INTO parts (message, part_id, data, r2_key) VALUES (?, ?, ?, ?)`,
        message,
        part.partId,
        part.data ? buffer(part.data) : null,
        part.key,
      );
    return message;
  }

  /** The message row; with `keyed`, with its search key, or null when that key is taken (unique index). */
  private tryInsertMessage(size: number, p: ParsedMessage, placed: Placed, received: number, keyed: boolean): number | null {
    const query = `INSERT INTO messages (size, date, subject, from_addr, to_addr, cc_addr, reply_to, message_id, in_reply_to, refs,
           importance, has_html, attachments, content_class, calendar_method, thread_topic, preview,
           raw, raw_key, plain, plain_key, plain_size, html, html_key, html_size, conversation, conversation_index${keyed ? ", search_key" : ""})
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?${keyed ? `, ${NEW_SEARCH_KEY}` : ""}) RETURNING id`;
    const args = [
      size,
      p.date ?? null,
      p.subject,
      p.from,
      p.to,
      p.cc,
      p.replyTo,
      p.messageId ?? null,
      p.inReplyTo ?? null,
      p.references ?? null,
      p.importance,
      p.html !== undefined ? 1 : 0,
      JSON.stringify(p.attachments.map((a) => a.info)),
      p.contentClass ?? null,
      p.calendarMethod ?? null,
      p.threadTopic ?? null,
      previewText(p.plain),
      placed.raw ? buffer(placed.raw) : null,
      placed.rawKey,
      placed.plain,
      placed.plainKey,
      utf8Length(p.plain),
      placed.html,
      placed.htmlKey,
      p.html !== undefined ? utf8Length(p.html) : 0,
      // [MS-ASCON] conversation, computed once here (conversation.ts); the index falls back to the arrival time.
      conversationIdOf(p),
      conversationIndexOf(p.threadIndex, p.date ?? received),
    ];
    if (!keyed) return this.sql.one<{ id: number }>(query, ...args).id;
    try {
      return this.sql.one<{ id: number }>(query, ...args, received).id;
    } catch (e) {
      if (/UNIQUE constraint failed: messages\.search_key/i.test(String(e))) return null;
      throw e;
    }
  }
}

type Placed = {
  raw: Uint8Array | null;
  rawKey: string | null;
  plain: string | null;
  plainKey: string | null;
  html: string | null;
  htmlKey: string | null;
  parts: { partId: string; data: Uint8Array | null; key: string | null }[];
  keys: string[];
};

/** Placement of a message small enough to live wholly in SQLite (seedCopies shares it between copies). */
function inlineOnly(raw: Uint8Array, parsed: ParsedMessage): Placed {
  const big = raw.byteLength > INLINE_LIMIT || parsed.attachments.some((a) => a.data.byteLength > INLINE_LIMIT);
  if (big) throw new StoreFolderError("invalid", "seedCopies takes only messages under the inline limit");
  return {
    raw,
    rawKey: null,
    plain: parsed.plain,
    plainKey: null,
    html: parsed.html ?? null,
    htmlKey: null,
    parts: parsed.attachments.map((a) => ({ partId: a.info.partId, data: a.data, key: null })),
    keys: [],
  };
}

/** `f` over `items`, at most `limit` at a time; every outcome, in order (none is left running). */
async function mapLimit<T, R>(items: T[], limit: number, f: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      try {
        out[k] = { status: "fulfilled", value: await f(items[k]) };
      } catch (reason) {
        out[k] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function sha256Hex(raw: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  let s = "";
  for (const b of d) s += b.toString(16).padStart(2, "0");
  return s;
}

/** GreaterThan / LessThan on the arrival time (items `i`), added to a WHERE list and its arguments. */
function receivedConditions(q: MailSearchQuery, where: string[], args: unknown[]): void {
  if (q.receivedAfter !== undefined) {
    where.push(`i.received > ?`);
    args.push(q.receivedAfter);
  }
  if (q.receivedBefore !== undefined) {
    where.push(`i.received < ?`);
    args.push(q.receivedBefore);
  }
}

function bit(v: boolean | undefined, current: number): number {
  return v === undefined ? current : v ? 1 : 0;
}

function buffer(u: Uint8Array): ArrayBuffer {
  return u.byteOffset === 0 && u.byteLength === u.buffer.byteLength && u.buffer instanceof ArrayBuffer
    ? u.buffer
    : (u.slice().buffer as ArrayBuffer);
}

function toFolder(r: FolderRow): StoreFolder {
  return {
    id: String(r.seq),
    parentId: String(r.parent_seq),
    name: r.name,
    type: r.type as FolderTypeValue,
    itemClass: r.item_class as StoreFolder["itemClass"],
  };
}

function toSummary(r: ItemRow & MessageRow): MailSummary {
  const s: MailSummary = {
    itemId: String(r.uid),
    folderId: String(r.folder),
    modseq: r.modseq,
    received: r.received,
    subject: r.subject,
    from: r.from_addr,
    to: r.to_addr,
    cc: r.cc_addr,
    replyTo: r.reply_to,
    importance: r.importance as MailSummary["importance"],
    flags: { seen: r.seen === 1, flagged: r.flagged === 1, answered: r.answered === 1, forwarded: r.forwarded === 1 },
    size: r.size,
    hasHtml: r.has_html === 1,
    preview: r.preview,
    attachments: JSON.parse(r.attachments) as AttachmentInfo[],
  };
  if (r.date !== null) s.date = r.date;
  if (r.message_id !== null) s.messageId = r.message_id;
  if (r.in_reply_to !== null) s.inReplyTo = r.in_reply_to;
  if (r.refs !== null) s.references = r.refs;
  if (r.content_class !== null) s.contentClass = r.content_class;
  if (r.calendar_method !== null) s.calendarMethod = r.calendar_method;
  if (r.thread_topic !== null) s.threadTopic = r.thread_topic;
  if (r.conversation !== null) s.conversationId = r.conversation;
  if (r.conversation_index !== null) s.conversationIndex = r.conversation_index;
  return s;
}
