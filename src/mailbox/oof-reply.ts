import { createMimeMessage } from "mimetext";
import PostalMime from "postal-mime";
import { decideOofReply, type OofStore } from "./oof";
import type { OofMessage } from "./contract";

export interface OofReplyInput {
  mailbox: string;
  displayName?: string;
  to: string;
  originalSubject?: string;
  originalMessageId?: string;
  message: OofMessage;
  now: Date;
}

/** The auto-reply as raw RFC 5322 text, marked `Auto-Submitted: auto-replied` (RFC 3834 §5) so that other
 *  responders stay quiet. */
export function buildOofReply(r: OofReplyInput): string {
  const msg = createMimeMessage();
  msg.setSender(r.displayName ? { name: r.displayName, addr: r.mailbox } : r.mailbox);
  msg.setTo(r.to);
  msg.setSubject(`Automatic reply: ${r.originalSubject ?? ""}`.trim());
  msg.setHeader("Auto-Submitted", "auto-replied");
  msg.setHeader("X-Auto-Response-Suppress", "All");
  msg.setHeader("Date", r.now.toUTCString());
  if (r.originalMessageId) {
    msg.setHeader("In-Reply-To", r.originalMessageId);
    msg.setHeader("References", r.originalMessageId);
  }
  const html = r.message.bodyType === "HTML";
  msg.addMessage({ contentType: html ? "text/html" : "text/plain", data: r.message.replyMessage ?? "", charset: "utf-8" });
  return msg.asRaw();
}

/** The auto-reply (raw MIME) this incoming message earns, or null; remembers the sender for this period. */
export async function autoReplyFor(store: OofStore, mailbox: string, raw: Uint8Array, now = new Date()): Promise<string | null> {
  const { settings } = store.get();
  if (settings.state === 0) return null;
  const mail = await PostalMime.parse(raw);
  const returnPath = mail.headers.find((h) => h.key === "return-path")?.value;
  const decision = decideOofReply(settings, mailbox, { envelopeFrom: returnPath, from: mail.from, headers: mail.headers }, now);
  if (!decision.reply || !store.claimReply(decision.to, now.getTime())) return null;
  return buildOofReply({
    mailbox,
    to: decision.to,
    originalSubject: mail.subject,
    originalMessageId: mail.messageId,
    message: decision.message,
    now,
  });
}
