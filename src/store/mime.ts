import { MIME_LIMITS } from "../formats/limits";
import PostalMime, { type Address, decodeWords, type Email } from "postal-mime";
import type { AttachmentInfo, MailSummary } from "./types";
import { htmlToText } from "../formats/html-text";
import { wellFormed } from "../formats/text";
import { decodeUtf7 } from "../formats/utf7";
import { parseSimple } from "./mime-simple";

/** What the store keeps of a message after parsing it once, on append. */
export type ParsedMessage = Pick<
  MailSummary,
  "date" | "subject" | "from" | "to" | "cc" | "replyTo" | "messageId" | "inReplyTo" | "references" | "importance"
> &
  Pick<MailSummary, "contentClass" | "calendarMethod" | "threadTopic" | "threadIndex"> & {
    plain: string;
    html?: string;
    attachments: { info: AttachmentInfo; data: Uint8Array }[];
  };

const PREVIEW_CHARS = 255;

/** Whether a UTF-16 code unit is whitespace as a regular expression's `\s` (and String.prototype.trim) has it. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * EAS Preview: the first 255 characters of the plain-text rendition, whitespace collapsed (as
 * `plain.replace(/\s+/g, " ").trim().slice(0, 255)`). Reads only as far as those need (a collapsed start longer
 * than 256 characters is the whole text's), not the whole body of every message listed.
 */
export function previewText(plain: string): string {
  const n = plain.length;
  let i = 0;
  while (i < n && isSpace(plain.charCodeAt(i))) i++;
  let out = "";
  while (i < n && out.length <= PREVIEW_CHARS + 1) {
    let j = i;
    while (j < n && j - i <= PREVIEW_CHARS + 1 && !isSpace(plain.charCodeAt(j))) j++;
    out += plain.slice(i, j);
    if (j < n && isSpace(plain.charCodeAt(j))) {
      out += " ";
      while (j < n && isSpace(plain.charCodeAt(j))) j++;
    }
    i = j;
  }
  // Stopped early: past 256 collapsed characters, the whole text's trailing trim cannot reach the first 255.
  return wellFormed((out.length > PREVIEW_CHARS + 1 ? out : out.trimEnd()).slice(0, PREVIEW_CHARS));
}

const CALENDAR_CONTENT_CLASS = "urn:content-classes:calendarmessage";

// Summary columns share one SQLite row, and a Durable Object row is limited to 2 MB in total: header-derived
// values are capped (a phone shows far less anyway); the full headers stay in the raw MIME.
const SHORT = 2048;
const LONG = 32_768;

function cap(s: string, max: number): string {
  return s.length <= max ? s : wellFormed(s.slice(0, max));
}

/** The message's own header block parsed alone (as a text/plain message), or null. */
async function topHeaders(raw: Uint8Array): Promise<Email | null> {
  const head = raw.subarray(0, Math.min(raw.length, MIME_LIMITS.maxHeadersSize));
  const text = new TextDecoder("utf-8").decode(head);
  const end = text.search(/\r?\n\r?\n/);
  if (end < 0) return null;
  // Unfolded header lines without the ones that describe the body (which is not parsed here).
  const headers = text
    .slice(0, end)
    .replace(/\r?\n[ \t]+/g, " ")
    .split(/\r?\n/)
    .filter((l) => l.includes(":") && !/^content-(type|transfer-encoding)\s*:/i.test(l))
    .join("\r\n");
  try {
    return await PostalMime.parse(`${headers}\r\nContent-Type: text/plain\r\n\r\n`, MIME_LIMITS);
  } catch {
    return null;
  }
}

function topFields(e: Email | null): Partial<Email> {
  if (!e) return {};
  return {
    subject: e.subject,
    from: e.from,
    to: e.to,
    cc: e.cc,
    replyTo: e.replyTo,
    date: e.date,
    messageId: e.messageId,
    inReplyTo: e.inReplyTo,
    references: e.references,
  };
}

/** The simple parse when it applies, else postal-mime (null: neither could read it as MIME). */
async function emailOf(raw: Uint8Array, simple: boolean): Promise<Email> {
  if (simple) {
    try {
      const email = parseSimple(raw, MIME_LIMITS.maxHeadersSize);
      if (email) return email;
    } catch {} // postal-mime decides (it uses the same address parser and decoder)
  }
  return PostalMime.parse(raw, { attachmentEncoding: "arraybuffer", ...MIME_LIMITS });
}

/**
 * Parses a message once for everything the store keeps of it. A single text part or a multipart/alternative of
 * text parts (mail without attachments) takes the synchronous simple parse (mime-simple.ts: the same Email as
 * postal-mime, without its per-line awaits and Blobs); `simple: false` forces postal-mime (tests compare both).
 */
export async function parseMessage(raw: Uint8Array, simple = true): Promise<ParsedMessage> {
  let email: Email;
  try {
    email = await emailOf(raw, simple);
  } catch {
    // Not parseable as MIME (limits exceeded, garbage): keep the bytes, show them as text, with the top-level
    // headers when they alone can be read (a 100-deep multipart still has its subject and sender).
    const text = new TextDecoder().decode(raw.subarray(0, 65536));
    const top = await topHeaders(raw);
    email = { headers: top?.headers ?? [], headerLines: top?.headerLines ?? [], attachments: [], text, ...topFields(top) };
  }
  const header = (name: string) => email.headers.find((h) => h.key === name)?.value;
  const utf7Words = (key: string) => email.headerLines.some((l) => l.key === key && /=\?utf-7\?/i.test(l.line));
  const utf7Body = mentionsUtf7(raw) && /charset\s*=\s*"?(?:x-)?utf-?7"?/i.test(latin1Head(raw));

  let subject = clean(email.subject ?? "");
  if (utf7Words("subject")) subject = decodeUtf7(subject);
  let text = email.text;
  let html = email.html;
  if (utf7Body) {
    if (text) text = decodeUtf7(text);
    if (html) html = decodeUtf7(html);
  }
  const plain = text?.trim() ? text : html ? htmlToText(html) : (text ?? "");

  const attachments = email.attachments.map((a, i) => {
    const data =
      typeof a.content === "string"
        ? new TextEncoder().encode(a.content)
        : a.content instanceof Uint8Array
          ? a.content
          : new Uint8Array(a.content);
    const info: AttachmentInfo = {
      partId: String(i + 1),
      filename: cap(clean(a.filename ?? ""), SHORT) || defaultName(a.mimeType, i + 1),
      contentType: cap(a.mimeType, SHORT),
      size: data.byteLength,
      inline: a.disposition === "inline" || (a.related === true && a.disposition !== "attachment"),
    };
    const cid = a.contentId?.replace(/^<|>$/g, "");
    if (cid) info.contentId = cid;
    return { info, data, method: a.method };
  });
  const invite = attachments.find((a) => a.info.contentType === "text/calendar" && a.method);
  const date = email.date ? Date.parse(email.date) : NaN;

  const parsed: ParsedMessage = {
    subject: cap(subject, SHORT),
    from: cap(addresses(email.from ? [email.from] : []), SHORT),
    to: cap(addresses(email.to), LONG),
    cc: cap(addresses(email.cc), LONG),
    replyTo: cap(addresses(email.replyTo), SHORT),
    importance: importance(header("importance"), header("x-priority"), header("priority")),
    plain: wellFormed(plain),
    attachments: attachments.map(({ info, data }) => ({ info, data })),
  };
  if (Number.isFinite(date)) parsed.date = date;
  if (html) parsed.html = wellFormed(html);
  if (email.messageId) parsed.messageId = cap(email.messageId, SHORT);
  if (email.inReplyTo) parsed.inReplyTo = cap(email.inReplyTo, SHORT);
  if (email.references) parsed.references = cap(email.references, LONG);
  if (invite) {
    parsed.contentClass = CALENDAR_CONTENT_CLASS;
    parsed.calendarMethod = invite.method;
  } else if (header("content-class")) parsed.contentClass = cap(header("content-class")!, SHORT);
  const threadIndex = header("thread-index")?.trim();
  if (threadIndex && threadIndex.length <= 512) parsed.threadIndex = threadIndex;
  const topicHeader = header("thread-topic");
  const topic = topicHeader !== undefined ? decodeWords(topicHeader) : subject.replace(/^((re|fwd?|aw|wg|sv|tr)\s*(\[\d+\])?:\s*)+/i, "");
  if (topic) parsed.threadTopic = cap(clean(topic), SHORT);
  return parsed;
}

/** Removes control characters and lone surrogates that broken encoded-words leave behind. */
function clean(s: string): string {
  return wellFormed(s)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "")
    .replace(/\uFFFD+/g, "\uFFFD")
    .trim();
}

function formatAddress(a: { name: string; address: string }): string {
  const name = clean(a.name);
  if (!name) return a.address;
  return `"${name.replace(/["\\]/g, "\\$&")}" <${a.address}>`;
}

function addresses(list: Address[] | undefined): string {
  if (!list) return "";
  return list
    .flatMap((a) => (a.group ? a.group : [a]))
    .filter((a) => a.address)
    .map(formatAddress)
    .join(", ");
}

function importance(imp?: string, xPriority?: string, priority?: string): MailSummary["importance"] {
  const v = (imp ?? "").trim().toLowerCase();
  if (v === "high") return "high";
  if (v === "low") return "low";
  const x = Number.parseInt((xPriority ?? "").trim(), 10);
  if (x === 1 || x === 2) return "high";
  if (x === 4 || x === 5) return "low";
  const p = (priority ?? "").trim().toLowerCase();
  if (p === "urgent") return "high";
  if (p === "non-urgent") return "low";
  return "normal";
}

function defaultName(mimeType: string, n: number): string {
  if (mimeType === "text/calendar") return "invite.ics";
  if (mimeType === "message/rfc822") return `message-${n}.eml`;
  const ext = mimeType.split("/")[1]?.replace(/[^a-z0-9]/gi, "") || "bin";
  return `attachment-${n}.${ext}`;
}

/**
 * Whether "utf7" or "utf-7" (any case) is in the first 256 KiB, which the charset test below needs: a scan of
 * the bytes, so that messages without it (nearly all) skip building the Latin-1 string (~0.2 ms a message).
 * From each "7" (the native byte search: rarer in mail than the "t" it searched for until issue 15 target 2's
 * profile), the "utf" or "utf-" before it; the "t" must be within the first 256 KiB, as before.
 */
export function mentionsUtf7(raw: Uint8Array): boolean {
  const end = Math.min(raw.byteLength, 262_144);
  const utf = (t: number) => t >= 1 && (raw[t]! | 0x20) === 0x74 && (raw[t - 1]! | 0x20) === 0x75 && (raw[t + 1]! | 0x20) === 0x66;
  for (let j = raw.indexOf(0x37, 3); j >= 0 && j <= end; j = raw.indexOf(0x37, j + 1)) {
    if (j < end && utf(j - 2)) return true; // "utf7": its "t" at j - 2 < end - 2
    if (raw[j - 1] === 0x2d && utf(j - 3)) return true; // "utf-7": its "t" at j - 3 < end - 2
  }
  return false;
}

/** The first 256 KiB as Latin-1: where the header of any text part declaring charset=UTF-7 will be. */
function latin1Head(raw: Uint8Array): string {
  let s = "";
  const end = Math.min(raw.byteLength, 262_144);
  for (let i = 0; i < end; i += 8192) s += String.fromCharCode(...raw.subarray(i, Math.min(end, i + 8192)));
  return s;
}
