import type { MiddlewareHandler } from "hono";
import { consoleClientKey, consoleSignInBudget } from "../service/lockout";
import type { AdminEnv } from "./context";
import { problem } from "./problem";

const enc = new TextEncoder();
const sha256 = async (s: string) => new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(s)));

/** Compares in constant time (both sides hashed to the same length first). */
export async function tokenMatches(given: string, expected: string): Promise<boolean> {
  return crypto.subtle.timingSafeEqual(await sha256(given), await sha256(expected));
}

/**
 * Client addresses this isolate has seen go over the token budget, with the end of their lock (ms). The right
 * token is checked against this map only, so a success costs no D1 access; a wrong one is counted in D1
 * (`login_client_failures`, shared by every isolate), and an answer over the budget lands here. Bounded: the
 * oldest entry goes first.
 */
const lockedClients = new Map<string, number>();
const LOCKED_CLIENTS_MAX = 1000;

function lockedUntil(key: string, now: number): number | null {
  const until = lockedClients.get(key);
  if (until === undefined) return null;
  if (until > now) return until;
  lockedClients.delete(key);
  return null;
}

function rememberLock(key: string, until: number): void {
  lockedClients.delete(key);
  if (lockedClients.size >= LOCKED_CLIENTS_MAX) lockedClients.delete(lockedClients.keys().next().value!);
  lockedClients.set(key, until);
}

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`. Without a configured token the admin API is closed.
 *
 * Wrong tokens spend the support console's budget per client address (CF-Connecting-IP; one secret, one
 * budget: src/service/lockout.ts CONSOLE_SIGNIN_BUDGET): each wrong Bearer token is one atomic D1 upsert, and
 * past the budget every answer to that address is 429 with Retry-After, the right token included. Requests
 * without a Bearer token are not guesses and are not counted.
 */
export const requireAdminToken: MiddlewareHandler<AdminEnv> = async (c, next) => {
  // Secrets are declared on Cloudflare.Env (src/env.d.ts), which the generated global Env does not extend.
  const expected = (c.env as Cloudflare.Env).ADMIN_TOKEN;
  if (!expected) return problem(c, 503, "Admin API disabled", "ADMIN_TOKEN is not set (wrangler secret put ADMIN_TOKEN, or .dev.vars)");
  const m = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "");
  if (!m) return unauthorized(c);
  const key = consoleClientKey(c.req.header("cf-connecting-ip"));
  const now = Date.now();
  const known = lockedUntil(key, now);
  if (known) return tooMany(c, known, now);
  if (await tokenMatches(m[1]!.trim(), expected)) return next();
  const lock = await consoleSignInBudget(c.env.DB).reserve(key);
  if (!lock) return unauthorized(c);
  rememberLock(key, lock.getTime());
  return tooMany(c, lock.getTime(), now);
};

function unauthorized(c: Parameters<MiddlewareHandler<AdminEnv>>[0]) {
  const res = problem(c, 401, "Unauthorized", "a valid `Authorization: Bearer <ADMIN_TOKEN>` header is required");
  res.headers.set("www-authenticate", 'Bearer realm="mobile-sync-admin"');
  return res;
}

function tooMany(c: Parameters<MiddlewareHandler<AdminEnv>>[0], until: number, now: number) {
  const res = problem(c, 429, "Too many wrong tokens", "too many wrong admin tokens from this address; try again later");
  res.headers.set("retry-after", String(Math.max(1, Math.ceil((until - now) / 1000))));
  return res;
}
