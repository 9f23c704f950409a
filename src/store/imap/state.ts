// What the IMAP store keeps in the mailbox Durable Object's SQLite (tables prefixed imap_, beside the
// built-in store's):
//
// imap_folders  our stable folder id for each server mailbox (path on the wire, modified UTF-7), its
//               MAILBOXID (RFC 8474) when the server has OBJECTID, its UIDVALIDITY, the server HIGHESTMODSEQ
//               we last read, and our own per-folder change counter `modseq`.
// imap_changes  the latest change we saw per UID: our modseq, whether it is an expunge (tombstone), and when
//               we saw it (tombstones are pruned after a while, raising the folder's floor).
// imap_summaries  what parsing a message gave (subject, addresses, preview, attachments…) per UID: a UID's
//               content never changes, so each message is fetched and parsed once.
// imap_bodies   the plain and HTML text of each message up to 256 KiB, from the same parse as its summary: a
//               page for a second device (or a later page) reads no message from the server and parses none
//               (issue 15). Dropped with the summary (expunge, UIDVALIDITY change, folder gone).
// imap_order    every UID of a listed folder with its INTERNALDATE, kept current by each look at the folder's
//               changes: newest-first pages and FilterType windows are index range scans here, so a page costs
//               the same in a folder of 500 or 500 000 messages (IMAP SORT would return every UID each time).
// imap_uids     only for servers without CONDSTORE/QRESYNC: every UID of a folder with its flags as last
//               seen, so changes are found by comparing a full UID FETCH (FLAGS) with it.
// imap_draft_ids  the id map of replaced messages (a phone's edits of its draft, draft-replace.ts): IMAP cannot
//               rewrite a message, so an edit is a new UID; the item id the phones hold keeps naming the draft
//               through `alias` (the UID of its first version) → `uid` (its current version).
// imap_draft_replacing  a replacement under way: the version being replaced and the token header the new one
//               carries, written before the APPEND, so a replacement interrupted after it is finished on the
//               next look at the folder (never two drafts for one id).
// imap_conversations  the thread root behind each ConversationId a summary gave ([MS-ASCON], conversations.ts),
//               so a phone's ConversationId can be searched for on the server.
// imap_draft_superseded  replaced versions being expunged: their VANISHED is not a delete (the draft lives on
//               under its alias), so no tombstone is logged for them.
//
// Why our own counter: IMAP gives expunges no modseq (VANISHED only lists UIDs), and the store interface
// promises one distinct modseq per change, ascending, so a caller can page `changesSince` by the last
// modseq seen. Each server change we read gets the next value of our counter.

import { FolderType, type FolderTypeValue } from "../types";
import { decodeMailboxName } from "./mutf7";

export const IMAP_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS imap_folders (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     path TEXT NOT NULL UNIQUE,
     delimiter TEXT NOT NULL,
     type INTEGER NOT NULL DEFAULT 12,
     mailbox_id TEXT,
     uidvalidity INTEGER NOT NULL,
     server_modseq INTEGER NOT NULL DEFAULT 0,
     modseq INTEGER NOT NULL DEFAULT 1,
     floor INTEGER NOT NULL DEFAULT 0,
     ordered INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS imap_changes (
     folder INTEGER NOT NULL,
     uid INTEGER NOT NULL,
     modseq INTEGER NOT NULL,
     deleted INTEGER NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (folder, uid))`,
  `CREATE INDEX IF NOT EXISTS imap_changes_tombstones ON imap_changes (at) WHERE deleted = 1`,
  `CREATE INDEX IF NOT EXISTS imap_changes_modseq ON imap_changes (folder, modseq)`,
  `CREATE TABLE IF NOT EXISTS imap_summaries (
     folder INTEGER NOT NULL,
     uid INTEGER NOT NULL,
     content TEXT NOT NULL,
     PRIMARY KEY (folder, uid))`,
  `CREATE TABLE IF NOT EXISTS imap_bodies (
     folder INTEGER NOT NULL,
     uid INTEGER NOT NULL,
     plain TEXT NOT NULL,
     html TEXT,
     PRIMARY KEY (folder, uid)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS imap_order (
     folder INTEGER NOT NULL,
     uid INTEGER NOT NULL,
     received INTEGER NOT NULL,
     PRIMARY KEY (folder, uid))`,
  `CREATE INDEX IF NOT EXISTS imap_order_list ON imap_order (folder, received DESC, uid DESC)`,
  `CREATE TABLE IF NOT EXISTS imap_meta (
     folder INTEGER NOT NULL,
     uid INTEGER NOT NULL,
     flags TEXT NOT NULL,
     received INTEGER NOT NULL,
     size INTEGER NOT NULL,
     PRIMARY KEY (folder, uid)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS imap_uids (
     folder INTEGER NOT NULL,
     uid INTEGER NOT NULL,
     flags TEXT NOT NULL,
     PRIMARY KEY (folder, uid))`,
  `CREATE TABLE IF NOT EXISTS imap_draft_ids (
     folder INTEGER NOT NULL,
     alias INTEGER NOT NULL,
     uid INTEGER NOT NULL,
     PRIMARY KEY (folder, alias))`,
  `CREATE UNIQUE INDEX IF NOT EXISTS imap_draft_ids_uid ON imap_draft_ids (folder, uid)`,
  `CREATE TABLE IF NOT EXISTS imap_draft_replacing (
     folder INTEGER NOT NULL,
     alias INTEGER NOT NULL,
     old_uid INTEGER NOT NULL,
     token TEXT NOT NULL,
     PRIMARY KEY (folder, alias))`,
  `CREATE TABLE IF NOT EXISTS imap_conversations (
     conversation TEXT PRIMARY KEY,
     root TEXT NOT NULL) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS imap_draft_superseded (
     folder INTEGER NOT NULL,
     uid INTEGER NOT NULL,
     PRIMARY KEY (folder, uid))`,
];

export interface FolderRow {
  id: number;
  path: string;
  delimiter: string;
  /** FolderType from SPECIAL-USE, as of the last LIST. */
  type: number;
  mailbox_id: string | null;
  uidvalidity: number;
  server_modseq: number;
  modseq: number;
  floor: number;
  /** 1 when imap_order holds every UID of the folder (filled on first listing, then kept by each refresh). */
  ordered: number;
}

/** One mailbox as LIST + STATUS describe it. */
export interface ServerMailbox {
  path: string;
  delimiter: string;
  flags: string[];
  uidvalidity: number;
  mailboxId?: string;
}

/**
 * Matches the server's mailboxes to our rows so that ids survive renames done on the server:
 * by MAILBOXID when the server has one, else by path, else a vanished path with the same UIDVALIDITY is
 * taken as renamed (servers keep UIDVALIDITY across RENAME, RFC 3501 §6.3.5, and give every mailbox its own).
 * Returns the row id for each server path and the ids of rows whose mailbox is gone.
 */
export function reconcile(
  rows: FolderRow[],
  server: ServerMailbox[],
): { matched: Map<string, number>; gone: number[]; renamed: Map<number, string> } {
  const matched = new Map<string, number>();
  const renamed = new Map<number, string>();
  const free = new Map(rows.map((r) => [r.id, r]));
  const take = (m: ServerMailbox, r: FolderRow) => {
    matched.set(m.path, r.id);
    free.delete(r.id);
    if (r.path !== m.path) renamed.set(r.id, m.path);
  };
  const pending: ServerMailbox[] = [];
  for (const m of server) {
    const byId = m.mailboxId ? rows.find((r) => r.mailbox_id === m.mailboxId && free.has(r.id)) : undefined;
    if (byId) take(m, byId);
    else pending.push(m);
  }
  const unmatched: ServerMailbox[] = [];
  for (const m of pending) {
    const r = rows.find((r) => r.path === m.path && free.has(r.id) && (!m.mailboxId || !r.mailbox_id));
    if (r) take(m, r);
    else unmatched.push(m);
  }
  const serverPaths = new Set(server.map((m) => m.path));
  for (const m of unmatched) {
    const r = [...free.values()].find((r) => !serverPaths.has(r.path) && r.uidvalidity === m.uidvalidity && !m.mailboxId);
    if (r) take(m, r);
  }
  return { matched, gone: [...free.keys()], renamed };
}

const SPECIAL: [string, FolderTypeValue][] = [
  ["\\DRAFTS", FolderType.Drafts],
  ["\\TRASH", FolderType.DeletedItems],
  ["\\SENT", FolderType.SentItems],
];

export function parentOf(row: FolderRow, byPath: Map<string, FolderRow>): string {
  let path = row.path;
  for (;;) {
    const i = path.lastIndexOf(row.delimiter);
    if (i <= 0) return "0";
    path = path.slice(0, i);
    const parent = byPath.get(path);
    if (parent) return String(parent.id);
  }
}

export function leafName(row: FolderRow): string {
  const i = row.path.lastIndexOf(row.delimiter);
  const leaf = i >= 0 ? row.path.slice(i + 1) : row.path;
  return row.path.toUpperCase() === "INBOX" ? "Inbox" : decodeMailboxName(leaf);
}

/**
 * Types from SPECIAL-USE (RFC 6154); the first mailbox carrying a use gets it, INBOX is the Inbox. A server
 * without SPECIAL-USE (or one that marks no \Drafts) still has drafts where clients put them: a top-level
 * mailbox, or one under INBOX, named "Drafts" (any letter case) is the Drafts folder.
 */
export function folderTypes(mailboxes: ServerMailbox[]): Map<string, FolderTypeValue> {
  const taken = new Set<FolderTypeValue>();
  const out = new Map<string, FolderTypeValue>();
  for (const m of mailboxes) {
    let type: FolderTypeValue = FolderType.UserMail;
    if (m.path.toUpperCase() === "INBOX") type = FolderType.Inbox;
    else for (const [flag, t] of SPECIAL) if (m.flags.includes(flag) && !taken.has(t)) type = t;
    taken.add(type);
    out.set(m.path, type);
  }
  if (!taken.has(FolderType.Drafts)) {
    const named = mailboxes.find((m) => {
      const upper = m.path.toUpperCase();
      return upper === "DRAFTS" || upper === `INBOX${m.delimiter.toUpperCase()}DRAFTS`;
    });
    if (named && out.get(named.path) === FolderType.UserMail) out.set(named.path, FolderType.Drafts);
  }
  return out;
}
