// Remembers, per isolate and for a few minutes, that a password was verified, so a phone's steady stream of
// requests does not pay 100 000 PBKDF2 rounds (built-in accounts) or an IMAP login (bridged mailboxes) each
// time. Only a keyed SHA-256 of the password is kept (the key is random per isolate), never the password.
// An entry is bound to what the password was checked against (stored hash and salt, or the IMAP endpoint):
// a new password (new salt), a re-pointed backend or a lock (checked before the cache) takes effect at once.
import type { PasswordHash } from "./password";
import { constantTimeEqual } from "./password";

/** What a built-in account's cached success is bound to. */
export function hashBinding(stored: PasswordHash): string {
  return `${stored.salt}\u0000${stored.hash}`;
}

// Workers forbid random values in global scope: made on first use.
let isolateKey: Uint8Array | undefined;

async function digest(binding: string, password: string): Promise<Uint8Array> {
  isolateKey ??= crypto.getRandomValues(new Uint8Array(32));
  const data = new TextEncoder().encode(`${binding}\u0000${password}`);
  const buf = new Uint8Array(isolateKey.length + data.length);
  buf.set(isolateKey);
  buf.set(data, isolateKey.length);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
}

export class VerifiedCredentialCache {
  private readonly entries = new Map<string, { digest: Uint8Array; expires: number }>();

  constructor(
    private readonly ttlMs = 5 * 60_000,
    private readonly maxEntries = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  async has(address: string, binding: string, password: string): Promise<boolean> {
    const e = this.entries.get(address);
    if (!e) return false;
    if (e.expires <= this.now()) {
      this.entries.delete(address);
      return false;
    }
    return constantTimeEqual(e.digest, await digest(binding, password));
  }

  async add(address: string, binding: string, password: string): Promise<void> {
    this.entries.delete(address);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(address, { digest: await digest(binding, password), expires: this.now() + this.ttlMs });
  }

  /** Drops the address's entry (the backend refused the cached password). */
  forget(address: string): void {
    this.entries.delete(address);
  }
}
