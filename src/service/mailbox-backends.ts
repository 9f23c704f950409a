// Bridged mailboxes in D1 (table `mailbox_backends`, issue 8): the row ↔ BridgeBackend mapping, the rules an
// admin's backend must follow, and the per-server secret of Dovecot's push_notification OX driver.
import { eq } from "drizzle-orm";
import { mailboxBackends } from "../db/schema";
import type { BridgeBackend, ServerEndpoint } from "../mailbox/contract";
import { assertEndpointAllowed } from "../store/imap";
import type { Db } from "./deps";

export type MailboxBackendRow = typeof mailboxBackends.$inferSelect;

/** The IMAP host a mailbox is bridged to (lower case, as stored), or null when it is not a bridged mailbox. */
export async function bridgedImapHost(db: Db, address: string): Promise<string | null> {
  const [row] = await db
    .select({ imapHost: mailboxBackends.imapHost })
    .from(mailboxBackends)
    .where(eq(mailboxBackends.address, address))
    .limit(1);
  return row?.imapHost ?? null;
}

/** What push a bridged mailbox gets when the admin does not say: polling works with any IMAP server. */
export const DEFAULT_BACKEND_PUSH = "poll";

export function backendOfRow(r: MailboxBackendRow): BridgeBackend {
  return {
    kind: r.kind,
    imap: { host: r.imapHost, port: r.imapPort, tls: r.imapTls },
    smtp: { host: r.smtpHost, port: r.smtpPort, tls: r.smtpTls, auth: r.smtpAuth },
    ...(r.davUrl ? { dav: { url: r.davUrl } } : {}),
    push: r.push,
  };
}

/** The backend with every default made explicit (what D1 and the mailbox object both keep). */
export function completeBackend(b: BridgeBackend): BridgeBackend {
  return {
    kind: b.kind,
    imap: { host: b.imap.host.toLowerCase(), port: b.imap.port, tls: b.imap.tls },
    smtp: { host: b.smtp.host.toLowerCase(), port: b.smtp.port, tls: b.smtp.tls, auth: b.smtp.auth ?? "account" },
    ...(b.dav ? { dav: { url: b.dav.url } } : {}),
    push: b.push ?? DEFAULT_BACKEND_PUSH,
  };
}

export function backendColumns(b: BridgeBackend) {
  const c = completeBackend(b);
  return {
    kind: c.kind,
    imapHost: c.imap.host,
    imapPort: c.imap.port,
    imapTls: c.imap.tls,
    smtpHost: c.smtp.host,
    smtpPort: c.smtp.port,
    smtpTls: c.smtp.tls,
    smtpAuth: c.smtp.auth ?? "account",
    davUrl: c.dav?.url ?? null,
    push: c.push ?? DEFAULT_BACKEND_PUSH,
  };
}

export class BackendRuleError extends Error {
  override name = "BackendRuleError";
}

function checkEndpoint(what: "imap" | "smtp", e: ServerEndpoint): void {
  try {
    assertEndpointAllowed(e);
  } catch (err) {
    // The rule is written for IMAP; the same holds for submission, whose AUTH carries the same password.
    throw new BackendRuleError(`backend.${what}: ${(err as Error).message.replaceAll("IMAP", what.toUpperCase())}`);
  }
}

/**
 * Passwords never cross a network in clear: tls "none" and http: DAV URLs only to loopback (tests, a local
 * relay). A DAV URL carries no credentials of its own: the account's login is used.
 */
export function assertBackendAllowed(b: BridgeBackend): void {
  checkEndpoint("imap", b.imap);
  checkEndpoint("smtp", b.smtp);
  if (!b.dav) return;
  let url: URL;
  try {
    url = new URL(b.dav.url);
  } catch {
    throw new BackendRuleError(`backend.dav.url: not a URL: ${b.dav.url}`);
  }
  if (url.username || url.password)
    throw new BackendRuleError("backend.dav.url: must not carry credentials (the account's own login is used)");
  if (url.protocol === "https:") return;
  if (url.protocol !== "http:") throw new BackendRuleError(`backend.dav.url: only https: (or http: to loopback), not ${url.protocol}`);
  try {
    assertEndpointAllowed({ host: url.hostname, port: Number(url.port || 80), tls: "none" });
  } catch {
    throw new BackendRuleError(`backend.dav.url: plain http: is only allowed to loopback, not ${url.hostname}`);
  }
}

/**
 * The Basic password Dovecot's OX driver sends for `server` (the bridged IMAP host, its Basic user name):
 * hex HMAC-SHA256(NOTIFY_SECRET, "ox:" + server). One secret per server, derived, never stored.
 */
export async function oxSecret(notifySecret: string, server: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(notifySecret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`ox:${server}`)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export const OX_NOTIFY_PATH = "/notify/ox";

/** The push_notification_driver URL for a server: http(s)://<server>:<secret>@<this worker>/notify/ox. */
export function oxDriverUrl(workerOrigin: string, server: string, secret: string): string {
  const origin = new URL(workerOrigin);
  return `${origin.protocol}//${encodeURIComponent(server)}:${secret}@${origin.host}${OX_NOTIFY_PATH}`;
}
