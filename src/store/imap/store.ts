import { isUserType, validFolderName } from "../builtin/folders";
import { parseMessage, previewText } from "../builtin/mime";
import {
  type AttachmentInfo,
  type BodyText,
  type FolderStatus,
  FolderType,
  type FolderTypeValue,
  type ListOptions,
  type MailFlags,
  type MailStore,
  type MailSummary,
  type StoreChange,
  type StoreFolder,
  StoreFolderError,
  StoreNotFoundError,
  StoreUnavailableError,
} from "../types";
import {
  type Arg,
  type ImapCredentials,
  type ImapEndpoint,
  ImapCommandError,
  ImapSession,
  type ImapSessionOptions,
  Literal,
  q,
} from "./connection";
import { type TextPart, textParts } from "./bodystructure";
import { decodeMailboxName, encodeMailboxName } from "./mutf7";
import { attributes, type ImapResponse, str, type Token } from "./parser";
import { type FolderRow, folderTypes, IMAP_SCHEMA, leafName, parentOf, reconcile, type ServerMailbox } from "./state";
import {
  concatBytes,
  flagKey,
  flagNames,
  flagsOf,
  internalDate,
  itemIdOf,
  kind,
  parseInternalDate,
  parseItemId,
  pick,
  searchUids,
  uidOf,
  uidSet,
} from "./wire";

/** The METADATA entry (RFC 5464) Dovecot's push_notification driver reads with `user_from_metadata`. */
const PUSH_ENTRY = "/private/vendor/vendor.dovecot/http-notify";

// Semantics, the same as the built-in store's (src/store/builtin/store.ts) for what the sync layer relies on:
// - Folder ids are decimal keys of imap_folders, stable across renames on the server (see state.ts).
// - Item ids are "<UIDVALIDITY>-<UID>" (opaque to callers); FolderStatus.validity is the UIDVALIDITY: when it
//   changes every item id of the folder is invalid, the caller resynchronises that folder, and an old id is
//   "not found" rather than the new message that reuses its UID.
// - highestModseq/changesSince use our per-folder counter, fed from CONDSTORE/QRESYNC
//   (UID FETCH … (CHANGEDSINCE n VANISHED), RFC 7162 §3.2.6), or on servers without them from a comparison
//   of all UIDs and flags with the last look: one distinct modseq per change, ascending.
// - A move is an expunge in the source plus a new UID in the destination (UID MOVE, COPYUID).
// - Sessions are short: opened on first use, closed `idleMs` after the last call, never held (no IDLE):
//   an open socket keeps the mailbox object awake and billed.

export interface ImapStoreConfig {
  endpoint: ImapEndpoint;
  /**
   * The account's login, or a getter read at each session opening (a bridged mailbox hands it over in
   * memory with each device request; the getter throws StoreUnavailableError while none is there).
   */
  credentials: ImapCredentials | (() => ImapCredentials);
  session?: ImapSessionOptions;
  /** Close the IMAP session this long after the last call (ms). */
  idleMs?: number;
  /** Messages bigger than this (bytes) are summarised from their first megabyte only; default 16 MiB. */
  summaryWholeLimit?: number;
}

/** getBody fetches messages up to this size whole; bigger ones part by part (BODYSTRUCTURE). */
const WHOLE_BODY_BYTES = 256 * 1024;

/** Unparsed messages are fetched for their summary in batches of about this many bytes (bigger ones alone). */
const BATCH_BYTES = 1024 * 1024;

/** Messages bigger than this are summarised from their first BATCH_BYTES only (memory). */
const SUMMARY_WHOLE_LIMIT = 16 * 1024 * 1024;

/** What a summary takes from parsing the message (kept per UID in imap_summaries). */
type ParsedSummary = Omit<MailSummary, "itemId" | "folderId" | "modseq" | "received" | "flags" | "size">;

type Selected = { path: string; writable: boolean; highestModseq: number; uidvalidity: number };

export class ImapStore implements MailStore {
  private session: ImapSession | null = null;
  private selected: Selected | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly config: ImapStoreConfig,
  ) {
    for (const stmt of IMAP_SCHEMA) storage.sql.exec(stmt);
  }

  // ---------- sessions ----------

  /** Runs `fn` with the (one) session, one caller at a time: SELECT state belongs to the running call. */
  private use<T>(fn: (s: ImapSession) => Promise<T>): Promise<T> {
    const run = async () => {
      clearTimeout(this.idleTimer);
      try {
        if (!this.session?.alive) {
          this.session = null;
          this.selected = null;
          const login = this.config.credentials;
          this.session = await ImapSession.open(this.config.endpoint, typeof login === "function" ? login() : login, this.config.session);
          this.stats.sessions++;
          if (this.session.has("QRESYNC")) await this.session.command(["ENABLE", "QRESYNC"]);
        }
        const s = this.session;
        const before = { commands: s.stats.commands, bytesIn: s.stats.bytesIn };
        try {
          return await fn(s);
        } finally {
          this.stats.commands += s.stats.commands - before.commands;
          this.stats.bytesIn += s.stats.bytesIn - before.bytesIn;
        }
      } catch (e) {
        throw translate(e);
      } finally {
        const s = this.session;
        if (s) this.idleTimer = setTimeout(() => this.closeIf(s), this.config.idleMs ?? 2000);
      }
    };
    const p = this.lock.then(run, run);
    this.lock = p.catch(() => undefined);
    return p;
  }

  private closeIf(s: ImapSession): void {
    if (this.session !== s) return;
    this.session = null;
    this.selected = null;
    void s.close();
  }

  /** Sessions opened, commands sent and bytes received by this store so far (tests and benchmarks). */
  readonly stats = { sessions: 0, commands: 0, bytesIn: 0 };

  /** Closes the session now (end of a request, tests). */
  async close(): Promise<void> {
    await this.lock.catch(() => undefined);
    clearTimeout(this.idleTimer);
    const s = this.session;
    this.session = null;
    this.selected = null;
    await s?.close();
  }

  private async select(s: ImapSession, row: FolderRow, writable: boolean): Promise<Selected> {
    if (this.selected && this.selected.path === row.path && (this.selected.writable || !writable)) return this.selected;
    const args: Arg[] = [writable ? "SELECT" : "EXAMINE", q(row.path)];
    if (s.has("CONDSTORE")) args.push("(CONDSTORE)");
    this.selected = null;
    const r = await s.command(args);
    const sel: Selected = { path: row.path, writable, highestModseq: 0, uidvalidity: 0 };
    for (const u of [...r.untagged, r.done]) {
      const code = u.code;
      if (!code) continue;
      const key = str(code[0]).toUpperCase();
      if (key === "HIGHESTMODSEQ") sel.highestModseq = Number(str(code[1]));
      if (key === "UIDVALIDITY") sel.uidvalidity = Number(str(code[1]));
    }
    this.selected = sel;
    return sel;
  }

  // ---------- folders ----------

  async listFolders(): Promise<StoreFolder[]> {
    return this.use(async (s) => this.toFolders(await this.syncFolders(s)));
  }

  /** LIST (+ SPECIAL-USE, STATUS), matched to our rows; returns the rows with the server's flags. */
  private async syncFolders(s: ImapSession): Promise<{ row: FolderRow; flags: string[] }[]> {
    const mailboxes = await this.listMailboxes(s);
    const rows = this.rows();
    const { matched, gone, renamed } = reconcile(rows, mailboxes);
    this.storage.transactionSync(() => {
      for (const id of gone) this.dropFolder(id);
      // Two passes: a rename may take a path another row still holds until its own rename.
      for (const [id] of renamed) this.sql(`UPDATE imap_folders SET path = ? WHERE id = ?`, `\u0000${id}`, id);
      for (const [id, path] of renamed) this.sql(`UPDATE imap_folders SET path = ? WHERE id = ?`, path, id);
      for (const m of mailboxes) {
        if (matched.has(m.path)) {
          if (m.mailboxId) this.sql(`UPDATE imap_folders SET mailbox_id = ? WHERE id = ?`, m.mailboxId, matched.get(m.path)!);
          continue;
        }
        const id = this.one<{ id: number }>(
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
    this.storage.transactionSync(() => {
      for (const m of mailboxes) this.sql(`UPDATE imap_folders SET type = ? WHERE id = ?`, types.get(m.path)!, matched.get(m.path)!);
    });
    const byId = new Map(this.rows().map((r) => [r.id, r]));
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
      if (!st) st = await this.status(s, m.path, statusItems);
      m.uidvalidity = Number(str(st.get("UIDVALIDITY")));
      const id = st.get("MAILBOXID");
      if (Array.isArray(id) && id.length) m.mailboxId = str(id[0]);
    }
    return list;
  }

  private async status(s: ImapSession, path: string, items: string): Promise<Map<string, Token>> {
    const r = await s.command(["STATUS", q(path), items]);
    const u = r.untagged.find((u) => str(u.tokens[0]).toUpperCase() === "STATUS");
    return attributes(u?.tokens[2] ?? null);
  }

  private toFolders(list: { row: FolderRow }[]): StoreFolder[] {
    const rows = list.map((f) => f.row);
    const byPath = new Map(rows.map((r) => [r.path, r]));
    // The default folders first, as phones expect them early in a FolderSync.
    const user = (r: FolderRow) => Number(r.type === FolderType.UserMail);
    return [...rows]
      .sort((a, b) => user(a) - user(b) || a.id - b.id)
      .map((r) => ({
        id: String(r.id),
        parentId: parentOf(r, byPath),
        name: leafName(r),
        type: r.type as FolderTypeValue,
        itemClass: "Email",
      }));
  }

  /** The folders as of the last LIST, from SQLite only (no session, no login). */
  localFolders(): StoreFolder[] {
    return this.toFolders(this.rows().map((row) => ({ row })));
  }

  /**
   * The default folder of a type (Inbox, Drafts, Deleted Items, Sent Items) as of the last LIST, or null.
   * Synchronous, from SQLite only, like BuiltinStore.folderByType (the sync engine calls it mid-request).
   */
  folderByType(type: FolderTypeValue): StoreFolder | null {
    if (type === FolderType.UserMail) return null;
    const row = this.all<FolderRow>(`SELECT * FROM imap_folders WHERE type = ? ORDER BY id LIMIT 1`, type)[0];
    return row ? this.localFolders().find((f) => f.id === String(row.id))! : null;
  }

  /**
   * Drops tombstones seen before `olderThan` (ms) and raises each affected folder's floor to the highest
   * pruned modseq, as BuiltinStore.pruneTombstones does. Returns how many were dropped.
   */
  pruneTombstones(olderThan: number): number {
    return this.storage.transactionSync(() => {
      const floors = this.all<{ folder: number; top: number }>(
        `SELECT folder, max(modseq) AS top FROM imap_changes WHERE deleted = 1 AND at < ? GROUP BY folder`,
        olderThan,
      );
      for (const f of floors) this.sql(`UPDATE imap_folders SET floor = max(floor, ?) WHERE id = ?`, f.top, f.folder);
      return this.all<{ id: number }>(`DELETE FROM imap_changes WHERE deleted = 1 AND at < ? RETURNING 1 AS id`, olderThan).length;
    });
  }

  /** Like appendMessage, with the Date header as arrival time (never in the future): admin import. */
  async importMessage(folderId: string, raw: Uint8Array, flags: Partial<MailFlags> = {}): Promise<string> {
    const date = (await parseMessage(raw)).date;
    const now = Date.now();
    return this.appendMessage(folderId, raw, flags, date !== undefined && date <= now ? date : now);
  }

  async createFolder(parentId: string, name: string, type: FolderTypeValue): Promise<StoreFolder> {
    if (!validFolderName(name)) throw new StoreFolderError("invalid", "invalid folder name");
    if (!isUserType(type) || (type !== FolderType.UserMail && type !== FolderType.Generic))
      throw new StoreFolderError("invalid", `an IMAP mailbox cannot hold folder type ${type}`);
    return this.use(async (s) => {
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
    return this.use(async (s) => {
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
        await this.mailboxCommand(s, ["RENAME", q(row.path), q(path)]);
        this.selected = null;
        // Our own rename: move the rows now (children too) rather than relying on UIDVALIDITY matching.
        this.storage.transactionSync(() => {
          for (const r of this.rows())
            if (r.path === row.path || r.path.startsWith(row.path + row.delimiter))
              this.sql(`UPDATE imap_folders SET path = ? WHERE id = ?`, path + r.path.slice(row.path.length), r.id);
        });
      }
      return this.toFolders(await this.syncFolders(s)).find((f) => f.id === id)!;
    });
  }

  async deleteFolder(id: string): Promise<void> {
    await this.use(async (s) => {
      const folders = await this.syncFolders(s);
      const folder = this.toFolders(folders).find((f) => f.id === id);
      if (!folder) throw new StoreNotFoundError(`no folder ${id}`);
      if (folder.type !== FolderType.UserMail) throw new StoreFolderError("special", "default folders cannot be deleted");
      const row = folders.find((f) => String(f.row.id) === id)!.row;
      await this.deleteTree(s, row);
    });
  }

  /** Deletes a mailbox and its children, deepest first (IMAP DELETE leaves children in place). */
  private async deleteTree(s: ImapSession, row: FolderRow, keepRoot = false): Promise<void> {
    const tree = this.rows()
      .filter((r) => r.path === row.path || r.path.startsWith(row.path + row.delimiter))
      .sort((a, b) => b.path.length - a.path.length);
    for (const r of tree) {
      if (keepRoot && r.id === row.id) continue;
      if (this.selected?.path === r.path) {
        await s.command(s.has("UNSELECT") ? ["UNSELECT"] : ["CLOSE"]);
        this.selected = null;
      }
      await this.mailboxCommand(s, ["DELETE", q(r.path)]);
      this.storage.transactionSync(() => this.dropFolder(r.id));
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

  // ---------- push from the server ----------

  /**
   * Asks Dovecot to announce new mail for this account through its push_notification OX driver
   * (configured by the provider with `user_from_metadata`): the driver only calls for users carrying this
   * METADATA entry (RFC 5464), and puts its `user=` value in the JSON body, so the webhook learns which
   * mailbox object to wake. Returns false when the server has no METADATA.
   */
  async enablePush(address: string): Promise<boolean> {
    return this.use(async (s) => {
      if (!s.has("METADATA")) return false;
      const value = q(`user=${address}`);
      if (typeof value !== "string") throw new StoreFolderError("invalid", "push needs an ASCII address");
      await s.command(["SETMETADATA", '""', `(${PUSH_ENTRY} ${value})`]);
      return true;
    });
  }

  /**
   * Checks that our METADATA entry is still on the server (a Dovecot rebuilt or migrated may have lost its
   * attribute dictionary, and then announces nothing) and sets it again when it is gone or names another
   * address: one GETMETADATA in one session, a SETMETADATA only when needed. "unsupported": no METADATA.
   */
  async verifyPush(address: string): Promise<"present" | "restored" | "unsupported"> {
    return this.use(async (s) => {
      if (!s.has("METADATA")) return "unsupported";
      const value = q(`user=${address}`);
      if (typeof value !== "string") throw new StoreFolderError("invalid", "push needs an ASCII address");
      const r = await s.command(["GETMETADATA", '""', PUSH_ENTRY]);
      let current = "";
      for (const u of r.untagged) {
        if (str(u.tokens[0]).toUpperCase() !== "METADATA") continue;
        const list = u.tokens[2];
        if (Array.isArray(list))
          for (let i = 0; i + 1 < list.length; i += 2) if (str(list[i]).toLowerCase() === PUSH_ENTRY) current = str(list[i + 1]);
      }
      if (current === `user=${address}`) return "present";
      await s.command(["SETMETADATA", '""', `(${PUSH_ENTRY} ${value})`]);
      return "restored";
    });
  }

  /**
   * Our folder id for a mailbox name as a push notification gives it (UTF-8 or modified UTF-7, e.g. the OX
   * driver's "folder":"INBOX"), from SQLite only: the webhook wakes that folder's waits without an IMAP login.
   */
  folderIdForServerName(name: string): string | null {
    const candidates = [name, encodeMailboxName(name)];
    if (name.toUpperCase() === "INBOX") candidates.push("INBOX");
    const row = this.all<{ id: number }>(
      `SELECT id FROM imap_folders WHERE path IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT 1`,
      JSON.stringify(candidates),
    )[0];
    return row ? String(row.id) : null;
  }

  // ---------- change tracking ----------

  async folderStatus(folderId: string): Promise<FolderStatus> {
    return this.use(async (s) => {
      const row = await this.refresh(s, this.folderRow(folderId));
      const count = Number(str((await this.status(s, row.path, "(MESSAGES)")).get("MESSAGES")));
      return { validity: String(row.uidvalidity), highestModseq: row.modseq, count, tombstoneFloor: row.floor };
    });
  }

  async changesSince(folderId: string, modseq: number, limit: number): Promise<StoreChange[]> {
    return this.use(async (s) => {
      const row = await this.refresh(s, this.folderRow(folderId));
      return this.all<{ uid: number; modseq: number; deleted: number }>(
        `SELECT uid, modseq, deleted FROM imap_changes WHERE folder = ? AND modseq > ? ORDER BY modseq LIMIT ?`,
        row.id,
        modseq,
        limit,
      ).map((c) => ({ itemId: itemIdOf(row.uidvalidity, c.uid), modseq: c.modseq, deleted: c.deleted === 1 }));
    });
  }

  /**
   * Reads what changed on the server since our last look and logs it under our counter.
   * No change costs one STATUS. A new UIDVALIDITY forgets the folder's log: every old item id is void.
   */
  private async refresh(s: ImapSession, row: FolderRow): Promise<FolderRow> {
    const modseqs = s.has("CONDSTORE") && s.has("QRESYNC");
    // STATUS of the selected mailbox answers from this session's view of it (RFC 9051 §6.3.11): another
    // client's flag changes, or the mailbox deleted and recreated (new UIDVALIDITY), would go unseen while
    // the session is kept between calls. Unselect first (NOOP where UNSELECT is missing; never CLOSE, which
    // expunges).
    if (this.selected?.path === row.path) {
      await s.command(s.has("UNSELECT") ? ["UNSELECT"] : ["NOOP"]);
      if (s.has("UNSELECT")) this.selected = null;
    }
    const st = await this.status(s, row.path, modseqs ? "(UIDVALIDITY HIGHESTMODSEQ)" : "(UIDVALIDITY)");
    const validity = Number(str(st.get("UIDVALIDITY")));
    const highest = modseqs ? Number(str(st.get("HIGHESTMODSEQ"))) : 0;
    if (validity !== row.uidvalidity) {
      this.storage.transactionSync(() => {
        this.sql(`DELETE FROM imap_changes WHERE folder = ?`, row.id);
        this.sql(`DELETE FROM imap_uids WHERE folder = ?`, row.id);
        this.sql(`DELETE FROM imap_summaries WHERE folder = ?`, row.id);
        this.sql(`DELETE FROM imap_order WHERE folder = ?`, row.id);
        this.sql(
          `UPDATE imap_folders SET uidvalidity = ?, server_modseq = 0, modseq = modseq + 1, floor = modseq + 1, ordered = 0 WHERE id = ?`,
          validity,
          row.id,
        );
      });
      row = this.folderRow(String(row.id));
    }
    if (!modseqs) return this.refreshByUidDiff(s, row);
    if (highest === row.server_modseq) return row;
    if (row.server_modseq === 0) {
      // First look at this folder: what exists now is listed by listItems, not replayed as changes.
      this.sql(`UPDATE imap_folders SET server_modseq = ? WHERE id = ?`, highest, row.id);
      return this.folderRow(String(row.id));
    }
    await this.select(s, row, false);
    const r = await s.command(["UID", "FETCH", "1:*", "(UID MODSEQ)", `(CHANGEDSINCE ${row.server_modseq} VANISHED)`]);
    const changed: { uid: number; modseq: number }[] = [];
    const vanished: number[] = [];
    for (const u of r.untagged) {
      if (kind(u) === "FETCH") {
        const a = attributes(u.tokens[2] ?? null);
        const m = a.get("MODSEQ");
        const uid = uidOf(a);
        if (uid !== null) changed.push({ uid, modseq: Number(str(Array.isArray(m) ? m[0] : m)) });
      } else if (kind(u) === "VANISHED") {
        vanished.push(...uidSet(str(u.tokens[u.tokens.length - 1])));
      }
    }
    changed.sort((a, b) => a.modseq - b.modseq || a.uid - b.uid);
    // STATUS's HIGHESTMODSEQ (read before the FETCH), not the newest change read: a change racing with the
    // FETCH is read again next time rather than missed.
    const arrived = await this.arrivals(
      s,
      row,
      changed.map((c) => c.uid),
    );
    this.storage.transactionSync(() => {
      this.log(
        row.id,
        changed.map((c) => c.uid),
        vanished,
        highest,
      );
      this.order(row.id, arrived, vanished);
    });
    return this.folderRow(String(row.id));
  }

  /**
   * For servers without CONDSTORE/QRESYNC: one UID FETCH 1:* (FLAGS) compared with the UIDs and flags we
   * last saw (imap_uids). Costs a line per message on every look, which is why the modseq path comes first.
   */
  private async refreshByUidDiff(s: ImapSession, row: FolderRow): Promise<FolderRow> {
    await this.select(s, row, false);
    const r = await s.command(["UID", "FETCH", "1:*", "(UID FLAGS)"]);
    const now = new Map<number, string>();
    for (const u of r.untagged) {
      if (kind(u) !== "FETCH") continue;
      const a = attributes(u.tokens[2] ?? null);
      const uid = uidOf(a);
      if (uid !== null) now.set(uid, flagKey(a.get("FLAGS")));
    }
    const known = new Map(
      this.all<{ uid: number; flags: string }>(`SELECT uid, flags FROM imap_uids WHERE folder = ?`, row.id).map((k) => [k.uid, k.flags]),
    );
    const first = row.server_modseq === 0;
    const changed = [...now]
      .filter(([uid, flags]) => known.get(uid) !== flags)
      .map(([uid]) => uid)
      .sort((a, b) => a - b);
    const vanished = [...known.keys()].filter((uid) => !now.has(uid)).sort((a, b) => a - b);
    if (!first && !changed.length && !vanished.length) return row;
    const arrived = first ? new Map<number, number>() : await this.arrivals(s, row, changed);
    this.storage.transactionSync(() => {
      this.order(row.id, arrived, vanished);
      for (const uid of changed)
        this.sql(`INSERT OR REPLACE INTO imap_uids (folder, uid, flags) VALUES (?, ?, ?)`, row.id, uid, now.get(uid)!);
      for (const uid of vanished) this.sql(`DELETE FROM imap_uids WHERE folder = ? AND uid = ?`, row.id, uid);
      // server_modseq 1 marks "baseline taken" here; the first look logs nothing, as on the modseq path.
      if (first) this.sql(`UPDATE imap_folders SET server_modseq = 1 WHERE id = ?`, row.id);
      else this.log(row.id, changed, vanished, 1);
    });
    return this.folderRow(String(row.id));
  }

  /** INTERNALDATE of those UIDs not yet in imap_order (new arrivals), when the folder's order is kept. */
  private async arrivals(s: ImapSession, row: FolderRow, uids: number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    if (!row.ordered || !uids.length) return out;
    const known = new Set(
      this.all<{ uid: number }>(
        `SELECT uid FROM imap_order WHERE folder = ? AND uid IN (SELECT value FROM json_each(?))`,
        row.id,
        JSON.stringify(uids),
      ).map((r) => r.uid),
    );
    const missing = uids.filter((u) => !known.has(u));
    if (!missing.length) return out;
    await this.select(s, row, false);
    const r = await s.command(["UID", "FETCH", missing.join(","), "(UID INTERNALDATE)"]);
    for (const u of r.untagged) {
      if (kind(u) !== "FETCH") continue;
      const a = attributes(u.tokens[2] ?? null);
      const uid = uidOf(a);
      if (uid !== null && a.has("INTERNALDATE")) out.set(uid, parseInternalDate(str(a.get("INTERNALDATE"))));
    }
    return out;
  }

  private order(folder: number, arrived: Map<number, number>, vanished: number[]): void {
    for (const [uid, received] of arrived)
      this.sql(`INSERT OR REPLACE INTO imap_order (folder, uid, received) VALUES (?, ?, ?)`, folder, uid, received);
    for (const uid of vanished) this.sql(`DELETE FROM imap_order WHERE folder = ? AND uid = ?`, folder, uid);
  }

  /** Fills imap_order for a folder listed for the first time (one UID FETCH 1:* (INTERNALDATE)). */
  private async ensureOrder(s: ImapSession, row: FolderRow): Promise<FolderRow> {
    if (row.ordered) return row;
    await this.select(s, row, false);
    const r = await s.command(["UID", "FETCH", "1:*", "(UID INTERNALDATE)"]);
    this.storage.transactionSync(() => {
      this.sql(`DELETE FROM imap_order WHERE folder = ?`, row.id);
      for (const u of r.untagged) {
        if (kind(u) !== "FETCH") continue;
        const a = attributes(u.tokens[2] ?? null);
        const uid = uidOf(a);
        if (uid !== null && a.has("INTERNALDATE"))
          this.sql(
            `INSERT OR REPLACE INTO imap_order (folder, uid, received) VALUES (?, ?, ?)`,
            row.id,
            uid,
            parseInternalDate(str(a.get("INTERNALDATE"))),
          );
      }
      this.sql(`UPDATE imap_folders SET ordered = 1 WHERE id = ?`, row.id);
    });
    return this.folderRow(String(row.id));
  }

  /** Gives each change the next value of the folder's counter: changes first, then expunges. */
  private log(folder: number, changed: number[], vanished: number[], serverModseq: number): void {
    let next = this.folderRow(String(folder)).modseq;
    for (const uid of changed) this.logChange(folder, uid, ++next, false);
    for (const uid of vanished) {
      this.logChange(folder, uid, ++next, true);
      this.sql(`DELETE FROM imap_summaries WHERE folder = ? AND uid = ?`, folder, uid);
    }
    this.sql(`UPDATE imap_folders SET modseq = ?, server_modseq = ? WHERE id = ?`, next, serverModseq, folder);
  }

  private logChange(folder: number, uid: number, modseq: number, deleted: boolean): void {
    this.sql(
      `INSERT INTO imap_changes (folder, uid, modseq, deleted, at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (folder, uid) DO UPDATE SET modseq = excluded.modseq, deleted = excluded.deleted, at = excluded.at`,
      folder,
      uid,
      modseq,
      deleted ? 1 : 0,
      Date.now(),
    );
  }

  // ---------- items ----------

  async listItems(folderId: string, opts: ListOptions): Promise<MailSummary[]> {
    return this.use(async (s) => {
      const row = await this.ensureOrder(s, await this.refresh(s, this.folderRow(folderId)));
      const after = opts.after ? { received: opts.after.received, uid: parseItemId(opts.after.itemId)?.uid ?? 0 } : null;
      const uids = this.all<{ uid: number }>(
        `SELECT uid FROM imap_order WHERE folder = ? AND received >= ? AND (? OR received < ? OR (received = ? AND uid < ?))
         ORDER BY received DESC, uid DESC LIMIT ?`,
        row.id,
        opts.since ?? Number.MIN_SAFE_INTEGER,
        after ? 0 : 1,
        after?.received ?? 0,
        after?.received ?? 0,
        after?.uid ?? 0,
        opts.limit,
      ).map((r) => r.uid);
      await this.select(s, row, false);
      return this.summaries(s, row, uids);
    });
  }

  async countItems(folderId: string, since?: number): Promise<number> {
    return this.use(async (s) => {
      const row = this.folderRow(folderId);
      if (since === undefined) return Number(str((await this.status(s, row.path, "(MESSAGES)")).get("MESSAGES")));
      const ordered = await this.ensureOrder(s, await this.refresh(s, row));
      return this.one<{ n: number }>(`SELECT count(*) AS n FROM imap_order WHERE folder = ? AND received >= ?`, ordered.id, since).n;
    });
  }

  async getSummary(folderId: string, itemId: string): Promise<MailSummary | null> {
    return this.use(async (s) => {
      const row = this.folderRow(folderId);
      const uid = await this.selectItem(s, row, itemId, false);
      if (uid === null) return null;
      return (await this.summaries(s, row, [uid]))[0] ?? null;
    });
  }

  /**
   * Summaries of the selected folder's UIDs, in the order given. Flags, arrival and size are read live; what
   * comes from parsing the message is parsed once per UID and kept (imap_summaries: a UID's content never
   * changes). Unparsed messages are fetched whole, small ones together, big ones one at a time.
   */
  private async summaries(s: ImapSession, row: FolderRow, uids: number[]): Promise<MailSummary[]> {
    if (!uids.length) return [];
    const r = await s.command(["UID", "FETCH", uids.join(","), "(UID FLAGS INTERNALDATE RFC822.SIZE)"]);
    const meta = new Map<number, Map<string, Token>>();
    for (const u of r.untagged) {
      if (kind(u) !== "FETCH") continue;
      const a = attributes(u.tokens[2] ?? null);
      const uid = uidOf(a);
      if (uid !== null) meta.set(uid, a);
    }
    const present = uids.filter((u) => meta.has(u));
    const parsed = new Map<number, ParsedSummary>();
    for (const c of this.all<{ uid: number; content: string }>(
      // one bound JSON array: Durable Object SQLite allows at most 100 bound parameters
      `SELECT uid, content FROM imap_summaries WHERE folder = ? AND uid IN (SELECT value FROM json_each(?))`,
      row.id,
      JSON.stringify(present),
    ))
      parsed.set(c.uid, JSON.parse(c.content));
    const missing = present.filter((u) => !parsed.has(u));
    const size = (u: number) => Number(str(meta.get(u)!.get("RFC822.SIZE")));
    const batches: number[][] = [];
    let batch: number[] = [];
    let bytes = 0;
    for (const u of missing) {
      if (size(u) > BATCH_BYTES) batches.push([u]);
      else {
        if (bytes + size(u) > BATCH_BYTES && batch.length) {
          batches.push(batch);
          batch = [];
          bytes = 0;
        }
        batch.push(u);
        bytes += size(u);
      }
    }
    if (batch.length) batches.push(batch);
    for (const b of batches) {
      // Beyond SUMMARY_WHOLE_LIMIT only the head is parsed (memory): attachments past it are not listed.
      const head = b.length === 1 && size(b[0]!) > (this.config.summaryWholeLimit ?? SUMMARY_WHOLE_LIMIT);
      const f = await s.command(["UID", "FETCH", b.join(","), head ? `(UID BODY.PEEK[]<0.${BATCH_BYTES}>)` : "(UID BODY.PEEK[])"]);
      for (const u of f.untagged) {
        if (kind(u) !== "FETCH") continue;
        const a = attributes(u.tokens[2] ?? null);
        const uid = uidOf(a);
        const raw = a.get(head ? "BODY[]<0>" : "BODY[]");
        if (uid === null || !b.includes(uid)) continue;
        const p = await parseMessage(raw instanceof Uint8Array ? raw : new Uint8Array(0));
        const content: ParsedSummary = {
          subject: p.subject,
          from: p.from,
          to: p.to,
          cc: p.cc,
          replyTo: p.replyTo,
          importance: p.importance,
          hasHtml: p.html !== undefined,
          preview: previewText(p.plain),
          attachments: p.attachments.map((x) => x.info),
        };
        for (const k of ["date", "messageId", "inReplyTo", "references", "contentClass", "calendarMethod", "threadTopic"] as const)
          if (p[k] !== undefined) (content as Record<string, unknown>)[k] = p[k];
        parsed.set(uid, content);
        this.sql(`INSERT OR REPLACE INTO imap_summaries (folder, uid, content) VALUES (?, ?, ?)`, row.id, uid, JSON.stringify(content));
      }
    }
    const out: MailSummary[] = [];
    for (const uid of present) {
      const a = meta.get(uid)!;
      const content = parsed.get(uid);
      if (!content) continue;
      const logged = this.all<{ modseq: number }>(`SELECT modseq FROM imap_changes WHERE folder = ? AND uid = ?`, row.id, uid)[0];
      out.push({
        ...content,
        itemId: itemIdOf(this.selected?.uidvalidity || row.uidvalidity, uid),
        folderId: String(row.id),
        modseq: logged?.modseq ?? 0,
        received: parseInternalDate(str(a.get("INTERNALDATE"))),
        flags: flagsOf(a.get("FLAGS")),
        size: size(uid),
      });
    }
    return out;
  }

  async getMime(folderId: string, itemId: string): Promise<Uint8Array | null> {
    return this.use(async (s) => {
      const row = this.folderRow(folderId);
      const uid = await this.selectItem(s, row, itemId, false);
      return uid === null ? null : this.fetchRaw(s, row, uid);
    });
  }

  /**
   * Selects the item's folder and returns its UID, or null when the id is malformed or was given under
   * another UIDVALIDITY: after a mailbox is recreated the same UID names another message, and acting on it
   * (delete, move) would hit the wrong one.
   */
  private async selectItem(s: ImapSession, row: FolderRow, itemId: string, writable: boolean): Promise<number | null> {
    const id = parseItemId(itemId);
    if (!id) return null;
    const sel = await this.select(s, row, writable);
    return id.validity === (sel.uidvalidity || row.uidvalidity) ? id.uid : null;
  }

  private async fetchRaw(s: ImapSession, row: FolderRow, uid: number): Promise<Uint8Array | null> {
    await this.select(s, row, false);
    const r = await s.command(["UID", "FETCH", String(uid), "(UID BODY.PEEK[])"]);
    for (const u of r.untagged) {
      if (kind(u) !== "FETCH") continue;
      const a = attributes(u.tokens[2] ?? null);
      if (uidOf(a) !== uid) continue;
      const body = a.get("BODY[]");
      return body instanceof Uint8Array ? body : typeof body === "string" ? new TextEncoder().encode(body) : new Uint8Array(0);
    }
    return null;
  }

  /**
   * A message up to WHOLE_BODY_BYTES is fetched whole and parsed (the same text as the built-in store).
   * A bigger one (attachments) is read from its BODYSTRUCTURE: only its first inline text/plain and
   * text/html parts are fetched, each with its MIME header, and parsed as a small message.
   */
  async getBody(folderId: string, itemId: string, type: "plain" | "html"): Promise<BodyText | null> {
    const raw = await this.use(async (s) => {
      const row = this.folderRow(folderId);
      const uid = await this.selectItem(s, row, itemId, false);
      if (uid === null) return null;
      const r = await s.command(["UID", "FETCH", String(uid), "(UID RFC822.SIZE BODYSTRUCTURE)"]);
      const a = r.untagged
        .filter((u) => kind(u) === "FETCH")
        .map((u) => attributes(u.tokens[2] ?? null))
        .find((a) => uidOf(a) === uid);
      if (!a) return null;
      const structure = a.get("BODYSTRUCTURE") ?? null;
      const multipart = Array.isArray(structure) && Array.isArray(structure[0]);
      if (Number(str(a.get("RFC822.SIZE"))) <= WHOLE_BODY_BYTES || !multipart) return this.fetchRaw(s, row, uid);
      const parts = textParts(structure);
      const pick = [parts.find((p) => p.subtype === "plain"), parts.find((p) => p.subtype === "html")].filter((p): p is TextPart => !!p);
      // A small message per text part, then one multipart/alternative holding them, for the MIME parser.
      const sections = pick.flatMap((p) => [`BODY.PEEK[${p.section}.MIME]`, `BODY.PEEK[${p.section}]`]);
      if (!sections.length) return new Uint8Array(0);
      const f = await s.command(["UID", "FETCH", String(uid), `(UID ${sections.join(" ")})`]);
      const got = f.untagged
        .filter((u) => kind(u) === "FETCH")
        .map((u) => attributes(u.tokens[2] ?? null))
        .find((a) => uidOf(a) === uid);
      if (!got) return null;
      const bytes = (k: string) => {
        const v = got.get(k);
        return v instanceof Uint8Array ? v : new TextEncoder().encode(typeof v === "string" ? v : "");
      };
      const boundary = `=_part_${crypto.randomUUID()}`;
      const chunks: Uint8Array[] = [
        new TextEncoder().encode(`MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="${boundary}"\r\n\r\n`),
      ];
      for (const p of pick)
        chunks.push(
          new TextEncoder().encode(`--${boundary}\r\n`),
          bytes(`BODY[${p.section}.MIME]`),
          bytes(`BODY[${p.section}]`),
          new TextEncoder().encode("\r\n"),
        );
      chunks.push(new TextEncoder().encode(`--${boundary}--\r\n`));
      return concatBytes(chunks);
    });
    if (!raw) return null;
    const p = await parseMessage(raw);
    const data = type === "html" ? p.html : p.plain;
    if (data === undefined) return null;
    return { data, size: new TextEncoder().encode(data).byteLength };
  }

  async getAttachment(folderId: string, itemId: string, partId: string): Promise<{ info: AttachmentInfo; data: Uint8Array } | null> {
    const raw = await this.getMime(folderId, itemId);
    if (!raw) return null;
    return (await parseMessage(raw)).attachments.find((a) => a.info.partId === partId) ?? null;
  }

  async appendMessage(folderId: string, raw: Uint8Array, flags: Partial<MailFlags> = {}, received?: number): Promise<string> {
    return this.use(async (s) => {
      const row = this.folderRow(folderId);
      const args: Arg[] = ["APPEND", q(row.path), `(${flagNames(flags, true).join(" ")})`];
      if (received !== undefined) args.push(`"${internalDate(received)}"`);
      args.push(new Literal(raw));
      const r = await this.mailboxWrite(s, args);
      const code = [...r.untagged, r.done].map((u) => u.code).find((c) => c && str(c[0]).toUpperCase() === "APPENDUID");
      if (!code) throw new StoreUnavailableError("the IMAP server gave no APPENDUID (UIDPLUS)", 3600);
      await this.refresh(s, this.folderRow(folderId));
      return itemIdOf(Number(str(code[1])), Number(str(code[2])));
    });
  }

  async setFlags(folderId: string, itemId: string, flags: Partial<MailFlags>): Promise<void> {
    await this.use(async (s) => {
      const row = this.folderRow(folderId);
      const uid = await this.selectItem(s, row, itemId, true);
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
      if (add.length || remove.length) await this.refresh(s, row);
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
    return this.use(async (s) => {
      const row = this.folderRow(folderId);
      const dest = this.folderRow(destFolderId);
      const uid = await this.selectItem(s, row, itemId, true);
      if (uid === null || !(await this.flagsNow(s, uid))) throw new StoreNotFoundError(`no item ${itemId}`);
      let r;
      if (s.has("MOVE")) r = await this.mailboxWrite(s, ["UID", "MOVE", String(uid), q(dest.path)]);
      else {
        r = await this.mailboxWrite(s, ["UID", "COPY", String(uid), q(dest.path)]);
        await this.expunge(s, uid);
      }
      const code = [...r.untagged, r.done].map((u) => u.code).find((c) => c && str(c[0]).toUpperCase() === "COPYUID");
      if (!code) throw new StoreUnavailableError("the IMAP server gave no COPYUID (UIDPLUS)", 3600);
      this.sql(
        `INSERT OR REPLACE INTO imap_summaries (folder, uid, content) SELECT ?, ?, content FROM imap_summaries WHERE folder = ? AND uid = ?`,
        dest.id,
        Number(str(code[3])),
        row.id,
        uid,
      );
      await this.refresh(s, this.folderRow(folderId));
      await this.refresh(s, this.folderRow(destFolderId));
      return itemIdOf(Number(str(code[1])), Number(str(code[3])));
    });
  }

  async deleteItem(folderId: string, itemId: string): Promise<void> {
    await this.use(async (s) => {
      const row = this.folderRow(folderId);
      const uid = await this.selectItem(s, row, itemId, true);
      if (uid === null || !(await this.flagsNow(s, uid))) throw new StoreNotFoundError(`no item ${itemId}`);
      await this.expunge(s, uid);
      await this.refresh(s, row);
    });
  }

  /** \Deleted + UID EXPUNGE (UIDPLUS) of exactly these UIDs, never another client's \Deleted messages. */
  private async expunge(s: ImapSession, uids: number | string): Promise<void> {
    if (!s.has("UIDPLUS")) throw new StoreUnavailableError("the IMAP server lacks UIDPLUS (UID EXPUNGE)", 3600);
    await s.command(["UID", "STORE", String(uids), "+FLAGS.SILENT", "(\\Deleted)"]);
    await s.command(["UID", "EXPUNGE", String(uids)]);
  }

  async emptyFolder(folderId: string, includeSubfolders: boolean): Promise<void> {
    await this.use(async (s) => {
      const row = this.folderRow(folderId);
      await this.select(s, row, true);
      const all = searchUids((await s.command(["UID", "SEARCH", "ALL"])).untagged);
      if (all.length) await this.expunge(s, "1:*");
      if (includeSubfolders) await this.deleteTree(s, row, true);
      await this.refresh(s, this.folderRow(folderId));
    });
  }

  // ---------- rows ----------

  private folderRow(folderId: string): FolderRow {
    const row = /^[1-9][0-9]{0,15}$/.test(folderId)
      ? this.all<FolderRow>(`SELECT * FROM imap_folders WHERE id = ?`, Number(folderId))[0]
      : undefined;
    if (!row) throw new StoreNotFoundError(`no folder ${folderId}`);
    return row;
  }

  private rows(): FolderRow[] {
    return this.all<FolderRow>(`SELECT * FROM imap_folders ORDER BY id`);
  }

  private dropFolder(id: number): void {
    this.sql(`DELETE FROM imap_summaries WHERE folder = ?`, id);
    this.sql(`DELETE FROM imap_order WHERE folder = ?`, id);
    this.sql(`DELETE FROM imap_changes WHERE folder = ?`, id);
    this.sql(`DELETE FROM imap_uids WHERE folder = ?`, id);
    this.sql(`DELETE FROM imap_folders WHERE id = ?`, id);
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

  private sql(query: string, ...params: unknown[]): void {
    this.storage.sql.exec(query, ...params);
  }

  private all<T>(query: string, ...params: unknown[]): T[] {
    return this.storage.sql.exec(query, ...params).toArray() as T[];
  }

  private one<T>(query: string, ...params: unknown[]): T {
    return this.storage.sql.exec(query, ...params).one() as T;
  }
}

function translate(e: unknown): unknown {
  if (e instanceof ImapCommandError && /^NONEXISTENT/.test(e.code)) return new StoreNotFoundError(e.message);
  // A NO the operation did not handle itself, often without a code (Dovecot: "NO Mailbox was deleted under
  // us" when another session changes the folder): the device retries, and the next look sees the new state.
  if (e instanceof ImapCommandError && e.status === "NO") return new StoreUnavailableError(e.message);
  return e;
}
