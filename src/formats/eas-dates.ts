// Date strings of [MS-ASDTYPE]: dateTime (2.3, "2026-11-26T10:00:00.000Z") and Compact DateTime
// (2.7.5, "20261126T100000Z"), which calendar items use (R18: no punctuation separators).
import { PimConversionError } from "./errors";

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

export function formatCompact(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
}

export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.000Z`;
}

/** A calendar date as the compact form with no time component (16.x all-day, [MS-ASCAL] R2005). */
export function formatCompactDate(d: CalendarDate): string {
  return `${pad(d.year, 4)}${pad(d.month)}${pad(d.day)}T000000Z`;
}

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

const COMPACT = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z?)?$/;
const EXTENDED = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?Z?)?$/;

/** Parses either form (devices mix them) as UTC; throws PimConversionError on anything else. */
export function parseEasDate(value: string): number {
  const s = value.trim();
  const m = COMPACT.exec(s) ?? EXTENDED.exec(s);
  if (!m) throw new PimConversionError(`not an EAS date: ${JSON.stringify(value)}`);
  const [y, mo, d, h, mi, se] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) {
    throw new PimConversionError(`not a valid date: ${JSON.stringify(value)}`);
  }
  return ms;
}

/** The date written in an EAS date string, ignoring any time part (16.x all-day values). */
export function parseEasDateOnly(value: string): CalendarDate {
  const d = new Date(parseEasDate(value));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function addDays(d: CalendarDate, n: number): CalendarDate {
  const x = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: x.getUTCFullYear(), month: x.getUTCMonth() + 1, day: x.getUTCDate() };
}

export function dateKey(d: CalendarDate): number {
  return Date.UTC(d.year, d.month - 1, d.day);
}
