// The built-in store's full-text index: an FTS5 table in the mailbox object's SQLite, one row per `messages`
// row (rowid = messages.id), so a move (same message row, new item) never touches it. Contentless
// (content='', contentless_delete=1): the text already lives in `messages`; the index keeps only its tokens.
//
// Kept in step by the store inside the same transactions that write `messages`: indexMessage on insert,
// forget/forgetFolder before rows are deleted. `rebuild` drops and refills it from `messages` (and the plain
// bodies kept in R2), for a store upgraded from before the index or an index suspected wrong.
import type { CountingSql } from "./counting-sql";

/** How much of a plain-text body is indexed: enough for any real message's words, bounded for huge ones. */
export const INDEXED_BODY_CHARS = 64 * 1024;
/** Bounds on a query: words and the length of each (longer words cannot match a token anyway). */
const MAX_TOKENS = 16;
const MAX_TOKEN_CHARS = 64;

// unicode61 with diacritics folded ("resume" finds "résumé"); prefix indexes make 2- and 3-letter prefixes
// (what a phone sends while the user types) an index lookup instead of a scan of the term list.
export const SEARCH_INDEX_DDL = [
  `CREATE VIRTUAL TABLE IF NOT EXISTS mail_fts USING fts5(subject, addresses, body,
     content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='2 3')`,
  // The join from an index hit to its item (and folder); also what emptying a folder uses to forget messages.
  `CREATE INDEX IF NOT EXISTS items_message ON items (message)`,
];

export interface IndexedText {
  subject: string;
  from: string;
  to: string;
  cc: string;
  replyTo: string;
  plain: string;
}

/** Adds one message's words. */
export function indexMessage(sql: CountingSql, messageId: number, t: IndexedText): void {
  sql.run(
    `INSERT INTO mail_fts (rowid, subject, addresses, body) VALUES (?, ?, ?, ?)`,
    messageId,
    t.subject,
    [t.from, t.to, t.cc, t.replyTo].join(" "),
    t.plain.length > INDEXED_BODY_CHARS ? t.plain.slice(0, INDEXED_BODY_CHARS) : t.plain,
  );
}

/** Forgets one message (before its row is deleted). */
export function forgetMessage(sql: CountingSql, messageId: number): void {
  sql.run(`DELETE FROM mail_fts WHERE rowid = ?`, messageId);
}

/** Forgets every message of one folder (before its items and messages are deleted). */
export function forgetFolder(sql: CountingSql, folderSeq: number): void {
  sql.run(`DELETE FROM mail_fts WHERE rowid IN (SELECT message FROM items WHERE folder = ?)`, folderSeq);
}

/**
 * Refills the index from `messages` in one statement for the text kept in SQLite. Returns the ids of
 * messages whose plain body lives in R2 (the caller reads those and calls `setBody`).
 */
export function refillFromSql(sql: CountingSql): { id: number; key: string }[] {
  sql.run(`DELETE FROM mail_fts`);
  sql.run(
    `INSERT INTO mail_fts (rowid, subject, addresses, body)
       SELECT id, subject, from_addr || ' ' || to_addr || ' ' || cc_addr || ' ' || reply_to, substr(coalesce(plain, ''), 1, ?)
       FROM messages`,
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
  indexMessage(sql, messageId, {
    subject: row.subject,
    from: row.from_addr,
    to: row.to_addr,
    cc: row.cc_addr,
    replyTo: row.reply_to,
    plain,
  });
}

/**
 * The FTS5 MATCH expression for free-text words: every token must occur, each as a prefix. Tokens are the
 * runs of letters and digits (what unicode61 indexes), so nothing of FTS5's query syntax gets through.
 * null when the words hold no token at all (punctuation only): nothing can match.
 */
export function matchExpression(words: string[]): string | null {
  const tokens: string[] = [];
  for (const w of words)
    for (const t of w.normalize("NFKC").match(/[\p{L}\p{N}]+/gu) ?? []) {
      if (tokens.length >= MAX_TOKENS) break;
      tokens.push(t.slice(0, MAX_TOKEN_CHARS));
    }
  if (tokens.length === 0) return null;
  return tokens.map((t) => `"${t}"*`).join(" AND ");
}
