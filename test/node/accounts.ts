// Test accounts for end-to-end runs, written straight into the local D1 of the running Worker (there is no
// admin API yet, and production code has no test-only routes). The hash is made by the same module the
// Worker uses (src/service/password.ts: PBKDF2-SHA256 through WebCrypto, which Node 24 has too).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { normaliseAddress } from "../../src/service/address";
import { hashPassword } from "../../src/service/password";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const wrangler = path.join(repoRoot, "node_modules", ".bin", "wrangler");

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Runs SQL against the local D1 database in `persistTo` (the directory `wrangler dev --persist-to` uses). */
export function d1Execute(persistTo: string, sql: string): string {
  const r = spawnSync(wrangler, ["d1", "execute", "mobile-sync", "--local", "--persist-to", persistTo, "--command", sql], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
  });
  if (r.status !== 0) throw new Error(`wrangler d1 execute failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
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
