// IMAP values as the store reads and writes them: item ids, UID sets, dates, flags, FETCH responses.
import type { MailFlags } from "../types";
import { type ImapResponse, str, type Token } from "./parser";

/**
 * The UID of a FETCH response, or null for one without (an unsolicited flag update another session caused,
 * RFC 3501 §7.4.2: servers may send those with any command while a mailbox is selected).
 */
export function uidOf(a: Map<string, Token>): number | null {
  const v = a.get("UID");
  const n = typeof v === "string" ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** The response's name: "FETCH" for "* 3 FETCH (…)", "VANISHED" for "* VANISHED (EARLIER) 3:5". */
export function kind(u: ImapResponse): string {
  const t = typeof u.tokens[0] === "string" && /^\d+$/.test(u.tokens[0]) ? u.tokens[1] : u.tokens[0];
  return typeof t === "string" ? t.toUpperCase() : "";
}

/** Item ids are "<UIDVALIDITY>-<UID>": an id from before a mailbox was recreated never names a new message. */
export function itemIdOf(validity: number, uid: number): string {
  return `${validity}-${uid}`;
}

export function parseItemId(itemId: string): { validity: number; uid: number } | null {
  const m = /^([1-9][0-9]{0,9})-([1-9][0-9]{0,9})$/.exec(itemId);
  if (!m) return null;
  const validity = Number(m[1]);
  const uid = Number(m[2]);
  return validity <= 0xffffffff && uid <= 0xffffffff ? { validity, uid } : null;
}

export const FLAG_NAMES: [keyof MailFlags, string][] = [
  ["seen", "\\Seen"],
  ["flagged", "\\Flagged"],
  ["answered", "\\Answered"],
  ["forwarded", "$Forwarded"],
];

/** The flags of a message as one comparable string (sorted, lower case), keywords included. */
export function flagKey(t: Token | undefined): string {
  return (Array.isArray(t) ? t : [])
    .map((f) => str(f).toLowerCase())
    .filter((f) => f !== "\\recent")
    .sort()
    .join(" ");
}

export function flagsOf(t: Token | undefined): MailFlags {
  const set = new Set((Array.isArray(t) ? t : []).map((f) => str(f).toLowerCase()));
  return { seen: set.has("\\seen"), flagged: set.has("\\flagged"), answered: set.has("\\answered"), forwarded: set.has("$forwarded") };
}

export function flagNames(flags: Partial<MailFlags>, onlyTrue: boolean): string[] {
  return FLAG_NAMES.filter(([k]) => (onlyTrue ? flags[k] === true : flags[k] !== undefined)).map(([, n]) => n);
}

export function pick(flags: Partial<MailFlags>, keep: (k: keyof MailFlags, v: boolean) => boolean): Partial<MailFlags> {
  const out: Partial<MailFlags> = {};
  for (const [k] of FLAG_NAMES) if (flags[k] !== undefined && keep(k, flags[k]!)) out[k] = flags[k];
  return out;
}

export const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** RFC 3501 date-time: "26-Nov-2026 15:12:46 +0000". */
export function internalDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

const MONTH_OF = new Map(MONTHS.map((m, i) => [m.toLowerCase(), i]));
const DATE_TIME = /^\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/;

/** RFC 3501 date-time " 6-Nov-2026 15:12:46 +0100" → ms since epoch (0 when unreadable). */
export function parseInternalDate(s: string): number {
  const m = DATE_TIME.exec(s);
  if (!m) return 0;
  const month = MONTH_OF.get(m[2]!.toLowerCase());
  if (month === undefined) return 0;
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  const offset = (Number(m[8]) * 60 + Number(m[9])) * 60_000 * (m[7] === "-" ? -1 : 1);
  return utc - offset;
}

export function searchUids(untagged: ImapResponse[]): number[] {
  return untagged.filter((u) => str(u.tokens[0]).toUpperCase() === "SEARCH").flatMap((u) => u.tokens.slice(1).map((t) => Number(str(t))));
}

/** A caller's `limit` as SQLite's LIMIT: never negative (LIMIT -1 is "no limit"), never above `max`. */
export function boundedLimit(limit: number, max = 10_000): number {
  return Number.isNaN(limit) ? 0 : Math.max(0, Math.min(Math.trunc(limit), max));
}

export function concatBytes(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** "1:3,7" → [1, 2, 3, 7]. */
export function uidSet(set: string): number[] {
  const out: number[] = [];
  for (const part of set.split(",")) {
    const [a, b] = part.split(":").map(Number);
    if (!Number.isFinite(a)) continue;
    const lo = Math.min(a!, b ?? a!);
    const hi = Math.max(a!, b ?? a!);
    for (let u = lo; u <= hi && out.length < 1_000_000; u++) out.push(u);
  }
  return out;
}
