// Splitting and joining whole collections (.ics / .vcf) into one object per UID, with ical.js.
import ICAL from "ical.js";
import { PimConversionError } from "../../eas/pim/errors";

function parseAll(text: string): ICAL.Component[] {
  let parsed: unknown;
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
