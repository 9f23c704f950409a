// SmartReply / SmartForward ([MS-ASCMD] 2.2.1.19, 2.2.1.20): the device sends only its new text; the server
// adds the original message's text (MS-ASCMD_R545, R580) and, for a forward, its attachments, unless
// ReplaceMime says the device already sent everything (MS-ASCMD_R3775). Parsed with postal-mime, rebuilt
// with mimetext.
import type { Attachment, Email } from "postal-mime";
import { createMimeMessage } from "mimetext/browser";
import { htmlToText } from "../formats/html-text";
import { ComposeStatus, type SmartKind } from "./contract";
import { base64Lines, base64Word, ComposeError, flattenAddresses, parseMime } from "./outgoing";

export async function composeSmart(
  kind: SmartKind,
  deviceRaw: Uint8Array,
  originalRaw: Uint8Array,
  senderAddress: string,
): Promise<Uint8Array> {
  const mine = await parseMime(deviceRaw);
  let original: Email;
  try {
    original = await parseMime(originalRaw);
  } catch {
    throw new ComposeError(
      kind === "reply" ? ComposeStatus.MessageReplyFailed : ComposeStatus.MailSubmissionFailed,
      "the original message cannot be read",
    );
  }
  const msg = createMimeMessage();
  const from = flattenAddresses(mine.from)[0];
  msg.setSender({ addr: senderAddress, name: from?.name || undefined });
  const to = flattenAddresses(mine.to);
  const cc = flattenAddresses(mine.cc);
  const bcc = flattenAddresses(mine.bcc);
  if (to.length) msg.setTo(to.map((a) => ({ addr: a.address, name: a.name || undefined })));
  if (cc.length) msg.setCc(cc.map((a) => ({ addr: a.address, name: a.name || undefined })));
  if (bcc.length) msg.setBcc(bcc.map((a) => ({ addr: a.address, name: a.name || undefined })));
  msg.setSubject(mine.subject ?? (kind === "reply" ? "RE: " : "FW: ") + (original.subject ?? ""));
  if (mine.messageId) msg.setHeader("Message-ID", mine.messageId);

  const origId = original.messageId;
  if (kind === "reply" && origId) {
    msg.setHeader("In-Reply-To", mine.inReplyTo ?? origId);
    msg.setHeader("References", mine.references ?? [original.references, origId].filter(Boolean).join(" "));
  } else if (mine.inReplyTo || mine.references) {
    if (mine.inReplyTo) msg.setHeader("In-Reply-To", mine.inReplyTo);
    if (mine.references) msg.setHeader("References", mine.references);
  }
  for (const key of ["importance", "x-priority", "thread-topic", "thread-index"]) {
    const h = mine.headers.find((x) => x.key === key);
    if (h && /^[\x20-\x7e]*$/.test(h.value)) msg.setHeader(h.originalKey, h.value);
  }

  const quote = quoteHeader(original);
  const origText = original.text?.trim() ? original.text : original.html ? htmlToText(original.html) : "";
  const newText = mine.text ?? (mine.html ? htmlToText(mine.html) : "");
  const text = `${newText.replace(/\s+$/, "")}\r\n\r\n${quote.text}\r\n${origText}`;
  msg.addMessage({ contentType: "text/plain", encoding: "base64", data: base64Lines(utf8(text)) });
  if (mine.html || original.html) {
    const newHtml = mine.html ? bodyOf(mine.html) : `<div>${escapeHtml(newText).replace(/\r?\n/g, "<br>")}</div>`;
    const origHtml = original.html ? bodyOf(original.html) : `<div>${escapeHtml(origText).replace(/\r?\n/g, "<br>")}</div>`;
    const html = `<html><head><meta charset="utf-8"></head><body>${newHtml}<hr>${quote.html}<blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">${origHtml}</blockquote></body></html>`;
    msg.addMessage({ contentType: "text/html", encoding: "base64", data: base64Lines(utf8(html)) });
  }

  for (const a of mine.attachments) addAttachment(msg, a);
  // A forward carries the original's attachments; a reply only the inline images its quoted HTML shows.
  const quotedHtml = original.html ?? "";
  for (const a of original.attachments) {
    const cid = a.contentId?.replace(/^<|>$/g, "");
    const shownInline = !!cid && quotedHtml.includes(`cid:${cid}`);
    if (kind === "forward" || shownInline) addAttachment(msg, a);
  }
  return utf8(msg.asRaw());
}

function addAttachment(msg: ReturnType<typeof createMimeMessage>, a: Attachment) {
  const data = typeof a.content === "string" ? utf8(a.content) : new Uint8Array(a.content as ArrayBuffer);
  const cid = a.contentId?.replace(/^<|>$/g, "");
  const inline = !!cid && (a.disposition === "inline" || a.related === true);
  const name = a.filename ?? `${cid ?? "part"}.${a.mimeType.split("/")[1] ?? "bin"}`;
  // mimetext tells inline from attachment parts by looking for those words anywhere in Content-Disposition,
  // file name included: such names (and non-ASCII ones) travel as encoded words.
  const plain = /^[\x20-\x7e]*$/.test(name) && !/attachment|inline/.test(name);
  msg.addAttachment({
    filename: plain ? name.replace(/"/g, "'") : base64Word(name),
    contentType: a.mimeType,
    encoding: "base64",
    data: base64Lines(data),
    inline,
    headers: cid ? { "Content-ID": `<${cid}>` } : {},
  });
}

function quoteHeader(o: Email): { text: string; html: string } {
  const fmt = (list: { name: string; address: string }[]) => list.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join("; ");
  const rows: [string, string][] = [
    ["From", fmt(flattenAddresses(o.from))],
    ["Sent", o.date && !Number.isNaN(Date.parse(o.date)) ? new Date(o.date).toUTCString() : (o.date ?? "")],
    ["To", fmt(flattenAddresses(o.to))],
    ["Cc", fmt(flattenAddresses(o.cc))],
    ["Subject", o.subject ?? ""],
  ].filter(([, v]) => v) as [string, string][];
  return {
    text: ["-----Original Message-----", ...rows.map(([k, v]) => `${k}: ${v}`), ""].join("\r\n"),
    html: `<div>${rows.map(([k, v]) => `<b>${k}:</b> ${escapeHtml(v)}`).join("<br>")}</div>`,
  };
}

/** The inside of <body> when the part is a whole document, so two documents are not nested. */
function bodyOf(html: string): string {
  const m = /<body[^>]*>([\s\S]*?)(<\/body>|$)/i.exec(html);
  return m ? m[1]! : html;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
