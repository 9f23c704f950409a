// Sessions of the web pages: a signed cookie, nothing stored on the server. The console's is made from the
// admin token, "My phones"' from the mailbox owner's login. The signing key comes from SESSION_SECRET, or
// else from ADMIN_TOKEN (so rotating the token signs everyone out; the console's key always includes the
// token); each kind of session has its own key, so one kind of cookie never opens the other kind of page.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { isLoopbackHost } from "../store/loopback";
import { fromBase64Url, toBase64Url } from "../formats/base64";

export type SessionKind = "admin" | "my";

export interface Session {
  kind: SessionKind;
  /** Who: the mail address ("my"), the name staff gave at sign-in ("admin"). */
  sub: string;
  /** Expiry, ms since the epoch. */
  exp: number;
  /** Random per sign-in; the CSRF token is derived from it. */
  nonce: string;
  /** "my": the login's stamp at sign-in (src/service/my-account.ts loginStamp); a changed password ends the session. */
  stamp?: string;
}

/** Hours a session lasts from sign-in (no sliding: a stolen cookie stops working on its own). */
export const SESSION_HOURS: Record<SessionKind, number> = { admin: 8, my: 2 };

const enc = new TextEncoder();

/**
 * The secret `kind`'s sessions are signed with, or null when neither SESSION_SECRET nor ADMIN_TOKEN is set
 * (pages closed). The console's always includes ADMIN_TOKEN: a new token ends every console session.
 */
export function sessionSecret(env: Env, kind: SessionKind): string | null {
  const e = env as Cloudflare.Env & { SESSION_SECRET?: string };
  const base = e.SESSION_SECRET || e.ADMIN_TOKEN;
  if (!base) return null;
  return kind === "admin" ? `${base}\0${e.ADMIN_TOKEN ?? ""}` : base;
}

async function hmac(secret: string, label: string, data: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", enc.encode(`${label}\0${secret}`), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(data)));
}

export async function sealSession(secret: string, s: Session): Promise<string> {
  const body = toBase64Url(enc.encode(JSON.stringify(s)));
  return `${body}.${toBase64Url(await hmac(secret, `session:${s.kind}`, body))}`;
}

/** The session in `token` if its signature holds, it is of `kind` and not expired; else null. */
export async function openSession(secret: string, kind: SessionKind, token: string | undefined, now: number): Promise<Session | null> {
  if (!token || token.length > 2048) return null;
  const [body, sig, extra] = token.split(".");
  if (!body || !sig || extra !== undefined) return null;
  try {
    const want = await hmac(secret, `session:${kind}`, body);
    const got = fromBase64Url(sig);
    if (!got || got.length !== want.length || !crypto.subtle.timingSafeEqual(got, want)) return null;
    const json = fromBase64Url(body);
    if (!json) return null;
    const s = JSON.parse(new TextDecoder().decode(json)) as Session;
    if (s.kind !== kind || typeof s.sub !== "string" || typeof s.exp !== "number" || s.exp <= now) return null;
    return s;
  } catch {
    return null;
  }
}

export function newSession(kind: SessionKind, sub: string, now: number, stamp?: string): Session {
  return {
    kind,
    sub,
    exp: now + SESSION_HOURS[kind] * 3_600_000,
    nonce: toBase64Url(crypto.getRandomValues(new Uint8Array(16))),
    ...(stamp ? { stamp } : {}),
  };
}

/** The form token bound to this sign-in (synchroniser token; SameSite=Strict and the Origin check are the other two locks). */
export async function csrfToken(secret: string, s: Session): Promise<string> {
  return toBase64Url(await hmac(secret, `csrf:${s.kind}`, s.nonce));
}

export async function csrfMatches(secret: string, s: Session, given: unknown): Promise<boolean> {
  if (typeof given !== "string" || given.length > 100) return false;
  const want = enc.encode(await csrfToken(secret, s));
  const got = enc.encode(given);
  return got.length === want.length && crypto.subtle.timingSafeEqual(got, want);
}

/**
 * How the cookie may travel. Over https: `Secure` and the `__Host-` prefix (no Domain, Path=/, Secure: a
 * sibling subdomain cannot plant or overwrite it). Over plain http only to a loopback host (`wrangler dev`,
 * `npm start` on 127.0.0.1): a browser drops `Secure` cookies set over http by non-loopback origins, and the
 * traffic never leaves the machine. Plain http to anything else: null, sign-in is refused (the token or the
 * password would cross the network in clear).
 */
export function cookiePolicy(url: string): { name: (kind: SessionKind) => string; secure: boolean } | null {
  const u = new URL(url);
  if (u.protocol === "https:") return { name: (k) => `__Host-ms-${k}`, secure: true };
  if (u.protocol === "http:" && isLoopbackHost(u.hostname)) return { name: (k) => `ms-${k}`, secure: false };
  return null;
}

export function setSessionCookie(c: Context, kind: SessionKind, token: string, secure: boolean, name: string): void {
  setCookie(c, name, token, {
    path: "/",
    httpOnly: true,
    secure,
    sameSite: "Strict",
    maxAge: SESSION_HOURS[kind] * 3600,
  });
}

export function readSessionCookie(c: Context, name: string): string | undefined {
  return getCookie(c, name);
}

export function clearSessionCookie(c: Context, name: string, secure: boolean): void {
  deleteCookie(c, name, { path: "/", secure, httpOnly: true, sameSite: "Strict" });
}
