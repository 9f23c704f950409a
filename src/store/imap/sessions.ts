// The IMAP store's one session: opened on first use, one caller at a time, closed after `idleMs` idle, and the
// mailbox it has selected. IMAP errors an operation did not handle become store errors here.
import { StoreNotFoundError, StoreUnavailableError } from "../types";
import { type Arg, type ImapCredentials, type ImapEndpoint, ImapCommandError, ImapSession, type ImapSessionOptions, q } from "./connection";
import { str } from "./parser";
import type { FolderRow } from "./state";
import { kind, parseItemId } from "./wire";

export interface ImapSessionsConfig {
  endpoint: ImapEndpoint;
  /**
   * The account's login, or a getter read at each session opening (a bridged mailbox hands it over in
   * memory with each device request; the getter throws StoreUnavailableError while none is there).
   */
  credentials: ImapCredentials | (() => ImapCredentials);
  session?: ImapSessionOptions;
  /** Close the IMAP session this long after the last call (ms). */
  idleMs?: number;
}

export type Selected = { path: string; writable: boolean; highestModseq: number; uidvalidity: number; exists: number };

export class ImapSessions {
  private session: ImapSession | null = null;
  /** The mailbox the session has selected (SELECT/EXAMINE), null when none or unknown. */
  selected: Selected | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Called when the session closes (idle, or the end of a request): what was kept for it can go. */
  onClose?: () => void;

  /**
   * `serverUid`: the UID on the server behind the UID an item id carries (a replaced draft's alias → its
   * current version, MirrorDb.serverUid); the identity when absent.
   */
  constructor(
    private readonly config: ImapSessionsConfig,
    private readonly serverUid: (folder: number, uid: number) => number = (_f, uid) => uid,
  ) {}

  /** Runs `fn` with the (one) session, one caller at a time: SELECT state belongs to the running call. */
  use<T>(fn: (s: ImapSession) => Promise<T>): Promise<T> {
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
    this.onClose?.();
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
    this.onClose?.();
    await s?.close();
  }

  async select(s: ImapSession, row: FolderRow, writable: boolean): Promise<Selected> {
    if (this.selected && this.selected.path === row.path && (this.selected.writable || !writable)) return this.selected;
    return this.open(s, row, writable);
  }

  /**
   * Selects the folder again even when it is selected: SELECT/EXAMINE opens the mailbox afresh (RFC 9051
   * §6.3.2), so its UIDVALIDITY, HIGHESTMODSEQ (CONDSTORE) and EXISTS are the server's current ones, as a
   * STATUS of an unselected mailbox would give, and the folder is then selected for what follows. Keeps the
   * selection's mode (read-write stays read-write).
   */
  reselect(s: ImapSession, row: FolderRow): Promise<Selected> {
    return this.open(s, row, this.selected?.path === row.path && this.selected.writable);
  }

  private async open(s: ImapSession, row: FolderRow, writable: boolean): Promise<Selected> {
    const args: Arg[] = [writable ? "SELECT" : "EXAMINE", q(row.path)];
    if (s.has("CONDSTORE")) args.push("(CONDSTORE)");
    this.selected = null;
    const r = await s.command(args);
    const sel: Selected = { path: row.path, writable, highestModseq: 0, uidvalidity: 0, exists: 0 };
    for (const u of [...r.untagged, r.done]) {
      if (u !== r.done && kind(u) === "EXISTS") sel.exists = Number(u.tokens[0]);
      const code = u.code;
      if (!code) continue;
      const key = str(code[0]).toUpperCase();
      if (key === "HIGHESTMODSEQ") sel.highestModseq = Number(str(code[1]));
      if (key === "UIDVALIDITY") sel.uidvalidity = Number(str(code[1]));
    }
    this.selected = sel;
    return sel;
  }

  /**
   * Selects the item's folder and returns its UID, or null when the id is malformed or was given under
   * another UIDVALIDITY: after a mailbox is recreated the same UID names another message, and acting on it
   * (delete, move) would hit the wrong one.
   */
  async selectItem(s: ImapSession, row: FolderRow, itemId: string, writable: boolean): Promise<number | null> {
    const id = parseItemId(itemId);
    if (!id) return null;
    const sel = await this.select(s, row, writable);
    return id.validity === (sel.uidvalidity || row.uidvalidity) ? this.serverUid(row.id, id.uid) : null;
  }
}

function translate(e: unknown): unknown {
  if (e instanceof ImapCommandError && /^NONEXISTENT/.test(e.code)) return new StoreNotFoundError(e.message);
  // A NO the operation did not handle itself, often without a code (Dovecot: "NO Mailbox was deleted under
  // us" when another session changes the folder): the device retries, and the next look sees the new state.
  if (e instanceof ImapCommandError && e.status === "NO") return new StoreUnavailableError(e.message);
  return e;
}
