// Salted PBKDF2-SHA256 password hashes through WebCrypto (the same code runs in workerd and in Node 24).
import { fromBase64, toBase64 } from "../formats/base64";

/** workerd refuses PBKDF2 above 100 000 iterations; use its maximum. */
export const PBKDF2_ITERATIONS = 100_000;
const SALT_BYTES = 16;
const KEY_BITS = 256;

export interface PasswordHash {
  /** base64 of the derived key */
  hash: string;
  /** base64 of the salt */
  salt: string;
  iterations: number;
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, KEY_BITS);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<PasswordHash> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  return { hash: toBase64(await derive(password, salt, iterations)), salt: toBase64(salt), iterations };
}

/** Compares in time independent of where the inputs differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Whether the password derives the stored hash; a stored hash that is not base64 matches no password. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = fromBase64(stored.hash);
  const salt = fromBase64(stored.salt);
  const actual = await derive(password, salt ?? new Uint8Array(SALT_BYTES), stored.iterations);
  return expected !== null && salt !== null && constantTimeEqual(actual, expected);
}

const DUMMY: PasswordHash = {
  hash: toBase64(new Uint8Array(32)),
  salt: toBase64(new Uint8Array(SALT_BYTES)),
  iterations: PBKDF2_ITERATIONS,
};

/** Spends the same time as a real check, so an unknown address does not answer faster than a wrong password. */
export async function burnPasswordCheck(password: string): Promise<void> {
  await verifyPassword(password, DUMMY);
}
