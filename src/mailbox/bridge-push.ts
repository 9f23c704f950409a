// Push from Dovecot for a bridged mailbox (`push: "notify"`), kept alive: the registration (our METADATA entry,
// ImapStore.enablePush) is set once per account and server, checked again cheaply, and set again when it is
// gone; and while devices wait on a mailbox the server has not announced anything for a while, a rare safety
// poll re-reads the watched folders, so mail the server did not announce still arrives (issue 19).
//
//   registration  set when the backend or login changes (and after every PUT …/backend); verified with one
//                 GETMETADATA at an object's first login when the last check is over VERIFY_AFTER_LOGIN_MS
//                 old, at least every VERIFY_MAX_MS while devices wait, and at once when a safety poll found
//                 mail nobody announced
//   safety poll   at most one per BRIDGE_SAFETY_POLL_SECONDS (default 900) per mailbox, and only when nothing
//                 was announced for that long; driven by the Worker holding a wait (src/eas/front/wait.ts)
import { logError, logEvent } from "../observability/log";
import type { BridgeMailStore } from "../store/bridge";
import type { BackendCredentials, BridgeBackend } from "./contract";
import { createIfMissing } from "../store/ddl";
export { DEFAULT_SAFETY_POLL_SECONDS, safetyPollSeconds } from "./contract";

/** A verification at an object's first login only when the last one is older (a login is not free). */
export const VERIFY_AFTER_LOGIN_MS = 60 * 60_000;
/** The registration is verified at least this often while devices wait (the "at least daily"). */
export const VERIFY_MAX_MS = 24 * 60 * 60_000;
const TABLES = [
  `CREATE TABLE IF NOT EXISTS bridge_push (k INTEGER PRIMARY KEY CHECK (k = 1), enabled_for TEXT NOT NULL)`,
  // Times in ms: last verification of the registration, last notification heard, last safety poll.
  `CREATE TABLE IF NOT EXISTS bridge_push_watch (k INTEGER PRIMARY KEY CHECK (k = 1),
     verified_at INTEGER NOT NULL DEFAULT 0, heard_at INTEGER NOT NULL DEFAULT 0, safety_at INTEGER NOT NULL DEFAULT 0)`,
  `INSERT OR IGNORE INTO bridge_push_watch (k) VALUES (1)`,
];

type Watch = { verified_at: number; heard_at: number; safety_at: number };

export class BridgePush {
  /** Whether this object instance has checked the registration since it was constructed. */
  #checkedThisInstance = false;

  constructor(
    private readonly sql: SqlStorage,
    private readonly now: () => number = Date.now,
  ) {
    for (const t of TABLES) createIfMissing(sql, t);
  }

  private watch(): Watch {
    return this.sql.exec<Watch>(`SELECT verified_at, heard_at, safety_at FROM bridge_push_watch WHERE k = 1`).toArray()[0]!;
  }

  /**
   * With a login the front door just verified: registers push when the backend or login changed, else
   * verifies the registration when due (`force`: a safety poll found mail the server did not announce).
   * Never fails the device request that brought the login. Returns what was done.
   */
  async ensure(
    backend: BridgeBackend,
    store: BridgeMailStore,
    login: BackendCredentials,
    address: string,
    force = false,
  ): Promise<"registered" | "verified" | "restored" | "none"> {
    if (backend.push !== "notify") return "none";
    const key = JSON.stringify([backend.imap.host.toLowerCase(), backend.imap.port, login.username.toLowerCase(), address]);
    const known = this.sql.exec<{ enabled_for: string }>(`SELECT enabled_for FROM bridge_push WHERE k = 1`).toArray()[0]?.enabled_for;
    const now = this.now();
    const age = now - this.watch().verified_at;
    const firstLogin = !this.#checkedThisInstance;
    this.#checkedThisInstance = true; // before the await: concurrent requests of a new instance check once
    try {
      if (known !== key) {
        const enabled = await store.imap.enablePush(address);
        // Remembered either way: a server without METADATA is not asked again at every request.
        this.sql.exec(`INSERT OR REPLACE INTO bridge_push (k, enabled_for) VALUES (1, ?)`, key);
        this.sql.exec(`UPDATE bridge_push_watch SET verified_at = ? WHERE k = 1`, now);
        if (!enabled) logEvent("push", { event: "no-metadata", imap_host: backend.imap.host }, "warn");
        return "registered";
      }
      if (!(force || age >= VERIFY_MAX_MS || (firstLogin && age >= VERIFY_AFTER_LOGIN_MS))) return "none";
      const found = await store.imap.verifyPush(address);
      this.sql.exec(`UPDATE bridge_push_watch SET verified_at = ? WHERE k = 1`, now);
      if (found === "restored") logEvent("push", { event: "registration-restored", imap_host: backend.imap.host }, "warn");
      return found === "restored" ? "restored" : "verified";
    } catch (e) {
      logError("bridge: enabling or verifying push (retried with the next login)", e);
      return "none";
    }
  }

  /** The server announced something (webhook): it is alive, no safety poll needed for a while. */
  heard(): void {
    this.sql.exec(`UPDATE bridge_push_watch SET heard_at = ? WHERE k = 1`, this.now());
  }

  /**
   * Whether a safety poll is due now (nothing heard and no safety poll for `intervalMs`); when it is, it is
   * claimed at once, so the Workers of several waiting devices poll once between them.
   */
  claimSafetyPoll(intervalMs: number): boolean {
    const w = this.watch();
    const now = this.now();
    if (now - Math.max(w.heard_at, w.safety_at) < intervalMs) return false;
    this.sql.exec(`UPDATE bridge_push_watch SET safety_at = ? WHERE k = 1`, now);
    return true;
  }

  /** The backend was set or re-pointed: register again with the next login, whatever it was before. */
  forget(): void {
    this.sql.exec(`DELETE FROM bridge_push`);
    this.sql.exec(`UPDATE bridge_push_watch SET verified_at = 0, safety_at = 0 WHERE k = 1`);
  }
}
