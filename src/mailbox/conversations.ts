// Conversation actions ([MS-ASCON] 3.2.5.3): ItemOperations Move of a whole conversation, and the "always move"
// rules it leaves (MoveAlways), applied to the conversation's new mail as it is delivered.
//
// A Move gathers the conversation's messages with the store's search by ConversationId (built-in: an index on the
// messages' conversation column; IMAP: UID SEARCH on the thread's root) and moves each with the store's moveItem.
// Sources: every mail folder except Sent Items (MS-ASCON_R213, R215), and also except Drafts and Outbox (a
// draft moved out of Drafts stops being a draft for the phones; the outbox is the server's), Deleted Items (a
// message the user deleted is not brought back by filing its thread) and the destination itself.
//
// Rules: conversation → destination folder, kept in this object's SQLite. Each delivery into the Inbox of a
// conversation with a rule goes on to the rule's folder (MS-ASCON_R213, R215: "including all future e-mail
// messages"). A rule not used for RULE_TTL_MS is dropped (a conversation long over), as is one whose folder is
// gone. A bridged mailbox's new mail is delivered by its own server, not through here: its rules are applied to
// the Inbox's new messages when a device next syncs the Inbox (applyRulesToNewMail, the only time the object
// holds the login), from a cursor on the Inbox's changes set when the rule was made.
import { FolderType, isSearchable, isStoreError, type MailStore, type StoreFolder } from "../store/types";
import { logError } from "../observability/log";
import { conversationIdOf } from "../store/conversation";
import { createIfMissing, hasTable } from "../store/ddl";

/** [MS-ASCON] 2.2.2.10 Status of a Move (MS-ASCON_R143…R338). */
export const ConversationMoveStatus = {
  Success: 1,
  ServerError: 3,
  /** The conversation or the destination folder does not exist (MS-ASCON_R146, R317). */
  NotFound: 6,
  /** The destination is the Recipient Information Cache (MS-ASCON_R262). */
  InvalidCombination: 105,
  /** The destination is no mail folder, "IPF.Note" (MS-ASCON_R338, R273). */
  NotSupported: 156,
} as const;

/** A rule unused this long is dropped: 30 days. */
export const RULE_TTL_MS = 30 * 86_400_000;

/** At most this many messages of one conversation are moved by one request. */
const MOVE_LIMIT = 1000;

const NOT_SOURCES = new Set<number>([FolderType.SentItems, FolderType.Drafts, FolderType.Outbox, FolderType.DeletedItems]);

/**
 * Its tables are made by the first rule or cursor written: every delivery asks `any()`, and a mailbox whose phones
 * never set a rule (most) has none to read, so neither a delivery nor a start makes or parses them (ddl.ts hasTable).
 */
export class ConversationRules {
  constructor(private readonly sql: SqlStorage) {}

  /** Before a write: the tables exist. */
  private made(): void {
    createIfMissing(
      this.sql,
      `CREATE TABLE IF NOT EXISTS conversation_rules (
      conversation TEXT PRIMARY KEY,
      folder TEXT NOT NULL,
      used INTEGER NOT NULL) WITHOUT ROWID`,
    );
    createIfMissing(
      this.sql,
      `CREATE TABLE IF NOT EXISTS conversation_rule_cursor (
      folder TEXT PRIMARY KEY,
      validity TEXT NOT NULL,
      modseq INTEGER NOT NULL) WITHOUT ROWID`,
    );
  }

  private get exists(): boolean {
    return hasTable(this.sql, "conversation_rules");
  }

  set(conversationId: string, folderId: string, now: number): void {
    this.made();
    this.sql.exec(`INSERT OR REPLACE INTO conversation_rules (conversation, folder, used) VALUES (?, ?, ?)`, conversationId, folderId, now);
  }

  /** The folder new mail of the conversation goes to, or null; a rule past its time is dropped here. */
  folderFor(conversationId: string, now: number): string | null {
    if (!this.exists) return null;
    const row = this.sql
      .exec<{ folder: string; used: number }>(`SELECT folder, used FROM conversation_rules WHERE conversation = ?`, conversationId)
      .toArray()[0];
    if (!row) return null;
    if (now - Number(row.used) > RULE_TTL_MS) {
      this.drop(conversationId);
      return null;
    }
    return row.folder;
  }

  touch(conversationId: string, now: number): void {
    if (!this.exists) return;
    this.sql.exec(`UPDATE conversation_rules SET used = ? WHERE conversation = ?`, now, conversationId);
  }

  drop(conversationId: string): void {
    if (!this.exists) return;
    this.sql.exec(`DELETE FROM conversation_rules WHERE conversation = ?`, conversationId);
  }

  /** Bridged Inbox: where the rules last looked at its changes (UIDVALIDITY-like validity and modseq), or null. */
  cursor(folderId: string): { validity: string; modseq: number } | null {
    if (!hasTable(this.sql, "conversation_rule_cursor")) return null;
    const row = this.sql
      .exec<{ validity: string; modseq: number }>(`SELECT validity, modseq FROM conversation_rule_cursor WHERE folder = ?`, folderId)
      .toArray()[0];
    return row ? { validity: row.validity, modseq: Number(row.modseq) } : null;
  }

  setCursor(folderId: string, validity: string, modseq: number): void {
    this.made();
    this.sql.exec(
      `INSERT OR REPLACE INTO conversation_rule_cursor (folder, validity, modseq) VALUES (?, ?, ?)`,
      folderId,
      validity,
      modseq,
    );
  }

  /** Whether any rule exists: a delivery reads the new message's conversation only then. */
  any(): boolean {
    if (!this.exists) return false;
    return this.sql.exec(`SELECT 1 FROM conversation_rules LIMIT 1`).toArray().length > 0;
  }

  list(): { conversation: string; folder: string; used: number }[] {
    if (!this.exists) return [];
    return this.sql
      .exec<{ conversation: string; folder: string; used: number }>(`SELECT conversation, folder, used FROM conversation_rules`)
      .toArray()
      .map((r) => ({ conversation: r.conversation, folder: r.folder, used: Number(r.used) }));
  }
}

/** Why a destination cannot take a conversation, as a Move Status; null when it can. */
function destinationStatus(dst: StoreFolder | undefined): number | null {
  if (!dst) return ConversationMoveStatus.NotFound;
  if (dst.type === FolderType.RecipientInfoCache) return ConversationMoveStatus.InvalidCombination;
  if (dst.itemClass !== "Email") return ConversationMoveStatus.NotSupported;
  return null;
}

/**
 * Moves every message of the conversation (sources above) into `dstFldId`. Returns the Move Status and the
 * folders that changed (to wake the devices watching them). Status 6 when no mail folder holds a message of
 * the conversation; Status 3 when some could not be moved (the others stay moved).
 */
export async function moveConversation(
  store: MailStore,
  conversationId: string,
  dstFldId: string,
): Promise<{ status: number; touched: string[] }> {
  const folders = await store.listFolders();
  const dst = folders.find((f) => f.id === dstFldId);
  const refused = destinationStatus(dst);
  if (refused !== null || !dst) return { status: refused ?? ConversationMoveStatus.NotFound, touched: [] };
  if (!isSearchable(store)) return { status: ConversationMoveStatus.ServerError, touched: [] };
  const mail = folders.filter((f) => f.itemClass === "Email");
  const sources = mail.filter((f) => f.id !== dst.id && !NOT_SOURCES.has(f.type)).map((f) => f.id);
  const found =
    sources.length > 0
      ? await store.searchMail({ folderIds: sources, words: [], conversationId, offset: 0, limit: MOVE_LIMIT })
      : { total: 0, hits: [] };
  if (found.hits.length === 0) {
    // Nothing to move: a conversation whose messages are all where they may stay is moved (1); none at all, 6.
    const rest = mail.filter((f) => !sources.includes(f.id)).map((f) => f.id);
    const elsewhere = rest.length > 0 ? await store.searchMail({ folderIds: rest, words: [], conversationId, offset: 0, limit: 1 }) : found;
    return { status: elsewhere.total > 0 ? ConversationMoveStatus.Success : ConversationMoveStatus.NotFound, touched: [] };
  }
  const touched = new Set<string>();
  let failed = 0;
  for (const m of found.hits) {
    try {
      await store.moveItem(m.folderId, m.itemId, dst.id);
      touched.add(m.folderId);
      touched.add(dst.id);
    } catch (e) {
      if (isStoreError(e, "StoreUnavailableError")) throw e;
      logError("conversation move: one message not moved", e, { folder_id: m.folderId, item_id: m.itemId }, "warn");
      failed++;
    }
  }
  return { status: failed > 0 ? ConversationMoveStatus.ServerError : ConversationMoveStatus.Success, touched: [...touched] };
}

/**
 * A delivery into the Inbox: when the message's conversation has a rule whose folder still takes mail, the
 * message goes there. Returns where it is now. Never fails the delivery: the message stays in the Inbox.
 */
export async function applyConversationRule(
  store: MailStore,
  rules: ConversationRules,
  delivered: { folderId: string; itemId: string },
  now: number,
): Promise<{ folderId: string; itemId: string }> {
  try {
    if (!rules.any()) return delivered;
    const s = await store.getSummary(delivered.folderId, delivered.itemId);
    const conversationId = s?.conversationId ?? (s ? conversationIdOf(s) : undefined);
    if (!conversationId) return delivered;
    const folderId = rules.folderFor(conversationId, now);
    if (folderId === null || folderId === delivered.folderId) return delivered;
    const dst = (await store.listFolders()).find((f) => f.id === folderId);
    if (destinationStatus(dst) !== null) {
      rules.drop(conversationId); // the folder is gone or no longer takes mail
      return delivered;
    }
    const itemId = await store.moveItem(delivered.folderId, delivered.itemId, folderId);
    rules.touch(conversationId, now);
    return { folderId, itemId };
  } catch (e) {
    if (isStoreError(e, "StoreUnavailableError")) throw e;
    logError("conversation rule not applied", e, { folder_id: delivered.folderId, item_id: delivered.itemId }, "warn");
    return delivered;
  }
}

/** New messages of a bridged Inbox looked at per Sync, at most (the rest at the next one). */
const NEW_MAIL_SCAN = 200;

/**
 * A bridged mailbox's rules, applied to the Inbox's messages that arrived on the server since the cursor (set when
 * a rule was made; see above). Returns the folders that changed. Cheap when there is no rule (one read) or
 * nothing new (the Inbox's status). Never fails the Sync: a message that cannot be moved stays in the Inbox.
 */
export async function applyRulesToNewMail(store: MailStore, rules: ConversationRules, inboxId: string, now: number): Promise<string[]> {
  if (!rules.any()) return [];
  const status = await store.folderStatus(inboxId);
  const cursor = rules.cursor(inboxId);
  if (!cursor || cursor.validity !== status.validity) {
    // No cursor, or every id of the Inbox changed: only mail from now on is looked at.
    rules.setCursor(inboxId, status.validity, status.highestModseq);
    return [];
  }
  if (status.highestModseq <= cursor.modseq) return [];
  const changes = await store.changesSince(inboxId, cursor.modseq, NEW_MAIL_SCAN);
  const touched = new Set<string>();
  for (const ch of changes) {
    if (ch.deleted) continue;
    const moved = await applyConversationRule(store, rules, { folderId: inboxId, itemId: ch.itemId }, now).catch((e: unknown) => {
      if (isStoreError(e, "StoreUnavailableError")) throw e;
      return null;
    });
    if (moved && moved.folderId !== inboxId) touched.add(inboxId).add(moved.folderId);
  }
  rules.setCursor(inboxId, status.validity, changes.length === NEW_MAIL_SCAN ? changes[changes.length - 1]!.modseq : status.highestModseq);
  return [...touched];
}
