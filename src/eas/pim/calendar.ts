// iCalendar VEVENT (stored) <-> EAS Calendar class ([MS-ASCAL]) ApplicationData.
import { child, childrenNamed, childText, el } from "../../wbxml/tree";
import type { WbxmlElement } from "../../wbxml/types";
import {
  addDays,
  dateKey,
  formatCompact,
  formatCompactDate,
  formatDateTime,
  parseEasDate,
  parseEasDateOnly,
  type CalendarDate,
} from "../../formats/eas-dates";
import { PimConversionError } from "../../formats/errors";
import {
  ICAL,
  dateOf,
  instantOf,
  localDate,
  midnightIn,
  newCalendar,
  parseCalendar,
  setText,
  setTimeProperty,
  text,
  utcTime,
  writeTime,
  zoneOfProperty,
  type TimeValue,
} from "../../formats/ical-util";
import { patternFromEas, patternFromRecur, patternToEas, recurFromPattern } from "./recurrence";
import { decodeTimeZone } from "../../formats/timezone-blob";
import { sameTimeZone, timeZoneBlobForZone, timeZoneForZone, zoneForTimeZone } from "../../formats/timezone-rule";
import { bodyFromEas, bodyToEas } from "./body";
import { ensureVtimezones } from "../../formats/vtimezone";
import { categoriesFromEas, categoriesToEas } from "./categories";

export interface CalendarContext {
  /** Protocol version as a number: 12.0 … 16.1. */
  version: number;
  /** The mailbox owner's zone: for floating times and all-day events that name none. */
  defaultZone: string;
  /** The mailbox address, to tell meetings we organize from meetings we were invited to. */
  userEmail?: string;
  /** Calendar element names the device manages ([MS-ASCMD] 2.2.3.179); undefined = none ghosted. */
  supported?: ReadonlySet<string>;
  /** AirSyncBase BodyPreference TruncationSize, when the device asked for one. */
  truncationSize?: number;
  /** For new events without a UID. */
  newUid?: () => string;
}

const X_BLOB = "x-mobilesync-eas-timezone";
const X_ZONE = "x-mobilesync-tzid";
const X_MEETING = "x-mobilesync-meetingstatus";
const X_SENSITIVITY = "x-mobilesync-sensitivity";
const BUSY = ["FREE", "TENTATIVE", "BUSY", "OOF", "WORKINGELSEWHERE"];
const PARTSTAT: Record<string, number> = { TENTATIVE: 2, ACCEPTED: 3, DECLINED: 4, "NEEDS-ACTION": 5 };

const is16 = (ctx: CalendarContext) => ctx.version >= 16;

// ---------------------------------------------------------------- reading the stored event

interface Series {
  cal: ICAL.Component;
  master: ICAL.Component;
  overrides: ICAL.Component[];
  zone: string;
  allDay: boolean;
}

function openSeries(ics: string, ctx: CalendarContext): Series {
  const cal = parseCalendar(ics);
  const events = cal.getAllSubcomponents("vevent");
  const master = events.find((e) => !e.hasProperty("recurrence-id")) ?? events[0];
  if (!master) throw new PimConversionError("no VEVENT");
  const dtstart = master.getFirstProperty("dtstart");
  if (!dtstart) throw new PimConversionError("VEVENT without DTSTART");
  const allDay = (dtstart.getFirstValue() as ICAL.Time).isDate;
  const stored = text(master, X_ZONE);
  const zone = allDay ? (stored ?? ctx.defaultZone) : zoneOfProperty(dtstart, stored ?? ctx.defaultZone);
  return { cal, master, overrides: events.filter((e) => e !== master && e.hasProperty("recurrence-id")), zone, allDay };
}

interface Span {
  allDay: boolean;
  startMs: number; // for all-day: midnight in the series zone
  endMs: number;
  startDate?: CalendarDate;
  endDate?: CalendarDate;
}

function spanOf(comp: ICAL.Component, zone: string): Span {
  const start = comp.getFirstPropertyValue("dtstart") as ICAL.Time;
  const startZone = zoneOfProperty(comp.getFirstProperty("dtstart"), zone);
  const end = comp.getFirstPropertyValue("dtend") as ICAL.Time | null;
  const startMs = instantOf(start, start.isDate ? zone : startZone);
  if (start.isDate) {
    let endDate = end ? dateOf(end) : addDays(dateOf(start), 1);
    const duration = comp.getFirstPropertyValue("duration") as ICAL.Duration | null;
    if (!end && duration) endDate = addDays(dateOf(start), Math.max(1, Math.round(duration.toSeconds() / 86400)));
    return { allDay: true, startMs, endMs: midnightIn(zone, endDate), startDate: dateOf(start), endDate };
  }
  let endMs = startMs;
  if (end) endMs = instantOf(end, zoneOfProperty(comp.getFirstProperty("dtend"), startZone));
  else {
    const duration = comp.getFirstPropertyValue("duration") as ICAL.Duration | null;
    if (duration) endMs = startMs + duration.toSeconds() * 1000;
  }
  return { allDay: false, startMs, endMs };
}

function spanToEas(span: Span, ctx: CalendarContext): [WbxmlElement, WbxmlElement] {
  if (span.allDay && is16(ctx)) {
    // [MS-ASCAL] R2005/R2006: dates with no time component and no Timezone.
    return [el("Calendar", "StartTime", formatCompactDate(span.startDate!)), el("Calendar", "EndTime", formatCompactDate(span.endDate!))];
  }
  return [el("Calendar", "StartTime", formatCompact(span.startMs)), el("Calendar", "EndTime", formatCompact(span.endMs))];
}

function timezoneElement(series: Series, year: number): WbxmlElement {
  const stored = text(series.master, X_BLOB);
  const zone = series.zone === "UTC" ? "Etc/UTC" : series.zone;
  if (stored) {
    try {
      // The device's own blob (names included) as long as it still describes the event's zone.
      if (sameTimeZone(decodeTimeZone(stored), timeZoneForZone(zone, year))) return el("Calendar", "Timezone", stored);
    } catch {
      /* a damaged stored blob: derive a fresh one */
    }
  }
  return el("Calendar", "Timezone", timeZoneBlobForZone(zone, year));
}

function reminderMinutes(comp: ICAL.Component): number | undefined {
  for (const alarm of comp.getAllSubcomponents("valarm")) {
    const trigger = alarm.getFirstProperty("trigger");
    const v = trigger?.getFirstValue();
    if (v instanceof ICAL.Duration && trigger?.getParameter("related") !== "END") {
      const secs = -v.toSeconds();
      if (secs >= 0) return Math.round(secs / 60);
    }
  }
  return undefined;
}

function busyStatus(comp: ICAL.Component): number {
  const cdo = text(comp, "x-microsoft-cdo-busystatus")?.toUpperCase();
  if (cdo && BUSY.includes(cdo)) return Math.min(BUSY.indexOf(cdo), 3);
  return text(comp, "transp")?.toUpperCase() === "TRANSPARENT" ? 0 : 2;
}

function sensitivity(comp: ICAL.Component): number {
  const x = text(comp, X_SENSITIVITY);
  if (x === "1") return 1;
  const cls = text(comp, "class")?.toUpperCase();
  return cls === "PRIVATE" ? 2 : cls === "CONFIDENTIAL" ? 3 : 0;
}

function mailOf(p: ICAL.Property): string {
  return String(p.getFirstValue() ?? "").replace(/^mailto:/i, "");
}

function organizer(comp: ICAL.Component): { name?: string; email: string } | undefined {
  const p = comp.getFirstProperty("organizer");
  if (!p) return undefined;
  const cn = p.getParameter("cn");
  return { email: mailOf(p), name: typeof cn === "string" ? cn : undefined };
}

function meetingStatus(comp: ICAL.Component, ctx: CalendarContext): number {
  const stored = Number(text(comp, X_MEETING));
  if ([0, 1, 3, 5, 7, 9, 11, 13, 15].includes(stored) && text(comp, X_MEETING) !== undefined) return stored;
  const attendees = comp.getAllProperties("attendee");
  const org = organizer(comp);
  if (!org || attendees.length === 0) return 0;
  const mine = !ctx.userEmail || org.email.toLowerCase() === ctx.userEmail.toLowerCase();
  const cancelled = text(comp, "status")?.toUpperCase() === "CANCELLED";
  return mine ? (cancelled ? 5 : 1) : cancelled ? 7 : 3;
}

function attendeesToEas(comp: ICAL.Component): WbxmlElement | undefined {
  const list = comp.getAllProperties("attendee");
  if (list.length === 0) return undefined;
  return el(
    "Calendar",
    "Attendees",
    ...list.map((p) => {
      const cn = p.getParameter("cn");
      const partstat = String(p.getParameter("partstat") ?? "").toUpperCase();
      const role = String(p.getParameter("role") ?? "").toUpperCase();
      const cutype = String(p.getParameter("cutype") ?? "").toUpperCase();
      const type = cutype === "RESOURCE" || cutype === "ROOM" ? 3 : role === "OPT-PARTICIPANT" ? 2 : 1;
      return el(
        "Calendar",
        "Attendee",
        el("Calendar", "Email", mailOf(p)),
        el("Calendar", "Name", typeof cn === "string" ? cn : mailOf(p)),
        partstat in PARTSTAT ? el("Calendar", "AttendeeStatus", PARTSTAT[partstat]) : el("Calendar", "AttendeeStatus", 0),
        el("Calendar", "AttendeeType", type),
      );
    }),
  );
}

function locationToEas(comp: ICAL.Component, ctx: CalendarContext): WbxmlElement | undefined {
  const loc = text(comp, "location");
  if (loc === undefined) return undefined;
  // 16.x moved Location to AirSyncBase ([MS-ASCAL] 2.2.2.27, [MS-ASAIRS] 2.2.2.27).
  return is16(ctx) ? el("AirSyncBase", "Location", el("AirSyncBase", "DisplayName", loc)) : el("Calendar", "Location", loc);
}

function dtstampToEas(comp: ICAL.Component): WbxmlElement | undefined {
  const v = comp.getFirstPropertyValue("dtstamp") as ICAL.Time | null;
  return v ? el("Calendar", "DtStamp", formatCompact(instantOf(v, "UTC"))) : undefined;
}

function originalStart(series: Series, rid: ICAL.Time, prop: ICAL.Property | null): { ms: number; date?: CalendarDate } {
  if (rid.isDate) return { ms: midnightIn(series.zone, dateOf(rid)), date: dateOf(rid) };
  return { ms: instantOf(rid, zoneOfProperty(prop, series.zone)) };
}

function exceptionId(_series: Series, orig: { ms: number; date?: CalendarDate }, ctx: CalendarContext): WbxmlElement {
  if (is16(ctx)) {
    const ms = orig.date ? dateKey(orig.date) : orig.ms;
    return el("AirSyncBase", "InstanceId", formatDateTime(ms));
  }
  return el("Calendar", "ExceptionStartTime", formatCompact(orig.ms));
}

function exceptionsToEas(series: Series, ctx: CalendarContext): WbxmlElement | undefined {
  const items: { key: number; node: WbxmlElement }[] = [];
  for (const p of series.master.getAllProperties("exdate")) {
    for (const v of p.getValues() as ICAL.Time[]) {
      const orig = originalStart(series, v, p);
      items.push({ key: orig.ms, node: el("Calendar", "Exception", el("Calendar", "Deleted", 1), exceptionId(series, orig, ctx)) });
    }
  }
  const m = series.master;
  for (const o of series.overrides) {
    const ridProp = o.getFirstProperty("recurrence-id")!;
    const orig = originalStart(series, ridProp.getFirstValue() as ICAL.Time, ridProp);
    const differs = (name: string) =>
      JSON.stringify(o.getAllProperties(name).map((p) => p.toJSON())) !== JSON.stringify(m.getAllProperties(name).map((p) => p.toJSON()));
    const span = spanOf(o, series.zone);
    const body = text(o, "description");
    items.push({
      key: orig.ms,
      node: el(
        "Calendar",
        "Exception",
        exceptionId(series, orig, ctx),
        differs("summary") && el("Calendar", "Subject", text(o, "summary") ?? ""),
        ...spanToEas(span, ctx),
        differs("description") && body !== undefined && bodyToEas(body, ctx.truncationSize),
        differs("location") &&
          (locationToEas(o, ctx) ??
            (is16(ctx) ? el("AirSyncBase", "Location", el("AirSyncBase", "DisplayName", "")) : el("Calendar", "Location", ""))),
        differs("categories") && (categoriesToEas(o, "Calendar") ?? el("Calendar", "Categories")),
        (differs("class") || differs(X_SENSITIVITY)) && el("Calendar", "Sensitivity", sensitivity(o)),
        (differs("transp") || differs("x-microsoft-cdo-busystatus")) && el("Calendar", "BusyStatus", busyStatus(o)),
        span.allDay !== series.allDay && el("Calendar", "AllDayEvent", span.allDay ? 1 : 0),
        reminderMinutes(o) !== reminderMinutes(m) && reminderMinutes(o) !== undefined && el("Calendar", "Reminder", reminderMinutes(o)!),
        dtstampToEas(o),
        ctx.version >= 14 && differs("attendee") && (attendeesToEas(o) ?? el("Calendar", "Attendees")),
        (differs(X_MEETING) || differs("status")) && el("Calendar", "MeetingStatus", meetingStatus(o, ctx)),
      ),
    });
  }
  if (items.length === 0) return undefined;
  items.sort((a, b) => a.key - b.key);
  return el("Calendar", "Exceptions", ...items.slice(0, 256).map((i) => i.node));
}

function recurrenceToEas(series: Series, ctx: CalendarContext): WbxmlElement | undefined {
  const rrule = series.master.getFirstPropertyValue("rrule") as ICAL.Recur | null;
  if (!rrule) return undefined;
  const start = series.master.getFirstPropertyValue("dtstart") as ICAL.Time;
  const pattern = patternFromRecur(rrule, { month: start.month, day: start.day, dow: start.dayOfWeek() - 1 });
  if (!pattern) return undefined;
  let until: string | undefined;
  if (rrule.until) {
    if (series.allDay || rrule.until.isDate) {
      const d = dateOf(rrule.until);
      until = is16(ctx) && series.allDay ? formatCompactDate(d) : formatCompact(midnightIn(series.zone, d));
    } else until = formatCompact(instantOf(rrule.until, rrule.until.zone?.tzid === "UTC" ? "UTC" : series.zone));
  }
  return patternToEas("Calendar", pattern, until, ctx.version);
}

/** The ApplicationData children for one stored event (master VEVENT plus its overrides). */
export function eventToEas(ics: string, ctx: CalendarContext): WbxmlElement[] {
  const series = openSeries(ics, ctx);
  const m = series.master;
  const span = spanOf(m, series.zone);
  const year = new Date(span.startMs).getUTCFullYear();
  const org = organizer(m);
  const reminder = reminderMinutes(m);
  const body = text(m, "description");
  const out: (WbxmlElement | undefined | false)[] = [
    !(span.allDay && is16(ctx)) && timezoneElement(series, year),
    el("Calendar", "AllDayEvent", span.allDay ? 1 : 0),
    body !== undefined && bodyToEas(body, ctx.truncationSize),
    el("Calendar", "BusyStatus", busyStatus(m)),
    org?.name !== undefined && el("Calendar", "OrganizerName", org.name),
    org !== undefined && el("Calendar", "OrganizerEmail", org.email),
    dtstampToEas(m),
    spanToEas(span, ctx)[1],
    locationToEas(m, ctx),
    reminder !== undefined && el("Calendar", "Reminder", reminder),
    el("Calendar", "Sensitivity", sensitivity(m)),
    el("Calendar", "Subject", text(m, "summary") ?? ""),
    spanToEas(span, ctx)[0],
    el("Calendar", "UID", text(m, "uid") ?? ""),
    el("Calendar", "MeetingStatus", meetingStatus(m, ctx)),
    attendeesToEas(m),
    categoriesToEas(m, "Calendar"),
    recurrenceToEas(series, ctx),
    recurrenceToEas(series, ctx) && exceptionsToEas(series, ctx),
  ];
  return out.filter((x): x is WbxmlElement => !!x);
}

// ---------------------------------------------------------------- reading what the device sent

function intChild(e: WbxmlElement, name: string, min: number, max: number, ns = "Calendar"): number | undefined {
  const t = childText(e, name, ns);
  if (t === undefined || t.trim() === "") return undefined;
  const n = Number(t);
  if (!Number.isInteger(n) || n < min || n > max) throw new PimConversionError(`${name} out of range: ${t}`);
  return n;
}

interface DeviceTimes {
  allDay: boolean;
  zone: string;
  blob?: string;
  start?: TimeValue;
  end?: TimeValue;
}

function deviceTimes(data: WbxmlElement, ctx: CalendarContext, fallbackZone: string, fallbackAllDay: boolean): DeviceTimes {
  const allDayText = childText(data, "AllDayEvent", "Calendar");
  const allDay = allDayText === undefined ? fallbackAllDay : allDayText.trim() === "1";
  const startText = childText(data, "StartTime", "Calendar");
  const endText = childText(data, "EndTime", "Calendar");
  const startMs = startText !== undefined ? parseEasDate(startText) : undefined;
  const blob = childText(data, "Timezone", "Calendar")?.trim() || undefined;
  let zone = fallbackZone;
  if (blob) zone = zoneForTimeZone(decodeTimeZone(blob), new Date(startMs ?? Date.now()).getUTCFullYear());
  const times: DeviceTimes = { allDay, zone, blob };
  if (startText === undefined) return times;
  if (allDay) {
    let startDate: CalendarDate;
    let endDate: CalendarDate | undefined;
    if (is16(ctx)) {
      startDate = parseEasDateOnly(startText);
      endDate = endText !== undefined ? parseEasDateOnly(endText) : undefined;
    } else {
      // 14.x: local midnights in the event's zone; a non-midnight start goes to the midnight before and
      // a non-midnight end to the midnight after, as Exchange does.
      startDate = localDate(zone, startMs!).date;
      if (endText !== undefined) {
        const e = localDate(zone, parseEasDate(endText));
        endDate = e.midnight ? e.date : addDays(e.date, 1);
      }
    }
    if (!endDate || dateKey(endDate) <= dateKey(startDate)) endDate = addDays(startDate, 1);
    times.start = { date: startDate };
    times.end = { date: endDate };
    return times;
  }
  const endMs = endText !== undefined ? parseEasDate(endText) : startMs!;
  if (endMs < startMs!) throw new PimConversionError("EndTime before StartTime");
  times.start = { ms: startMs!, zone };
  times.end = { ms: endMs, zone };
  return times;
}

function ghosted(ctx: CalendarContext, name: string): boolean {
  return ctx.supported !== undefined && !ctx.supported.has(name);
}

/** Applies the event fields present in `data`; absent fields are removed unless ghosted. */
function applyFields(comp: ICAL.Component, data: WbxmlElement, ctx: CalendarContext, isChange: boolean) {
  const present = (name: string, ns = "Calendar") => child(data, name, ns) !== undefined;
  const keep = (name: string) => isChange && ghosted(ctx, name);

  if (present("Subject")) setText(comp, "summary", childText(data, "Subject", "Calendar"));
  else if (!keep("Subject")) comp.removeAllProperties("summary");

  const loc16 = child(data, "Location", "AirSyncBase");
  if (loc16) setText(comp, "location", childText(loc16, "DisplayName", "AirSyncBase"));
  else if (present("Location")) setText(comp, "location", childText(data, "Location", "Calendar"));
  else if (!keep("Location")) comp.removeAllProperties("location");

  // Like contact notes ([MS-ASCNTC] R461), an absent Body never deletes the stored one.
  const body = bodyFromEas(data, "Calendar");
  if (body !== undefined) setText(comp, "description", body);

  const busy = intChild(data, "BusyStatus", 0, 4);
  if (busy !== undefined) {
    setText(comp, "transp", busy === 0 ? "TRANSPARENT" : "OPAQUE");
    setText(comp, "x-microsoft-cdo-busystatus", BUSY[busy]);
  } else if (!keep("BusyStatus")) {
    comp.removeAllProperties("transp");
    comp.removeAllProperties("x-microsoft-cdo-busystatus");
  }

  const sens = intChild(data, "Sensitivity", 0, 3);
  if (sens !== undefined) {
    setText(comp, "class", ["PUBLIC", "PRIVATE", "PRIVATE", "CONFIDENTIAL"][sens]);
    setText(comp, X_SENSITIVITY, sens === 1 ? "1" : undefined);
  } else if (!keep("Sensitivity")) {
    comp.removeAllProperties("class");
    comp.removeAllProperties(X_SENSITIVITY);
  }

  const reminder = intChild(data, "Reminder", 0, 0x7fffffff);
  if (reminder !== undefined || !keep("Reminder")) {
    for (const a of comp.getAllSubcomponents("valarm")) comp.removeSubcomponent(a);
    if (reminder !== undefined) {
      const alarm = new ICAL.Component("valarm");
      alarm.addPropertyWithValue("action", "DISPLAY");
      alarm.addPropertyWithValue("description", "Reminder");
      alarm.addPropertyWithValue("trigger", ICAL.Duration.fromSeconds(-reminder * 60));
      comp.addSubcomponent(alarm);
    }
  }

  const orgEmail = childText(data, "OrganizerEmail", "Calendar");
  const orgName = childText(data, "OrganizerName", "Calendar");
  if (orgEmail !== undefined || orgName !== undefined) {
    const prev = organizer(comp);
    comp.removeAllProperties("organizer");
    const email = orgEmail ?? prev?.email ?? "";
    if (email) {
      const p = comp.addPropertyWithValue("organizer", `mailto:${email}`);
      if (orgName !== undefined) p.setParameter("cn", orgName);
    }
  } else if (!keep("OrganizerEmail") && !keep("OrganizerName")) comp.removeAllProperties("organizer");

  const attendees = child(data, "Attendees", "Calendar");
  if (attendees) {
    comp.removeAllProperties("attendee");
    for (const a of childrenNamed(attendees, "Attendee", "Calendar")) {
      const email = childText(a, "Email", "Calendar") ?? "";
      const p = comp.addPropertyWithValue("attendee", `mailto:${email}`);
      const name = childText(a, "Name", "Calendar");
      if (name !== undefined) p.setParameter("cn", name);
      const status = intChild(a, "AttendeeStatus", 0, 5);
      const partstat = Object.entries(PARTSTAT).find(([, v]) => v === status)?.[0];
      if (partstat) p.setParameter("partstat", partstat);
      const type = intChild(a, "AttendeeType", 1, 3);
      if (type === 3) p.setParameter("cutype", "RESOURCE");
      p.setParameter("role", type === 2 ? "OPT-PARTICIPANT" : "REQ-PARTICIPANT");
    }
  } else if (!keep("Attendees")) comp.removeAllProperties("attendee");

  categoriesFromEas(comp, data, "Calendar", keep("Categories"));

  const ms = intChild(data, "MeetingStatus", 0, 15);
  if (ms !== undefined) {
    setText(comp, X_MEETING, String(ms));
    if (ms & 4) setText(comp, "status", "CANCELLED");
    else if (text(comp, "status")?.toUpperCase() === "CANCELLED") comp.removeAllProperties("status");
  } else if (!keep("MeetingStatus")) comp.removeAllProperties(X_MEETING);

  const stamp = childText(data, "DtStamp", "Calendar");
  comp.removeAllProperties("dtstamp");
  comp.addPropertyWithValue("dtstamp", utcTime(stamp !== undefined ? parseEasDate(stamp) : Date.now()));
}

function writeSpan(comp: ICAL.Component, times: DeviceTimes) {
  comp.removeAllProperties("duration");
  setTimeProperty(comp, "dtstart", times.start!);
  setTimeProperty(comp, "dtend", times.end!);
}

function originalFromException(e: WbxmlElement, series: { zone: string; allDay: boolean }, ctx: CalendarContext): TimeValue {
  const instance = childText(e, "InstanceId", "AirSyncBase");
  const est = childText(e, "ExceptionStartTime", "Calendar");
  const raw = instance ?? est;
  if (raw === undefined) throw new PimConversionError("Exception without ExceptionStartTime or InstanceId");
  return originalValue(raw, instance !== undefined, series, ctx);
}

function originalValue(raw: string, isInstanceId: boolean, series: { zone: string; allDay: boolean }, ctx: CalendarContext): TimeValue {
  if (series.allDay) {
    // 16.x InstanceIds of all-day series carry the date; 14.x ExceptionStartTime is local midnight.
    const date = isInstanceId && is16(ctx) ? parseEasDateOnly(raw) : localDate(series.zone, parseEasDate(raw)).date;
    return { date };
  }
  return { ms: parseEasDate(raw), zone: series.zone };
}

function sameOriginal(a: TimeValue, b: TimeValue): boolean {
  if ("date" in a && "date" in b) return dateKey(a.date) === dateKey(b.date);
  if ("ms" in a && "ms" in b) return a.ms === b.ms;
  return false;
}

function recurrenceIdOf(comp: ICAL.Component, series: { zone: string; allDay: boolean }): TimeValue {
  const p = comp.getFirstProperty("recurrence-id")!;
  const v = p.getFirstValue() as ICAL.Time;
  return v.isDate ? { date: dateOf(v) } : { ms: instantOf(v, zoneOfProperty(p, series.zone)), zone: series.zone };
}

function exdateValues(master: ICAL.Component, series: { zone: string }): TimeValue[] {
  return master
    .getAllProperties("exdate")
    .flatMap((p) =>
      (p.getValues() as ICAL.Time[]).map((v) =>
        v.isDate ? { date: dateOf(v) } : { ms: instantOf(v, zoneOfProperty(p, series.zone)), zone: series.zone },
      ),
    );
}

function addExdate(master: ICAL.Component, value: TimeValue) {
  const p = new ICAL.Property("exdate");
  writeTime(p, value);
  master.addProperty(p);
}

function buildOverride(
  master: ICAL.Component,
  e: WbxmlElement,
  original: TimeValue,
  series: { zone: string; allDay: boolean },
  ctx: CalendarContext,
): ICAL.Component {
  const o = new ICAL.Component(JSON.parse(JSON.stringify(master.toJSON())));
  for (const name of ["rrule", "exdate", "rdate", "exrule"]) o.removeAllProperties(name);
  const rid = new ICAL.Property("recurrence-id");
  writeTime(rid, original);
  o.addProperty(rid);
  const masterSpan = spanOf(master, series.zone);
  const duration = masterSpan.endMs - masterSpan.startMs;
  // Absent fields of an exception inherit the master's ([MS-ASCAL] 2.2.2.21): start from a copy, then
  // overwrite what the exception carries.
  const fake: WbxmlElement = { ns: "AirSync", name: "ApplicationData", children: e.children };
  const times = deviceTimes(fake, ctx, series.zone, series.allDay);
  if (!times.start) {
    if ("date" in original) {
      const days = Math.round((dateKey(masterSpan.endDate!) - dateKey(masterSpan.startDate!)) / 86_400_000);
      times.start = original;
      times.end = { date: addDays(original.date, days) };
    } else {
      times.start = original;
      times.end = { ms: original.ms + duration, zone: series.zone };
    }
  } else if (times.allDay && !("date" in times.start)) {
    throw new PimConversionError("exception AllDayEvent mismatch");
  }
  if (times.start && "ms" in times.start) {
    times.start = { ms: times.start.ms, zone: series.zone };
    times.end = { ms: (times.end as { ms: number }).ms, zone: series.zone };
  }
  writeSpan(o, times);
  const keepAll: CalendarContext = { ...ctx, supported: new Set() }; // absent = inherited
  applyFields(o, fake, keepAll, true);
  return o;
}

function applyExceptions(
  cal: ICAL.Component,
  master: ICAL.Component,
  exceptions: WbxmlElement,
  series: { zone: string; allDay: boolean },
  ctx: CalendarContext,
) {
  for (const o of cal.getAllSubcomponents("vevent")) if (o !== master) cal.removeSubcomponent(o);
  master.removeAllProperties("exdate");
  for (const e of childrenNamed(exceptions, "Exception", "Calendar")) {
    const original = originalFromException(e, series, ctx);
    if (childText(e, "Deleted", "Calendar")?.trim() === "1") addExdate(master, original);
    else cal.addSubcomponent(buildOverride(master, e, original, series, ctx));
  }
}

/**
 * The stored iCalendar for what the device sent (Sync Add, or Change over `previousIcs`). Properties EAS
 * cannot carry (URL, ATTACH, X- properties, VTIMEZONE, …) are kept from the previous version.
 */
export function eventFromEas(data: WbxmlElement, ctx: CalendarContext, previousIcs?: string): string {
  const prev = previousIcs ? openSeries(previousIcs, ctx) : undefined;
  const prevSpan = prev ? spanOf(prev.master, prev.zone) : undefined;
  const cal = prev?.cal ?? newCalendar();
  const master = prev?.master ?? new ICAL.Component("vevent");
  if (!prev) cal.addSubcomponent(master);
  const times = deviceTimes(data, ctx, prev?.zone ?? ctx.defaultZone, prev?.allDay ?? false);
  if (!times.start && !prev) throw new PimConversionError("Calendar item without StartTime");
  if (times.start) writeSpan(master, times);
  else if (times.allDay !== prev!.allDay) throw new PimConversionError("AllDayEvent changed without StartTime");
  const series = { zone: times.zone, allDay: times.allDay };
  setText(
    master,
    X_BLOB,
    times.allDay && is16(ctx) ? text(master, X_BLOB) : (times.blob ?? (times.start ? undefined : text(master, X_BLOB))),
  );
  setText(master, X_ZONE, times.allDay ? times.zone : undefined);

  const uid = childText(data, "UID", "Calendar")?.trim() || childText(data, "ClientUid", "Calendar")?.trim();
  if (!text(master, "uid")) setText(master, "uid", uid || (ctx.newUid ?? (() => crypto.randomUUID()))());
  applyFields(master, data, ctx, prev !== undefined);

  const recurrence = child(data, "Recurrence", "Calendar");
  const exceptions = child(data, "Exceptions", "Calendar");
  const oldRule = master.getFirstProperty("rrule")?.toICALString();
  if (recurrence) {
    const pattern = patternFromEas(recurrence);
    const rule = recurFromPattern(pattern);
    const untilText = childText(recurrence, "Until", "Calendar");
    if (untilText !== undefined && pattern.occurrences === undefined) {
      // [MS-ASCAL] R53911: Occurrences wins when both are sent.
      if (times.allDay) {
        const date = is16(ctx) ? parseEasDateOnly(untilText) : localDate(series.zone, parseEasDate(untilText)).date;
        rule.until = ICAL.Time.fromData({ ...date, isDate: true });
      } else rule.until = utcTime(parseEasDate(untilText));
    }
    master.removeAllProperties("rrule");
    master.addPropertyWithValue("rrule", rule);
  } else if (!(prev && ghosted(ctx, "Recurrence"))) master.removeAllProperties("rrule");
  const newSpan = spanOf(master, series.zone);
  const ruleChanged =
    oldRule !== master.getFirstProperty("rrule")?.toICALString() ||
    (prevSpan !== undefined && (prevSpan.startMs !== newSpan.startMs || prevSpan.endMs !== newSpan.endMs));
  if (exceptions && master.hasProperty("rrule")) applyExceptions(cal, master, exceptions, series, ctx);
  else if (!master.hasProperty("rrule") || ruleChanged) {
    // [MS-ASCAL] R2114: a new pattern or new series times drop the exceptions.
    master.removeAllProperties("exdate");
    for (const o of cal.getAllSubcomponents("vevent")) if (o !== master) cal.removeSubcomponent(o);
  }
  ensureVtimezones(cal, new Date(newSpan.startMs).getUTCFullYear());
  return cal.toString();
}

function findSeries(ics: string, ctx: CalendarContext) {
  const series = openSeries(ics, ctx);
  if (!series.master.hasProperty("rrule")) throw new PimConversionError("not a recurring event");
  return series;
}

/** 16.x: a Sync Change with airsyncbase:InstanceId edits one occurrence ([MS-ASCAL] R2113). */
export function changeInstance(ics: string, instanceId: string, data: WbxmlElement, ctx: CalendarContext): string {
  const series = findSeries(ics, ctx);
  const original = originalValue(instanceId, true, series, ctx);
  for (const o of series.overrides) if (sameOriginal(recurrenceIdOf(o, series), original)) series.cal.removeSubcomponent(o);
  if (childText(data, "Deleted", "Calendar")?.trim() === "1") addExdate(series.master, original);
  else series.cal.addSubcomponent(buildOverride(series.master, data, original, series, ctx));
  return series.cal.toString();
}

/** 16.x: a Sync Delete with airsyncbase:InstanceId removes one occurrence: an EXDATE in the series zone. */
export function deleteInstance(ics: string, instanceId: string, ctx: CalendarContext): string {
  const series = findSeries(ics, ctx);
  const original = originalValue(instanceId, true, series, ctx);
  for (const o of series.overrides) if (sameOriginal(recurrenceIdOf(o, series), original)) series.cal.removeSubcomponent(o);
  if (!exdateValues(series.master, series).some((v) => sameOriginal(v, original))) addExdate(series.master, original);
  return series.cal.toString();
}

export { exdateValues as _exdateValues };
