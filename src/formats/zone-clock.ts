// Wall-clock arithmetic in IANA zones through Intl (full ICU data in workerd and Node).
import { PimConversionError } from "./errors";

export interface LocalDateTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch {
      throw new PimConversionError(`unknown time zone ${zone}`);
    }
    formatters.set(zone, f);
  }
  return f;
}

export function isKnownZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of `zone` at the UTC instant `ms` (seconds precision). */
export function utcToLocal(zone: string, ms: number): LocalDateTime {
  const parts = formatter(zone).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return { year: get("year"), month: get("month"), day: get("day"), hour: get("hour") % 24, minute: get("minute"), second: get("second") };
}

/** Local time minus UTC, in minutes, at the instant `ms`. */
export function offsetMinutes(zone: string, ms: number): number {
  const l = utcToLocal(zone, ms);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

export function localAsUtcMs(l: LocalDateTime): number {
  return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
}

/**
 * The UTC instant of a wall-clock time in `zone`. A time skipped by a DST gap moves forward by the gap
 * (as RFC 5545 §3.3.5 asks); an ambiguous time in the overlap takes the first (daylight) occurrence.
 */
export function localToUtc(zone: string, l: LocalDateTime): number {
  const naive = localAsUtcMs(l);
  const candidates = new Set<number>();
  for (const probe of [naive - 36 * 3600_000, naive, naive + 36 * 3600_000]) {
    candidates.add(naive - offsetMinutes(zone, probe) * 60000);
  }
  const exact = [...candidates].filter((ms) => localAsUtcMs(utcToLocal(zone, ms)) === naive).sort((a, b) => a - b);
  if (exact.length > 0) return exact[0];
  // In a gap: use the offset before the gap, which lands after it.
  const before = offsetMinutes(zone, naive - 36 * 3600_000);
  return naive - before * 60000;
}
