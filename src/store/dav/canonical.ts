// Whether two iCalendar/vCard texts say the same thing, whatever the property order: servers rewrite what
// they store (Radicale reorders properties and escapes commas), so text comparison cannot recognise our
// own object coming back.
import ICAL from "ical.js";

function canonical(c: ICAL.Component): string {
  const props = c
    .getAllProperties()
    .filter((p) => !(c.name === "vcalendar" && (p.name === "prodid" || p.name === "version")))
    .map((p) => p.toICALString())
    .sort();
  const subs = c.getAllSubcomponents().map(canonical).sort();
  return `${c.name}{${props.join("\n")}|${subs.join("\n")}}`;
}

export function sameObject(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    const pa = ICAL.parse(a);
    const pb = ICAL.parse(b);
    const list = (p: unknown) =>
      ((Array.isArray(p) && typeof p[0] === "string" ? [p] : p) as unknown[]).map((j) => canonical(new ICAL.Component(j as never)));
    return list(pa).join("\n") === list(pb).join("\n");
  } catch {
    return false;
  }
}
