// Small helpers over ical.js shared by the calendar and task conversions.
import ICAL from "ical.js";
import { PimConversionError } from "./errors";
import { checkPimText } from "./limits";
import type { CalendarDate } from "./eas-dates";
import { WINDOWS_TO_IANA } from "./windows-zones";
import { isKnownZone, localToUtc, utcToLocal } from "./zone-clock";

export { ICAL };

/** One iCalendar or vCard object; anything else (or several) is a PimConversionError. */
export function parseComponent(text: string, name: "vcalendar" | "vcard"): ICAL.Component {
  let comp: ICAL.Component;
  checkPimText(text);
  try {
    comp = new ICAL.Component(ICAL.parse(text));
  } catch (e) {
    throw new PimConversionError(`bad ${name === "vcard" ? "vCard" : "iCalendar"}: ${(e as Error).message}`);
  }
  if (comp.name !== name) throw new PimConversionError(`not a ${name.toUpperCase()}`);
  return comp;
}

export function parseCalendar(ics: string): ICAL.Component {
  return parseComponent(ics, "vcalendar");
}

export function newCalendar(): ICAL.Component {
  const cal = new ICAL.Component(["vcalendar", [], []]);
  cal.addPropertyWithValue("version", "2.0");
  cal.addPropertyWithValue("prodid", "-//Mobile Sync//EAS bridge//EN");
  return cal;
}

export function utcTime(ms: number): ICAL.Time {
  const d = new Date(ms);
  return ICAL.Time.fromData(
    {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
    },
    ICAL.Timezone.utcTimezone,
  );
}

export function dateValue(d: CalendarDate): ICAL.Time {
  return ICAL.Time.fromData({ year: d.year, month: d.month, day: d.day, isDate: true });
}

export function dateOf(t: ICAL.Time): CalendarDate {
  return { year: t.year, month: t.month, day: t.day };
}

/** Sets a DATE, a UTC DATE-TIME or a zoned DATE-TIME (TZID parameter) on a property. */
export function setTimeProperty(comp: ICAL.Component, name: string, value: TimeValue): ICAL.Property {
  comp.removeAllProperties(name);
  const p = new ICAL.Property(name);
  writeTime(p, value);
  comp.addProperty(p);
  return p;
}

export type TimeValue = { date: CalendarDate } | { ms: number; zone: string };

export function writeTime(p: ICAL.Property, value: TimeValue, multi: ICAL.Time[] | undefined = undefined) {
  if ("date" in value) {
    p.resetType("date");
    p.setValue(dateValue(value.date));
    return;
  }
  if (value.zone === "UTC") {
    p.setValue(utcTime(value.ms));
    return;
  }
  p.setParameter("tzid", value.zone);
  const l = utcToLocal(value.zone, value.ms);
  const t = ICAL.Time.fromData({ year: l.year, month: l.month, day: l.day, hour: l.hour, minute: l.minute, second: l.second });
  if (multi) p.setValues([...multi, t]);
  else p.setValue(t);
}

/**
 * The IANA zone a TZID names: an IANA id, a Windows key (Outlook exports "W. Europe Standard Time"), or
 * an id with a vendor prefix ("/mozilla.org/20050126_1/Europe/Paris"); undefined when none fits.
 */
export function ianaZoneOf(tzid: string): string | undefined {
  const id = tzid.trim().replace(/^"|"$/g, "");
  if (isKnownZone(id)) return id;
  if (WINDOWS_TO_IANA[id]) return WINDOWS_TO_IANA[id];
  const tail = /([A-Za-z_]+\/[A-Za-z_+\-0-9]+(?:\/[A-Za-z_]+)?)$/.exec(id)?.[1];
  return tail && isKnownZone(tail) ? tail : undefined;
}

/** The zone a property's time is in: the zone its TZID names, UTC for a "Z" value, else the fallback. */
export function zoneOfProperty(p: ICAL.Property | null, fallback: string): string {
  const tzid = p?.getParameter("tzid");
  const named = typeof tzid === "string" ? ianaZoneOf(tzid) : undefined;
  if (named) return named;
  const v = p?.getFirstValue() as ICAL.Time | undefined;
  if (v && v.zone?.tzid === "UTC") return "UTC";
  return fallback;
}

/** The UTC instant of an ical.js time read in `zone` (a DATE is midnight in that zone). */
export function instantOf(t: ICAL.Time, zone: string): number {
  if (t.zone?.tzid === "UTC" || zone === "UTC") {
    return Date.UTC(t.year, t.month - 1, t.day, t.isDate ? 0 : t.hour, t.isDate ? 0 : t.minute, t.isDate ? 0 : t.second);
  }
  return localToUtc(zone, {
    year: t.year,
    month: t.month,
    day: t.day,
    hour: t.isDate ? 0 : t.hour,
    minute: t.isDate ? 0 : t.minute,
    second: t.isDate ? 0 : t.second,
  });
}

export function midnightIn(zone: string, d: CalendarDate): number {
  if (zone === "UTC") return Date.UTC(d.year, d.month - 1, d.day);
  return localToUtc(zone, { ...d, hour: 0, minute: 0, second: 0 });
}

export function localDate(zone: string, ms: number): { date: CalendarDate; midnight: boolean } {
  if (zone === "UTC") {
    const d = new Date(ms);
    return { date: { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() }, midnight: ms % 86_400_000 === 0 };
  }
  const l = utcToLocal(zone, ms);
  return { date: { year: l.year, month: l.month, day: l.day }, midnight: l.hour === 0 && l.minute === 0 && l.second === 0 };
}

export function text(comp: ICAL.Component, name: string): string | undefined {
  const v = comp.getFirstPropertyValue(name);
  return v === null || v === undefined ? undefined : String(v);
}

export function setText(comp: ICAL.Component, name: string, value: string | undefined) {
  comp.removeAllProperties(name);
  if (value !== undefined && value !== "") comp.addPropertyWithValue(name, value);
}
