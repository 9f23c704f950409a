// Splitting and joining whole collections (.ics / .vcf) into one object per UID, with ical.js.
import ICAL from "ical.js";
import { PimConversionError } from "./errors";
import { ianaZoneOf } from "./ical-util";
import { COLLECTION_LIMITS, checkPimText } from "./limits";
import { ensureVtimezones } from "./vtimezone";

function parseAll(text: string): ICAL.Component[] {
  let parsed: unknown;
  checkPimText(text, COLLECTION_LIMITS);
  try {
    parsed = ICAL.parse(text);
  } catch (e) {
    throw new PimConversionError(`cannot parse: ${(e as Error).message}`);
  }
  const list = (Array.isArray(parsed) && typeof parsed[0] === "string" ? [parsed] : (parsed as unknown[])) as unknown[];
  return list.map((j) => new ICAL.Component(j as unknown[]));
}

export function uidOf(data: string): string {
  const comps = parseAll(data);
  const first = comps[0];
  if (!first) throw new PimConversionError("empty object");
  if (first.name === "vcard") {
    const uid = first.getFirstPropertyValue("uid");
    if (!uid) throw new PimConversionError("vCard without UID");
    return String(uid);
  }
  const inner = first.getAllSubcomponents().find((c) => c.name !== "vtimezone");
  const uid = inner?.getFirstPropertyValue("uid");
  if (!uid) throw new PimConversionError("iCalendar object without UID");
  return String(uid);
}

/** One VCALENDAR per UID (master and overrides together), each with the VTIMEZONEs it references. */
export function splitCalendar(text: string, componentNames: string[]): { objects: string[]; skipped: number } {
  const objects: string[] = [];
  let skipped = 0;
  for (const cal of parseAll(text)) {
    if (cal.name !== "vcalendar") throw new PimConversionError(`expected VCALENDAR, got ${cal.name.toUpperCase()}`);
    const zones = cal.getAllSubcomponents("vtimezone");
    const byUid = new Map<string, ICAL.Component[]>();
    for (const c of cal.getAllSubcomponents()) {
      if (c.name === "vtimezone") continue;
      if (!componentNames.includes(c.name)) {
        skipped++;
        continue;
      }
      const uid = c.getFirstPropertyValue("uid");
      if (!uid) throw new PimConversionError(`${c.name.toUpperCase()} without UID`);
      const list = byUid.get(String(uid)) ?? [];
      list.push(c);
      byUid.set(String(uid), list);
    }
    for (const comps of byUid.values()) {
      const out = new ICAL.Component(["vcalendar", [], []]);
      out.addPropertyWithValue("version", "2.0");
      out.addPropertyWithValue("prodid", String(cal.getFirstPropertyValue("prodid") ?? "-//Mobile Sync//EAS bridge//EN"));
      const text = comps.map((c) => c.toString()).join("\n");
      for (const z of zones) {
        const tzid = String(z.getFirstPropertyValue("tzid") ?? "");
        if (tzid && text.includes(`TZID=${tzid}`)) out.addSubcomponent(new ICAL.Component(JSON.parse(JSON.stringify(z.toJSON()))));
      }
      for (const c of comps) out.addSubcomponent(new ICAL.Component(JSON.parse(JSON.stringify(c.toJSON()))));
      ensureVtimezones(out, new Date().getUTCFullYear()); // files that rely on IANA names alone get them
      objects.push(out.toString());
    }
  }
  return { objects, skipped };
}

/** One VCALENDAR holding every object's components, VTIMEZONEs once per TZID. */
export function joinCalendar(objects: string[]): string {
  const out = new ICAL.Component(["vcalendar", [], []]);
  out.addPropertyWithValue("version", "2.0");
  out.addPropertyWithValue("prodid", "-//Mobile Sync//EAS bridge//EN");
  const zones = new Set<string>();
  for (const data of objects) {
    for (const cal of parseAll(data)) {
      for (const c of cal.getAllSubcomponents()) {
        if (c.name === "vtimezone") {
          const tzid = String(c.getFirstPropertyValue("tzid") ?? "");
          if (zones.has(tzid)) continue;
          zones.add(tzid);
        }
        out.addSubcomponent(new ICAL.Component(JSON.parse(JSON.stringify(c.toJSON()))));
      }
    }
  }
  return out.toString();
}

export function splitVcards(text: string): string[] {
  return parseAll(text).map((c) => {
    if (c.name !== "vcard") throw new PimConversionError(`expected VCARD, got ${c.name.toUpperCase()}`);
    if (!c.getFirstPropertyValue("uid")) c.addPropertyWithValue("uid", crypto.randomUUID());
    return c.toString();
  });
}

export function joinVcards(objects: string[]): string {
  return objects.map((o) => o.trimEnd() + "\r\n").join("");
}

/** Far future: a series without an end, an open task. */
export const NO_END = 8_640_000_000_000_000;

function instant(t: ICAL.Time, tzid: unknown): number {
  const fields = {
    year: t.year,
    month: t.month,
    day: t.day,
    hour: t.isDate ? 0 : t.hour,
    minute: t.isDate ? 0 : t.minute,
    second: t.isDate ? 0 : t.second,
  };
  const naive = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
  const zone = typeof tzid === "string" ? ianaZoneOf(tzid) : undefined;
  if (t.zone?.tzid === "UTC" || !zone) return naive;
  try {
    // Close enough for a filter window: the zone's offset at that moment (Intl), no DST gap handling.
    const f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    const p = Object.fromEntries(f.formatToParts(new Date(naive)).map((x) => [x.type, x.value]));
    const asLocal = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour) % 24, Number(p.minute), Number(p.second));
    return naive - (asLocal - naive);
  } catch {
    return naive;
  }
}

/** Until when an object matters for Sync's FilterType (see PimItem.horizon). */
export function horizonOf(data: string, updated: number): number {
  let comps: ICAL.Component[];
  try {
    comps = parseAll(data);
  } catch {
    return updated;
  }
  const events = comps.flatMap((c) => (c.name === "vcalendar" ? c.getAllSubcomponents("vevent") : []));
  if (events.length === 0) return updated;
  let horizon = 0;
  for (const e of events) {
    const rrule = e.getFirstPropertyValue("rrule") as ICAL.Recur | null;
    const start = e.getFirstProperty("dtstart");
    const end = e.getFirstProperty("dtend") ?? start;
    if (!end) continue;
    const endMs =
      instant(end.getFirstValue() as ICAL.Time, end.getParameter("tzid")) +
      ((end.getFirstValue() as ICAL.Time).isDate && end === start ? 86_400_000 : 0);
    if (rrule) {
      if (rrule.count || !rrule.until) return NO_END;
      horizon = Math.max(
        horizon,
        instant(rrule.until, undefined) + Math.max(0, endMs - instant(start!.getFirstValue() as ICAL.Time, start!.getParameter("tzid"))),
      );
    } else horizon = Math.max(horizon, endMs);
  }
  return horizon || updated;
}

/**
 * What an object says, without its envelope (PRODID, VERSION, VTIMEZONEs of the VCALENDAR; folding;
 * order of components): an export re-imported unchanged must not count as a change (no Change to every
 * phone).
 */
export function contentKey(data: string): string {
  try {
    return parseAll(data)
      .map((c) =>
        c.name === "vcalendar"
          ? c
              .getAllSubcomponents()
              .filter((s) => s.name !== "vtimezone") // zone definitions travel with the file, not the event
              .map((s) => s.toString())
              .sort()
              .join("\n")
          : c.toString(),
      )
      .join("\n");
  } catch {
    return data;
  }
}
