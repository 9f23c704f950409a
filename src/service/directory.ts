// The user directory behind Basic authentication. Built in: accounts in D1 (table `accounts`). Bridged
// mailboxes (table `mailbox_backends`) are checked by their IMAP server instead (bridge-directory.ts).
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { accounts, mailboxBackends } from "../db/schema";
import { normaliseAddress } from "./address";
import { BridgeAuthenticator } from "./bridge-directory";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./password";
import { hashBinding, VerifiedCredentialCache } from "./verified-cache";

export { normaliseAddress } from "./address";

export type AuthResult =
  /** `bridged`: the mailbox lives on the provider's servers; the front door hands the login to its object. */
  | { ok: true; address: string; bridged?: { push: "notify" | "poll" } }
  /** invalid: not an address; unknown: no such account; locked: too many failures, password not even checked. */
  | { ok: false; reason: "invalid" | "unknown" | "wrong_password" | "locked"; lockedUntil?: Date };

export interface UserDirectory {
  /** `login` is what the device sent (user@domain or domain\user); the result carries the canonical address. */
  authenticate(login: string, password: string): Promise<AuthResult>;
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

/**
 * Failed logins per account: every `failuresPerLock` consecutive failures lock the account, first for
 * `baseLockSeconds`, doubling with each further lock up to `maxLockSeconds`. A success resets the count.
 * Per account, not per IP: Outlook for iOS/Android reaches servers from a few shared cloud addresses.
 */
export interface LockoutPolicy {
  failuresPerLock: number;
  baseLockSeconds: number;
  maxLockSeconds: number;
}
export const DEFAULT_LOCKOUT: LockoutPolicy = { failuresPerLock: 5, baseLockSeconds: 60, maxLockSeconds: 30 * 60 };

export function lockSeconds(failures: number, policy: LockoutPolicy): number {
  const level = Math.floor(failures / policy.failuresPerLock);
  return Math.min(policy.baseLockSeconds * 2 ** Math.min(level - 1, 20), policy.maxLockSeconds);
}

const MAX_PASSWORD = 1024;

export class D1UserDirectory implements UserDirectory {
  private readonly db;
  private readonly bridge: BridgeAuthenticator;

  constructor(
    d1: D1Database,
    private readonly policy: LockoutPolicy = DEFAULT_LOCKOUT,
    private readonly now: () => number = Date.now,
    private readonly cache: VerifiedCredentialCache = sharedCache,
    bridge?: BridgeAuthenticator,
  ) {
    this.db = drizzle(d1);
    this.bridge = bridge ?? new BridgeAuthenticator(this.db, policy, now);
  }

  async authenticate(login: string, password: string): Promise<AuthResult> {
    const address = normaliseAddress(login);
    if (!address || password.length > MAX_PASSWORD) {
      await burnPasswordCheck(password);
      return { ok: false, reason: "invalid" };
    }
    // One round trip for both kinds of mailbox.
    const [[row], [bridged]] = await this.db.batch([
      this.db.select().from(accounts).where(eq(accounts.address, address)).limit(1),
      this.db.select().from(mailboxBackends).where(eq(mailboxBackends.address, address)).limit(1),
    ]);
    if (bridged) return this.bridge.authenticate(bridged, password);
    if (!row) {
      await burnPasswordCheck(password);
      return { ok: false, reason: "unknown" };
    }
    if (row.lockedUntil && row.lockedUntil.getTime() > this.now()) {
      return { ok: false, reason: "locked", lockedUntil: row.lockedUntil };
    }
    const stored = { hash: row.passwordHash, salt: row.salt, iterations: row.iterations };
    const binding = hashBinding(stored);
    const ok = (await this.cache.has(address, binding, password)) || (await verifyPassword(password, stored));
    if (ok) {
      await this.cache.add(address, binding, password);
      if (row.failedAttempts !== 0 || row.lockedUntil) {
        await this.db.update(accounts).set({ failedAttempts: 0, lockedUntil: null }).where(eq(accounts.address, address));
      }
      return { ok: true, address };
    }
    return this.recordFailure(address);
  }

  forget(address: string): void {
    this.bridge.forget(address);
  }

  private recordFailure(address: string): Promise<AuthResult> {
    return countFailure(
      async () => {
        const [r] = await this.db
          .update(accounts)
          .set({ failedAttempts: sql`${accounts.failedAttempts} + 1` })
          .where(eq(accounts.address, address))
          .returning({ failedAttempts: accounts.failedAttempts });
        return r?.failedAttempts ?? 0;
      },
      async (lockedUntil) => {
        await this.db.update(accounts).set({ lockedUntil }).where(eq(accounts.address, address));
      },
      this.policy,
      this.now,
    );
  }
}

/** One more failed login: `increment` counts it and returns the count; every `failuresPerLock`-th locks. */
export async function countFailure(
  increment: () => Promise<number>,
  lock: (until: Date) => Promise<void>,
  policy: LockoutPolicy,
  now: () => number,
): Promise<AuthResult> {
  const failures = await increment();
  if (failures > 0 && failures % policy.failuresPerLock === 0) {
    const lockedUntil = new Date(now() + lockSeconds(failures, policy) * 1000);
    await lock(lockedUntil);
    return { ok: false, reason: "locked", lockedUntil };
  }
  return { ok: false, reason: "wrong_password" };
}

const sharedCache = new VerifiedCredentialCache();

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
    .set({ passwordHash: h.hash, salt: h.salt, iterations: h.iterations, failedAttempts: 0, lockedUntil: null })
    .where(eq(accounts.address, a))
    .returning({ address: accounts.address });
  if (updated.length === 0) throw new DirectoryError("not_found", 404, `no such account: ${a}`);
}
