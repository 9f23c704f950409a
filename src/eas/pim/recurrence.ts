// EAS Recurrence ([MS-ASCAL] 2.2.2.37, [MS-ASTASK] 2.2.2.18) <-> RFC 5545 RRULE (ical.js Recur).
import ICAL from "ical.js";
import { el, childText } from "../../wbxml/tree";
import type { WbxmlElement } from "../../wbxml/types";
import { PimConversionError } from "../../formats/errors";

const DAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];

export const RecurrenceType = { Daily: 0, Weekly: 1, Monthly: 2, MonthlyNth: 3, Yearly: 5, YearlyNth: 6 } as const;

/** The recurrence pattern without its end, as EAS fields. */
export interface EasPattern {
  type: number;
  interval: number;
  dayOfWeek?: number; // bitmask, Sunday = 1 … Saturday = 64
  dayOfMonth?: number;
  weekOfMonth?: number; // 1-4, 5 = last
  monthOfYear?: number;
  firstDayOfWeek?: number; // 0 = Sunday
  occurrences?: number;
}

function maskOf(days: string[]): number {
  let mask = 0;
  for (const d of days) {
    const i = DAYS.indexOf(d.slice(-2).toUpperCase());
    if (i < 0) throw new PimConversionError(`bad BYDAY ${d}`);
    mask |= 1 << i;
  }
  return mask;
}

function daysOf(mask: number): string[] {
  return DAYS.filter((_, i) => mask & (1 << i));
}

function ordinal(byday: string): number | undefined {
  const m = /^([+-]?\d+)?([A-Z]{2})$/i.exec(byday);
  return m?.[1] ? Number(m[1]) : undefined;
}

/** `start` is the series start as wall-clock fields (month 1-12, dow 0 = Sunday). */
export function patternFromRecur(recur: ICAL.Recur, start: { month: number; day: number; dow: number }): EasPattern | undefined {
  const parts = recur.parts as Record<string, (string | number)[] | undefined>;
  const byday = (parts.BYDAY ?? []).map(String);
  const bymonthday = (parts.BYMONTHDAY ?? []).map(Number);
  const bymonth = (parts.BYMONTH ?? []).map(Number);
  const bysetpos = (parts.BYSETPOS ?? []).map(Number);
  const unsupported = ["BYHOUR", "BYMINUTE", "BYSECOND", "BYWEEKNO", "BYYEARDAY"].some((k) => parts[k]?.length);
  if (unsupported || bymonth.length > 1 || bymonthday.length > 1) return undefined;
  const p: EasPattern = { type: 0, interval: recur.interval || 1, firstDayOfWeek: ((recur.wkst || 2) - 1) % 7 };
  if (recur.count) p.occurrences = recur.count;
  const nth = (): boolean => {
    if (byday.length === 1 && ordinal(byday[0]) !== undefined) {
      const n = ordinal(byday[0])!;
      if (n < -1 || n === 0 || n > 4) return false;
      p.weekOfMonth = n === -1 ? 5 : n;
      p.dayOfWeek = maskOf(byday);
      return true;
    }
    if (byday.length > 0 && bysetpos.length === 1 && byday.every((d) => ordinal(d) === undefined)) {
      const n = bysetpos[0];
      if (n < -1 || n === 0 || n > 4) return false;
      p.weekOfMonth = n === -1 ? 5 : n;
      p.dayOfWeek = maskOf(byday);
      return true;
    }
    if (bymonthday.length === 1 && bymonthday[0] === -1 && byday.length === 0) {
      p.weekOfMonth = 5; // "last day of the month": every day of the last week, [MS-ASCAL] 2.2.2.17
      p.dayOfWeek = 127;
      return true;
    }
    return false;
  };
  switch (recur.freq) {
    case "DAILY":
      if (byday.length) {
        p.type = RecurrenceType.Weekly;
        p.dayOfWeek = maskOf(byday);
      } else p.type = RecurrenceType.Daily;
      return p;
    case "WEEKLY":
      p.type = RecurrenceType.Weekly;
      p.dayOfWeek = byday.length ? maskOf(byday) : 1 << start.dow;
      return p;
    case "MONTHLY":
      if (byday.length || bymonthday[0] === -1) {
        p.type = RecurrenceType.MonthlyNth;
        return nth() ? p : undefined;
      }
      p.type = RecurrenceType.Monthly;
      p.dayOfMonth = bymonthday[0] ?? start.day;
      return p;
    case "YEARLY":
      p.monthOfYear = bymonth[0] ?? start.month;
      if (byday.length) {
        p.type = RecurrenceType.YearlyNth;
        return nth() ? p : undefined;
      }
      p.type = RecurrenceType.Yearly;
      p.dayOfMonth = bymonthday[0] ?? start.day;
      return p;
    default:
      return undefined;
  }
}

export function recurFromPattern(p: EasPattern): ICAL.Recur {
  const parts: Record<string, (string | number)[]> = {};
  let freq: string;
  const nthParts = () => {
    const week = p.weekOfMonth ?? 1;
    const n = week === 5 ? -1 : week;
    const mask = p.dayOfWeek ?? 0;
    if (mask === 127) parts.BYMONTHDAY = [n];
    else if (daysOf(mask).length === 1) parts.BYDAY = [`${n}${daysOf(mask)[0]}`];
    else if (mask) {
      parts.BYDAY = daysOf(mask);
      parts.BYSETPOS = [n];
    } else throw new PimConversionError("Recurrence needs DayOfWeek");
  };
  switch (p.type) {
    case RecurrenceType.Daily:
      freq = "DAILY";
      if (p.dayOfWeek) {
        freq = "WEEKLY";
        parts.BYDAY = daysOf(p.dayOfWeek);
      }
      break;
    case RecurrenceType.Weekly:
      freq = "WEEKLY";
      if (!p.dayOfWeek) throw new PimConversionError("weekly Recurrence needs DayOfWeek");
      parts.BYDAY = daysOf(p.dayOfWeek);
      break;
    case RecurrenceType.Monthly:
      freq = "MONTHLY";
      if (p.dayOfMonth) parts.BYMONTHDAY = [p.dayOfMonth];
      break;
    case RecurrenceType.MonthlyNth:
      freq = "MONTHLY";
      nthParts();
      break;
    case RecurrenceType.Yearly:
      freq = "YEARLY";
      if (p.monthOfYear) parts.BYMONTH = [p.monthOfYear];
      if (p.dayOfMonth) parts.BYMONTHDAY = [p.dayOfMonth];
      break;
    case RecurrenceType.YearlyNth:
      freq = "YEARLY";
      if (p.monthOfYear) parts.BYMONTH = [p.monthOfYear];
      nthParts();
      break;
    default:
      throw new PimConversionError(`Recurrence Type ${p.type} is not supported`);
  }
  const data: Record<string, unknown> = { freq, interval: p.interval || 1, parts };
  if (p.firstDayOfWeek !== undefined) data.wkst = (p.firstDayOfWeek % 7) + 1;
  if (p.occurrences) data.count = p.occurrences;
  return new ICAL.Recur(data as ConstructorParameters<typeof ICAL.Recur>[0]);
}

function intOf(e: WbxmlElement, name: string, min: number, max: number): number | undefined {
  const t = childText(e, name);
  if (t === undefined || t.trim() === "") return undefined;
  const n = Number(t);
  if (!Number.isInteger(n) || n < min || n > max) throw new PimConversionError(`${name} out of range: ${t}`);
  return n;
}

export function patternFromEas(e: WbxmlElement): EasPattern {
  const type = intOf(e, "Type", 0, 6);
  if (type === undefined) throw new PimConversionError("Recurrence without Type");
  return {
    type,
    interval: intOf(e, "Interval", 0, 999) || 1,
    dayOfWeek: intOf(e, "DayOfWeek", 1, 127),
    dayOfMonth: intOf(e, "DayOfMonth", 1, 31),
    weekOfMonth: intOf(e, "WeekOfMonth", 1, 5),
    monthOfYear: intOf(e, "MonthOfYear", 1, 12),
    firstDayOfWeek: intOf(e, "FirstDayOfWeek", 0, 6),
    occurrences: intOf(e, "Occurrences", 1, 65535),
  };
}

/** Child elements in the order of the XSD sequence; `until` already formatted; FirstDayOfWeek from 14.1. */
export function patternToEas(
  ns: string,
  p: EasPattern,
  until: string | undefined,
  version: number,
  extra: WbxmlElement[] = [],
): WbxmlElement {
  return el(
    ns,
    "Recurrence",
    el(ns, "Type", p.type),
    ...extra,
    until !== undefined && el(ns, "Until", until),
    until === undefined && p.occurrences !== undefined && el(ns, "Occurrences", p.occurrences),
    el(ns, "Interval", p.interval),
    p.dayOfWeek !== undefined && el(ns, "DayOfWeek", p.dayOfWeek),
    p.dayOfMonth !== undefined && el(ns, "DayOfMonth", p.dayOfMonth),
    p.weekOfMonth !== undefined && el(ns, "WeekOfMonth", p.weekOfMonth),
    p.monthOfYear !== undefined && el(ns, "MonthOfYear", p.monthOfYear),
    version >= 14.1 && p.firstDayOfWeek !== undefined && el(ns, "FirstDayOfWeek", p.firstDayOfWeek),
  );
}
