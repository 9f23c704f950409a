// Writing items: append (and admin import), flags, move (UID MOVE or COPY + expunge, COPYUID), delete and
// empty folder; each write reads the folder's changes back so our change log holds it at once.
import { parseMessage } from "../mime";
import { type MailFlags, StoreFolderError, StoreNotFoundError, StoreUnavailableError } from "../types";
import type { ChangeTracker } from "./change-tracking";
import { type Arg, ImapCommandError, type ImapSession, Literal, q } from "./connection";
import type { FolderMirror } from "./folder-mirror";
import type { MirrorDb } from "./mirror-db";
import { attributes, type ImapResponse, str } from "./parser";
import type { ImapSessions } from "./sessions";
import { flagNames, flagsOf, internalDate, itemIdOf, kind, pick, searchUids, uidOf } from "./wire";

export class ItemWriter {
  constructor(
    private readonly db: MirrorDb,
    private readonly sessions: ImapSessions,
    private readonly changes: ChangeTracker,
    private readonly folders: FolderMirror,
  ) {}

  /** Like appendMessage, with the Date header as arrival time (never in the future): admin import. */
  async importMessage(folderId: string, raw: Uint8Array, flags: Partial<MailFlags> = {}): Promise<string> {
    const date = (await parseMessage(raw)).date;
    const now = Date.now();
    return this.appendMessage(folderId, raw, flags, date !== undefined && date <= now ? date : now);
  }

  async appendMessage(folderId: string, raw: Uint8Array, flags: Partial<MailFlags> = {}, received?: number): Promise<string> {
    return this.sessions.use(async (s) => {
      const row = this.db.folderRow(folderId);
      const args: Arg[] = ["APPEND", q(row.path), `(${flagNames(flags, true).join(" ")})`];
      if (received !== undefined) args.push(`"${internalDate(received)}"`);
      args.push(new Literal(raw));
      const r = await this.mailboxWrite(s, args);
      const code = [...r.untagged, r.done].map((u) => u.code).find((c) => c && str(c[0]).toUpperCase() === "APPENDUID");
      if (!code) throw new StoreUnavailableError("the IMAP server gave no APPENDUID (UIDPLUS)", 3600);
      await this.changes.refresh(s, this.db.folderRow(folderId));
      return itemIdOf(Number(str(code[1])), Number(str(code[2])));
    });
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
