// Logins of bridged mailboxes (issue 8): the password is the mail account's own, checked by logging in to the
// account's IMAP server. A success is cached per isolate for a short time (keyed hash, never the password),
// so a phone's stream of requests costs one IMAP login every couple of minutes, not one per request.
// Failures are counted and locked by the same rule as built-in accounts' (lockout.ts): the IMAP server has its
// own protections, but a guesser should not reach it at full speed through us, nor get its account locked there.
import { waitUntil } from "cloudflare:workers";
import { type ImapCredentials, type ImapEndpoint, verifyImapLogin } from "../store/imap";
import type { AuthResult } from "./auth-result";
import { BACKENDS_TABLE, DEFAULT_LOCKOUT, Lockout, type LockoutPolicy } from "./lockout";
import type { MailboxBackendRow } from "./mailbox-backends";
import { VerifiedCredentialCache } from "./verified-cache";

/** How long a verified bridged login is trusted without asking the IMAP server again. */
export const BRIDGE_LOGIN_TTL_MS = 2 * 60_000;
/** A login check that takes longer is an outage (503), not a refusal. */
export const BRIDGE_LOGIN_TIMEOUT_MS = 10_000;

export type ImapLoginCheck = (endpoint: ImapEndpoint, credentials: ImapCredentials) => Promise<boolean>;

const checkImapLogin: ImapLoginCheck = (endpoint, credentials) =>
  verifyImapLogin(endpoint, credentials, { timeoutMs: BRIDGE_LOGIN_TIMEOUT_MS });

/** Per isolate, shared by every request it serves. */
export const bridgeLoginCache = new VerifiedCredentialCache(BRIDGE_LOGIN_TTL_MS);

/**
 * A check in flight, as other requests see it: when it started and, once settled, its answer — plain data,
 * never its promise. workerd drops the I/O of a request whose client hung up (its D1 query, its IMAP socket,
 * its timers), so a promise made by that request may never settle, and a request awaiting it would wait
 * forever (issue 19: bridged requests unanswered for 300 s in the chaos runs); a promise of another request
 * that does settle runs the awaiting request's continuation in the wrong I/O context ("Cannot perform I/O on
 * behalf of a different request", the same bug fixed in global-device-rules.ts). So a request that finds a
 * check in flight polls for its answer on its own timers, and checks for itself if none comes in time.
 */
export interface InflightCheck {
  started: number;
  settled?: { result: AuthResult } | { error: unknown };
}

/**
 * Checks in flight per isolate: a phone fires FolderSync, Sync and Ping together when its cached login has
 * expired; they share one IMAP login. Keyed by a hash, never the password.
 */
const sharedInflight = new Map<string, InflightCheck>();

/** How often a request waiting for another request's check looks for its answer. */
const JOIN_POLL_MS = 20;
/**
 * How long a request waits for another request's check before asking the server itself: that check's own
 * steps time out (BRIDGE_LOGIN_TIMEOUT_MS each: connect and greeting, login), and it runs under waitUntil,
 * which the platform lets run 30 s after its request ended; past that, its request is gone for good.
 */
export const BRIDGE_JOIN_LIMIT_MS = 30_000;

/** Keeps a request's check running after its client hung up (the platform's waitUntil), when there is one. */
function keepAliveInRequest(p: Promise<unknown>): void {
  try {
    waitUntil(p);
  } catch {
    // No request context (a test calling in directly): nothing to extend.
  }
}

async function inflightKey(address: string, binding: string, password: string): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${binding}\u0000${password}`)));
  return `${address}\u0000${[...h].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** A cached success holds only for the endpoint it was checked against, as configured at that time. */
function bindingOf(row: MailboxBackendRow): string {
  return `imap\u0000${row.imapHost}\u0000${row.imapPort}\u0000${row.imapTls}\u0000${row.updatedAt.getTime()}`;
}

/**
 * How long an IMAP login check takes here (moving average per isolate): a locked or throttled answer waits as
 * long, so it cannot be told from a wrong password by its time.
 */
let typicalCheckMs = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class BridgeAuthenticator {
  private readonly lockout: Lockout;

  constructor(
    db: D1Database,
    policy: LockoutPolicy = DEFAULT_LOCKOUT,
    private readonly now: () => number = Date.now,
    private readonly cache: VerifiedCredentialCache = bridgeLoginCache,
    private readonly check: ImapLoginCheck = checkImapLogin,
    private readonly inflight: Map<string, InflightCheck> = sharedInflight,
    /** Keeps a check running when its request ends early (the phone hung up): ctx.waitUntil. */
    private readonly keepAlive: (p: Promise<unknown>) => void = keepAliveInRequest,
  ) {
    this.lockout = new Lockout(db, BACKENDS_TABLE, policy, now);
  }

  /**
   * `row` is the address's mailbox_backends row. Throws (StoreUnavailableError) when the IMAP server cannot
   * answer: the front door turns that into 503 + Retry-After, and it counts as no failure.
   */
  async authenticate(row: MailboxBackendRow, password: string, client: string | null = null): Promise<AuthResult> {
    const address = row.address;
    const locked = async (lockedUntil: Date): Promise<AuthResult> => {
      await sleep(typicalCheckMs);
      return { ok: false, reason: "locked", lockedUntil };
    };
    if (row.lockedUntil && row.lockedUntil.getTime() > this.now()) return locked(row.lockedUntil);
    const binding = bindingOf(row);
    const bridged = { push: row.push };
    if (await this.cache.has(address, binding, password)) return { ok: true, address, bridged };
    const endpoint: ImapEndpoint = { host: row.imapHost, port: row.imapPort, tls: row.imapTls };
    const key = await inflightKey(address, binding, password);
    // Another request is asking the server the same question: its answer is ours (counted once, by it).
    const joined = await this.join(key);
    if (joined) {
      if ("error" in joined) throw joined.error;
      return joined.result;
    }
    // Registered before anything is awaited, so that requests arriving meanwhile join this one.
    const entry: InflightCheck = { started: this.now() };
    this.inflight.set(key, entry);
    const asking = this.ask(row, endpoint, password, client, locked)
      .then(
        async (result) => {
          if (result.ok) await this.cache.add(address, binding, password);
          entry.settled = { result };
          return result;
        },
        (error: unknown) => {
          entry.settled = { error };
          throw error;
        },
      )
      .finally(() => {
        if (this.inflight.get(key) === entry) this.inflight.delete(key);
      });
    // A phone that hangs up mid-check must not leave its failure reserved (lockout.ts) nor its joiners waiting.
    this.keepAlive(
      asking.then(
        () => undefined,
        () => undefined,
      ),
    );
    return asking;
  }

  /**
   * The settled answer of another request's check of the same login, waited for on this request's own timers;
   * null when there is none, or it did not come within BRIDGE_JOIN_LIMIT_MS (that request vanished): ask then.
   */
  private async join(key: string): Promise<InflightCheck["settled"] | null> {
    const other = this.inflight.get(key);
    if (!other) return null;
    while (!other.settled) {
      if (this.inflight.get(key) !== other) return null;
      if (this.now() - other.started > BRIDGE_JOIN_LIMIT_MS) {
        this.inflight.delete(key);
        return null;
      }
      await sleep(JOIN_POLL_MS);
    }
    return other.settled;
  }

  /** One check against the IMAP server, its failure reserved first (lockout.ts). */
  private async ask(
    row: MailboxBackendRow,
    endpoint: ImapEndpoint,
    password: string,
    client: string | null,
    locked: (until: Date) => Promise<AuthResult>,
  ): Promise<AuthResult> {
    const address = row.address;
    const reserved = await this.lockout.reserve(address, client);
    if (!reserved.ok) return locked(reserved.lockedUntil);
    const started = Date.now();
    let ok: boolean;
    try {
      // The IMAP login is the normalised address (BRIDGE.md): what the account is named by on the server.
      ok = await this.check(endpoint, { user: address, password });
    } catch (e) {
      // The server could not answer (503 for the device): not a failure of this login.
      await this.lockout.release(reserved.reservation);
      throw e;
    }
    typicalCheckMs = Math.min(5_000, Math.round(0.8 * typicalCheckMs + 0.2 * (Date.now() - started)));
    if (!ok) {
      const until = reserved.reservation.lockedUntil;
      return until === null ? { ok: false, reason: "wrong_password" } : { ok: false, reason: "locked", lockedUntil: new Date(until) };
    }
    await this.lockout.release(reserved.reservation);
    return { ok: true, address, bridged: { push: row.push } };
  }

  /** The mailbox's server refused the cached password (changed there meanwhile): ask the server next time. */
  forget(address: string): void {
    this.cache.forget(address);
  }
}
