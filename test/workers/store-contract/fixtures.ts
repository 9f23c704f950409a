// Test data of the store contract: RFC 5322 messages (plain, multipart with HTML and an attachment, large)
// and iCalendar/vCard objects. Times are whole seconds: IMAP's INTERNALDATE has no milliseconds.
const enc = new TextEncoder();

/** A unique tag for names and UIDs, so tests sharing a server account never collide. */
export function tag(): string {
  return crypto.randomUUID().slice(0, 8);
}

export interface MessageSpec {
  subject?: string;
  body?: string;
  date?: number;
  messageId?: string;
}

/** A plain-text message with CRLF line ends (what IMAP stores byte for byte). */
export function plainMessage(spec: MessageSpec = {}): Uint8Array {
  const subject = spec.subject ?? `Contract ${tag()}`;
  const date = new Date(spec.date ?? Date.UTC(2026, 10, 26, 10, 0, 0)).toUTCString().replace("GMT", "+0000");
  return enc.encode(
    [
      "From: Sender <sender@example.test>",
      "To: Reader <reader@example.test>",
      "Cc: copy@example.test",
      `Subject: ${subject}`,
      `Date: ${date}`,
      `Message-ID: ${spec.messageId ?? `<${tag()}@contract.test>`}`,
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "",
      ...(spec.body ?? `Body of ${subject}.`).split("\n"),
      "",
    ].join("\r\n"),
  );
}

/** base64 in 76-column lines. */
function base64Lines(data: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < data.length; i += 0x8000) bin += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return (btoa(bin).match(/.{1,76}/g) ?? []).join("\r\n");
}

/** Bytes that are not text, so a transfer encoding mistake shows. */
export function binary(size: number, seed = 7): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = x >>> 16;
  }
  return out;
}

/** multipart/mixed: a multipart/alternative (plain + HTML) and one attachment of `attachment` bytes. */
export function richMessage(subject: string, attachment: Uint8Array, filename = "report.bin"): Uint8Array {
  return enc.encode(
    [
      "From: Sender <sender@example.test>",
      "To: reader@example.test",
      `Subject: ${subject}`,
      "Date: Thu, 26 Nov 2026 10:00:00 +0000",
      `Message-ID: <${tag()}@contract.test>`,
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="outer"',
      "",
      "--outer",
      'Content-Type: multipart/alternative; boundary="inner"',
      "",
      "--inner",
      "Content-Type: text/plain; charset=utf-8",
      "",
      `Plain text of ${subject}.`,
      "--inner",
      "Content-Type: text/html; charset=utf-8",
      "",
      `<html><body><p>HTML of <b>${subject}</b>.</p></body></html>`,
      "--inner--",
      "--outer",
      `Content-Type: application/octet-stream; name="${filename}"`,
      `Content-Disposition: attachment; filename="${filename}"`,
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(attachment),
      "--outer--",
      "",
    ].join("\r\n"),
  );
}

/**
 * RFC 5545 3.3.11 TEXT escaping. Radicale reads an unescaped comma in SUMMARY as a list separator and keeps
 * the first value only, answering the PUT with the old ETag: an unescaped fixture looks like a lost write.
 */
function text(value: string): string {
  return value.replace(/[\\;,]/g, "\\$&").replace(/\n/g, "\\n");
}

/** multipart/mixed of text, an inline picture, text: how Apple Mail sends a plain-text message with a picture. */
export function textImageText(subject: string, picture: Uint8Array): Uint8Array {
  return enc.encode(
    [
      "From: Sender <sender@example.test>",
      "To: reader@example.test",
      `Subject: ${subject}`,
      "Date: Thu, 26 Nov 2026 10:00:00 +0000",
      `Message-ID: <${tag()}@contract.test>`,
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="apple"',
      "",
      "--apple",
      "Content-Type: text/plain; charset=us-ascii",
      "Content-Transfer-Encoding: 7bit",
      "",
      "Part A, before the picture.",
      "",
      "--apple",
      "Content-Type: image/jpeg; name=IMG_0001.jpeg",
      "Content-Disposition: inline; filename=IMG_0001.jpeg",
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(picture),
      "--apple",
      "Content-Type: text/plain; charset=us-ascii",
      "Content-Transfer-Encoding: 7bit",
      "",
      "Part B, after the picture.",
      "--apple--",
      "",
    ].join("\r\n"),
  );
}

/** iCalendar UTC date-time. */
function icsTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

export function event(uid: string, summary: string, start = Date.UTC(2027, 0, 15, 9), description?: string): string {
  return [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Store contract//EN",
    "BEGIN:VEVENT",
    `UID:${uid}`,
    "DTSTAMP:20261126T120000Z",
    `DTSTART:${icsTime(start)}`,
    `DTEND:${icsTime(start + 3_600_000)}`,
    `SUMMARY:${text(summary)}`,
    ...(description ? foldIcs(`DESCRIPTION:${description}`) : []),
    "END:VEVENT",
    "END:VCALENDAR",
    "",
  ].join("\r\n");
}

/** RFC 5545 3.1 line folding (75 octets; ASCII content here). */
function foldIcs(line: string): string[] {
  const out = [line.slice(0, 75)];
  for (let i = 75; i < line.length; i += 74) out.push(` ${line.slice(i, i + 74)}`);
  return out;
}

export function todo(uid: string, summary: string): string {
  return [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Store contract//EN",
    "BEGIN:VTODO",
    `UID:${uid}`,
    "DTSTAMP:20261126T120000Z",
    `SUMMARY:${text(summary)}`,
    "STATUS:NEEDS-ACTION",
    "END:VTODO",
    "END:VCALENDAR",
    "",
  ].join("\r\n");
}

export function card(uid: string, name: string): string {
  return ["BEGIN:VCARD", "VERSION:3.0", `UID:${uid}`, `FN:${name}`, `N:${name};;;;`, "EMAIL:someone@example.net", "END:VCARD", ""].join(
    "\r\n",
  );
}
