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

/**
 * The index's term list, one row per occurrence (fts5vocab "instance": a range on `term` is one seek and the
 * first row one read, where the "row" kind would count every hit of each term): matchExpression expands word
 * prefixes with it.
 */
export const SEARCH_TERMS_DDL = `CREATE VIRTUAL TABLE IF NOT EXISTS mail_fts_terms USING fts5vocab(mail_fts, instance)`;

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
  SEARCH_TERMS_DDL,
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

function writeWords(sql: CountingSql, messageId: number, t: IndexedText): void {
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

/**
 * The walk reads the page's hits and one more, at least COUNT_EXACT + 1: Total is exact up to COUNT_EXACT
 * matches (and up to the end of the page); beyond, it is extrapolated from the hits walked (below).
 */
export const COUNT_EXACT = 100;

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
 * A word search, one walk of the index: the newest hits in scope up to the end of the page and one more, at
 * least COUNT_EXACT + 1 (rowid descending, so the walk stops there however many messages hold the words),
 * give both the page and Total; only the page's rows are then read from `messages` and `items`. When no folder outside the scope holds mail (a search of the
 * whole mailbox, or of the one folder that has it all) the walk reads the index alone; otherwise each hit is
 * joined to its item to check its folder. Total (Search's Total is "an estimate", MS-ASCMD_R3737): exact when
 * the walk ends before its bound; beyond, the words' density among the hits walked (matches per message in
 * scope since the oldest of them) times the messages in scope, never below the hits walked (so a phone always
 * learns that another page exists): two index range counts, never a count of the words. Pages past the
 * 1 000th hit are walked with OFFSET (Search stops at 100 results; the store allows more).
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
  const marks = q.folders.map(() => "?").join(",");
  const inScope = `i.folder IN (${marks})`;
  const elsewhere = sql.one<{ n: number }>(
    `SELECT count(*) AS n FROM folders WHERE item_class = 'Email' AND item_count > 0 AND seq NOT IN (${marks})`,
    ...q.folders,
  ).n;
  const bound = Math.max(COUNT_EXACT, Math.min(q.offset + Math.max(q.limit, 0), 1000)) + 1;
  // Keys (as text: 64-bit, and JavaScript numbers are exact to 2^53 only) and arrival times (the key's high
  // bits: search_key = received × 2^20 + low bits).
  const walk =
    elsewhere === 0
      ? sql.all<{ k: string; received: number }>(
          `SELECT CAST(mail_fts.rowid AS TEXT) AS k, mail_fts.rowid / 1048576 AS received FROM mail_fts WHERE ${hits}
             ORDER BY mail_fts.rowid DESC LIMIT ${bound}`,
          q.match,
          ...keyArgs,
        )
      : sql.all<{ k: string; received: number }>(
          `SELECT CAST(mail_fts.rowid AS TEXT) AS k, i.received AS received
             FROM mail_fts CROSS JOIN messages m ON m.search_key = mail_fts.rowid CROSS JOIN items i ON i.message = m.id
             WHERE ${hits} AND ${inScope} ORDER BY mail_fts.rowid DESC LIMIT ${bound}`,
          q.match,
          ...keyArgs,
          ...q.folders,
        );
  let total = walk.length;
  if (walk.length === bound) {
    const oldest = walk[walk.length - 1]!.received;
    const count = (extra: string, ...args: unknown[]) =>
      sql.one<{ n: number }>(
        `SELECT count(*) AS n FROM items i WHERE ${[inScope, ...itemCond, extra].join(" AND ")}`,
        ...q.folders,
        ...itemArgs,
        ...args,
      ).n;
    const recent = count(`i.received >= ?`, oldest);
    // Without dates the folders' own counts say how many messages are in scope (no index walk).
    const inScopeAll =
      itemCond.length === 0
        ? sql.one<{ n: number }>(`SELECT total(item_count) AS n FROM folders WHERE seq IN (${marks})`, ...q.folders).n
        : count("1");
    total = recent > 0 ? Math.max(walk.length, Math.round((walk.length / recent) * inScopeAll)) : walk.length;
  }
  if (q.limit <= 0 || total === 0) return { total, rows: [] };
  const pageOf = (keys: string[]) =>
    sql.all(
      `SELECT ${columns} FROM messages m CROSS JOIN items i ON i.message = m.id
         WHERE m.search_key IN (SELECT CAST(value AS INTEGER) FROM json_each(?)) AND ${inScope}
         ORDER BY m.search_key DESC`,
      JSON.stringify(keys),
      ...q.folders,
    );
  if (q.offset + q.limit <= walk.length || walk.length < bound)
    return { total, rows: pageOf(walk.slice(q.offset, q.offset + q.limit).map((w) => w.k)) };
  // A page beyond the 1 000th hit: walked on its own (Search itself never asks for one).
  const rows = sql.all(
    `SELECT ${columns} FROM mail_fts CROSS JOIN messages m ON m.search_key = mail_fts.rowid CROSS JOIN items i ON i.message = m.id
       WHERE ${hits} AND ${inScope} ORDER BY mail_fts.rowid DESC LIMIT ? OFFSET ?`,
    q.match,
    ...keyArgs,
    ...q.folders,
    q.limit,
    q.offset,
  );
  return { total, rows };
}

/** A word prefix expands to at most this many indexed words; beyond, FTS5's own prefix query is used. */
const MAX_EXPANSION = 24;

/**
 * The FTS5 MATCH expression for free-text words: every token must occur, each as a prefix. Tokens are the
 * runs of letters and digits (what unicode61 indexes), so nothing of FTS5's query syntax gets through.
 * null when the words hold no token at all (punctuation only): nothing can match.
 *
 * A prefix query `"weekly"*` makes FTS5 merge the whole hit lists of every word with that prefix before it
 * returns one row (there is a prefix index for 2 and 3 letters only): in a 100 000-message mailbox a common
 * word costs its 100 000 hits however small the page. So a token of 4+ letters is expanded here to the
 * indexed words that start with it (`"weekly" OR "weeklyish"`), read from the index's term list
 * (mail_fts_terms, fts5vocab instance: one seek per word): exact words are walked lazily, newest first, and
 * the walk stops with the page. Only ASCII tokens are expanded (their folding is lower case, as unicode61's);
 * others, short ones and prefixes of more than MAX_EXPANSION words keep FTS5's prefix query.
 */
export function matchExpression(sql: CountingSql, words: string[]): string | null {
  const tokens = searchTokens(words);
  if (tokens.length === 0) return null;
  const parts = [...new Set(tokens.map((t) => prefixTerms(sql, t)))];
  return rarestFirst(sql, parts).join(" AND ");
}

/** Hits counted per word to order them: enough to tell a rare word from a common one. */
const RARITY_PROBE = 500;

/**
 * The words of an AND, rarest first. FTS5 walks the first one and seeks the others at each of its hits: walked
 * newest first, "weekly marmalade" (a word in every message, then one in 1 %) costs several times "marmalade
 * weekly" in a 100 000-message mailbox. Each word's hits are counted up to RARITY_PROBE (a walk in index
 * order, the cheap direction), so ordering costs at most that many hits per word.
 */
function rarestFirst(sql: CountingSql, parts: string[]): string[] {
  if (parts.length < 2) return parts;
  const count = (p: string) =>
    sql.one<{ n: number }>(`SELECT count(*) AS n FROM (SELECT 1 FROM mail_fts WHERE mail_fts MATCH ? LIMIT ${RARITY_PROBE})`, p).n;
  const n = new Map(parts.map((p) => [p, count(p)]));
  return [...parts].sort((a, b) => n.get(a)! - n.get(b)!);
}

function prefixTerms(sql: CountingSql, token: string): string {
  const t = token.toLowerCase();
  if (!/^[a-z0-9]{4,}$/.test(t)) return `"${token}"*`;
  const terms = [t];
  // The words after t that still start with it: each the first term after the previous one, one seek each.
  // fts5vocab seeks on >= and <= only (a `>` would read every occurrence of the previous word to skip it), so
  // the lower bound is the smallest longer string: the previous word and "0", the lowest letter or digit.
  const end = `${t}\u{10FFFF}`;
  let after = t;
  for (;;) {
    const next = sql.all<{ term: string }>(`SELECT term FROM mail_fts_terms WHERE term >= ? AND term <= ? LIMIT 1`, `${after}0`, end)[0]
      ?.term;
    if (next === undefined) break;
    if (terms.length >= MAX_EXPANSION) return `"${token}"*`;
    terms.push(next);
    after = next;
  }
  return terms.length === 1 ? `"${t}"` : `(${terms.map((x) => `"${x}"`).join(" OR ")})`;
}
