// EAS Notes ([MS-ASNOTE], 14.0+) stored as an iCalendar VJOURNAL: SUMMARY = Subject, DESCRIPTION = the
// text, CATEGORIES, LAST-MODIFIED; a CalDAV bridge serves it as is.
import { child, childText, el } from "../../wbxml/tree";
import type { WbxmlElement } from "../../wbxml/types";
import { bodyFromEas, bodyToEas } from "./body";
import { categoriesFromEas, categoriesToEas } from "./categories";
import { formatCompact, parseEasDate } from "../../formats/eas-dates";
import { PimConversionError } from "../../formats/errors";
import { ICAL, instantOf, newCalendar, parseCalendar, setText, utcTime } from "../../formats/ical-util";

export interface NoteContext {
  version: number;
  truncationSize?: number;
  newUid?: () => string;
  now?: () => number;
}

const X_CLASS = "x-mobilesync-messageclass";

function openNote(ics: string) {
  const cal = parseCalendar(ics);
  const journal = cal.getFirstSubcomponent("vjournal");
  if (!journal) throw new PimConversionError("no VJOURNAL");
  return { cal, journal };
}

export function noteToEas(ics: string, ctx: NoteContext): WbxmlElement[] {
  const { journal } = openNote(ics);
  const modified = (journal.getFirstPropertyValue("last-modified") ?? journal.getFirstPropertyValue("dtstamp")) as ICAL.Time | null;
  const out: (WbxmlElement | false | undefined)[] = [
    el("Notes", "Subject", String(journal.getFirstPropertyValue("summary") ?? "")),
    bodyToEas(String(journal.getFirstPropertyValue("description") ?? ""), ctx.truncationSize),
    el("Notes", "MessageClass", String(journal.getFirstPropertyValue(X_CLASS) ?? "IPM.StickyNote")),
    // [MS-ASNOTE] 2.2.2.5: LastModifiedDate is a Compact DateTime.
    modified !== null && el("Notes", "LastModifiedDate", formatCompact(instantOf(modified, "UTC"))),
    categoriesToEas(journal, "Notes"),
  ];
  return out.filter((x): x is WbxmlElement => !!x);
}

export function noteFromEas(data: WbxmlElement, ctx: NoteContext, previousIcs?: string): string {
  const prev = previousIcs ? openNote(previousIcs) : undefined;
  const cal = prev?.cal ?? newCalendar();
  const journal = prev?.journal ?? new ICAL.Component("vjournal");
  if (!prev) {
    cal.addSubcomponent(journal);
    journal.addPropertyWithValue("uid", (ctx.newUid ?? (() => crypto.randomUUID()))());
  }
  if (child(data, "Subject", "Notes")) setText(journal, "summary", childText(data, "Subject", "Notes"));
  const body = bodyFromEas(data, "Notes");
  if (body !== undefined) setText(journal, "description", body);
  const cls = childText(data, "MessageClass", "Notes");
  if (cls !== undefined) setText(journal, X_CLASS, cls === "IPM.StickyNote" ? undefined : cls);
  categoriesFromEas(journal, data, "Notes", true); // a note edit without Categories keeps them
  const modified = childText(data, "LastModifiedDate", "Notes");
  const at = modified !== undefined ? parseEasDate(modified) : (ctx.now ?? Date.now)();
  journal.removeAllProperties("last-modified");
  journal.addPropertyWithValue("last-modified", utcTime(at));
  journal.removeAllProperties("dtstamp");
  journal.addPropertyWithValue("dtstamp", utcTime(at));
  return cal.toString();
}
