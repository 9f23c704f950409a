// RFC 5545 3.6.5: every TZID an object uses needs its VTIMEZONE. Built from the same yearly rule as the
// EAS TimeZone (the zone's transitions in the given year), so CalDAV clients and .ics importers that do
// not know IANA names still place the times right.
import { ICAL } from "./ical-util";
import { hasDaylight, type SystemTime } from "./timezone-blob";
import { timeZoneForZone } from "./timezone-rule";

const DAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];

function offset(minutes: number): string {
  const sign = minutes < 0 ? "-" : "+";
  const m = Math.abs(minutes);
  return `${sign}${String(Math.floor(m / 60)).padStart(2, "0")}${String(m % 60).padStart(2, "0")}`;
}

function observance(name: "standard" | "daylight", from: number, to: number, rule?: SystemTime): ICAL.Component {
  const c = new ICAL.Component(name);
  const month = rule?.month ?? 1;
  c.addPropertyWithValue(
    "dtstart",
    ICAL.Time.fromData({ year: 1970, month, day: 1, hour: rule?.hour ?? 0, minute: rule?.minute ?? 0, second: 0 }),
  );
  c.addProperty(new ICAL.Property(["tzoffsetfrom", {}, "utc-offset", `${offset(from).slice(0, 3)}:${offset(from).slice(3)}`]));
  c.addProperty(new ICAL.Property(["tzoffsetto", {}, "utc-offset", `${offset(to).slice(0, 3)}:${offset(to).slice(3)}`]));
  if (rule) {
    const week = rule.day === 5 ? -1 : rule.day;
    c.addPropertyWithValue(
      "rrule",
      new ICAL.Recur({
        freq: "YEARLY",
        parts: { BYMONTH: [rule.month], BYDAY: [`${week}${DAYS[rule.dayOfWeek]}`] },
      } as ConstructorParameters<typeof ICAL.Recur>[0]),
    );
  }
  return c;
}

export function vtimezoneFor(zone: string, year: number): ICAL.Component {
  const tz = timeZoneForZone(zone, year);
  const vtz = new ICAL.Component("vtimezone");
  vtz.addPropertyWithValue("tzid", zone);
  const std = -(tz.bias + tz.standardBias);
  if (!hasDaylight(tz)) {
    vtz.addSubcomponent(observance("standard", std, std));
    return vtz;
  }
  const dst = -(tz.bias + tz.daylightBias);
  vtz.addSubcomponent(observance("standard", dst, std, tz.standardDate));
  vtz.addSubcomponent(observance("daylight", std, dst, tz.daylightDate));
  return vtz;
}

/** Adds a VTIMEZONE for every IANA TZID the calendar's components use and does not define yet. */
export function ensureVtimezones(cal: ICAL.Component, year: number) {
  const defined = new Set(cal.getAllSubcomponents("vtimezone").map((z) => String(z.getFirstPropertyValue("tzid"))));
  const used = new Set<string>();
  const visit = (c: ICAL.Component) => {
    for (const p of c.getAllProperties()) {
      const tzid = p.getParameter("tzid");
      if (typeof tzid === "string") used.add(tzid);
    }
    for (const s of c.getAllSubcomponents()) if (s.name !== "vtimezone") visit(s);
  };
  visit(cal);
  for (const tzid of used) {
    if (defined.has(tzid)) continue;
    try {
      const vtz = vtimezoneFor(tzid, year);
      cal.addSubcomponent(vtz);
    } catch {
      /* not an IANA id we can describe: left as is */
    }
  }
}
