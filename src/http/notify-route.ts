// POST /notify/v1: the mail server announces a change, the mailbox's waiting devices wake.
//
// Authentication: X-Notify-Timestamp (unix seconds) and X-Notify-Signature: sha256=<hex HMAC-SHA256 of
// "<timestamp>.<raw body>" with NOTIFY_SECRET>. The timestamp must be within ±NOTIFY_WINDOW seconds and
// each signature is accepted once (remembered in the mailbox object), so a captured call cannot be replayed.
//
// Body: the JSON of Dovecot's push_notification OX driver, {"user": "...", "folder": "INBOX",
// "event": "messageNew", "imap-uid": 4, "imap-uidvalidity": 123, ...}; RFC 5423 event names in any case
// (MessageNew, MessageAppend, MessageExpunge, FlagsSet, FlagsClear, MailboxCreate/Delete/Rename).
// Dovecot's driver cannot sign, so a signing relay (or its Lua driver) sits in between.
import { readBodyUpTo } from "../service/bounded-body";
import { Hono } from "hono";

export const NOTIFY_WINDOW_SECONDS = 300;

const EVENTS = new Map(
  [
    "MessageNew",
    "MessageAppend",
    "MessageExpunge",
    "MessageTrash",
    "MessageRead",
    "FlagsSet",
    "FlagsClear",
    "MailboxCreate",
    "MailboxDelete",
    "MailboxRename",
  ].map((e) => [e.toLowerCase(), e]),
);

/** An RFC 5423 event name as the mailbox object expects it, whatever its case; undefined when unknown. */
export function canonicalEvent(name: string): string | undefined {
  return EVENTS.get(name.toLowerCase());
}

/** A notification is one user, folder and event: a few hundred bytes. */
const MAX_NOTIFY_BODY = 16 * 1024;

export const notifyRoute = new Hono<{ Bindings: Env }>();

notifyRoute.post("/v1", async (c) => {
  const secret = c.env.NOTIFY_SECRET;
  if (!secret) return c.json({ error: "notify webhook not configured" }, 503);
  const ts = c.req.header("X-Notify-Timestamp") ?? "";
  const sig = (c.req.header("X-Notify-Signature") ?? "").replace(/^sha256=/i, "").toLowerCase();
  const bytes = await readBodyUpTo(c.req.raw, MAX_NOTIFY_BODY);
  if (!bytes) return c.json({ error: `body larger than ${MAX_NOTIFY_BODY} bytes` }, 413);
  const raw = new TextDecoder().decode(bytes);
  if (!/^\d{1,12}$/.test(ts) || !/^[0-9a-f]{64}$/.test(sig)) return c.json({ error: "missing or malformed signature" }, 401);
  if (!(await verifySignature(secret, `${ts}.${raw}`, sig))) return c.json({ error: "bad signature" }, 401);
  const timestamp = Number(ts);
  if (Math.abs(Math.floor(Date.now() / 1000) - timestamp) > NOTIFY_WINDOW_SECONDS)
    return c.json({ error: "timestamp outside the window" }, 401);

  let body: { user?: unknown; folder?: unknown; event?: unknown };
  try {
    body = JSON.parse(raw);
  } catch {
    return c.json({ error: "body is not JSON" }, 400);
  }
  const user = typeof body.user === "string" ? body.user.trim().toLowerCase() : "";
  const event = typeof body.event === "string" ? canonicalEvent(body.event) : undefined;
  if (!user || !event) return c.json({ error: "user and a known event are required" }, 400);
  const folder = typeof body.folder === "string" && body.folder ? body.folder : undefined;

  const mailbox = c.env.MAILBOX.getByName(user);
  if (!(await mailbox.acceptNotifyNonce(sig, timestamp, NOTIFY_WINDOW_SECONDS))) return c.json({ error: "replayed" }, 409);
  const woken = await mailbox.externalChange(folder, event);
  return c.json({ ok: true, woken }, 202);
});

/** Constant-time check through WebCrypto's HMAC verify. */
async function verifySignature(secret: string, message: string, hexSig: string): Promise<boolean> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const sig = new Uint8Array(hexSig.match(/../g)!.map((h) => parseInt(h, 16)));
  return crypto.subtle.verify("HMAC", key, sig, new TextEncoder().encode(message));
}

/** For senders and tests: the X-Notify-Signature value for a body at a timestamp. */
export async function signNotify(secret: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${timestamp}.${body}`)));
  return "sha256=" + [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}
