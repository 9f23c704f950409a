// IANA zone <-> [MS-ASDTYPE] TimeZone. The rule sent for a zone is derived from its real transitions
// in the event's year (Intl offsets), so it is right across DST wherever the zone has a yearly rule.
import { NO_TRANSITION, decodeTimeZone, encodeTimeZone, hasDaylight, type SystemTime, type TimeZoneInfo } from "./timezone-blob";
import { IANA_TO_WINDOWS, WINDOWS_TO_IANA } from "./windows-zones";
import { isKnownZone, offsetMinutes, utcToLocal } from "./zone-clock";

interface Transition {
  atMs: number;
  from: number; // offset minutes before
  to: number;
}

const DAY = 86_400_000;
const WEEK = 7 * DAY;

function transitionsInYear(zone: string, year: number): Transition[] {
  const start = Date.UTC(year, 0, 1) - DAY;
  const end = Date.UTC(year + 1, 0, 1) + DAY;
  const out: Transition[] = [];
  let prevMs = start;
  let prev = offsetMinutes(zone, start);
  for (let ms = start + WEEK; prevMs < end; ms = Math.min(ms + WEEK, end)) {
    const cur = offsetMinutes(zone, ms);
    if (cur !== prev) {
      let lo = prevMs;
      let hi = ms; // offset(lo) = prev, offset(hi) = cur
      while (hi - lo > 60_000) {
        const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
        if (offsetMinutes(zone, mid) === prev) lo = mid;
        else hi = mid;
      }
      const local = utcToLocal(zone, hi);
      if (local.year === year || utcToLocal(zone, hi - 1000).year === year) out.push({ atMs: hi, from: prev, to: cur });
      prev = cur;
    }
    prevMs = ms;
    if (ms === end) break;
  }
  return out;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The day of the month a yearly SYSTEMTIME rule (week 1-5, 5 = last) falls on in `year`. */
export function ruleDay(year: number, rule: SystemTime): number {
  const firstDow = new Date(Date.UTC(year, rule.month - 1, 1)).getUTCDay();
  let day = 1 + ((rule.dayOfWeek - firstDow + 7) % 7) + (rule.day - 1) * 7;
  const last = daysInMonth(year, rule.month);
  while (day > last) day -= 7;
  return day;
}

function transitionRule(t: Transition): SystemTime {
  // The wall clock just before the change, in the offset then in force ([MS-DTYP] TIME_ZONE_INFORMATION).
  const shifted = new Date(t.atMs + t.from * 60_000);
  const year = shifted.getUTCFullYear();
  const month = shifted.getUTCMonth() + 1;
  const day = shifted.getUTCDate();
  const week = Math.ceil(day / 7);
  const isLast = day + 7 > daysInMonth(year, month);
  return {
    year: 0,
    month,
    dayOfWeek: shifted.getUTCDay(),
    day: isLast ? 5 : week,
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: 0,
    milliseconds: 0,
  };
}

/** "Last Sunday" and "4th Sunday" coincide in many years; keep "last" unless other years say otherwise. */
function settleWeek(zone: string, year: number, rule: SystemTime, toDaylight: boolean): SystemTime {
  if (rule.day !== 5) return rule;
  const fourth = { ...rule, day: 4 };
  for (const y of [year + 1, year - 1, year + 2, year + 3]) {
    const t = transitionsInYear(zone, y).find((x) => x.to > x.from === toDaylight);
    if (!t) continue;
    const actual = new Date(t.atMs + t.from * 60_000).getUTCDate();
    if (actual === ruleDay(y, rule) && actual !== ruleDay(y, fourth)) return rule;
    if (actual === ruleDay(y, fourth) && actual !== ruleDay(y, rule)) return fourth;
  }
  return rule;
}

function names(zone: string): { standardName: string; daylightName: string } {
  const windows = IANA_TO_WINDOWS[zone];
  if (windows) return { standardName: windows, daylightName: windows.replace(/Standard Time$/, "Daylight Time") };
  return { standardName: zone, daylightName: zone };
}

/**
 * Both caches are keyed by what devices send (a TimeZone blob, a year): bounded, the oldest entry leaves first
 * (issue 13: every size is bounded; a hostile phone sending endless distinct blobs must not grow the isolate).
 */
export const TIMEZONE_CACHE_LIMIT = 2048;

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= TIMEZONE_CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
}

/** Entries held by the two caches (for the bound's test). */
export function timeZoneCacheSizes(): { rules: number; zones: number } {
  return { rules: ruleCache.size, zones: zoneCache.size };
}

const ruleCache = new Map<string, TimeZoneInfo>();

/** The TimeZone structure for `zone` as its rules stand in `year`. */
export function timeZoneForZone(zone: string, year: number): TimeZoneInfo {
  const key = `${zone}|${year}`;
  const hit = ruleCache.get(key);
  if (hit) return hit;
  const transitions = transitionsInYear(zone, year);
  const toDst = transitions.filter((t) => t.to > t.from);
  const toStd = transitions.filter((t) => t.to < t.from);
  let tz: TimeZoneInfo;
  if (transitions.length === 2 && toDst.length === 1 && toStd.length === 1 && toDst[0].from === toStd[0].to) {
    const std = toDst[0].from;
    const dst = toDst[0].to;
    tz = {
      bias: 0 - std,
      ...names(zone),
      standardDate: settleWeek(zone, year, transitionRule(toStd[0]), false),
      standardBias: 0,
      daylightDate: settleWeek(zone, year, transitionRule(toDst[0]), true),
      daylightBias: -(dst - std),
    };
  } else {
    // No yearly DST rule (or an irregular year): the offset in force in mid-year.
    const offset = offsetMinutes(zone, Date.UTC(year, 6, 1));
    tz = { bias: 0 - offset, ...names(zone), standardDate: NO_TRANSITION, standardBias: 0, daylightDate: NO_TRANSITION, daylightBias: 0 };
  }
  remember(ruleCache, key, tz);
  return tz;
}

/** Local minus UTC, in minutes, that a TimeZone structure gives at the UTC instant `ms`. */
export function offsetFromTimeZone(tz: TimeZoneInfo, ms: number): number {
  const std = -(tz.bias + tz.standardBias);
  if (!hasDaylight(tz)) return -tz.bias;
  const dst = -(tz.bias + tz.daylightBias);
  const year = new Date(ms + std * 60_000).getUTCFullYear();
  const at = (rule: SystemTime, offset: number) =>
    Date.UTC(year, rule.month - 1, ruleDay(year, rule), rule.hour, rule.minute) - offset * 60_000;
  const dstStart = at(tz.daylightDate, std);
  const stdStart = at(tz.standardDate, dst);
  const inDst = dstStart < stdStart ? ms >= dstStart && ms < stdStart : !(ms >= stdStart && ms < dstStart);
  return inDst ? dst : std;
}

function sameRule(a: SystemTime, b: SystemTime): boolean {
  return a.month === b.month && a.dayOfWeek === b.dayOfWeek && a.day === b.day && a.hour === b.hour && a.minute === b.minute;
}

export function sameTimeZone(a: TimeZoneInfo, b: TimeZoneInfo): boolean {
  if (a.bias + a.standardBias !== b.bias + b.standardBias) return false;
  if (hasDaylight(a) !== hasDaylight(b)) return false;
  if (!hasDaylight(a)) return true;
  return (
    a.bias + a.daylightBias === b.bias + b.daylightBias &&
    sameRule(a.standardDate, b.standardDate) &&
    sameRule(a.daylightDate, b.daylightDate)
  );
}

function samplesOfYear(year: number): number[] {
  const out: number[] = [];
  for (let ms = Date.UTC(year, 0, 3); ms < Date.UTC(year + 1, 0, 1); ms += WEEK) out.push(ms);
  return out;
}

function fixedOffsetZone(offset: number): string | undefined {
  if (offset === 0) return "Etc/UTC";
  if (offset % 60 !== 0 || Math.abs(offset) > 14 * 60) return undefined;
  const h = -offset / 60; // POSIX sign: Etc/GMT+12 is UTC-12
  return `Etc/GMT${h > 0 ? "+" : "-"}${Math.abs(h)}`;
}

let allZones: string[] | undefined;
function zoneList(): string[] {
  if (!allZones) {
    const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
    allZones = intl.supportedValuesOf ? intl.supportedValuesOf("timeZone") : Object.values(WINDOWS_TO_IANA);
  }
  return allZones;
}

const zoneCache = new Map<string, string>();

/**
 * The IANA zone closest to a device's TimeZone in `year`: the zone its StandardName names (as an IANA
 * id or a Windows key) when that zone has the same rule; a fixed Etc zone for a rule without DST; else
 * the first zone whose rule is identical; else the zone whose offsets agree most weeks of the year.
 */
export function zoneForTimeZone(tz: TimeZoneInfo, year: number): string {
  const key = `${encodeTimeZone(tz)}|${year}`;
  const hit = zoneCache.get(key);
  if (hit) return hit;
  const zone = findZone(tz, year);
  remember(zoneCache, key, zone);
  return zone;
}

function findZone(tz: TimeZoneInfo, year: number): string {
  const named = [tz.standardName, WINDOWS_TO_IANA[tz.standardName], tz.daylightName, WINDOWS_TO_IANA[tz.daylightName]];
  for (const z of named) {
    if (z && isKnownZone(z) && sameTimeZone(timeZoneForZone(z, year), tz)) return z;
  }
  if (!hasDaylight(tz)) {
    const fixed = fixedOffsetZone(-(tz.bias + tz.standardBias));
    if (fixed) return fixed;
  }
  const samples = samplesOfYear(year);
  const expected = samples.map((ms) => offsetFromTimeZone(tz, ms));
  let best = { zone: fixedOffsetZone(-(tz.bias + tz.standardBias)) ?? "Etc/UTC", misses: Infinity };
  for (const zone of zoneList()) {
    // Cheap filter on two instants before the full comparison.
    if (offsetMinutes(zone, samples[2]) !== expected[2] && offsetMinutes(zone, samples[28]) !== expected[28]) continue;
    if (sameTimeZone(timeZoneForZone(zone, year), tz)) return zone;
    let misses = 0;
    for (let i = 0; i < samples.length; i++) if (offsetMinutes(zone, samples[i]) !== expected[i]) misses++;
    if (misses < best.misses) best = { zone, misses };
  }
  return best.zone;
}

export function timeZoneBlobForZone(zone: string, year: number): string {
  return encodeTimeZone(timeZoneForZone(zone, year));
}

export function zoneForTimeZoneBlob(blob: string, year: number): string {
  return zoneForTimeZone(decodeTimeZone(blob), year);
}
