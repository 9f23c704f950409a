// What Dovecot's push_notification OX driver sends, read for the /notify webhook (the route itself is the
// push work's). Checked against Dovecot 2.3.19 (test/workers/imap/imap-push.test.ts):
//   PUT <driver url>, Authorization: Basic <user:password from the driver URL>,
//   Content-Type: application/json; charset=utf-8
//   {"user":"<METADATA user= value with user_from_metadata>","event":"messageNew","folder":"INBOX",
//    "imap-uidvalidity":1795706741,"imap-uid":1,"from":"Bob <bob@example.test>","subject":"…","snippet":"…","unseen":1}
// The driver cannot sign its calls: the Basic credentials are the per-server secret, compared in constant time.
import { fromBase64 } from "../../formats/base64";

export interface DovecotPush {
  /** The mailbox address (set by ImapStore.enablePush as the METADATA user= value). */
  address: string;
  event: string;
  folder: string;
  uid?: number;
  uidvalidity?: number;
}

/** The notification, or null when the body is not one (bad JSON, no user, no event). */
export function parseDovecotPush(body: string): DovecotPush | null {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof j !== "object" || j === null) return null;
  const address = typeof j.user === "string" ? j.user.trim().toLowerCase() : "";
  const event = typeof j.event === "string" ? j.event : "";
  if (!address || !event) return null;
  const p: DovecotPush = { address, event, folder: typeof j.folder === "string" && j.folder ? j.folder : "INBOX" };
  if (Number.isInteger(j["imap-uid"])) p.uid = j["imap-uid"] as number;
  if (Number.isInteger(j["imap-uidvalidity"])) p.uidvalidity = j["imap-uidvalidity"] as number;
  return p;
}

/** Whether an Authorization header carries exactly these Basic credentials (constant time in the secret). */
export async function basicAuthMatches(header: string | undefined | null, user: string, secret: string): Promise<boolean> {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? "");
  if (!m) return false;
  const given = fromBase64(m[1]!);
  if (!given) return false;
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", given),
    crypto.subtle.digest("SHA-256", enc.encode(`${user}:${secret}`)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}
