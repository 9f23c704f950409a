// The built-in store's full-text index: an FTS5 table in the mailbox object's SQLite, one row per `messages` row.
// Contentless (content='', contentless_delete=1): the text already lives in `messages`; the index keeps tokens.
//
// Its rowid is the message's search key, `received × 2^20 + (id mod 2^20)` (messages.search_key, unique), not
// the message id: FTS5 walks a term's hits in rowid order, so "newest first" is the index's own order and the
// first page of a search reads its hits and stops, however many messages hold the word (a common word in a
// 100 000-message mailbox costs the page, not the mailbox). A move keeps the message row (and its arrival
// time), so it never touches the index. Date conditions become rowid ranges.
//
// Kept in step by the store inside the transactions that write `messages`: indexMessage on insert,
// forgetMessage/forgetFolder before rows are deleted. refillFromSql rebuilds it from `messages` (the store adds
// the plain bodies kept in R2), for a store upgraded from before the index or an index suspected wrong.
// Keys are computed in SQL (64-bit integers; JavaScript numbers stop being exact at 2^53).
import { searchTokens } from "../search-words";
import type { CountingSql } from "../counting-sql";

/** How much of a plain-text body is indexed: enough for any real message's words, bounded for huge ones. */
export const INDEXED_BODY_CHARS = 64 * 1024;
/** And of the subject and of the addresses (a hostile message may carry megabytes of either). */
export const INDEXED_SUBJECT_CHARS = 2048;
export const INDEXED_ADDRESS_CHARS = 16 * 1024;

// unicode61 with diacritics folded ("resume" finds "résumé"); prefix indexes make 2- and 3-letter prefixes
// (what a phone sends while the user types) an index lookup instead of a scan of the term list.
export const SEARCH_INDEX_DDL = [
  `CREATE VIRTUAL TABLE IF NOT EXISTS mail_fts USING fts5(subject, addresses, body,
     content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='2 3')`,
  // The join from a message to its item (and folder), first: the key of existing mail is computed through it.
  `CREATE INDEX IF NOT EXISTS items_message ON items (message)`,
  `ALTER TABLE messages ADD COLUMN search_key INTEGER`,
  `UPDATE messages SET search_key = (SELECT max(0, min(i.received, ${2 ** 43 - 1})) FROM items i WHERE i.message = messages.id LIMIT 1) * 1048576 + id % 1048576`,
  `CREATE UNIQUE INDEX IF NOT EXISTS messages_search_key ON messages (search_key)`,
];

/** Arrival times are clamped to [0, 2^43) ms (until the year 2248) so a key fits 63 bits. */
const MAX_RECEIVED = 2 ** 43 - 1;
const KEY = (received: string) => `(max(0, min(${received}, ${MAX_RECEIVED})) * 1048576)`;

export interface IndexedText {
  subject: string;
  from: string;
  to: string;
  cc: string;
  replyTo: string;
  plain: string;
}

/**
 * Gives a new message its search key (arrival time, then the id; the next free one in the rare case two
 * messages of the same millisecond meet modulo 2^20) and adds its words.
 */
export function indexMessage(sql: CountingSql, messageId: number, received: number, t: IndexedText): void {
  const set = (low: number) => sql.run(`UPDATE messages SET search_key = ${KEY("?")} + ? WHERE id = ?`, received, low, messageId);
  try {
    set(messageId % 1048576);
  } catch {
    // The unique index refused the key: the next free one of that millisecond.
    let low = (messageId + 1) % 1048576;
    while (sql.all(`SELECT 1 FROM messages WHERE search_key = ${KEY("?")} + ?`, received, low).length > 0) low = (low + 1) % 1048576;
    set(low);
  }
  writeWords(sql, messageId, t);
}

/**
 * The search key of a message about to be inserted, as an SQL expression of one bound arrival time, for the
 * INSERT itself (no UPDATE of the new row after it): the arrival time and the id the row will most likely get
 * (the largest id + 1). Where that guess is wrong (the newest message was deleted) the key is still one of that
 * millisecond, unique or refused by messages_search_key; then the caller inserts without it and calls indexMessage.
 */
export const NEW_SEARCH_KEY = `${KEY("?")} + ((SELECT coalesce(max(id), 0) + 1 FROM messages) % 1048576)`;

/** Adds the words of a message whose search key is set (indexMessage, or inserted with NEW_SEARCH_KEY). */
export function writeWords(sql: CountingSql, messageId: number, t: IndexedText): void {
  sql.run(
    `INSERT INTO mail_fts (rowid, subject, addresses, body) VALUES ((SELECT search_key FROM messages WHERE id = ?), ?, ?, ?)`,
    messageId,
    t.subject.slice(0, INDEXED_SUBJECT_CHARS),
    [t.from, t.to, t.cc, t.replyTo].join(" ").slice(0, INDEXED_ADDRESS_CHARS),
    t.plain.length > INDEXED_BODY_CHARS ? t.plain.slice(0, INDEXED_BODY_CHARS) : t.plain,
  );
}

/** Keys and words of every message from id `firstId` on, in two statements (seeding; keys as indexMessage gives). */
export function indexNewMessages(sql: CountingSql, firstId: number): void {
  sql.run(
    `UPDATE messages SET search_key = ${KEY("(SELECT i.received FROM items i WHERE i.message = messages.id LIMIT 1)")} + id % 1048576 WHERE id >= ?`,
    firstId,
  );
  sql.run(
    `INSERT INTO mail_fts (rowid, subject, addresses, body)
       SELECT search_key, substr(subject, 1, ?), substr(from_addr || ' ' || to_addr || ' ' || cc_addr || ' ' || reply_to, 1, ?),
              substr(coalesce(plain, ''), 1, ?)
       FROM messages WHERE id >= ?`,
    INDEXED_SUBJECT_CHARS,
    INDEXED_ADDRESS_CHARS,
    INDEXED_BODY_CHARS,
    firstId,
  );
}

/** Forgets one message (before its row is deleted). */
export function forgetMessage(sql: CountingSql, messageId: number): void {
  sql.run(`DELETE FROM mail_fts WHERE rowid = (SELECT search_key FROM messages WHERE id = ?)`, messageId);
}

/** Forgets every message of one folder (before its items and messages are deleted). */
export function forgetFolder(sql: CountingSql, folderSeq: number): void {
  sql.run(
    `DELETE FROM mail_fts WHERE rowid IN (SELECT m.search_key FROM items i JOIN messages m ON m.id = i.message WHERE i.folder = ?)`,
    folderSeq,
  );
}

/**
 * Refills the index from `messages` in one statement for the text kept in SQLite. Returns the ids of
 * messages whose plain body lives in R2 (the caller reads those and calls `setBody`).
 */
export function refillFromSql(sql: CountingSql): { id: number; key: string }[] {
  sql.run(`DELETE FROM mail_fts`);
  sql.run(
    `INSERT INTO mail_fts (rowid, subject, addresses, body)
       SELECT search_key, substr(subject, 1, ?), substr(from_addr || ' ' || to_addr || ' ' || cc_addr || ' ' || reply_to, 1, ?),
              substr(coalesce(plain, ''), 1, ?)
       FROM messages`,
    INDEXED_SUBJECT_CHARS,
    INDEXED_ADDRESS_CHARS,
    INDEXED_BODY_CHARS,
  );
  return sql.all<{ id: number; key: string }>(`SELECT id, plain_key AS key FROM messages WHERE plain_key IS NOT NULL`);
}

/** Replaces the indexed body of a message whose plain text was read from R2 (rebuild). */
export function setBody(sql: CountingSql, messageId: number, plain: string): void {
  const row = sql.all<{ subject: string; from_addr: string; to_addr: string; cc_addr: string; reply_to: string }>(
    `SELECT subject, from_addr, to_addr, cc_addr, reply_to FROM messages WHERE id = ?`,
    messageId,
  )[0];
  if (!row) return;
  forgetMessage(sql, messageId);
  writeWords(sql, messageId, {
    subject: row.subject,
    from: row.from_addr,
    to: row.to_addr,
    cc: row.cc_addr,
    replyTo: row.reply_to,
    plain,
  });
}

/** Matches counted exactly; beyond, Total is extrapolated from the newest COUNT_EXACT of them (below). */
export const COUNT_EXACT = 1000;

export interface IndexQuery {
  match: string;
  /** Mail folder seqs in scope. */
  folders: number[];
  receivedAfter?: number;
  receivedBefore?: number;
  offset: number;
  limit: number;
}

/**
 * A word search: the page walks the index newest first (rowid descending), keeps the hits in scope and stops
 * after offset + limit of them. Total (Search's Total is "an estimate", MS-ASCMD_R3737): exact up to
 * COUNT_EXACT matches; beyond, the words' density among the newest COUNT_EXACT + 1 matches (matches per
 * message in scope since the oldest of them) times the messages in scope. Either way the cost is bounded by
 * COUNT_EXACT index hits plus two index range counts, not by how many messages hold the words.
 */
export function searchIndex(sql: CountingSql, q: IndexQuery, columns: string): { total: number; rows: Record<string, SqlStorageValue>[] } {
  const keyCond: string[] = [];
  const keyArgs: unknown[] = [];
  const itemCond: string[] = [];
  const itemArgs: unknown[] = [];
  if (q.receivedAfter !== undefined) {
    keyCond.push(`mail_fts.rowid >= ${KEY("?")}`);
    keyArgs.push(q.receivedAfter + 1);
    itemCond.push(`i.received > ?`);
    itemArgs.push(q.receivedAfter);
  }
  if (q.receivedBefore !== undefined) {
    keyCond.push(`mail_fts.rowid < ${KEY("?")}`);
    keyArgs.push(q.receivedBefore);
    itemCond.push(`i.received < ?`);
    itemArgs.push(q.receivedBefore);
  }
  const hits = [`mail_fts MATCH ?`, ...keyCond].join(" AND ");
  const inScope = `i.folder IN (${q.folders.map(() => "?").join(",")})`;
  const join = `mail_fts CROSS JOIN messages m ON m.search_key = mail_fts.rowid CROSS JOIN items i ON i.message = m.id`;
  const sample = sql.one<{ n: number; oldest: number | null }>(
    `SELECT count(*) AS n, min(received) AS oldest FROM
       (SELECT i.received FROM ${join} WHERE ${hits} AND ${inScope} ORDER BY mail_fts.rowid DESC LIMIT ${COUNT_EXACT + 1})`,
    q.match,
    ...keyArgs,
    ...q.folders,
  );
  let total = sample.n;
  if (sample.n > COUNT_EXACT && sample.oldest !== null) {
    const count = (extra: string, ...args: unknown[]) =>
      sql.one<{ n: number }>(
        `SELECT count(*) AS n FROM items i WHERE ${[inScope, ...itemCond, extra].join(" AND ")}`,
        ...q.folders,
        ...itemArgs,
        ...args,
      ).n;
    const recent = count(`i.received >= ?`, sample.oldest);
    // Without dates the folders' own counts say how many messages are in scope (no index walk).
    const inScopeAll =
      itemCond.length === 0
        ? sql.one<{ n: number }>(
            `SELECT total(item_count) AS n FROM folders WHERE seq IN (${q.folders.map(() => "?").join(",")})`,
            ...q.folders,
          ).n
        : count("1");
    total = recent > 0 ? Math.max(sample.n, Math.round((sample.n / recent) * inScopeAll)) : sample.n;
  }
  if (q.limit <= 0 || total === 0) return { total, rows: [] };
  const rows = sql.all(
    `SELECT ${columns} FROM ${join} WHERE ${hits} AND ${inScope} ORDER BY mail_fts.rowid DESC LIMIT ? OFFSET ?`,
    q.match,
    ...keyArgs,
    ...q.folders,
    q.limit,
    q.offset,
  );
  return { total, rows };
}

/**
 * The FTS5 MATCH expression for free-text words: every token must occur, each as a prefix. Tokens are the
 * runs of letters and digits (what unicode61 indexes), so nothing of FTS5's query syntax gets through.
 * null when the words hold no token at all (punctuation only): nothing can match.
 */
export function matchExpression(words: string[]): string | null {
  const tokens = searchTokens(words);
  if (tokens.length === 0) return null;
  return tokens.map((t) => `"${t}"*`).join(" AND ");
}
