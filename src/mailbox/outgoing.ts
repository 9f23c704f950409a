// Turns the device's message into what leaves the server: From set to the mailbox's own address
// ([MS-ASCMD] 2.2.1.17, MS-ASCMD_R448), Date and Message-ID present, Bcc kept only in the Sent Items copy.
// The body bytes are never touched (a signed message must stay valid); only top-level header fields
// are removed or added, each added field encoded per RFC 2047 when it is not ASCII.
import PostalMime, { type Address, type Email } from "postal-mime";
import { toBase64, utf8ToBase64 } from "../formats/base64";
import { ComposeStatus, type ComposeStatusValue } from "./contract";

export class ComposeError extends Error {
  constructor(
    readonly status: ComposeStatusValue,
    message: string,
  ) {
    super(message);
    this.name = "ComposeError";
  }
}

export interface PreparedMessage {
  /** What recipients get: no Bcc. */
  transmit: Uint8Array;
  /** What Sent Items keeps: with Bcc. */
  sentCopy: Uint8Array;
  /** Envelope recipients (To, Cc, Bcc), de-duplicated. */
  recipients: string[];
  messageId: string;
  subject: string;
}

const ADDRESS = /^[^\s@<>()",;:\\[\]]+@[^\s@<>()",;:\\[\]]+\.?[^\s@<>()",;:\\[\]]*$/;

export function isAddress(s: string): boolean {
  return ADDRESS.test(s) && s.length <= 320;
}

export function flattenAddresses(list: Address[] | Address | undefined): { name: string; address: string }[] {
  const out: { name: string; address: string }[] = [];
  for (const a of list === undefined ? [] : Array.isArray(list) ? list : [list]) {
    if (a.group) out.push(...a.group);
    else if (a.address !== undefined) out.push({ name: a.name, address: a.address });
  }
  return out;
}

export async function parseMime(raw: Uint8Array): Promise<Email> {
  splitHeader(raw); // throws InvalidMIME when there is no header block at all
  try {
    return await PostalMime.parse(raw, { attachmentEncoding: "arraybuffer" });
  } catch (e) {
    throw new ComposeError(ComposeStatus.InvalidMIME, `MIME could not be parsed: ${(e as Error).message}`);
  }
}

export async function prepareOutgoing(
  raw: Uint8Array,
  sender: { address: string; name?: string },
  now = Date.now(),
): Promise<PreparedMessage> {
  const email = await parseMime(raw);
  const all = [...flattenAddresses(email.to), ...flattenAddresses(email.cc), ...flattenAddresses(email.bcc)];
  const bad = all.filter((a) => !isAddress(a.address));
  if (bad.length)
    throw new ComposeError(ComposeStatus.MessageRecipientUnresolved, `not an address: ${bad.map((a) => a.address || a.name).join(", ")}`);
  const seen = new Set<string>();
  const recipients: string[] = [];
  for (const a of all) {
    const key = a.address.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      recipients.push(a.address);
    }
  }
  if (!recipients.length) throw new ComposeError(ComposeStatus.MessageHasNoRecipient, "the message has no recipient");

  const deviceFrom = flattenAddresses(email.from)[0];
  const name =
    deviceFrom?.address.toLowerCase() === sender.address.toLowerCase() && deviceFrom.name
      ? deviceFrom.name
      : (sender.name ?? deviceFrom?.name ?? "");
  const domain = sender.address.split("@")[1] ?? "localhost";
  const messageId = email.messageId ?? `<${crypto.randomUUID()}@${domain}>`;
  const add: [string, string][] = [["From", formatMailbox(name, sender.address)]];
  if (!email.headers.some((h) => h.key === "date")) add.push(["Date", rfc5322Date(now)]);
  if (!email.messageId) add.push(["Message-ID", messageId]);

  const sentCopy = editHeaders(raw, { remove: ["from", "sender", "return-path"], add });
  const transmit = editHeaders(sentCopy, { remove: ["bcc"], add: [] });
  return { transmit, sentCopy, recipients, messageId, subject: email.subject ?? "" };
}

/** `"Name" <addr>`, the name as an RFC 2047 encoded word when it is not plain ASCII. */
export function formatMailbox(name: string, address: string): string {
  if (!name) return `<${address}>`;
  return `${encodeWord(name)} <${address}>`;
}

export function encodeWord(s: string): string {
  if (/^[\x20-\x7e]*$/.test(s)) return `"${s.replace(/["\\]/g, "\\$&")}"`;
  return base64Word(s);
}

/** RFC 2047 "B" encoded word, always. */
export function base64Word(s: string): string {
  return `=?UTF-8?B?${utf8ToBase64(s)}?=`;
}

export function rfc5322Date(ms: number): string {
  return new Date(ms).toUTCString().replace("GMT", "+0000");
}

/** Base64 in lines of 76 characters (RFC 2045 6.8). */
export function base64Lines(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/.{76}/g, "$&\r\n");
}

/** Header block and body of a message. Header text is latin1 so every byte maps to one char and back. */
export function splitHeader(raw: Uint8Array): { header: string; body: Uint8Array } {
  let end = -1;
  let sep = 0;
  for (let i = 0; i < raw.length - 1; i++) {
    if (raw[i] === 0x0a && raw[i + 1] === 0x0a) {
      end = i + 1;
      sep = 1;
      break;
    }
    if (raw[i] === 0x0a && raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) {
      end = i + 1;
      sep = 2;
      break;
    }
  }
  const headerBytes = end < 0 ? raw : raw.subarray(0, end);
  const header = new TextDecoder("latin1").decode(headerBytes);
  const first = header.split(/\r?\n/, 1)[0] ?? "";
  if (!/^[!-9;-~]+:/.test(first)) throw new ComposeError(ComposeStatus.InvalidMIME, "the message does not start with a header field");
  return { header, body: end < 0 ? new Uint8Array() : raw.subarray(end + sep) };
}

/** Removes the named top-level fields (with their folded lines) and prepends new ones. */
export function editHeaders(raw: Uint8Array, edit: { remove: string[]; add: [string, string][] }): Uint8Array {
  const { header, body } = splitHeader(raw);
  const remove = new Set(edit.remove.map((n) => n.toLowerCase()));
  const kept: string[] = [];
  let dropping = false;
  for (const line of header.split(/\r?\n/)) {
    if (line === "") continue;
    if (/^[ \t]/.test(line)) {
      if (!dropping) kept.push(line);
      continue;
    }
    const name = line.slice(0, line.indexOf(":")).trim().toLowerCase();
    dropping = remove.has(name);
    if (!dropping) kept.push(line);
  }
  const added = edit.add.map(([k, v]) => `${k}: ${v}`);
  const head = new Uint8Array([...([...added, ...kept].join("\r\n") + "\r\n\r\n")].map((c) => c.charCodeAt(0) & 0xff));
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** Value of a top-level header field (unfolded), or undefined. */
export function headerValue(raw: Uint8Array, name: string): string | undefined {
  const { header } = splitHeader(raw);
  const unfolded = header.replace(/\r?\n[ \t]/g, " ");
  const re = new RegExp(`^${name.replace(/[-]/g, "\\-")}:[ \\t]*(.*)$`, "im");
  return re.exec(unfolded)?.[1]?.trim();
}
