// Failed-login throttling, one rule for built-in accounts (`accounts`) and bridged mailboxes
// (`mailbox_backends`), issue 13 §3. The numbers are in README.md ("Logins").
//
// - Per account: every `failuresPerLock`-th failure locks the account, first for `baseLockSeconds`, doubling
//   with each further lock up to `maxLockSeconds`. Failures are forgotten after `failureMemorySeconds`
//   without one.
// - Atomic: an attempt reserves its failure slot *before* its password is checked (compare-and-swap on the
//   row), and the reservation that reaches the budget sets the lock in the same statement. A concurrent
//   burst therefore gets at most `failuresPerLock` password checks; the rest are answered "locked".
// - A success returns only its own reservation: it does not erase failures it did not witness (a phone
//   syncing in the background must not hand a guesser a fresh budget). Cached successes touch nothing.
// - Per client address (CF-Connecting-IP), across accounts: `clientFailures` failures per
//   `clientWindowSeconds` (password spraying: a few guesses at many addresses). Generous, because Outlook
//   for iOS/Android reaches servers from a few shared cloud addresses.
// - The support console's admin-token sign-in and the admin API's Bearer token (src/admin/auth.ts): a stricter
//   budget per client address alone, shared by both (ClientBudget, CONSOLE_SIGNIN_BUDGET), the token compared
//   in constant time (src/admin/auth.ts tokenMatches). The API counts only wrong tokens (no write on success).
// - A locked answer spends the same time as a wrong password (no oracle for which addresses exist or are locked).

export interface LockoutPolicy {
  failuresPerLock: number;
  baseLockSeconds: number;
  maxLockSeconds: number;
  /** Failures are forgotten this long after the last one (and the lock level starts again). */
  failureMemorySeconds: number;
  /** Failed logins per client address per window, whatever the accounts. */
  clientFailures: number;
  clientWindowSeconds: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = {
  failuresPerLock: 5,
  baseLockSeconds: 60,
  maxLockSeconds: 30 * 60,
  failureMemorySeconds: 24 * 3600,
  clientFailures: 50,
  clientWindowSeconds: 15 * 60,
};

export function lockSeconds(failures: number, policy: LockoutPolicy): number {
  const level = Math.floor(failures / policy.failuresPerLock);
  return Math.min(policy.baseLockSeconds * 2 ** Math.min(level - 1, 20), policy.maxLockSeconds);
}

/** The two tables with failure counters; `lockUnitMs`: how their `locked_until` is stored (drizzle modes). */
export type LockTable = { name: "accounts"; lockUnitMs: 1000 } | { name: "mailbox_backends"; lockUnitMs: 1 };
export const ACCOUNTS_TABLE: LockTable = { name: "accounts", lockUnitMs: 1000 };
export const BACKENDS_TABLE: LockTable = { name: "mailbox_backends", lockUnitMs: 1 };

/** What an attempt holds while its password is checked. */
export interface Reservation {
  address: string;
  /** The lock this reservation set (ms), to lift it when the password turns out right. */
  lockedUntil: number | null;
  client: string | null;
}

export type ReserveResult = { ok: true; reservation: Reservation } | { ok: false; lockedUntil: Date };

interface CounterRow {
  failed_attempts: number;
  locked_until: number | null;
  last_failure_at: number | null;
}

const CAS_TRIES = 5;

/**
 * Attempts per client address per window (table `login_client_failures`), reserved before the secret is
 * checked and given back on success, so only failures stay counted. Keys are namespaced by their users: the
 * phones' and "My phones"' logins use the bare address, the console's token sign-in `console:<address>`.
 */
export class ClientBudget {
  constructor(
    private readonly db: D1Database,
    private readonly limit: number,
    private readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt for `key`; the end of its lock when over the budget, else null. */
  async reserve(key: string): Promise<Date | null> {
    const now = this.now();
    const start = now - this.windowSeconds * 1000;
    const row = await this.db
      .prepare(
        `INSERT INTO login_client_failures (client, failures, window_start) VALUES (?, 1, ?)
         ON CONFLICT (client) DO UPDATE SET
           failures = CASE WHEN window_start <= ? THEN 1 ELSE failures + 1 END,
           window_start = CASE WHEN window_start <= ? THEN excluded.window_start ELSE window_start END
         RETURNING failures, window_start`,
      )
      .bind(key.slice(0, 64), now, start, start)
      .first<{ failures: number; window_start: number }>();
    if (!row || row.failures <= this.limit) return null;
    return new Date(row.window_start + this.windowSeconds * 1000);
  }

  /** The attempt succeeded: its reservation is given back. */
  async release(key: string): Promise<void> {
    await this.releaseStatement(key).run();
  }

  releaseStatement(key: string): D1PreparedStatement {
    return this.db.prepare(`UPDATE login_client_failures SET failures = MAX(failures - 1, 0) WHERE client = ?`).bind(key.slice(0, 64));
  }
}

/**
 * The support console's admin-token sign-in (src/web/admin/): 10 wrong tokens per client address per 15
 * minutes. Stricter than the phones' budget: only staff use it, from few addresses, and one token opens every
 * mailbox. There is no account to lock, so the client address is the only key.
 */
export const CONSOLE_SIGNIN_BUDGET = { failures: 10, windowSeconds: 15 * 60 } as const;

export function consoleSignInBudget(db: D1Database, now: () => number = Date.now): ClientBudget {
  return new ClientBudget(db, CONSOLE_SIGNIN_BUDGET.failures, CONSOLE_SIGNIN_BUDGET.windowSeconds, now);
}

/** The console's key for a client address (CF-Connecting-IP; absent outside Cloudflare: one shared key). */
export const consoleClientKey = (client: string | null | undefined) => `console:${client || "unknown"}`;

export class Lockout {
  private readonly clients: ClientBudget;

  constructor(
    private readonly db: D1Database,
    private readonly table: LockTable,
    private readonly policy: LockoutPolicy = DEFAULT_LOCKOUT,
    private readonly now: () => number = Date.now,
  ) {
    this.clients = new ClientBudget(db, policy.clientFailures, policy.clientWindowSeconds, now);
  }

  /**
   * Reserves one failure for `address` (and one for `client`) before the password is checked. Not ok when the
   * account or the client is locked: the caller answers "locked" without checking the password.
   */
  async reserve(address: string, client: string | null): Promise<ReserveResult> {
    const clientLock = client ? await this.reserveClient(client) : null;
    if (clientLock) return { ok: false, lockedUntil: clientLock };
    const t = this.table;
    for (let i = 0; i < CAS_TRIES; i++) {
      const now = this.now();
      const row = await this.db
        .prepare(`SELECT failed_attempts, locked_until, last_failure_at FROM ${t.name} WHERE address = ?`)
        .bind(address)
        .first<CounterRow>();
      if (!row) return { ok: true, reservation: { address, lockedUntil: null, client } }; // gone meanwhile: nothing to count
      const locked = row.locked_until === null ? 0 : row.locked_until * t.lockUnitMs;
      if (locked > now) return { ok: false, lockedUntil: new Date(locked) };
      const stale = row.last_failure_at === null || row.last_failure_at <= now - this.policy.failureMemorySeconds * 1000;
      const next = (stale ? 0 : row.failed_attempts) + 1;
      const lockedUntil = next % this.policy.failuresPerLock === 0 ? now + lockSeconds(next, this.policy) * 1000 : null;
      const stored = lockedUntil === null ? row.locked_until : Math.ceil(lockedUntil / t.lockUnitMs);
      const r = await this.db
        .prepare(
          `UPDATE ${t.name} SET failed_attempts = ?, locked_until = ?, last_failure_at = ?
           WHERE address = ? AND failed_attempts = ? AND locked_until IS ? AND last_failure_at IS ?`,
        )
        .bind(next, stored, now, address, row.failed_attempts, row.locked_until, row.last_failure_at)
        .run();
      if (r.meta.changes === 1) {
        return { ok: true, reservation: { address, lockedUntil: lockedUntil === null ? null : stored! * t.lockUnitMs, client } };
      }
    }
    // Lost the race five times in a row: many attempts at once on this account, an attack. Refuse this one.
    return { ok: false, lockedUntil: new Date(this.now() + this.policy.baseLockSeconds * 1000) };
  }

  /**
   * The password was right (or could not be checked: the server was unreachable): this attempt's reservations
   * are returned, and a lock it set is lifted. Nobody else's failures are touched.
   */
  async release(r: Reservation): Promise<void> {
    const t = this.table;
    const mine = r.lockedUntil === null ? null : r.lockedUntil / t.lockUnitMs;
    const statements = [
      this.db
        .prepare(
          `UPDATE ${t.name} SET failed_attempts = MAX(failed_attempts - 1, 0),
             locked_until = CASE WHEN locked_until IS ? THEN NULL ELSE locked_until END
           WHERE address = ? AND failed_attempts > 0`,
        )
        .bind(mine, r.address),
    ];
    if (r.client) statements.push(this.clients.releaseStatement(r.client));
    await this.db.batch(statements);
  }

  /** A failure that reserves nothing per account (an unknown address, a malformed login): the client's budget. */
  async clientFailed(client: string | null): Promise<boolean> {
    return client ? (await this.reserveClient(client)) !== null : false;
  }

  private reserveClient(client: string): Promise<Date | null> {
    return this.clients.reserve(client);
  }
}
