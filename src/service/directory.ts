// The user directory behind Basic authentication. Built in: accounts in D1 (table `accounts`). Bridged
// mailboxes (table `mailbox_backends`) are checked by their IMAP server instead (bridge-directory.ts).
import { type Column, eq, getTableColumns } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { accounts, mailboxBackends } from "../db/schema";
import { normaliseAddress } from "./address";
import type { AuthResult } from "./auth-result";
import { BridgeAuthenticator } from "./bridge-directory";
import { ACCOUNTS_TABLE, DEFAULT_LOCKOUT, Lockout, type LockoutPolicy } from "./lockout";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./password";
import { hashBinding, VerifiedCredentialCache } from "./verified-cache";

export { normaliseAddress } from "./address";

export type { AuthResult } from "./auth-result";
export { DEFAULT_LOCKOUT, type LockoutPolicy, lockSeconds } from "./lockout";

export interface UserDirectory {
  /**
   * `login` is what the device sent (user@domain or domain\user); the result carries the canonical address.
   * `client` is the client's address (CF-Connecting-IP): failures are also budgeted per client (lockout.ts).
   */
  authenticate(login: string, password: string, client?: string | null): Promise<AuthResult>;
  /** A backend refused the address's login after the directory accepted it: drop any cached success. */
  forget?(address: string): void;
}

export class DirectoryError extends Error {
  constructor(
    readonly code: "invalid_address" | "invalid_password" | "exists" | "not_found",
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = "DirectoryError";
  }
}

const MAX_PASSWORD = 1024;

export class D1UserDirectory implements UserDirectory {
  private readonly bridge: BridgeAuthenticator;
  private readonly lockout: Lockout;

  constructor(
    private readonly d1: D1Database,
    policy: LockoutPolicy = DEFAULT_LOCKOUT,
    private readonly now: () => number = Date.now,
    private readonly cache: VerifiedCredentialCache = sharedCache,
    bridge?: BridgeAuthenticator,
  ) {
    this.bridge = bridge ?? new BridgeAuthenticator(d1, policy, now);
    this.lockout = new Lockout(d1, ACCOUNTS_TABLE, policy, now);
  }

  async authenticate(login: string, password: string, client: string | null = null): Promise<AuthResult> {
    const started = Date.now();
    const result = await this.check(login, password, client);
    const spent = Date.now() - started;
    if (!result.ok && result.reason === "wrong_password") typicalWrongMs = Math.round(0.8 * typicalWrongMs + 0.2 * spent);
    // Every refusal takes as long as a wrong password does here (its PBKDF2 and its D1 writes): no oracle for
    // which addresses exist or are locked.
    else if (!result.ok && spent < typicalWrongMs) await new Promise((r) => setTimeout(r, typicalWrongMs - spent));
    return result;
  }

  private async check(login: string, password: string, client: string | null): Promise<AuthResult> {
    const address = normaliseAddress(login);
    if (!address || password.length > MAX_PASSWORD) {
      await Promise.all([burnPasswordCheck(password), this.lockout.clientFailed(client)]);
      return { ok: false, reason: "invalid" };
    }
    // One statement for both kinds of mailbox, read fresh on every request (a lock or a new password counts at once).
    const { account: row, bridged } = await loginRows(this.d1, address);
    if (bridged) return this.bridge.authenticate(bridged, password, client);
    if (!row) {
      await Promise.all([burnPasswordCheck(password), this.lockout.clientFailed(client)]);
      return { ok: false, reason: "unknown" };
    }
    const locked = (lockedUntil: Date): AuthResult => ({ ok: false, reason: "locked", lockedUntil });
    // A lock is checked before the cache: a locked account does not even take its owner's cached password.
    if (row.lockedUntil && row.lockedUntil.getTime() > this.now()) {
      await burnPasswordCheck(password); // as long as a wrong password: no oracle for locked accounts
      return locked(row.lockedUntil);
    }
    const stored = { hash: row.passwordHash, salt: row.salt, iterations: row.iterations };
    const binding = hashBinding(stored);
    // A password verified a moment ago: no check, nothing counted (lockout.ts).
    if (await this.cache.has(address, binding, password)) return { ok: true, address };
    let reserved = await this.lockout.reserve(address, client);
    // A lock may be one set by a check still in flight (the burst of a phone's requests after a restart, every
    // cache empty: chaos seed 20261212): it lasts only as long as that check, which lifts it when the password
    // is right. So a refused attempt looks again after its refusal's time, and once more shortly after; a real
    // lock (failures) is still there and answers "locked", in the time a wrong password takes.
    for (let retry = 0; !reserved.ok && retry < LOCK_RECHECKS; retry++) {
      if (retry === 0) await burnPasswordCheck(password);
      else await new Promise((r) => setTimeout(r, LOCK_RECHECK_MS));
      reserved = await this.lockout.reserve(address, client);
    }
    if (!reserved.ok) return locked(reserved.lockedUntil);
    if (await verifyPassword(password, stored)) {
      await this.cache.add(address, binding, password);
      await this.lockout.release(reserved.reservation);
      return { ok: true, address };
    }
    const lockedUntil = reserved.reservation.lockedUntil;
    return lockedUntil === null ? { ok: false, reason: "wrong_password" } : locked(new Date(lockedUntil));
  }

  forget(address: string): void {
    this.bridge.forget(address);
  }
}

const sharedCache = new VerifiedCredentialCache();

/** How often a refused attempt looks again for a lock lifted by a check in flight, and how long apart. */
const LOCK_RECHECKS = 1;
const LOCK_RECHECK_MS = 150;

type AccountRow = typeof accounts.$inferSelect;
type BackendRow = typeof mailboxBackends.$inferSelect;

/** Each column of `table` as `<prefix><column name>`, and how to read such a result row back (drizzle's own mappers). */
function prefixed<T extends typeof accounts | typeof mailboxBackends>(table: T, alias: string, prefix: string) {
  const columns = Object.entries(getTableColumns(table)) as [string, Column][];
  return {
    select: columns.map(([, c]) => `${alias}."${c.name}" AS "${prefix}${c.name}"`).join(", "),
    read(raw: Record<string, unknown>): T["$inferSelect"] | undefined {
      if (raw[`${prefix}address`] == null) return undefined;
      const row: Record<string, unknown> = {};
      for (const [key, c] of columns) {
        const v = raw[`${prefix}${c.name}`];
        row[key] = v == null ? null : c.mapFromDriverValue(v);
      }
      return row as T["$inferSelect"];
    },
  };
}

const accountColumns = prefixed(accounts, "a", "a_");
const backendColumns = prefixed(mailboxBackends, "b", "b_");
/** The login's account row and bridge row in one statement (issue 15: one D1 statement per device request). */
const LOGIN_SQL =
  `SELECT ${accountColumns.select}, ${backendColumns.select} FROM (SELECT ?1 AS k) q ` +
  "LEFT JOIN accounts a ON a.address = q.k LEFT JOIN mailbox_backends b ON b.address = q.k";

async function loginRows(d1: D1Database, address: string): Promise<{ account?: AccountRow; bridged?: BackendRow }> {
  const raw = await d1.prepare(LOGIN_SQL).bind(address).first<Record<string, unknown>>();
  return raw ? { account: accountColumns.read(raw), bridged: backendColumns.read(raw) } : {};
}

/** How long a wrong built-in password takes to answer in this isolate (moving average, ms). */
let typicalWrongMs = 150;

function checkPassword(password: string): void {
  if (password.length === 0 || password.length > MAX_PASSWORD) {
    throw new DirectoryError("invalid_password", 400, `password must have 1 to ${MAX_PASSWORD} characters`);
  }
}

function requireAddress(address: string): string {
  const a = normaliseAddress(address);
  if (!a) throw new DirectoryError("invalid_address", 400, `not a mail address: ${address}`);
  return a;
}

/** Creates a login for a mailbox. Throws DirectoryError 409 "exists" when the address already has one. */
export async function createAccount(db: D1Database, address: string, password: string): Promise<{ address: string }> {
  const a = requireAddress(address);
  checkPassword(password);
  const [bridged] = await drizzle(db)
    .select({ address: mailboxBackends.address })
    .from(mailboxBackends)
    .where(eq(mailboxBackends.address, a))
    .limit(1);
  if (bridged) throw new DirectoryError("exists", 409, `a bridged mailbox already exists: ${a}`);
  const h = await hashPassword(password);
  const inserted = await drizzle(db)
    .insert(accounts)
    .values({ address: a, passwordHash: h.hash, salt: h.salt, iterations: h.iterations, createdAt: new Date(), failedAttempts: 0 })
    .onConflictDoNothing()
    .returning({ address: accounts.address });
  if (inserted.length === 0) throw new DirectoryError("exists", 409, `account already exists: ${a}`);
  return { address: a };
}

/** Replaces the password (new salt) and lifts any lock. Throws DirectoryError 404 for an unknown address. */
export async function setPassword(db: D1Database, address: string, password: string): Promise<void> {
  const a = requireAddress(address);
  checkPassword(password);
  const h = await hashPassword(password);
  const updated = await drizzle(db)
    .update(accounts)
    .set({ passwordHash: h.hash, salt: h.salt, iterations: h.iterations, failedAttempts: 0, lockedUntil: null, lastFailureAt: null })
    .where(eq(accounts.address, a))
    .returning({ address: accounts.address });
  if (updated.length === 0) throw new DirectoryError("not_found", 404, `no such account: ${a}`);
}
