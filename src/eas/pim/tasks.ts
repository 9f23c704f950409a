// iCalendar VTODO (stored) <-> EAS Tasks ([MS-ASTASK]). Task dates are [MS-ASDTYPE] dateTime values:
// Utc* are instants, StartDate/DueDate the same moments in the task's local time written as if UTC.
import { child, childText, el } from "../../wbxml/tree";
import type { WbxmlElement } from "../../wbxml/types";
import { bodyFromEas, bodyToEas } from "./body";
import { ensureVtimezones } from "../../formats/vtimezone";
import { categoriesFromEas, categoriesToEas } from "./categories";
import { formatDateTime, parseEasDate } from "../../formats/eas-dates";
import { PimConversionError } from "../../formats/errors";
import { ICAL, instantOf, newCalendar, parseCalendar, setText, utcTime, writeTime, zoneOfProperty } from "../../formats/ical-util";
import { patternFromEas, patternFromRecur, patternToEas, recurFromPattern } from "./recurrence";
import { localAsUtcMs, offsetMinutes, utcToLocal } from "../../formats/zone-clock";

export interface TaskContext {
  version: number;
  /** The mailbox owner's zone, for date-only and floating tasks. */
  defaultZone: string;
  supported?: ReadonlySet<string>;
  truncationSize?: number;
  newUid?: () => string;
}

const X_REGENERATE = "x-mobilesync-regenerate";
const X_DEADOCCUR = "x-mobilesync-deadoccur";
/** An Importance outside 0-2 is accepted and sent back as is ([MS-ASTASK] R187, R550). */
const X_IMPORTANCE = "x-mobilesync-importance";

function openTask(ics: string): { cal: ICAL.Component; todo: ICAL.Component } {
  const cal = parseCalendar(ics);
  const todo = cal.getFirstSubcomponent("vtodo");
  if (!todo) throw new PimConversionError("no VTODO");
  return { cal, todo };
}

function when(todo: ICAL.Component, prop: string, ctx: TaskContext): { utc: number; local: number } | undefined {
  const p = todo.getFirstProperty(prop);
  if (!p) return undefined;
  const v = p.getFirstValue() as ICAL.Time;
  const zone = zoneOfProperty(p, ctx.defaultZone);
  const utc = instantOf(v, zone);
  const local = v.isDate ? Date.UTC(v.year, v.month - 1, v.day) : zone === "UTC" ? utc : localAsUtcMs(utcToLocal(zone, utc));
  return { utc, local };
}

function importance(todo: ICAL.Component): number {
  const raw = todo.getFirstPropertyValue(X_IMPORTANCE);
  if (raw !== null && raw !== undefined && /^\d+$/.test(String(raw))) return Number(raw);
  const prio = Number(todo.getFirstPropertyValue("priority") ?? 0);
  if (prio >= 1 && prio <= 4) return 2;
  if (prio >= 6 && prio <= 9) return 0;
  return 1;
}

function reminderAt(todo: ICAL.Component, ctx: TaskContext): number | undefined {
  for (const alarm of todo.getAllSubcomponents("valarm")) {
    const trigger = alarm.getFirstProperty("trigger");
    const v = trigger?.getFirstValue();
    if (v instanceof ICAL.Time) return instantOf(v, "UTC");
    if (v instanceof ICAL.Duration) {
      const base = when(todo, trigger?.getParameter("related") === "END" ? "due" : "dtstart", ctx) ?? when(todo, "due", ctx);
      if (base) return base.utc + v.toSeconds() * 1000;
    }
  }
  return undefined;
}

export function taskToEas(ics: string, ctx: TaskContext): WbxmlElement[] {
  const { todo } = openTask(ics);
  const T = (name: string, v: string | number) => el("Tasks", name, v);
  const start = when(todo, "dtstart", ctx);
  const due = when(todo, "due", ctx);
  const completed = todo.getFirstPropertyValue("completed") as ICAL.Time | null;
  const done = String(todo.getFirstPropertyValue("status") ?? "").toUpperCase() === "COMPLETED" || completed !== null;
  const reminder = reminderAt(todo, ctx);
  const cls = String(todo.getFirstPropertyValue("class") ?? "").toUpperCase();
  const body = todo.getFirstPropertyValue("description");
  const out: (WbxmlElement | false | undefined)[] = [
    T("Subject", String(todo.getFirstPropertyValue("summary") ?? "")),
    body !== null && body !== undefined && bodyToEas(String(body), ctx.truncationSize),
    T("Importance", importance(todo)),
    start !== undefined && T("UtcStartDate", formatDateTime(start.utc)),
    start !== undefined && T("StartDate", formatDateTime(start.local)),
    due !== undefined && T("UtcDueDate", formatDateTime(due.utc)),
    due !== undefined && T("DueDate", formatDateTime(due.local)),
    categoriesToEas(todo, "Tasks"),
    T("Complete", done ? 1 : 0),
    done && T("DateCompleted", formatDateTime(completed ? instantOf(completed, "UTC") : Date.now())),
    T("Sensitivity", cls === "PRIVATE" ? 2 : cls === "CONFIDENTIAL" ? 3 : 0),
    T("ReminderSet", reminder !== undefined ? 1 : 0),
    reminder !== undefined && T("ReminderTime", formatDateTime(reminder)),
  ];
  const rrule = todo.getFirstPropertyValue("rrule") as ICAL.Recur | null;
  const anchor = start ?? due;
  if (rrule && anchor) {
    const d = new Date(anchor.local);
    const pattern = patternFromRecur(rrule, { month: d.getUTCMonth() + 1, day: d.getUTCDate(), dow: d.getUTCDay() });
    if (pattern && (pattern.occurrences ?? 0) <= 255) {
      const until = rrule.until
        ? formatDateTime(instantOf(rrule.until, rrule.until.zone?.tzid === "UTC" ? "UTC" : ctx.defaultZone))
        : undefined;
      const extra = [
        T("Start", formatDateTime(anchor.local)),
        T("Regenerate", todo.getFirstPropertyValue(X_REGENERATE) === "1" ? 1 : 0),
        T("DeadOccur", todo.getFirstPropertyValue(X_DEADOCCUR) === "1" ? 1 : 0),
      ];
      out.push(patternToEas("Tasks", pattern, until, ctx.version, extra));
    }
  }
  return out.filter((x): x is WbxmlElement => !!x);
}

/** The zone to store a device's task date in: the mailbox zone when its offset agrees, else a fixed offset. */
function zoneForOffset(ctx: TaskContext, utc: number, offsetMin: number): string {
  if (offsetMinutes(ctx.defaultZone, utc) === offsetMin) return ctx.defaultZone;
  if (offsetMin === 0) return "UTC";
  if (offsetMin % 60 === 0 && Math.abs(offsetMin) <= 14 * 60) return `Etc/GMT${offsetMin > 0 ? "-" : "+"}${Math.abs(offsetMin / 60)}`;
  return "UTC";
}

function taskDate(data: WbxmlElement, utcName: string, localName: string, ctx: TaskContext): { ms: number; zone: string } | undefined {
  const utcText = childText(data, utcName, "Tasks");
  const localText = childText(data, localName, "Tasks");
  if (utcText === undefined && localText === undefined) return undefined;
  if (utcText !== undefined && localText !== undefined) {
    const utc = parseEasDate(utcText);
    const offset = Math.round((parseEasDate(localText) - utc) / 60000);
    return { ms: utc, zone: zoneForOffset(ctx, utc, offset) };
  }
  if (utcText !== undefined) return { ms: parseEasDate(utcText), zone: ctx.defaultZone };
  // Local time only: read it in the mailbox zone.
  const naive = new Date(parseEasDate(localText!));
  const ms = instantOf(
    ICAL.Time.fromData({
      year: naive.getUTCFullYear(),
      month: naive.getUTCMonth() + 1,
      day: naive.getUTCDate(),
      hour: naive.getUTCHours(),
      minute: naive.getUTCMinutes(),
      second: naive.getUTCSeconds(),
    }),
    ctx.defaultZone,
  );
  return { ms, zone: ctx.defaultZone };
}

function intChild(e: WbxmlElement, name: string, min: number, max: number): number | undefined {
  const t = childText(e, name, "Tasks");
  if (t === undefined || t.trim() === "") return undefined;
  const n = Number(t);
  if (!Number.isInteger(n) || n < min || n > max) throw new PimConversionError(`${name} out of range: ${t}`);
  return n;
}

export function taskFromEas(data: WbxmlElement, ctx: TaskContext, previousIcs?: string): string {
  const isChange = previousIcs !== undefined;
  const prev = previousIcs ? openTask(previousIcs) : undefined;
  const cal = prev?.cal ?? newCalendar();
  const todo = prev?.todo ?? new ICAL.Component("vtodo");
  if (!prev) {
    cal.addSubcomponent(todo);
    todo.addPropertyWithValue("uid", (ctx.newUid ?? (() => crypto.randomUUID()))());
  }
  const keep = (name: string) => isChange && ctx.supported !== undefined && !ctx.supported.has(name);
  const has = (name: string) => child(data, name, "Tasks") !== undefined;

  if (has("Subject")) setText(todo, "summary", childText(data, "Subject", "Tasks"));
  else if (!keep("Subject")) todo.removeAllProperties("summary");
  const body = bodyFromEas(data, "Tasks");
  if (body !== undefined) setText(todo, "description", body);

  const imp = intChild(data, "Importance", 0, 255);
  if (imp !== undefined || !keep("Importance")) {
    todo.removeAllProperties("priority");
    todo.removeAllProperties(X_IMPORTANCE);
    if (imp !== undefined) todo.addPropertyWithValue("priority", imp <= 2 ? [9, 5, 1][imp] : 5);
    if (imp !== undefined && imp > 2) todo.addPropertyWithValue(X_IMPORTANCE, String(imp));
  }

  for (const [prop, utcName, localName] of [
    ["dtstart", "UtcStartDate", "StartDate"],
    ["due", "UtcDueDate", "DueDate"],
  ] as const) {
    const d = taskDate(data, utcName, localName, ctx);
    if (d) {
      todo.removeAllProperties(prop);
      const p = new ICAL.Property(prop);
      writeTime(p, d);
      todo.addProperty(p);
    } else if (!keep(utcName) && !keep(localName)) todo.removeAllProperties(prop);
  }

  const complete = intChild(data, "Complete", 0, 1);
  if (complete !== undefined || !keep("Complete")) {
    todo.removeAllProperties("completed");
    todo.removeAllProperties("status");
    todo.removeAllProperties("percent-complete");
    if (complete === 1) {
      const at = childText(data, "DateCompleted", "Tasks");
      todo.addPropertyWithValue("status", "COMPLETED");
      todo.addPropertyWithValue("completed", utcTime(at !== undefined ? parseEasDate(at) : Date.now()));
      todo.addPropertyWithValue("percent-complete", 100);
    } else todo.addPropertyWithValue("status", "NEEDS-ACTION");
  }

  const sens = intChild(data, "Sensitivity", 0, 3);
  if (sens !== undefined) setText(todo, "class", ["PUBLIC", "PRIVATE", "PRIVATE", "CONFIDENTIAL"][sens]);
  else if (!keep("Sensitivity")) todo.removeAllProperties("class");

  const reminderSet = intChild(data, "ReminderSet", 0, 1);
  const reminderTime = childText(data, "ReminderTime", "Tasks");
  if (reminderSet !== undefined || !keep("ReminderSet")) {
    for (const a of todo.getAllSubcomponents("valarm")) todo.removeSubcomponent(a);
    if (reminderSet === 1 && reminderTime !== undefined) {
      const alarm = new ICAL.Component("valarm");
      alarm.addPropertyWithValue("action", "DISPLAY");
      alarm.addPropertyWithValue("description", "Reminder");
      const trig = new ICAL.Property("trigger");
      trig.resetType("date-time");
      trig.setValue(utcTime(parseEasDate(reminderTime)));
      alarm.addProperty(trig);
      todo.addSubcomponent(alarm);
    }
  }

  categoriesFromEas(todo, data, "Tasks", keep("Categories"));

  const recurrence = child(data, "Recurrence", "Tasks");
  if (recurrence) {
    const rule = recurFromPattern(patternFromEas(recurrence));
    const until = childText(recurrence, "Until", "Tasks");
    if (until !== undefined && !rule.count) rule.until = utcTime(parseEasDate(until));
    todo.removeAllProperties("rrule");
    todo.addPropertyWithValue("rrule", rule);
    setText(todo, X_REGENERATE, childText(recurrence, "Regenerate", "Tasks")?.trim() === "1" ? "1" : undefined);
    setText(todo, X_DEADOCCUR, childText(recurrence, "DeadOccur", "Tasks")?.trim() === "1" ? "1" : undefined);
    if (!todo.hasProperty("dtstart") && !todo.hasProperty("due")) {
      const start = childText(recurrence, "Start", "Tasks");
      if (start !== undefined) {
        const p = new ICAL.Property("dtstart");
        writeTime(p, { ms: parseEasDate(start), zone: "UTC" });
        todo.addProperty(p);
      }
    }
  } else if (!keep("Recurrence")) {
    todo.removeAllProperties("rrule");
    todo.removeAllProperties(X_REGENERATE);
    todo.removeAllProperties(X_DEADOCCUR);
  }

  todo.removeAllProperties("dtstamp");
  todo.addPropertyWithValue("dtstamp", utcTime(Date.now()));
  todo.removeAllProperties("last-modified");
  todo.addPropertyWithValue("last-modified", utcTime(Date.now()));
  ensureVtimezones(cal, new Date().getUTCFullYear());
  return cal.toString();
}
