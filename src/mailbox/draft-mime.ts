import { createMimeMessage } from "mimetext/browser";

/** A draft from a device Add ([MS-ASEMAIL] 16.x drafts): fields are ApplicationData children by name. */
export function draftMime(fields: Record<string, string>, owner: string): Uint8Array {
  // A MIME body (AirSyncBase Type 4, [MS-ASAIRS] 2.2.2.22.3) is the whole draft: its headers carry Subject and
  // recipients, which the phone then does not repeat as Email fields (wrapping it as text lost the Subject).
  if (fields["Body.Type"] === "4" && fields["Body.Data"]) {
    const mime = fields["Body.Data"].replace(/^\s+/, "");
    const head = mime.split(/\r?\n\r?\n/, 1)[0] ?? "";
    const from = /^from:/im.test(head) ? "" : `From: ${fields.From || owner}\r\n`;
    return new TextEncoder().encode(from + mime);
  }
  const msg = createMimeMessage();
  msg.setSender(fields.From || owner);
  const list = (v: string | undefined) =>
    (v ?? "")
      .split(/[,;]/)
      .map((s) => s.trim())
      .filter(Boolean);
  if (list(fields.To).length) msg.setTo(list(fields.To));
  if (list(fields.Cc).length) msg.setCc(list(fields.Cc));
  msg.setSubject(fields.Subject ?? "");
  const type = fields["Body.Type"] === "2" ? "text/html" : "text/plain";
  msg.addMessage({ contentType: type, data: fields["Body.Data"] ?? "" });
  return new TextEncoder().encode(msg.asRaw());
}
