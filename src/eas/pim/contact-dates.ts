// Birthday and Anniversary are dates, sent as [MS-ASDTYPE] dateTime. Clients disagree on the time part
// (anchors §3 row 9, Horde's per-client table): Android sends 08:00 UTC, BlackBerry 11:00, iOS local
// midnight, Windows Phone and Gmail a bare UTC date. [MS-ASCNTC] R999: the time part SHOULD be ignored.
import { formatDateTime, parseEasDate, type CalendarDate } from "../../formats/eas-dates";
import { PimConversionError } from "../../formats/errors";
import { localToUtc, utcToLocal } from "../../formats/zone-clock";

export type DeviceFamily = "ios" | "android" | "blackberry" | "outlook" | "other";

/** Apple's marker year for a birthday without a year (vCard 4 "--MMDD"). */
export const NO_YEAR = 1604;

export function contactDateToEas(d: CalendarDate, family: DeviceFamily = "other", deviceZone?: string): string {
  if (family === "ios" && deviceZone) return formatDateTime(localToUtc(deviceZone, { ...d, hour: 0, minute: 0, second: 0 }));
  const hour = family === "android" ? 8 : family === "blackberry" ? 11 : 12;
  // Noon UTC is the same calendar day from UTC-11 to UTC+11 for clients that show it in local time.
  return formatDateTime(Date.UTC(d.year, d.month - 1, d.day, hour));
}

export function contactDateFromEas(value: string, family: DeviceFamily = "other", deviceZone?: string): CalendarDate {
  const ms = parseEasDate(value);
  if (family === "ios" && deviceZone) {
    const l = utcToLocal(deviceZone, ms);
    return { year: l.year, month: l.month, day: l.day };
  }
  // A UTC time after noon is a local midnight east of Greenwich sent as UTC: the date is the next day.
  const d = new Date(ms);
  const shifted =
    d.getUTCHours() > 12 || (d.getUTCHours() === 12 && (d.getUTCMinutes() > 0 || d.getUTCSeconds() > 0)) ? new Date(ms + 12 * 3600_000) : d;
  const out = { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
  if (out.year < 1 || out.year > 9999) throw new PimConversionError(`date out of range: ${value}`);
  return out;
}

/** A vCard BDAY/ANNIVERSARY value ("19800517", "1980-05-17", "--0517", "1980-05-17T00:00:00Z"). */
export function parseVcardDate(value: string): CalendarDate | undefined {
  const full = /^(\d{4})-?(\d{2})-?(\d{2})/.exec(value);
  if (full) return { year: Number(full[1]), month: Number(full[2]), day: Number(full[3]) };
  const noYear = /^--(\d{2})-?(\d{2})/.exec(value);
  if (noYear) return { year: NO_YEAR, month: Number(noYear[1]), day: Number(noYear[2]) };
  return undefined;
}

export function formatVcardDate(d: CalendarDate, version: "3.0" | "4.0"): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  if (d.year === NO_YEAR && version === "4.0") return `--${p(d.month)}${p(d.day)}`;
  return version === "4.0" ? `${p(d.year, 4)}${p(d.month)}${p(d.day)}` : `${p(d.year, 4)}-${p(d.month)}-${p(d.day)}`;
}
