import { createMimeMessage } from "mimetext/browser";

/** A draft from a device Add ([MS-ASEMAIL] 16.x drafts): fields are ApplicationData children by name. */
export function draftMime(fields: Record<string, string>, owner: string): Uint8Array {
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
