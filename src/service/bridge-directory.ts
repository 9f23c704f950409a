// Logins of bridged mailboxes (issue 8): the password is the mail account's own, checked by logging in to the
// account's IMAP server. A success is cached per isolate for a short time (keyed hash, never the password),
// so a phone's stream of requests costs one IMAP login every couple of minutes, not one per request.
// Failures are counted and locked like built-in accounts' (directory.ts): the IMAP server has its own
// protections, but a guesser should not reach it at full speed through us, nor get its account locked there.
import { eq, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { mailboxBackends } from "../db/schema";
import type { ImapCredentials, ImapEndpoint } from "../store/imap/connection";
import { verifyImapLogin } from "../store/imap/connection";
import { type AuthResult, countFailure, DEFAULT_LOCKOUT, type LockoutPolicy } from "./directory";
import { type MailboxBackendRow } from "./mailbox-backends";
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
 * Checks in flight per isolate: a phone fires FolderSync, Sync and Ping together when its cached login has
 * expired; they share one IMAP login. Keyed by a hash, never the password.
 */
const sharedInflight = new Map<string, Promise<boolean>>();

async function inflightKey(address: string, binding: string, password: string): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${binding}\u0000${password}`)));
  return `${address}\u0000${[...h].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** A cached success holds only for the endpoint it was checked against, as configured at that time. */
function bindingOf(row: MailboxBackendRow): string {
  return `imap\u0000${row.imapHost}\u0000${row.imapPort}\u0000${row.imapTls}\u0000${row.updatedAt.getTime()}`;
}

export class BridgeAuthenticator {
  constructor(
    private readonly db: DrizzleD1Database<Record<string, never>>,
    private readonly policy: LockoutPolicy = DEFAULT_LOCKOUT,
    private readonly now: () => number = Date.now,
    private readonly cache: VerifiedCredentialCache = bridgeLoginCache,
    private readonly check: ImapLoginCheck = checkImapLogin,
    private readonly inflight: Map<string, Promise<boolean>> = sharedInflight,
  ) {}

  /**
   * `row` is the address's mailbox_backends row. Throws (StoreUnavailableError) when the IMAP server cannot
   * answer: the front door turns that into 503 + Retry-After, and it counts as no failure.
   */
  async authenticate(row: MailboxBackendRow, password: string): Promise<AuthResult> {
    const address = row.address;
    if (row.lockedUntil && row.lockedUntil.getTime() > this.now()) return { ok: false, reason: "locked", lockedUntil: row.lockedUntil };
    const binding = bindingOf(row);
    const bridged = { push: row.push };
    if (await this.cache.has(address, binding, password)) return { ok: true, address, bridged };
    const endpoint: ImapEndpoint = { host: row.imapHost, port: row.imapPort, tls: row.imapTls };
    const key = await inflightKey(address, binding, password);
    const joined = this.inflight.get(key);
    if (joined) {
      // Another request is asking the server the same question: its answer is ours (counted once, by it).
      return (await joined) ? { ok: true, address, bridged } : { ok: false, reason: "wrong_password" };
    }
    // The IMAP login is the normalised address (BRIDGE.md): what the account is named by on the server.
    const asked = this.check(endpoint, { user: address, password }).finally(() => this.inflight.delete(key));
    this.inflight.set(key, asked);
    if (!(await asked)) return this.recordFailure(address);
    await this.cache.add(address, binding, password);
    if (row.failedAttempts !== 0 || row.lockedUntil) {
      await this.db.update(mailboxBackends).set({ failedAttempts: 0, lockedUntil: null }).where(eq(mailboxBackends.address, address));
    }
    return { ok: true, address, bridged };
  }

  /** The mailbox's server refused the cached password (changed there meanwhile): ask the server next time. */
  forget(address: string): void {
    this.cache.forget(address);
  }

  private recordFailure(address: string): Promise<AuthResult> {
    return countFailure(
      async () => {
        const [r] = await this.db
          .update(mailboxBackends)
          .set({ failedAttempts: sql`${mailboxBackends.failedAttempts} + 1` })
          .where(eq(mailboxBackends.address, address))
          .returning({ failedAttempts: mailboxBackends.failedAttempts });
        return r?.failedAttempts ?? 0;
      },
      async (lockedUntil) => {
        await this.db.update(mailboxBackends).set({ lockedUntil }).where(eq(mailboxBackends.address, address));
      },
      this.policy,
      this.now,
    );
  }
}
