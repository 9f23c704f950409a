// [MS-ASDTYPE] 2.7.4 TimeZone: a 172-byte TIME_ZONE_INFORMATION, base64 in an inline string (R103, R121, R122).
import { PimConversionError } from "./errors";
import { fromBase64, toBase64 } from "./base64";

/** [MS-DTYP] SYSTEMTIME. With year 0 it is a yearly rule: `day` is the week of the month (1-5, 5 = last). */
export interface SystemTime {
  year: number;
  month: number;
  dayOfWeek: number; // 0 = Sunday
  day: number;
  hour: number;
  minute: number;
  second: number;
  milliseconds: number;
}

export interface TimeZoneInfo {
  /** Minutes; UTC = local time + bias (R104). */
  bias: number;
  standardName: string;
  standardDate: SystemTime;
  standardBias: number;
  daylightName: string;
  daylightDate: SystemTime;
  daylightBias: number;
}

export const BLOB_LENGTH = 172;
const NAME_CHARS = 32;

export const NO_TRANSITION: SystemTime = { year: 0, month: 0, dayOfWeek: 0, day: 0, hour: 0, minute: 0, second: 0, milliseconds: 0 };

function writeName(view: DataView, offset: number, name: string) {
  // R107/R109: 32 WCHARs, unused ones 0x0000; keep one for the terminator.
  const units = name.slice(0, NAME_CHARS - 1);
  for (let i = 0; i < units.length; i++) view.setUint16(offset + i * 2, units.charCodeAt(i), true);
}

function readName(view: DataView, offset: number): string {
  let s = "";
  for (let i = 0; i < NAME_CHARS; i++) {
    const c = view.getUint16(offset + i * 2, true);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

function writeSystemTime(view: DataView, offset: number, t: SystemTime) {
  const fields = [t.year, t.month, t.dayOfWeek, t.day, t.hour, t.minute, t.second, t.milliseconds];
  fields.forEach((v, i) => {
    view.setUint16(offset + i * 2, v, true);
  });
}

function readSystemTime(view: DataView, offset: number): SystemTime {
  const f = (i: number) => view.getUint16(offset + i * 2, true);
  return { year: f(0), month: f(1), dayOfWeek: f(2), day: f(3), hour: f(4), minute: f(5), second: f(6), milliseconds: f(7) };
}

export function encodeTimeZone(tz: TimeZoneInfo): string {
  const buf = new Uint8Array(BLOB_LENGTH);
  const view = new DataView(buf.buffer);
  view.setInt32(0, tz.bias, true);
  writeName(view, 4, tz.standardName);
  writeSystemTime(view, 68, tz.standardDate);
  view.setInt32(84, tz.standardBias, true);
  writeName(view, 88, tz.daylightName);
  writeSystemTime(view, 152, tz.daylightDate);
  view.setInt32(168, tz.daylightBias, true);
  return toBase64(buf);
}

export function decodeTimeZone(base64: string): TimeZoneInfo {
  const buf = fromBase64(base64);
  if (!buf) throw new PimConversionError("Timezone is not base64");
  if (buf.length !== BLOB_LENGTH) throw new PimConversionError(`Timezone is ${buf.length} bytes, not ${BLOB_LENGTH}`);
  const view = new DataView(buf.buffer);
  const tz: TimeZoneInfo = {
    bias: view.getInt32(0, true),
    standardName: readName(view, 4),
    standardDate: readSystemTime(view, 68),
    standardBias: view.getInt32(84, true),
    daylightName: readName(view, 88),
    daylightDate: readSystemTime(view, 152),
    daylightBias: view.getInt32(168, true),
  };
  if (Math.abs(tz.bias) > 24 * 60 || Math.abs(tz.daylightBias) > 24 * 60 || Math.abs(tz.standardBias) > 24 * 60) {
    throw new PimConversionError("Timezone bias out of range");
  }
  return tz;
}

export function hasDaylight(tz: TimeZoneInfo): boolean {
  return tz.daylightDate.month !== 0 && tz.standardDate.month !== 0 && tz.daylightBias !== tz.standardBias;
}
