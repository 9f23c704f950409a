// Conversations ([MS-ASCON]): which thread a message belongs to, and its conversation index, derived from its
// headers alone so every store (built-in: once, on append, kept in a column; IMAP: from the summary it parsed)
// gives the same answer for the same message, and a phone's ConversationId names the same messages on any
// device and after any move.
//
// The thread is named by its root: the first id of References (RFC 5322 3.6.4: the thread's first message),
// else In-Reply-To, else the message's own Message-ID (a thread's first message), else its normalised subject
// (no ids at all). The ConversationId is the first 16 bytes of SHA-256 of that root: a byte array
// ([MS-ASEMAIL] 2.2.2.21, sent as OPAQUE), the same for every message of the thread.
import { createHash } from "node:crypto";
import { bytesHex } from "../formats/hex";
import { fromBase64 } from "../formats/base64";

/** The headers a conversation is derived from (MailSummary / ParsedMessage fields). */
export interface ConversationHeaders {
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  subject: string;
  from?: string;
  date?: number;
}

/** The first `<id>` of a header, lower-cased; or the trimmed value when it has no angle brackets. */
function firstId(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /<([^<>\s]+)>/.exec(value);
  const id = (m ? m[1] : value.trim().split(/\s+/)[0]) ?? "";
  return id ? id.toLowerCase() : undefined;
}

/** Reply and forward prefixes of the languages mail clients write them in (Re, Fwd, AW, WG, SV, TR, RIF, VS…). */
// One way only to match each prefix (no two adjacent runs of optional spaces), so a hostile subject cannot make it backtrack.
const PREFIX = /^\s*(?:(?:re|fwd?|aw|wg|sv|vs|tr|rif|antw|odp|r)\s*(?:\[\d+\]\s*)?:\s*)+/i;

/** A subject as the thread's other messages have it: reply/forward prefixes off, case and spacing folded. */
export function normalisedSubject(subject: string): string {
  let s = subject;
  for (let prev = ""; prev !== s; ) {
    prev = s;
    s = s.replace(PREFIX, "");
  }
  return s.replace(/\s+/g, " ").trim().toLowerCase();
}

/**
 * The root of the message's thread: "m:<id>" (a Message-ID), "s:<subject>" (no ids), or for a message with
 * neither ids nor subject one of its own ("x:" sender and date), so unrelated messages never merge into one.
 */
export function conversationRoot(h: ConversationHeaders): string {
  const id = firstId(h.references) ?? firstId(h.inReplyTo) ?? firstId(h.messageId);
  if (id) return `m:${id}`;
  const subject = normalisedSubject(h.subject);
  if (subject) return `s:${subject}`;
  return `x:${(h.from ?? "").toLowerCase()}|${h.date ?? ""}`;
}

/** The 16-byte ConversationId of a thread root, as 32 lower-case hex digits. */
export function conversationIdOfRoot(root: string): string {
  return createHash("sha256").update(root, "utf8").digest("hex").slice(0, 32);
}

/**
 * conversationIdOfRoot for many roots at once, by WebCrypto (native; a page of new summaries hashes 100 roots:
 * node:crypto's createHash in workerd costs ≈ 15 µs each in Buffer conversions, issue 15 target 2).
 */
export async function conversationIdsOfRoots(roots: string[]): Promise<string[]> {
  const enc = new TextEncoder();
  const digests = await Promise.all(roots.map((r) => crypto.subtle.digest("SHA-256", enc.encode(r))));
  return digests.map((d) => bytesHex(new Uint8Array(d, 0, 16)));
}

/** The message's ConversationId (32 hex digits). */
export function conversationIdOf(h: ConversationHeaders): string {
  return conversationIdOfRoot(conversationRoot(h));
}

/** 100 ns ticks between 1601-01-01 (FILETIME epoch) and 1970-01-01. */
const FILETIME_EPOCH = 116_444_736_000_000_000n;

/**
 * [MS-ASCON] 2.2.2.4.1 Conversation Index Header: 5 bytes, big-endian, of the FILETIME of `ms` — the FILETIME's
 * bits 55..16, as [MS-OXOMSG] 2.2.1.3's "Current FILETIME" field (its reserved first byte is the FILETIME's top
 * byte, 0x01 for any date of this century, and is not sent).
 */
export function conversationIndexHeader(ms: number): Uint8Array {
  const ft = BigInt(Math.max(0, Math.trunc(ms))) * 10_000n + FILETIME_EPOCH;
  const v = (ft >> 16n) & 0xff_ffff_ffffn;
  const out = new Uint8Array(5);
  for (let i = 0; i < 5; i++) out[i] = Number((v >> BigInt(8 * (4 - i))) & 0xffn);
  return out;
}

function base64Bytes(s: string): Uint8Array | null {
  const clean = s.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(clean) || clean.length % 4 !== 0) return null;
  return fromBase64(clean);
}

/**
 * The message's ConversationIndex ([MS-ASCON] 2.2.2.4), as hex. A message from Outlook or Exchange carries a
 * Thread-Index header ([MS-OXOMSG] 2.2.1.3: 22-byte header + 5-byte response levels, base64): its FILETIME field
 * and its response levels are the index, so the tree a phone draws matches the sender's. Without one the index is
 * the header alone, from the message's Date (else its arrival): the time it was originally sent (MS-ASCON_R304).
 */
export function conversationIndexOf(threadIndex: string | undefined, date: number): string {
  const ti = threadIndex ? base64Bytes(threadIndex) : null;
  if (ti && ti.length >= 22 && (ti.length - 22) % 5 === 0 && ti.length <= 22 + 5 * 64)
    return bytesHex(ti.subarray(1, 6)) + bytesHex(ti.subarray(22));
  return bytesHex(conversationIndexHeader(date));
}
