// PUT or POST /notify/ox: Dovecot's push_notification OX driver announces new mail of a bridged mailbox.
//
// The driver cannot sign its calls; it sends the HTTP Basic credentials written in its URL. The user name is
// the bridged IMAP server's host name (`<server>`), the password hex HMAC-SHA256(NOTIFY_SECRET, "ox:" +
// server): one secret per server, derived rather than stored, compared in constant time. A server may only
// announce changes of mailboxes bridged to it (backend imap.host = <server>). The admin API shows the URL.
// Body: the driver's JSON (src/store/imap/dovecot-push.ts); "user" is the address ImapStore.enablePush put
// in the mailbox's METADATA, with `user_from_metadata`.
//
// Dovecot's mail delivery waits for this answer: the mailbox object gets a short budget, then the answer
// goes out and the object finishes in the background.
import { drizzle } from "drizzle-orm/d1";
import { Hono } from "hono";
import { bridgedImapHost, oxSecret } from "../service/mailbox-backends";
import { basicAuthMatches, parseDovecotPush } from "../store/imap";
import { parseBasicAuth, REALM } from "./basic-auth";
import { canonicalEvent } from "./notify-route";
import { logError } from "../observability/log";

export const OX_ANSWER_BUDGET_MS = 1000;
const MAX_BODY = 64 * 1024;

export const notifyOxRoute = new Hono<{ Bindings: Env }>();

notifyOxRoute.on(["PUT", "POST"], "/ox", async (c) => {
  const secret = c.env.NOTIFY_SECRET;
  if (!secret) return c.json({ error: "notify webhook not configured" }, 503);
  const header = c.req.header("Authorization");
  const server = parseBasicAuth(header)?.username ?? "";
  if (!server || !(await basicAuthMatches(header, server, await oxSecret(secret, server)))) {
    return c.json({ error: "bad credentials" }, 401, { "WWW-Authenticate": `Basic realm="${REALM}"` });
  }
  const raw = await c.req.text();
  const push = raw.length <= MAX_BODY ? parseDovecotPush(raw) : null;
  const event = push ? canonicalEvent(push.event) : undefined;
  if (!push || !event) return c.json({ error: "not a push_notification OX body with a known event" }, 400);

  const imapHost = await bridgedImapHost(drizzle(c.env.DB), push.address);
  if (imapHost === null) return c.json({ error: "no bridged mailbox with that address" }, 404);
  if (imapHost !== server.toLowerCase()) return c.json({ error: "this mailbox is not bridged to that server" }, 403);

  const change = c.env.MAILBOX.getByName(push.address).externalChange(push.folder, event);
  let woken: number | null;
  try {
    woken = await Promise.race([change, new Promise<null>((r) => setTimeout(() => r(null), OX_ANSWER_BUDGET_MS))]);
  } catch (err) {
    logError("ox push: mailbox object", err, {}, "warn");
    return c.json({ error: "mailbox unavailable" }, 503, { "Retry-After": "30" });
  }
  if (woken === null) {
    const logged = change.catch((err: unknown) => logError("ox push: mailbox object", err, {}, "warn"));
    try {
      c.executionCtx.waitUntil(logged);
    } catch {
      // no execution context (called outside a fetch event): the promise still runs
    }
    return c.json({ ok: true, queued: true }, 202);
  }
  return c.json({ ok: true, woken }, 202);
});
