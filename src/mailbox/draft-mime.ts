import { createMimeMessage } from "mimetext/browser";
import { toBase64 } from "../formats/base64";

/** An attachment a draft keeps when it is rebuilt. */
export interface DraftAttachment {
  filename: string;
  contentType: string;
  data: Uint8Array;
  contentId?: string;
  inline?: boolean;
}

/** Email Importance ([MS-ASEMAIL] 2.2.2.39: 0 low, 1 normal, 2 high) as the Importance header. */
const IMPORTANCE: Record<string, string> = { "0": "low", "1": "normal", "2": "high" };

/**
 * A draft from a device Add or Change ([MS-ASEMAIL] 16.x drafts): fields are ApplicationData children by
 * name (To, Cc, Bcc, Subject, Importance, Body.Type, Body.Data); `attachments` are kept as parts.
 */
export function draftMime(fields: Record<string, string>, owner: string, attachments: DraftAttachment[] = []): Uint8Array {
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
  if (list(fields.Bcc).length) msg.setBcc(list(fields.Bcc));
  msg.setSubject(fields.Subject ?? "");
  const importance = IMPORTANCE[(fields.Importance ?? "").trim()];
  if (importance && importance !== "normal") msg.setHeader("Importance", importance);
  const type = fields["Body.Type"] === "2" ? "text/html" : "text/plain";
  msg.addMessage({ contentType: type, data: fields["Body.Data"] ?? "" });
  for (const a of attachments)
    msg.addAttachment({
      filename: a.filename,
      contentType: a.contentType || "application/octet-stream",
      data: toBase64(a.data),
      inline: a.inline,
      headers: a.contentId ? { "Content-ID": `<${a.contentId.replace(/^<|>$/g, "")}>` } : undefined,
    });
  return new TextEncoder().encode(msg.asRaw());
}
