// A synchronous parse of the most common messages: one text/plain or text/html part, or a multipart/alternative of
// such parts (text and HTML), 7bit, 8bit or quoted-printable, in a charset every runtime decodes the same way. It
// gives exactly the Email that postal-mime gives for them (the same header unfolding and trimming, boundaries,
// line handling and decoders, and postal-mime's own address parser and encoded-word decoder), without postal-mime's
// cost per message: an `await` per line and a Blob per part (≈ 80 µs a 1 KB message in the Workers runtime, the
// largest cost of a bridged folder's first listing, issue 15 target 2). Anything else (attachments, other
// multiparts, base64, other charsets, dispositions other than a bare inline, RFC 2231 or commented parameters)
// returns null and is parsed by postal-mime; a test compares both parsers on every message the fast path accepts
// (test/workers/store-mime-simple.test.ts).
import { addressParser, type Address, decodeWords, type Email, type Header } from "postal-mime";

/** Labels that every runtime's TextDecoder knows and that postal-mime's getDecoder passes to it unchanged. */
const CHARSETS = new Set(["utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1", "windows-1252"]);
const decoders = new Map<string, TextDecoder>();
function decoderOf(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) decoders.set(label, (d = new TextDecoder(label)));
  return d;
}
const headerDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

const isWsp = (c: number) => c === 0x20 || c === 0x09;
function trimWsp(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isWsp(s.charCodeAt(start))) start++;
  while (end > start && isWsp(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** An address as the fast path takes it: one `@`, no space, quote, bracket, comment, escape or encoded word. */
const PLAIN_ADDRESS = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$/;
/** `Name <address>` or `"Name, quoted" <address>`, names of letters, digits, spaces and `._'+-` only. */
const NAMED_ADDRESS = /^(?:"([A-Za-z0-9 \t._'+,-]*)"|([A-Za-z0-9 \t._'+-]*))[ \t]*<([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+)>$/;
/** Every character the fast path can meet in a list it takes (anything else: postal-mime's parser). */
const PLAIN_LIST = /^[A-Za-z0-9 \t._%+'@<>",-]*$/;

/**
 * The addresses of a header value whose every entry is `a@b`, `Name <a@b>` or `"Name" <a@b>` in plain ASCII (what
 * nearly all mail has), exactly as postal-mime's addressParser gives them; null for anything else, which its parser
 * reads (groups, comments, escapes, encoded words, other characters, empty entries). Its tokenizer costs ≈ 5 µs an
 * address in workerd, the largest part of a simple parse (issue 15 target 2); the test compares both on thousands
 * of shapes, malformed ones included (test/workers/store-mime-simple.test.ts).
 */
export function simpleAddresses(value: string): Address[] | null {
  if (!PLAIN_LIST.test(value)) return null;
  const out: Address[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) quoted = !quoted;
    else if (i === value.length || (c === 0x2c && !quoted)) {
      const entry = trimWsp(value.slice(start, i));
      start = i + 1;
      if (PLAIN_ADDRESS.test(entry)) {
        out.push({ address: entry, name: "" } as Address);
        continue;
      }
      const m = NAMED_ADDRESS.exec(entry);
      if (!m) return null;
      out.push({ address: m[3]!, name: trimWsp(m[1] ?? m[2]!) } as Address);
    }
  }
  return out;
}

/** simpleAddresses, else postal-mime's parser. */
function addressesOf(value: string): Address[] {
  return simpleAddresses(value) ?? addressParser(value);
}

const MONTH_OF = new Map(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].map((m, i) => [m, i]));
/** RFC 5322 `[Day, ]DD Mon YYYY HH:MM:SS ±HHMM` (or GMT, UT, UTC), a comment of letters after it. */
const RFC5322_DATE =
  /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d\d):(\d\d):(\d\d) (?:([+-])(\d\d)(\d\d)|GMT|UT|UTC)(?: \([A-Za-z]*\))?$/;

/**
 * The time of a Date header in the form nearly all mail uses, as `new Date(value)` reads it (its day name
 * ignored, as there); null for anything else (other forms, days past the month's end, years before 1900), which
 * `new Date` parses (≈ 1 µs a message in V8's legacy date parser; the test compares both on many shapes).
 */
export function simpleDate(value: string): number | null {
  const m = RFC5322_DATE.exec(value);
  if (!m) return null;
  const [day, year, hour, minute, second] = [m[1], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  if (year < 1900 || hour > 23 || minute > 59 || second > 59 || day < 1) return null;
  const utc = Date.UTC(year, MONTH_OF.get(m[2]!)!, day, hour, minute, second);
  if (new Date(utc).getUTCDate() !== day) return null; // 31 Feb and the like: the legacy parser's own handling
  if (!m[7]) return utc;
  const zoneHours = Number(m[8]);
  const zoneMinutes = Number(m[9]);
  if (zoneHours > 23 || zoneMinutes > 59) return null;
  return utc - (m[7] === "-" ? -1 : 1) * (zoneHours * 60 + zoneMinutes) * 60_000;
}

/** The content headers that decide how a part is read (the first of each counts, as in postal-mime). */
const CONTENT = new Set(["content-type", "content-transfer-encoding", "content-disposition"]);

/** `name=value` parameters (the first of each name), or null for any postal-mime's parser could read otherwise. */
function parameters(rest: string[]): Map<string, string> | null {
  const params = new Map<string, string>();
  for (const p of rest) {
    if (!trimWsp(p)) continue;
    const m = /^[ \t]*([A-Za-z0-9._-]+)[ \t]*=[ \t]*(?:"([^"]*)"|([^\s"]*))[ \t]*$/.exec(p);
    if (!m) return null;
    const key = m[1]!.toLowerCase();
    if (!params.has(key)) params.set(key, m[2] ?? m[3]!);
  }
  return params;
}

/** `text/plain` or `text/html` and its parameters, or null for anything the simple parse does not read the same way. */
function simpleContentType(value: string | undefined): { html: boolean; charset: string; flowed: boolean; delsp: boolean } | null {
  if (value === undefined) return { html: false, charset: "utf8", flowed: false, delsp: false };
  // Comments, escapes, encoded words or RFC 2231 parameters: postal-mime's structured-header parser.
  if (/[()\\*]|=\?/.test(value)) return null;
  const [type, ...rest] = value.split(";");
  const t = trimWsp(type!).toLowerCase();
  if (t !== "text/plain" && t !== "text/html") return null;
  const params = parameters(rest);
  if (!params) return null;
  const charset = (params.get("charset") || "utf8").trim().toLowerCase();
  if (!CHARSETS.has(charset)) return null;
  return {
    html: t === "text/html",
    charset,
    flowed: /^flowed$/i.test(params.get("format") ?? ""),
    delsp: /^yes$/i.test(params.get("delsp") ?? ""),
  };
}

function hexNibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** RFC 3676 format=flowed unwrapped as postal-mime does it (MimeNode.decodeFlowedText). */
function decodeFlowed(str: string, delSp: boolean): string {
  const parts: string[] = [];
  let lineStart = 0;
  let lineLength = 0;
  const lines = str.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.charAt(0) === " ") line = line.slice(1);
    if (i) {
      const last = parts.length ? parts[parts.length - 1]! : "";
      const isSignature = lineLength === 3 && parts.slice(lineStart).join("") === "-- ";
      if (last.endsWith(" ") && !isSignature) {
        if (delSp) {
          if (last.length > 1) parts[parts.length - 1] = last.slice(0, -1);
          else parts.pop();
          lineLength--;
        }
      } else {
        parts.push("\n");
        lineStart = parts.length;
        lineLength = 0;
      }
    }
    if (line) {
      parts.push(line);
      lineLength += line.length;
    }
  }
  return parts.join("");
}

/** Where the line at `start` begins the next one (after its LF, or the end). */
function next(raw: Uint8Array, start: number): number {
  const lf = raw.indexOf(0x0a, start);
  return lf < 0 ? raw.length : lf + 1;
}

/**
 * Where the line at `start` ends as postal-mime reads it (PostalMime.readLine): before the CRs and LF that end it,
 * CRs inside the line kept.
 */
function lineEnd(raw: Uint8Array, start: number, nextLine: number): number {
  let end = nextLine;
  while (end > start && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d)) end--;
  return end;
}

/** A part's header as postal-mime reads it (MimeNode.processHeaders), and where its body starts. */
interface PartHead {
  headers: Header[];
  headerLines: { key: string; line: string }[];
  /** The first value of each content header. */
  content: Map<string, string>;
  bodyStart: number;
  /** Header bytes counted against maxHeadersSize (lines without their CR/LF). */
  size: number;
}

/** The header of the part at `start` (before `limit`), or null when it has no empty line to end it there. */
function partHead(raw: Uint8Array, start: number, limit: number, budget: number): PartHead | null {
  let size = 0;
  let pos = start;
  let headerEnd = -1;
  let bodyStart = -1;
  // Header lines as postal-mime reads them: split at LF, trailing CR/LF dropped (readLine), up to the first empty one.
  while (pos < limit) {
    const lineStart = pos;
    pos = next(raw, lineStart);
    const end = lineEnd(raw, lineStart, pos);
    if (end === lineStart) {
      headerEnd = lineStart;
      bodyStart = pos;
      break;
    }
    size += end - lineStart;
    if (size > budget) return null;
  }
  if (bodyStart < 0 || bodyStart > limit) return null;

  // Decoded as one block: an invalid UTF-8 sequence ends at a CR or LF, so this is each line decoded on its own.
  const lines = headerDecoder.decode(raw.subarray(start, headerEnd)).split("\n");
  lines.pop(); // after the last LF: the empty line's start
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let end = line.length;
    while (end > 0 && line.charCodeAt(end - 1) === 0x0d) end--;
    if (end < line.length) lines[i] = line.slice(0, end);
  }
  const folded: string[][] = [];
  for (const line of lines) {
    if (folded.length && (line.charCodeAt(0) === 0x20 || line.charCodeAt(0) === 0x09)) folded[folded.length - 1]!.push(line);
    else folded.push([line]);
  }
  const headers: Header[] = [];
  const headerLines: { key: string; line: string }[] = [];
  const content = new Map<string, string>();
  for (const parts of folded) {
    const rawLine = parts.join("\n");
    let sep = rawLine.indexOf(":");
    headerLines.push({ key: trimWsp(sep < 0 ? rawLine : rawLine.slice(0, sep)).toLowerCase(), line: rawLine });
    const unfolded = parts.join("");
    sep = unfolded.indexOf(":");
    const key = trimWsp(sep < 0 ? unfolded : unfolded.slice(0, sep));
    const after = sep < 0 ? "" : unfolded.slice(sep + 1);
    // (split at LF above: only a bare CR can be left in a line)
    const value = trimWsp(after.includes("\r") ? after.replace(/[\r\n]+/g, " ") : after);
    const lower = key.toLowerCase();
    headers.push({ key: lower, originalKey: key, value } as Header);
    if (CONTENT.has(lower) && !content.has(lower)) content.set(lower, value);
  }
  return { headers, headerLines, content, bodyStart, size };
}

/**
 * The text of a part whose body is raw[from, to) (`to` at a line start or the end), as postal-mime's decoders and
 * getTextContent give it; null when the part is not an inline text part the simple parse reads the same way.
 */
function partText(raw: Uint8Array, head: PartHead, to: number): { html: boolean; text: string } | null {
  // An inline disposition leaves a text part in the body; any other (or with parameters) is postal-mime's.
  const disposition = head.content.get("content-disposition");
  if (disposition !== undefined && disposition.toLowerCase() !== "inline") return null;
  const type = simpleContentType(head.content.get("content-type"));
  if (!type) return null;
  const cte = head.content.get("content-transfer-encoding");
  const encoding = cte === undefined ? "" : trimWsp(cte).toLowerCase();
  const qp = encoding === "quoted-printable";
  if (!(qp || encoding === "" || encoding === "7bit" || encoding === "8bit" || encoding === "binary")) return null;
  const from = head.bodyStart;
  let text: string;
  if (!qp) {
    // postal-mime's pass-through decoder: each line without the CRs and LF that end it, then LF. CR and LF are
    // single bytes in every charset taken here and end any invalid sequence, so this is done on the decoded text.
    const body = decoderOf(type.charset).decode(raw.subarray(from, to));
    text = body.replace(/\r*\n/g, "\n");
    if (from < to && raw[to - 1] !== 0x0a) {
      let end = text.length;
      while (end > 0 && text.charCodeAt(end - 1) === 0x0d) end--;
      text = `${text.slice(0, end)}\n`;
    }
  } else {
    // postal-mime's quoted-printable decoder, line by line.
    const out = new Uint8Array(to - from + 1);
    let o = 0;
    let pos = from;
    while (pos < to) {
      const start = pos;
      pos = next(raw, start);
      const end = lineEnd(raw, start, pos);
      let len = end - start;
      const softBreak = len > 0 && raw[end - 1] === 0x3d;
      if (softBreak) len--;
      const stop = start + len;
      for (let i = start; i < stop; i++) {
        const c = raw[i]!;
        if (c === 0x3d && i + 2 < stop) {
          const high = hexNibble(raw[i + 1]!);
          const low = hexNibble(raw[i + 2]!);
          if (high >= 0 && low >= 0) {
            out[o++] = (high << 4) | low;
            i += 2;
            continue;
          }
        }
        out[o++] = c;
      }
      if (!softBreak) out[o++] = 0x0a;
    }
    text = decoderOf(type.charset).decode(out.subarray(0, o));
  }
  if (type.flowed) text = decodeFlowed(text, type.delsp);
  return { html: type.html, text };
}

/** Whether raw[start, end) is a line "--" + boundary, "--" after it for the last, then only spaces and tabs. */
function boundaryAt(raw: Uint8Array, start: number, end: number, b: Uint8Array): "part" | "last" | null {
  if (end - start < b.length + 2 || raw[start] !== 0x2d || raw[start + 1] !== 0x2d) return null;
  for (let j = 0; j < b.length; j++) if (raw[start + 2 + j] !== b[j]) return null;
  let k = start + 2 + b.length;
  let last = false;
  if (end - start >= b.length + 4 && raw[k] === 0x2d && raw[k + 1] === 0x2d) {
    last = true;
    k += 2;
  }
  for (; k < end; k++) if (raw[k] !== 0x20 && raw[k] !== 0x09) return null;
  return last ? "last" : "part";
}

/** The boundary of a `multipart/alternative` Content-Type the simple parse reads as postal-mime does, or null. */
function alternativeBoundary(value: string | undefined): string | null {
  if (value === undefined || /[()\\*]|=\?/.test(value)) return null;
  const [type, ...rest] = value.split(";");
  if (trimWsp(type!).toLowerCase() !== "multipart/alternative") return null;
  const params = parameters(rest);
  return params?.get("boundary") || null;
}

/**
 * The Email postal-mime would give for `raw`, when `raw` is one text part, or a multipart/alternative of text
 * parts, that the simple parse reads the same way; null otherwise (other multiparts, attachments, base64, other
 * charsets, over `maxHeadersSize`, a part without the empty line that ends its header).
 */
export function parseSimple(raw: Uint8Array, maxHeadersSize: number): Email | null {
  const n = raw.length;
  const root = partHead(raw, 0, n, maxHeadersSize);
  if (!root) return null;
  const headers = root.headers;
  const plain: string[] = [];
  const htmls: string[] = [];
  const boundary = alternativeBoundary(root.content.get("content-type"));
  if (boundary !== null) {
    // PostalMime.processLine: the body's lines up to the first boundary are the preamble, each boundary starts a
    // part, the closing one ends them (the epilogue is ignored), the end of the message ends the last.
    if (root.content.has("content-disposition")) return null;
    const b = new TextEncoder().encode(boundary);
    let budget = maxHeadersSize - root.size;
    let partStart = -1;
    let closed = false;
    const endPart = (to: number): boolean => {
      const head = partHead(raw, partStart, to, budget);
      if (!head) return false;
      budget -= head.size;
      const t = partText(raw, head, to);
      if (!t) return false;
      (t.html ? htmls : plain).push(t.text);
      return true;
    };
    for (let pos = root.bodyStart; pos < n && !closed; ) {
      const start = pos;
      pos = next(raw, start);
      const mark = boundaryAt(raw, start, lineEnd(raw, start, pos), b);
      if (!mark) continue;
      if (partStart >= 0 && !endPart(start)) return null;
      if (mark === "last") closed = true;
      else partStart = pos;
    }
    if (!closed) {
      if (partStart < 0) return null; // no part at all: postal-mime's own handling
      if (!endPart(n)) return null;
    }
  } else {
    if (root.content.get("content-type") !== undefined && /^\s*multipart\//i.test(root.content.get("content-type")!)) return null;
    const t = partText(raw, root, n);
    if (!t) return null;
    (t.html ? htmls : plain).push(t.text);
  }
  const text = plain.length ? plain.join("\n") : undefined;
  const html = htmls.length ? htmls.join("\n") : undefined;

  // PostalMime.buildMessage
  const email: Email = { headers: headers.map((h) => ({ key: h.key, originalKey: h.originalKey, value: h.value }) as Header) } as Email;
  const firsts = new Map<string, Header>();
  for (const h of headers) if (!firsts.has(h.key)) firsts.set(h.key, h);
  const first = (key: string) => firsts.get(key);
  const set = (k: string, v: unknown) => {
    (email as unknown as Record<string, unknown>)[k] = v;
  };
  for (const key of ["from", "sender"]) {
    const h = first(key);
    if (h?.value) {
      const list = addressesOf(h.value);
      if (list?.length) set(key, list[0]);
    }
  }
  for (const [key, camel] of [
    ["delivered-to", "deliveredTo"],
    ["return-path", "returnPath"],
  ] as const) {
    const h = first(key);
    if (h?.value) {
      const list = addressesOf(h.value);
      if (list?.length && (list[0] as { address?: string }).address) set(camel, (list[0] as { address: string }).address);
    }
  }
  for (const [key, camel] of [
    ["to", "to"],
    ["cc", "cc"],
    ["bcc", "bcc"],
    ["reply-to", "replyTo"],
  ] as const) {
    const list: Address[] = [];
    for (const h of headers) if (h.key === key && h.value) for (const a of addressesOf(h.value)) list.push(a);
    if (list.length) set(camel, list);
  }
  for (const [key, camel] of [
    ["subject", "subject"],
    ["message-id", "messageId"],
    ["in-reply-to", "inReplyTo"],
    ["references", "references"],
  ] as const) {
    const h = first(key);
    if (h?.value) set(camel, decodeWords(h.value));
  }
  const dateHeader = first("date");
  if (dateHeader) {
    const date = new Date(simpleDate(dateHeader.value) ?? dateHeader.value);
    email.date = Number.isNaN(date.getTime()) ? dateHeader.value : date.toISOString(); // toString() is "Invalid Date" exactly then
  }
  if (html) email.html = html;
  if (text) email.text = text;
  email.attachments = [];
  email.headerLines = root.headerLines;
  return email;
}
