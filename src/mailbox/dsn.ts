// Delivery status notification (RFC 3464 multipart/report, RFC 3462) for recipients that failed for good.
// Built with mimetext; its top-level multipart/mixed is then relabelled multipart/report, which mimetext
// cannot emit itself (same boundary, same parts).
import { createMimeMessage } from "mimetext/browser";
import PostalMime from "postal-mime";
import { base64Lines, editHeaders, headerValue, rfc5322Date, splitHeader } from "./outgoing";

export interface FailedRecipient {
  rcpt: string;
  /** RFC 3463 enhanced status, e.g. "5.1.1". */
  status: string;
  /** e.g. "smtp; 550 5.1.1 no such user". */
  diagnostic: string;
  remoteMta?: string;
}

export interface DsnInput {
  /** The sender of the failed message: the mailbox that gets the report. */
  to: string;
  reportingMta: string;
  arrival: number;
  failed: FailedRecipient[];
  /** The message that failed (only its header is included). */
  original: Uint8Array;
  now?: number;
}

export async function buildDsn(d: DsnInput): Promise<Uint8Array> {
  const now = d.now ?? Date.now();
  const { header } = splitHeader(d.original);
  const subject = (await PostalMime.parse(header + "\r\n").catch(() => null))?.subject ?? "";
  const msg = createMimeMessage();
  msg.setSender({ addr: `mailer-daemon@${d.reportingMta}`, name: "Mail Delivery System" });
  msg.setTo(d.to);
  msg.setSubject(`Undeliverable: ${subject.slice(0, 200)}`);
  msg.setHeader("Auto-Submitted", "auto-replied");
  const human = [
    "Your message could not be delivered to the following recipients:",
    "",
    ...d.failed.map((f) => `  ${f.rcpt}: ${f.diagnostic}`),
    "",
    "The message headers are attached.",
  ].join("\r\n");
  msg.addMessage({ contentType: "text/plain", encoding: "base64", data: base64Lines(new TextEncoder().encode(human)) });

  const perMessage = [`Reporting-MTA: dns; ${d.reportingMta}`, `Arrival-Date: ${rfc5322Date(d.arrival)}`];
  const perRecipient = d.failed.map((f) =>
    [
      `Final-Recipient: rfc822; ${f.rcpt}`,
      "Action: failed",
      `Status: ${f.status}`,
      f.remoteMta ? `Remote-MTA: dns; ${f.remoteMta}` : null,
      `Diagnostic-Code: ${f.diagnostic.replace(/[\r\n]+/g, " ")}`,
      `Last-Attempt-Date: ${rfc5322Date(now)}`,
    ]
      .filter(Boolean)
      .join("\r\n"),
  );
  msg.addAttachment({
    filename: "details.txt",
    contentType: "message/delivery-status",
    encoding: "7bit",
    data: [perMessage.join("\r\n"), ...perRecipient].join("\r\n\r\n") + "\r\n",
  });
  msg.addAttachment({
    filename: "headers.txt",
    contentType: "text/rfc822-headers",
    encoding: "7bit",
    data: header.replace(/[^\x00-\x7f]/g, "?").replace(/\r?\n/g, "\r\n"),
  });
  const raw = new TextEncoder().encode(msg.asRaw());
  const type = headerValue(raw, "content-type") ?? "";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!boundary) throw new Error("mimetext produced no multipart boundary");
  return editHeaders(raw, {
    remove: ["content-type", "date"],
    add: [
      ["Date", rfc5322Date(now)],
      ["Content-Type", `multipart/report; report-type=delivery-status; boundary="${boundary}"`],
    ],
  });
}
