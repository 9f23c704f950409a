// Test accounts for end-to-end runs, written straight into the local D1 of the running Worker (production code has
// no test-only routes). The hash is made by the same module the Worker uses (src/service/password.ts: PBKDF2-SHA256
// through WebCrypto, which Node 24 has too).
import { readdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { normaliseAddress } from "../../src/service/address";
import { hashPassword } from "../../src/service/password";

/** Where `wrangler dev --persist-to DIR` (and `wrangler d1 … --local --persist-to DIR`) keeps the D1 database. */
function d1File(persistTo: string): string {
  const dir = path.join(persistTo, "v3", "d1", "miniflare-D1DatabaseObject");
  const files = readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  if (files.length !== 1) throw new Error(`expected one D1 database in ${dir}, found: ${files.join(", ") || "none"}`);
  return path.join(dir, files[0]);
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * Runs SQL against the local D1 database in `persistTo` (the directory `wrangler dev --persist-to` uses), while the
 * Worker runs. Straight through SQLite (node:sqlite), as `wrangler d1 execute --local` would do it but without
 * starting wrangler and a workerd for every statement (seconds each): the database is in WAL mode and both sides
 * take SQLite's locks, so the Worker sees the rows at its next query. Returns "" (it used to return wrangler's
 * report, which no caller read).
 */
export function d1Execute(persistTo: string, sql: string): string {
  const db = new DatabaseSync(d1File(persistTo), { timeout: 10_000 });
  try {
    db.exec(sql);
    return "";
  } finally {
    db.close();
  }
}

/** Creates (or replaces) the login `address` / `password` in the local D1 of the Worker under test. */
export async function insertAccount(persistTo: string, address: string, password: string): Promise<string> {
  const a = normaliseAddress(address);
  if (!a) throw new Error(`not an address: ${address}`);
  const h = await hashPassword(password);
  const createdAt = Math.floor(Date.now() / 1000);
  d1Execute(
    persistTo,
    `INSERT OR REPLACE INTO accounts (address, password_hash, salt, iterations, created_at, failed_attempts, locked_until) ` +
      `VALUES (${sqlString(a)}, ${sqlString(h.hash)}, ${sqlString(h.salt)}, ${h.iterations}, ${createdAt}, 0, NULL)`,
  );
  return a;
}
