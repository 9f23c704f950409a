import { createMimeMessage } from "mimetext";
import type { OofMessage } from "./oof";

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
