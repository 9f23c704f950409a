// The built-in store's tables in the mailbox Durable Object's SQLite.
//
// items    one row per message *in a folder* (IMAP UID): flags, modseq, arrival time. A move makes a new row
//          (new id) pointing to the same `messages` row, so moving never copies bodies or R2 objects.
// messages the parsed message, written once on append: summary columns, bodies, raw MIME (inline or R2 key).
// parts    attachment bytes (inline or R2 key), so fetching one attachment never re-parses the message.
// tombstones  expunged/moved-out item ids per folder (IMAP VANISHED), so changesSince reports deletes.
//
// Every list/count/changes query is an index range scan: items_list (folder, received DESC, uid DESC)
// for newest-first keyset paging and FilterType windows, items_changes / tombstones_changes
// (folder, modseq) for changesSince.
// mail_fts     full-text index of messages (search-index.ts), rowid = messages.id; items_message joins a hit
//              to its item.

import { CountingSql } from "../counting-sql";
import { conversationIdOf, conversationIndexOf } from "../conversation";
import { refillFromSql, SEARCH_INDEX_DDL, SEARCH_TERMS_DDL } from "./search-index";
import { createIfMissing, hasTable } from "../ddl";

export const SCHEMA_VERSION = 6;

/**
 * V4's digests of bulk-imported messages, per folder; uid is the item it became (joined to items: a deleted
 * item's digest no longer counts). Made by the first bulk import, in its transaction.
 */
export const IMPORT_DIGESTS_DDL = `CREATE TABLE IF NOT EXISTS import_digests (
  folder INTEGER NOT NULL, digest TEXT NOT NULL, uid INTEGER NOT NULL,
  PRIMARY KEY (folder, digest)) WITHOUT ROWID`;

export const V1 = [
  // WITHOUT ROWID (issue 15 target 3): the text key is the table's own b-tree, not a second one beside it (one schema
  // object less at each start of the object); tables made before keep their rowid and index.
  `CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS folders (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     parent_seq INTEGER NOT NULL DEFAULT 0,
     name TEXT NOT NULL,
     type INTEGER NOT NULL,
     item_class TEXT NOT NULL,
     validity TEXT NOT NULL,
     highest_modseq INTEGER NOT NULL DEFAULT 0,
     tombstone_floor INTEGER NOT NULL DEFAULT 0,
     item_count INTEGER NOT NULL DEFAULT 0)`,
  // No index on (parent_seq, name) since issue 15 target 3: a mailbox has tens of folders, read by a folder
  // create, rename or delete (the name check is NOCASE, which that index's BINARY name could not serve anyway);
  // a scan of the table costs less than the index costs every start of the object (its schema parsed again).
  // Stores made before keep theirs.
  `CREATE TABLE IF NOT EXISTS messages (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     size INTEGER NOT NULL,
     date INTEGER,
     subject TEXT NOT NULL,
     from_addr TEXT NOT NULL,
     to_addr TEXT NOT NULL,
     cc_addr TEXT NOT NULL,
     reply_to TEXT NOT NULL,
     message_id TEXT,
     in_reply_to TEXT,
     refs TEXT,
     importance TEXT NOT NULL,
     has_html INTEGER NOT NULL,
     attachments TEXT NOT NULL,
     content_class TEXT,
     calendar_method TEXT,
     thread_topic TEXT,
     preview TEXT NOT NULL,
     raw BLOB, raw_key TEXT,
     plain TEXT, plain_key TEXT, plain_size INTEGER NOT NULL,
     html TEXT, html_key TEXT, html_size INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS parts (
     message INTEGER NOT NULL,
     part_id TEXT NOT NULL,
     data BLOB, r2_key TEXT,
     PRIMARY KEY (message, part_id)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS items (
     uid INTEGER PRIMARY KEY AUTOINCREMENT,
     folder INTEGER NOT NULL,
     message INTEGER NOT NULL,
     modseq INTEGER NOT NULL,
     received INTEGER NOT NULL,
     seen INTEGER NOT NULL DEFAULT 0,
     flagged INTEGER NOT NULL DEFAULT 0,
     answered INTEGER NOT NULL DEFAULT 0,
     forwarded INTEGER NOT NULL DEFAULT 0)`,
  `CREATE INDEX IF NOT EXISTS items_list ON items (folder, received DESC, uid DESC)`,
  `CREATE INDEX IF NOT EXISTS items_changes ON items (folder, modseq)`,
  `CREATE TABLE IF NOT EXISTS tombstones (
     folder INTEGER NOT NULL,
     uid INTEGER NOT NULL,
     modseq INTEGER NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (folder, uid)) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS tombstones_changes ON tombstones (folder, modseq)`,
  `CREATE INDEX IF NOT EXISTS tombstones_age ON tombstones (at)`,
];

/**
 * A new store's schema at SCHEMA_VERSION in one statement (issue 15 target 3): what V1 … V6 below make, with
 * `messages` made with the columns V2 and V6 add (in the order their ALTERs append them) and no index made
 * twice. The upgrade path on an empty store ran ~20 statements more (three ALTER TABLE, each re-reading the
 * whole schema, an UPDATE of no rows, a pragma read), each kept prepared for the life of the object.
 * test/workers/lazy-tables.test.ts checks it against a store upgraded from V1.
 */
function freshSchema(): string {
  const messages = V1.find((s) => /^CREATE TABLE IF NOT EXISTS messages\b/.test(s));
  const last = "html TEXT, html_key TEXT, html_size INTEGER NOT NULL)";
  if (!messages?.trimEnd().endsWith(last)) throw new Error("schema.ts: messages DDL changed; update freshSchema");
  const freshMessages = `${messages.trimEnd().slice(0, -1)},\n     search_key INTEGER, conversation TEXT, conversation_index TEXT)`;
  return [
    ...V1.map((s) => (s === messages ? freshMessages : s)),
    ...SEARCH_INDEX_DDL.filter((s) => !/^(ALTER|UPDATE)\b/.test(s)),
    `CREATE INDEX IF NOT EXISTS messages_message_id ON messages (message_id)`,
    `CREATE INDEX IF NOT EXISTS messages_conversation ON messages (conversation)`,
    `INSERT INTO store_schema (version) VALUES (${SCHEMA_VERSION})`,
  ].join(";\n");
}

/** Creates or upgrades the tables; cheap when already current (one indexed read). */
export function ensureSchema(storage: DurableObjectStorage): void {
  const sql = storage.sql;
  createIfMissing(sql, `CREATE TABLE IF NOT EXISTS store_schema (version INTEGER NOT NULL)`);
  const row = sql.exec<{ version: number }>(`SELECT version FROM store_schema`).toArray()[0];
  const current = row?.version ?? 0;
  if (current >= SCHEMA_VERSION) return;
  // A new store (no version, no messages table: nothing to upgrade): made at the current version at once.
  if (!row && !hasTable(sql, "messages")) {
    storage.transactionSync(() => void sql.exec(freshSchema()));
    return;
  }
  storage.transactionSync(() => {
    if (current < 1) for (const stmt of V1) sql.exec(stmt);
    // V2: the full-text index (search-index.ts), filled from the mail already stored. Bodies kept in R2 are
    // indexed by rebuildSearchIndex (asynchronous); subjects and addresses of those are indexed at once.
    if (current < 2) {
      for (const stmt of SEARCH_INDEX_DDL) sql.exec(stmt);
      if (current >= 1) refillFromSql(new CountingSql(sql));
    }
    // V3: imports look a message up by Message-ID (importMessage imports a message once per folder; the join to
    // the folder's items uses V2's items_message).
    if (current < 3) createIfMissing(sql, `CREATE INDEX IF NOT EXISTS messages_message_id ON messages (message_id)`);
    // V4: bulk imports keep a SHA-256 of each message's bytes per folder (importMessages), so an archive posted
    // again imports nothing twice, with or without Message-IDs: the table `import_digests` (IMPORT_DIGESTS_DDL),
    // made since by the first bulk import (issue 15 target 3: most mailboxes never have one; a missing table
    // reads as no digest). Stores that had it keep it.
    // V5: the index's term list (fts5vocab over mail_fts: no data of its own), for word-prefix expansion.
    if (current < 5) sql.exec(SEARCH_TERMS_DDL);
    // V6: each message's conversation ([MS-ASCON], conversation.ts), computed once: its ConversationId (hex) and
    // ConversationIndex (hex), and an index to find a conversation's messages (Search ConversationId,
    // ItemOperations Move). Messages already stored get theirs from their stored headers; their index is the
    // header from their date (the Thread-Index header was not kept before V6).
    if (current < 6) {
      const columns = new Set(
        sql
          .exec<{ name: string }>(`SELECT name FROM pragma_table_info('messages')`)
          .toArray()
          .map((c) => c.name),
      );
      if (!columns.has("conversation")) sql.exec(`ALTER TABLE messages ADD COLUMN conversation TEXT`);
      if (!columns.has("conversation_index")) sql.exec(`ALTER TABLE messages ADD COLUMN conversation_index TEXT`);
      createIfMissing(sql, `CREATE INDEX IF NOT EXISTS messages_conversation ON messages (conversation)`);
      if (current >= 1) backfillConversations(sql);
    }
    // Future migrations: `if (current < 7) { ... }`, each idempotent.
    if (row) sql.exec(`UPDATE store_schema SET version = ?`, SCHEMA_VERSION);
    else sql.exec(`INSERT INTO store_schema (version) VALUES (?)`, SCHEMA_VERSION);
  });
}

/** V6: the conversation columns of messages stored before them, from their stored headers. */
function backfillConversations(sql: SqlStorage): void {
  const rows = sql
    .exec<{
      id: number;
      message_id: string | null;
      in_reply_to: string | null;
      refs: string | null;
      subject: string;
      from_addr: string;
      at: number;
    }>(
      `SELECT m.id, m.message_id, m.in_reply_to, m.refs, m.subject, m.from_addr,
              coalesce(m.date, (SELECT min(i.received) FROM items i WHERE i.message = m.id), 0) AS at
         FROM messages m WHERE m.conversation IS NULL`,
    )
    .toArray();
  for (const r of rows) {
    const h = {
      messageId: r.message_id ?? undefined,
      inReplyTo: r.in_reply_to ?? undefined,
      references: r.refs ?? undefined,
      subject: r.subject,
      from: r.from_addr,
      date: r.at,
    };
    sql.exec(
      `UPDATE messages SET conversation = ?, conversation_index = ? WHERE id = ?`,
      conversationIdOf(h),
      conversationIndexOf(undefined, r.at),
      r.id,
    );
  }
}
