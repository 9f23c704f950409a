import type { MiddlewareHandler } from "hono";
import type { AdminEnv } from "./context";
import { problem } from "./problem";

const enc = new TextEncoder();
const sha256 = async (s: string) => new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(s)));

/** Compares in constant time (both sides hashed to the same length first). */
export async function tokenMatches(given: string, expected: string): Promise<boolean> {
  return crypto.subtle.timingSafeEqual(await sha256(given), await sha256(expected));
}

/** `Authorization: Bearer <ADMIN_TOKEN>`. Without a configured token the admin API is closed. */
export const requireAdminToken: MiddlewareHandler<AdminEnv> = async (c, next) => {
  // Secrets are declared on Cloudflare.Env (src/env.d.ts), which the generated global Env does not extend.
  const expected = (c.env as Cloudflare.Env).ADMIN_TOKEN;
  if (!expected) return problem(c, 503, "Admin API disabled", "ADMIN_TOKEN is not set (wrangler secret put ADMIN_TOKEN, or .dev.vars)");
  const m = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "");
  if (!m || !(await tokenMatches(m[1]!.trim(), expected))) {
    const res = problem(c, 401, "Unauthorized", "a valid `Authorization: Bearer <ADMIN_TOKEN>` header is required");
    res.headers.set("www-authenticate", 'Bearer realm="mobile-sync-admin"');
    return res;
  }
  await next();
};
