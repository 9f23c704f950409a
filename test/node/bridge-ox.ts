// Dovecot push_notification OX driver → the Worker (docs: BRIDGE.md "Push from Dovecot"): the driver cannot sign
// its calls, so its URL carries HTTP Basic credentials `<imap host>:<secret>`, one secret per server derived
// from NOTIFY_SECRET. Computed here independently of src/ so the tests check the Worker's derivation.
import { createHmac } from "node:crypto";

/** hex HMAC-SHA256(NOTIFY_SECRET, "ox:" + server) */
export function oxSecret(notifySecret: string, server: string): string {
  return createHmac("sha256", notifySecret).update(`ox:${server}`).digest("hex");
}

/** The driver URL for `server` (the bridged IMAP host name) posting to the Worker on `workerPort`. */
export function oxPushUrl(notifySecret: string, server: string, workerPort: number): string {
  return `http://${encodeURIComponent(server)}:${oxSecret(notifySecret, server)}@127.0.0.1:${workerPort}/notify/ox`;
}
