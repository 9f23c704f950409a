// What both sites do before a page: security headers, the cookie policy of this origin, the session, and
// the CSRF locks on every POST (same Origin, then the form token; SameSite=Strict is the third).
import type { Context, MiddlewareHandler } from "hono";
import { CONFIRM_SCRIPT } from "./layout";
import {
  clearSessionCookie,
  cookiePolicy,
  csrfMatches,
  csrfToken,
  newSession,
  openSession,
  readSessionCookie,
  sealSession,
  sessionSecret,
  setSessionCookie,
  type Session,
  type SessionKind,
} from "./session";
import { toBase64 } from "../formats/base64";

export type WebEnv = {
  Bindings: Env;
  Variables: {
    session: Session | null;
    /** The form token of the session ("" when signed out). */
    csrf: string;
    secret: string;
    /** The parsed form of a POST (read once here for the CSRF check). */
    form: Record<string, string>;
  };
};

let scriptHash: Promise<string> | undefined;
const hashOfScript = () =>
  (scriptHash ??= crypto.subtle.digest("SHA-256", new TextEncoder().encode(CONFIRM_SCRIPT)).then((b) => toBase64(new Uint8Array(b))));

async function securityHeaders(c: Context) {
  c.header(
    "Content-Security-Policy",
    `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${await hashOfScript()}'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  );
  c.header("X-Content-Type-Options", "nosniff");
  // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form posts, which the
  // Origin check below would refuse.
  c.header("Referrer-Policy", "same-origin");
  c.header("Cache-Control", "no-store");
}

const MAX_FORM_BYTES = 16_384;

async function readForm(c: Context): Promise<Record<string, string> | null> {
  const type = c.req.header("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) return null;
  if (Number(c.req.header("content-length") ?? "0") > MAX_FORM_BYTES) return null;
  // Read at most MAX_FORM_BYTES + 1 whatever the headers say (a chunked body has no length).
  const reader = c.req.raw.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_FORM_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const text = new TextDecoder().decode(await new Blob(chunks).arrayBuffer());
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) out[k] = v.slice(0, 4096);
  return out;
}

/**
 * `kind`'s middleware. `plain(c, status, text)` renders a bare error page in the site's language.
 * POSTs other than `signInPath` need a session; every POST needs the page's own Origin.
 */
export function site(
  kind: SessionKind,
  signInPath: string,
  plain: (c: Context<WebEnv>, status: 400 | 403 | 503, key: "https" | "closed" | "csrf") => Response | Promise<Response>,
): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    await securityHeaders(c);
    const secret = sessionSecret(c.env, kind);
    if (!secret) return plain(c, 503, "closed");
    const policy = cookiePolicy(c.req.url);
    if (!policy) return plain(c, 403, "https");
    c.set("secret", secret);
    const session = await openSession(secret, kind, readSessionCookie(c, policy.name(kind)), Date.now());
    c.set("session", session);
    c.set("csrf", session ? await csrfToken(secret, session) : "");
    c.set("form", {});
    if (c.req.method === "POST") {
      if (c.req.header("origin") !== new URL(c.req.url).origin) return plain(c, 403, "csrf");
      const form = await readForm(c);
      if (!form) return plain(c, 400, "csrf");
      c.set("form", form);
      const path = new URL(c.req.url).pathname;
      if (path !== signInPath && !(session && (await csrfMatches(secret, session, form._csrf)))) return plain(c, 403, "csrf");
    } else if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      return c.text("Method not allowed", 405);
    }
    await next();
  };
}

export async function signIn(c: Context<WebEnv>, kind: SessionKind, who: string, stamp?: string): Promise<void> {
  const policy = cookiePolicy(c.req.url)!;
  const s = newSession(kind, who, Date.now(), stamp);
  setSessionCookie(c, kind, await sealSession(c.get("secret"), s), policy.secure, policy.name(kind));
}

export function signOut(c: Context<WebEnv>, kind: SessionKind): void {
  const policy = cookiePolicy(c.req.url)!;
  clearSessionCookie(c, policy.name(kind), policy.secure);
}
