// Writing items: append (and admin import), replace (a draft's new version, draft-replace.ts), flags, move
// (UID MOVE or COPY + expunge, COPYUID), delete and empty folder; each write reads the folder's changes back
// so our change log holds it at once.
import { parseMessage } from "../mime";
import { FolderType, type MailFlags, StoreFolderError, StoreNotFoundError, StoreUnavailableError } from "../types";
import type { ChangeTracker } from "./change-tracking";
import { type Arg, ImapCommandError, type ImapSession, Literal, q } from "./connection";
import { type DraftReplacements, withDraftToken } from "./draft-replace";
import type { FolderMirror } from "./folder-mirror";
import type { MirrorDb } from "./mirror-db";
import { attributes, type ImapResponse, str } from "./parser";
import type { ImapSessions } from "./sessions";
import { flagNames, flagsOf, internalDate, itemIdOf, kind, parseInternalDate, parseItemId, pick, searchUids, uidOf } from "./wire";

export class ItemWriter {
  constructor(
    private readonly db: MirrorDb,
    private readonly sessions: ImapSessions,
    private readonly changes: ChangeTracker,
    private readonly folders: FolderMirror,
    private readonly drafts: DraftReplacements,
  ) {}

  /**
   * Like appendMessage, with the Date header as arrival time (never in the future), and once per folder as the
   * built-in store does: a message whose Message-ID the server already has in the folder is not appended again
   * (UID SEARCH HEADER). This is what makes a retried APPEND whose first answer was lost (the connection cut
   * after the server stored it: the outbox's Sent Items copy) leave one copy, not two.
   */
  async importMessage(folderId: string, raw: Uint8Array, flags: Partial<MailFlags> = {}): Promise<string> {
    const parsed = await parseMessage(raw);
    const now = Date.now();
    if (parsed.messageId) {
      const there = await this.withMessageId(folderId, parsed.messageId);
      if (there !== null) return there;
    }
    return this.appendMessage(folderId, raw, flags, parsed.date !== undefined && parsed.date <= now ? parsed.date : now);
  }

  /** The item of the folder whose Message-ID header is `messageId` (the lowest UID), or null. */
  private withMessageId(folderId: string, messageId: string): Promise<string | null> {
    return this.sessions.use(async (s) => {
      const row = this.db.folderRow(folderId);
      const sel = await this.sessions.select(s, row, false);
      // RFC 3501 §6.4.4: HEADER matches a substring of the field; the angle brackets make it the whole id.
      const id = messageId.startsWith("<") ? messageId : `<${messageId}>`;
      const uids = searchUids((await s.command(["UID", "SEARCH", "HEADER", "Message-ID", q(id)])).untagged);
      if (!uids.length) return null;
      return itemIdOf(sel.uidvalidity || row.uidvalidity, Math.min(...uids));
    });
  }

  async appendMessage(folderId: string, raw: Uint8Array, flags: Partial<MailFlags> = {}, received?: number): Promise<string> {
    return this.sessions.use(async (s) => {
      const row = this.db.folderRow(folderId);
      // In the Drafts folder a message is a draft to every IMAP client too (RFC 9051 §2.3.2 \Draft).
      const names = [...flagNames(flags, true), ...(row.type === FolderType.Drafts ? ["\\Draft"] : [])];
      const args: Arg[] = ["APPEND", q(row.path), `(${names.join(" ")})`];
      if (received !== undefined) args.push(`"${internalDate(received)}"`);
      args.push(new Literal(raw));
      const r = await this.mailboxWrite(s, args);
      const code = appendUid(r);
      if (!code) throw new StoreUnavailableError("the IMAP server gave no APPENDUID (UIDPLUS)", 3600);
      await this.changes.refresh(s, this.db.folderRow(folderId));
      return itemIdOf(code.validity, code.uid);
    });
  }

  /**
   * A draft's new version in place of the old (MailStore.replaceMessage): APPEND with the old one's flags and
   * arrival time, then the old one expunged; the item id stays (its alias, draft-replace.ts), and the change
   * log shows one change of that id.
   */
  async replaceMessage(folderId: string, itemId: string, raw: Uint8Array): Promise<void> {
    await this.sessions.use(async (s) => {
      const row = this.db.folderRow(folderId);
      await this.drafts.settle(s, row); // an earlier replacement of this draft, interrupted, is finished first
      const uid = await this.sessions.selectItem(s, row, itemId, true);
      const old = uid === null ? null : await this.flagsAndArrival(s, uid);
      if (uid === null || !old) throw new StoreNotFoundError(`no item ${itemId}`);
      const alias = parseItemId(itemId)!.uid;
      const token = this.drafts.begin(row.id, alias, uid);
      const r = await this.mailboxWrite(s, [
        "APPEND",
        q(row.path),
        `(${old.flags.join(" ")})`,
        `"${internalDate(old.received)}"`,
        new Literal(withDraftToken(raw, token)),
      ]);
      // Without UIDPLUS (no APPENDUID) the new version is found by its token (a UID SEARCH more, nothing lost).
      const newUid = (s.has("UIDPLUS") ? appendUid(r)?.uid : undefined) ?? (await this.drafts.findByToken(s, row, token)).pop();
      if (newUid === undefined) throw new StoreUnavailableError("the IMAP server lost an APPEND");
      this.drafts.complete(row.id, alias, newUid, [uid]);
      await this.drafts.expungeSuperseded(s, row);
      await this.changes.refresh(s, this.db.folderRow(folderId));
    });
  }

  /** The flags APPEND can set again (not \Recent, \Deleted) and the INTERNALDATE of a selected folder's UID. */
  private async flagsAndArrival(s: ImapSession, uid: number): Promise<{ flags: string[]; received: number } | null> {
    const r = await s.command(["UID", "FETCH", String(uid), "(UID FLAGS INTERNALDATE)"]);
    for (const u of r.untagged) {
      if (kind(u) !== "FETCH") continue;
      const a = attributes(u.tokens[2] ?? null);
      if (uidOf(a) !== uid) continue;
      const flags = (Array.isArray(a.get("FLAGS")) ? (a.get("FLAGS") as unknown[]) : [])
        .map((f) => str(f as string))
        .filter((f) => !/^\\(recent|deleted)$/i.test(f));
      return { flags, received: parseInternalDate(str(a.get("INTERNALDATE"))) };
    }
    return null;
  }

  async setFlags(folderId: string, itemId: string, flags: Partial<MailFlags>): Promise<void> {
    await this.sessions.use(async (s) => {
      const row = this.db.folderRow(folderId);
      const uid = await this.sessions.selectItem(s, row, itemId, true);
      const current = uid === null ? null : await this.flagsNow(s, uid);
      if (!current) throw new StoreNotFoundError(`no item ${itemId}`);
      const add = flagNames(
        pick(flags, (k, v) => v && !current[k]),
        false,
      );
      const remove = flagNames(
        pick(flags, (k, v) => !v && current[k]),
        false,
      );
      if (add.length) await s.command(["UID", "STORE", String(uid), "+FLAGS.SILENT", `(${add.join(" ")})`]);
      if (remove.length) await s.command(["UID", "STORE", String(uid), "-FLAGS.SILENT", `(${remove.join(" ")})`]);
      if (add.length || remove.length) await this.changes.refresh(s, row);
    });
  }

  private async flagsNow(s: ImapSession, uid: number): Promise<MailFlags | null> {
    const r = await s.command(["UID", "FETCH", String(uid), "(UID FLAGS)"]);
    for (const u of r.untagged) {
      if (kind(u) !== "FETCH") continue;
      const a = attributes(u.tokens[2] ?? null);
      if (uidOf(a) === uid) return flagsOf(a.get("FLAGS"));
    }
    return null;
  }

  async moveItem(folderId: string, itemId: string, destFolderId: string): Promise<string> {
    if (folderId === destFolderId) throw new StoreFolderError("invalid", "source and destination are the same folder");
    return this.sessions.use(async (s) => {
      const row = this.db.folderRow(folderId);
      const dest = this.db.folderRow(destFolderId);
      const uid = await this.sessions.selectItem(s, row, itemId, true);
      if (uid === null || !(await this.flagsNow(s, uid))) throw new StoreNotFoundError(`no item ${itemId}`);
      const move = s.has("MOVE");
      const r = await this.mailboxWrite(s, ["UID", move ? "MOVE" : "COPY", String(uid), q(dest.path)]);
      if (!move) await this.expunge(s, uid);
      const code = [...r.untagged, r.done].map((u) => u.code).find((c) => c && str(c[0]).toUpperCase() === "COPYUID");
      if (!code) throw new StoreUnavailableError("the IMAP server gave no COPYUID (UIDPLUS)", 3600);
      this.db.sql(
        `INSERT OR REPLACE INTO imap_summaries (folder, uid, content) SELECT ?, ?, content FROM imap_summaries WHERE folder = ? AND uid = ?`,
        dest.id,
        Number(str(code[3])),
        row.id,
        uid,
      );
      this.db.sql(
        `INSERT OR REPLACE INTO imap_bodies (folder, uid, plain, html) SELECT ?, ?, plain, html FROM imap_bodies WHERE folder = ? AND uid = ?`,
        dest.id,
        Number(str(code[3])),
        row.id,
        uid,
      );
      await this.changes.refresh(s, this.db.folderRow(folderId));
      await this.changes.refresh(s, this.db.folderRow(destFolderId));
      return itemIdOf(Number(str(code[1])), Number(str(code[3])));
    });
  }

  async deleteItem(folderId: string, itemId: string): Promise<void> {
    await this.sessions.use(async (s) => {
      const row = this.db.folderRow(folderId);
      const uid = await this.sessions.selectItem(s, row, itemId, true);
      if (uid === null || !(await this.flagsNow(s, uid))) throw new StoreNotFoundError(`no item ${itemId}`);
      await this.expunge(s, uid);
      await this.changes.refresh(s, row);
    });
  }

  /** \Deleted + UID EXPUNGE (UIDPLUS) of exactly these UIDs, never another client's \Deleted messages. */
  private async expunge(s: ImapSession, uids: number | string): Promise<void> {
    if (!s.has("UIDPLUS")) throw new StoreUnavailableError("the IMAP server lacks UIDPLUS (UID EXPUNGE)", 3600);
    await s.command(["UID", "STORE", String(uids), "+FLAGS.SILENT", "(\\Deleted)"]);
    await s.command(["UID", "EXPUNGE", String(uids)]);
  }

  async emptyFolder(folderId: string, includeSubfolders: boolean): Promise<void> {
    await this.sessions.use(async (s) => {
      const row = this.db.folderRow(folderId);
      await this.sessions.select(s, row, true);
      const all = searchUids((await s.command(["UID", "SEARCH", "ALL"])).untagged);
      if (all.length) await this.expunge(s, "1:*");
      if (includeSubfolders) await this.folders.deleteTree(s, row, true);
      await this.changes.refresh(s, this.db.folderRow(folderId));
    });
  }

  private async mailboxWrite(s: ImapSession, args: Arg[]): Promise<{ untagged: ImapResponse[]; done: ImapResponse }> {
    try {
      return await s.command(args);
    } catch (e) {
      if (e instanceof ImapCommandError && /^(TRYCREATE|NONEXISTENT)/.test(e.code))
        throw new StoreNotFoundError("no such folder on the server");
      throw e;
    }
  }
}

/** The APPENDUID response code of an APPEND (UIDPLUS, RFC 4315 §3): the folder's UIDVALIDITY and the new UID. */
function appendUid(r: { untagged: ImapResponse[]; done: ImapResponse }): { validity: number; uid: number } | null {
  const code = [...r.untagged, r.done].map((u) => u.code).find((c) => c && str(c[0]).toUpperCase() === "APPENDUID");
  return code ? { validity: Number(str(code[1])), uid: Number(str(code[2])) } : null;
}
