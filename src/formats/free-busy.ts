// Free/busy of one calendar object (a VCALENDAR with one UID) over a window: the busy intervals of its
// occurrences, recurrences and their exceptions expanded with ical.js. For ResolveRecipients Availability
// ([MS-ASCMD] 2.2.3.113 MergedFreeBusy): 0 free, 1 tentative, 2 busy, 3 out of office, 4 working elsewhere.
import ICAL from "ical.js";
import { instantOf, parseCalendar, zoneOfProperty } from "./ical-util";

export interface BusyInterval {
  start: number;
  end: number;
  /** MergedFreeBusy digit: 1 tentative, 2 busy, 3 out of office, 4 working elsewhere (free time is not listed). */
  code: number;
}

/** Occurrences examined per object: a daily series over a long window stays bounded. */
const MAX_OCCURRENCES = 2000;

/** The digit an event stands for: TRANSP, STATUS and Outlook's X-MICROSOFT-CDO-BUSYSTATUS, as Exchange reads them. */
function codeOf(ev: ICAL.Component): number {
  if (String(ev.getFirstPropertyValue("status") ?? "").toUpperCase() === "CANCELLED") return 0;
  const cdo = String(ev.getFirstPropertyValue("x-microsoft-cdo-busystatus") ?? "").toUpperCase();
  if (cdo === "FREE") return 0;
  if (cdo === "TENTATIVE") return 1;
  if (cdo === "OOF") return 3;
  if (cdo === "WORKINGELSEWHERE") return 4;
  if (cdo === "BUSY") return 2;
  if (String(ev.getFirstPropertyValue("transp") ?? "").toUpperCase() === "TRANSPARENT") return 0;
  if (String(ev.getFirstPropertyValue("status") ?? "").toUpperCase() === "TENTATIVE") return 1;
  return 2;
}

/** Busy intervals of the object's events that overlap [from, to). Unreadable objects have none. */
export function busyIntervals(ics: string, from: number, to: number, defaultZone = "Etc/UTC"): BusyInterval[] {
  let cal: ICAL.Component;
  try {
    cal = parseCalendar(ics);
  } catch {
    return [];
  }
  const vevents = cal.getAllSubcomponents("vevent");
  const master = vevents.find((v) => !v.hasProperty("recurrence-id"));
  if (!master) return [];
  const zone = zoneOfProperty(master.getFirstProperty("dtstart"), defaultZone);
  const event = new ICAL.Event(master);
  for (const exc of vevents) if (exc !== master) event.relateException(exc);
  const out: BusyInterval[] = [];
  const add = (start: ICAL.Time, end: ICAL.Time, comp: ICAL.Component) => {
    const z = zoneOfProperty(comp.getFirstProperty("dtstart"), zone);
    const s = instantOf(start, z);
    const e = Math.max(s, instantOf(end, z));
    const code = codeOf(comp);
    if (code > 0 && e > from && s < to) out.push({ start: s, end: e === s ? s + 1 : e, code });
  };
  if (!event.isRecurring()) {
    add(event.startDate, event.endDate, master);
    return out;
  }
  const it = event.iterator();
  for (let n = 0; n < MAX_OCCURRENCES; n++) {
    const next = it.next();
    if (!next) break;
    const d = event.getOccurrenceDetails(next);
    if (instantOf(d.startDate, zone) >= to) break;
    add(d.startDate, d.endDate, d.item.component);
  }
  return out;
}

/** 30-minute slots from `from` to `to`: one digit each, the busiest interval overlapping the slot (free = 0). */
export function mergedFreeBusy(intervals: BusyInterval[], from: number, to: number, slotMs = 30 * 60_000): string {
  const slots = new Array<number>(Math.max(0, Math.ceil((to - from) / slotMs))).fill(0);
  for (const b of intervals) {
    const first = Math.max(0, Math.floor((b.start - from) / slotMs));
    const last = Math.min(slots.length - 1, Math.ceil((b.end - from) / slotMs) - 1);
    for (let i = first; i <= last; i++) slots[i] = Math.max(slots[i]!, b.code);
  }
  return slots.join("");
}
