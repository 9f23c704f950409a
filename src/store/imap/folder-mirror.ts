// The folder mirror: LIST (+ SPECIAL-USE, STATUS) matched to our folder rows (ids stable across renames on the
// server, state.ts), and folder create / rename / move / delete on the server.
import { isUserType, validFolderName } from "../folders";
import { FolderType, type FolderTypeValue, type StoreFolder, StoreFolderError, StoreNotFoundError, StoreUnavailableError } from "../types";
import { type Arg, ImapCommandError, type ImapSession, q } from "./connection";
import type { MirrorDb } from "./mirror-db";
import { encodeMailboxName } from "./mutf7";
import { attributes, str, type Token } from "./parser";
import type { ImapSessions } from "./sessions";
import { type FolderRow, folderTypes, leafName, parentOf, reconcile, type ServerMailbox } from "./state";

export class FolderMirror {
  constructor(
    private readonly db: MirrorDb,
    private readonly sessions: ImapSessions,
  ) {}

  async listFolders(): Promise<StoreFolder[]> {
    return this.sessions.use(async (s) => this.toFolders(await this.syncFolders(s)));
  }

  /** LIST (+ SPECIAL-USE, STATUS), matched to our rows; returns the rows with the server's flags. */
  async syncFolders(s: ImapSession): Promise<{ row: FolderRow; flags: string[] }[]> {
    const mailboxes = await this.listMailboxes(s);
    const rows = this.db.rows();
    const { matched, gone, renamed } = reconcile(rows, mailboxes);
    const before = new Map(rows.map((r) => [r.id, r]));
    // Only what differs is written: on a steady account (every Sync LISTs) nothing is, and the rows read stand.
    const mailboxIdChanges = mailboxes.filter(
      (m) => m.mailboxId && matched.has(m.path) && before.get(matched.get(m.path)!)?.mailbox_id !== m.mailboxId,
    );
    const added = mailboxes.filter((m) => !matched.has(m.path));
    if (gone.length || renamed.size || mailboxIdChanges.length || added.length)
      this.db.transaction(() => {
        for (const id of gone) this.db.dropFolder(id);
        // Two passes: a rename may take a path another row still holds until its own rename.
        for (const [id] of renamed) this.db.sql(`UPDATE imap_folders SET path = ? WHERE id = ?`, `\u0000${id}`, id);
        for (const [id, path] of renamed) this.db.sql(`UPDATE imap_folders SET path = ? WHERE id = ?`, path, id);
        for (const m of mailboxIdChanges)
          this.db.sql(`UPDATE imap_folders SET mailbox_id = ? WHERE id = ?`, m.mailboxId, matched.get(m.path)!);
        for (const m of added) {
          const id = this.db.one<{ id: number }>(
            `INSERT INTO imap_folders (path, delimiter, mailbox_id, uidvalidity) VALUES (?, ?, ?, ?) RETURNING id`,
            m.path,
            m.delimiter,
            m.mailboxId ?? null,
            m.uidvalidity,
          ).id;
          matched.set(m.path, id);
        }
      });
    const types = folderTypes(mailboxes);
    const retyped = mailboxes.filter((m) => before.get(matched.get(m.path)!)?.type !== types.get(m.path));
    if (retyped.length)
      this.db.transaction(() => {
        for (const m of retyped) this.db.sql(`UPDATE imap_folders SET type = ? WHERE id = ?`, types.get(m.path)!, matched.get(m.path)!);
      });
    const written = gone.length || renamed.size || mailboxIdChanges.length || added.length || retyped.length;
    const byId = written ? new Map(this.db.rows().map((r) => [r.id, r])) : before;
    return mailboxes.map((m) => ({ row: byId.get(matched.get(m.path)!)!, flags: m.flags }));
  }

  private async listMailboxes(s: ImapSession): Promise<ServerMailbox[]> {
    const statusItems = s.has("OBJECTID") ? "(UIDVALIDITY MAILBOXID)" : "(UIDVALIDITY)";
    const extended = s.has("LIST-STATUS") && s.has("SPECIAL-USE");
    const r = await s.command(extended ? ["LIST", '""', '"*"', "RETURN", `(SPECIAL-USE STATUS ${statusItems})`] : ["LIST", '""', '"*"']);
    const list: ServerMailbox[] = [];
    const status = new Map<string, Map<string, Token>>();
    for (const u of r.untagged) {
      const kind = str(u.tokens[0]).toUpperCase();
      if (kind === "LIST") {
        const flags = ((u.tokens[1] as Token[]) ?? []).map((f) => str(f).toUpperCase());
        if (flags.includes("\\NOSELECT") || flags.includes("\\NONEXISTENT")) continue;
        list.push({ path: str(u.tokens[3]), delimiter: str(u.tokens[2]) || "/", flags, uidvalidity: 0 });
      } else if (kind === "STATUS") status.set(str(u.tokens[1]), attributes(u.tokens[2] ?? null));
    }
    for (const m of list) {
      let st = status.get(m.path);
      if (!st) st = await statusOf(s, m.path, statusItems);
      m.uidvalidity = Number(str(st.get("UIDVALIDITY")));
      const id = st.get("MAILBOXID");
      if (Array.isArray(id) && id.length) m.mailboxId = str(id[0]);
    }
    return list;
  }

  toFolders(list: { row: FolderRow }[]): StoreFolder[] {
    const rows = list.map((f) => f.row);
    const byPath = new Map(rows.map((r) => [r.path, r]));
    // The default folders first, as phones expect them early in a FolderSync.
    const user = (r: FolderRow) => Number(r.type === FolderType.UserMail);
    return [...rows].sort((a, b) => user(a) - user(b) || a.id - b.id).map((r) => folderOf(r, byPath));
  }

  /** The folders as of the last LIST, from SQLite only (no session, no login). */
  localFolders(): StoreFolder[] {
    return this.toFolders(this.db.rows().map((row) => ({ row })));
  }

  /**
   * The default folder of a type (Inbox, Drafts, Deleted Items, Sent Items) as of the last LIST, or null.
   * Synchronous, from SQLite only, like BuiltinStore.folderByType (the sync engine calls it mid-request).
   */
  folderByType(type: FolderTypeValue): StoreFolder | null {
    if (type === FolderType.UserMail) return null;
    // One read of the rows (the engine asks once per page): the folder's parent is found by path among them.
    const rows = this.db.rows();
    const row = rows.find((r) => r.type === type);
    return row ? folderOf(row, new Map(rows.map((r) => [r.path, r]))) : null;
  }

  async createFolder(parentId: string, name: string, type: FolderTypeValue): Promise<StoreFolder> {
    if (!validFolderName(name)) throw new StoreFolderError("invalid", "invalid folder name");
    if (!isUserType(type) || (type !== FolderType.UserMail && type !== FolderType.Generic))
      throw new StoreFolderError("invalid", `an IMAP mailbox cannot hold folder type ${type}`);
    return this.sessions.use(async (s) => {
      const folders = await this.syncFolders(s);
      const parent = parentId === "0" ? null : folders.find((f) => String(f.row.id) === parentId)?.row;
      if (parentId !== "0" && !parent) throw new StoreFolderError("parent-not-found", "no such parent folder");
      const delimiter = parent?.delimiter ?? folders[0]?.row.delimiter ?? "/";
      if (name.includes(delimiter)) throw new StoreFolderError("invalid", `folder names cannot contain "${delimiter}"`);
      const path = (parent ? parent.path + delimiter : "") + encodeMailboxName(name);
      await this.mailboxCommand(s, ["CREATE", q(path)]);
      const after = await this.syncFolders(s);
      const created = after.find((f) => f.row.path === path);
      if (!created) throw new StoreUnavailableError("the IMAP server did not list the new mailbox");
      return this.toFolders(after).find((f) => f.id === String(created.row.id))!;
    });
  }

  async updateFolder(id: string, name: string, parentId: string): Promise<StoreFolder> {
    if (!validFolderName(name)) throw new StoreFolderError("invalid", "invalid folder name");
    return this.sessions.use(async (s) => {
      const folders = await this.syncFolders(s);
      const typed = this.toFolders(folders);
      const folder = typed.find((f) => f.id === id);
      if (!folder) throw new StoreNotFoundError(`no folder ${id}`);
      if (folder.type !== FolderType.UserMail) throw new StoreFolderError("special", "default folders cannot be changed");
      const row = folders.find((f) => String(f.row.id) === id)!.row;
      const parent = parentId === "0" ? null : folders.find((f) => String(f.row.id) === parentId)?.row;
      if (parentId !== "0" && !parent) throw new StoreFolderError("parent-not-found", "no such parent folder");
      if (parent && (parent.id === row.id || parent.path.startsWith(row.path + row.delimiter)))
        throw new StoreFolderError("invalid", "a folder cannot move under itself");
      if (name.includes(row.delimiter)) throw new StoreFolderError("invalid", `folder names cannot contain "${row.delimiter}"`);
      const path = (parent ? parent.path + row.delimiter : "") + encodeMailboxName(name);
      if (path !== row.path) {
        // Dovecot ends the session ("BYE IMAP session state is inconsistent") when the selected mailbox, or
        // one under it, is renamed: unselect it first, as deleteTree does.
        const selected = this.sessions.selected?.path;
        if (selected && (selected === row.path || selected.startsWith(row.path + row.delimiter))) {
          await s.command(s.has("UNSELECT") ? ["UNSELECT"] : ["CLOSE"]);
          this.sessions.selected = null;
        }
        await this.mailboxCommand(s, ["RENAME", q(row.path), q(path)]);
        this.sessions.selected = null;
        // Our own rename: move the rows now (children too) rather than relying on UIDVALIDITY matching.
        this.db.transaction(() => {
          for (const r of this.db.rows())
            if (r.path === row.path || r.path.startsWith(row.path + row.delimiter))
              this.db.sql(`UPDATE imap_folders SET path = ? WHERE id = ?`, path + r.path.slice(row.path.length), r.id);
        });
      }
      return this.toFolders(await this.syncFolders(s)).find((f) => f.id === id)!;
    });
  }

  async deleteFolder(id: string): Promise<void> {
    await this.sessions.use(async (s) => {
      const folders = await this.syncFolders(s);
      const folder = this.toFolders(folders).find((f) => f.id === id);
      if (!folder) throw new StoreNotFoundError(`no folder ${id}`);
      if (folder.type !== FolderType.UserMail) throw new StoreFolderError("special", "default folders cannot be deleted");
      const row = folders.find((f) => String(f.row.id) === id)!.row;
      await this.deleteTree(s, row);
    });
  }

  /** Deletes a mailbox and its children, deepest first (IMAP DELETE leaves children in place). */
  async deleteTree(s: ImapSession, row: FolderRow, keepRoot = false): Promise<void> {
    const tree = this.db
      .rows()
      .filter((r) => r.path === row.path || r.path.startsWith(row.path + row.delimiter))
      .sort((a, b) => b.path.length - a.path.length);
    for (const r of tree) {
      if (keepRoot && r.id === row.id) continue;
      if (this.sessions.selected?.path === r.path) {
        await s.command(s.has("UNSELECT") ? ["UNSELECT"] : ["CLOSE"]);
        this.sessions.selected = null;
      }
      await this.mailboxCommand(s, ["DELETE", q(r.path)]);
      this.db.transaction(() => this.db.dropFolder(r.id));
    }
  }

  private async mailboxCommand(s: ImapSession, args: Arg[]): Promise<void> {
    try {
      await s.command(args);
    } catch (e) {
      if (e instanceof ImapCommandError) {
        if (/^ALREADYEXISTS/.test(e.code)) throw new StoreFolderError("exists", "a folder with that name exists");
        if (/^NONEXISTENT/.test(e.code)) throw new StoreNotFoundError("no such folder on the server");
        if (/^(CANNOT|NOPERM)/.test(e.code)) throw new StoreFolderError("invalid", e.serverText);
      }
      throw e;
    }
  }

  /**
   * Our folder id for a mailbox name as a push notification gives it (UTF-8 or modified UTF-7, e.g. the OX
   * driver's "folder":"INBOX"), from SQLite only: the webhook wakes that folder's waits without an IMAP login.
   */
  folderIdForServerName(name: string): string | null {
    const candidates = [name, encodeMailboxName(name)];
    if (name.toUpperCase() === "INBOX") candidates.push("INBOX");
    const row = this.db.all<{ id: number }>(
      `SELECT id FROM imap_folders WHERE path IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT 1`,
      JSON.stringify(candidates),
    )[0];
    return row ? String(row.id) : null;
  }
}

/** STATUS of one mailbox: the attributes asked for in `items`, e.g. "(MESSAGES)". */
export async function statusOf(s: ImapSession, path: string, items: string): Promise<Map<string, Token>> {
  const r = await s.command(["STATUS", q(path), items]);
  const u = r.untagged.find((u) => str(u.tokens[0]).toUpperCase() === "STATUS");
  return attributes(u?.tokens[2] ?? null);
}

/** A folder row as the store's StoreFolder (`byPath`: every row, to find its parent). */
function folderOf(r: FolderRow, byPath: Map<string, FolderRow>): StoreFolder {
  return { id: String(r.id), parentId: parentOf(r, byPath), name: leafName(r), type: r.type as FolderTypeValue, itemClass: "Email" };
}
