// Email MeetingRequest ([MS-ASEMAIL] 2.2.2.48) for an invitation mail: the iTIP VEVENT as the phone's
// meeting request, built from the calendar conversion (same zones, recurrence and times).
import { el } from "../../wbxml/tree";
import type { WbxmlElement } from "../../wbxml/types";
import { eventToEas, type CalendarContext } from "./calendar";
import { formatDateTime, parseEasDate } from "../../formats/eas-dates";
import { type ICAL, parseCalendar } from "../../formats/ical-util";
import { toBase64 } from "../../formats/base64";

const E = (name: string, ...kids: (WbxmlElement | string | number | false | undefined)[]) => el("Email", name, ...kids);

/**
 * [MS-OXOCAL] 2.2.1.27 PidLidGlobalObjectId for a meeting whose UID is not an Outlook one: the fixed
 * 16-byte class id, no instance date, then "vCal-Uid", a version (1) and the UID, NUL-terminated.
 */
export function globalObjectId(uid: string): string {
  const head = [0x04, 0x00, 0x00, 0x00, 0x82, 0x00, 0xe0, 0x00, 0x74, 0xc5, 0xb7, 0x10, 0x1a, 0x82, 0xe0, 0x08];
  const data = [...new TextEncoder().encode("vCal-Uid"), 1, 0, 0, 0, ...new TextEncoder().encode(uid), 0];
  const size = [data.length & 0xff, (data.length >> 8) & 0xff, (data.length >> 16) & 0xff, (data.length >>> 24) & 0xff];
  const bytes = [...head, 0, 0, 0, 0, ...new Array(16).fill(0), ...size, ...data];
  return toBase64(Uint8Array.from(bytes));
}

function find(list: WbxmlElement[], name: string): WbxmlElement | undefined {
  return list.find((e) => e.name === name);
}

function textOf(e: WbxmlElement | undefined): string | undefined {
  return e && typeof e.children[0] === "string" ? e.children[0] : undefined;
}

const asDateTime = (compact: string | undefined) => (compact ? formatDateTime(parseEasDate(compact)) : undefined);

/** The MeetingRequest element for an iTIP REQUEST or CANCEL text, or undefined when it is not one. */
export function meetingRequestToEas(itip: string, ctx: CalendarContext): WbxmlElement | undefined {
  const cal = parseCalendar(itip);
  const vevent = cal.getFirstSubcomponent("vevent");
  if (!vevent) return undefined;
  // The calendar conversion gives 14.x-shaped times with a Timezone even for all-day events, as
  // MeetingRequest always carries one ([MS-ASEMAIL] R908).
  const props = eventToEas(itip, { ...ctx, version: Math.min(ctx.version, 14.1) });
  const v16 = ctx.version >= 16;
  const uid = String(vevent.getFirstPropertyValue("uid") ?? "");
  const sequence = Number(vevent.getFirstPropertyValue("sequence") ?? 0) || 0;
  const rid = vevent.getFirstPropertyValue("recurrence-id") as ICAL.Time | null;
  const recurrence = find(props, "Recurrence");
  const organizer = vevent.getFirstProperty("organizer");
  const orgName = organizer?.getParameter("cn");
  const orgMail = String(organizer?.getFirstValue() ?? "").replace(/^mailto:/i, "");
  const rsvp = vevent.getAllProperties("attendee").some((a) => String(a.getParameter("rsvp") ?? "").toUpperCase() === "TRUE");
  const location = textOf(find(props, "Location"));
  const method = String(cal.getFirstPropertyValue("method") ?? "REQUEST").toUpperCase();
  return E(
    "MeetingRequest",
    E("AllDayEvent", textOf(find(props, "AllDayEvent")) ?? "0"),
    E("StartTime", asDateTime(textOf(find(props, "StartTime")))!),
    E("DtStamp", asDateTime(textOf(find(props, "DtStamp"))) ?? formatDateTime(Date.now())),
    E("EndTime", asDateTime(textOf(find(props, "EndTime")))!),
    E("InstanceType", rid ? 3 : recurrence ? 1 : 0),
    location !== undefined && (v16 ? el("AirSyncBase", "Location", el("AirSyncBase", "DisplayName", location)) : E("Location", location)),
    organizer ? E("Organizer", orgName ? `"${orgName}" <${orgMail}>` : orgMail) : undefined,
    rid ? E("RecurrenceId", formatDateTime(rid.toUnixTime() * 1000)) : undefined,
    find(props, "Reminder") && E("Reminder", textOf(find(props, "Reminder"))!),
    E("ResponseRequested", rsvp && method === "REQUEST" ? 1 : 0),
    recurrence && E("Recurrences", E("Recurrence", ...recurrenceChildren(recurrence, ctx.version))),
    E("Sensitivity", textOf(find(props, "Sensitivity")) ?? "0"),
    E("BusyStatus", method === "CANCEL" ? 0 : 2),
    E("TimeZone", textOf(find(props, "Timezone"))!),
    !v16 && E("GlobalObjId", globalObjectId(uid)),
    // [MS-ASWBXML] code page 2: DisallowNewTimeProposal from 14.0 only (a 12.x phone cannot decode it).
    ctx.version >= 14 && E("DisallowNewTimeProposal", 0),
    ctx.version >= 14.1 && el("Email2", "MeetingMessageType", sequence === 0 ? 1 : 2),
    v16 && el("Calendar", "UID", uid),
  );
}

/** Email's Recurrence children in its schema order; FirstDayOfWeek is Email2 (14.1+). */
function recurrenceChildren(r: WbxmlElement, version: number): WbxmlElement[] {
  const get = (n: string) =>
    textOf(
      find(
        r.children.filter((c): c is WbxmlElement => typeof c === "object" && !(c instanceof Uint8Array)),
        n,
      ),
    );
  const until = get("Until");
  return [
    E("Type", get("Type")!),
    E("Interval", get("Interval") ?? "1"),
    until !== undefined && E("Until", until),
    get("Occurrences") !== undefined && E("Occurrences", get("Occurrences")!),
    get("WeekOfMonth") !== undefined && E("WeekOfMonth", get("WeekOfMonth")!),
    get("DayOfMonth") !== undefined && E("DayOfMonth", get("DayOfMonth")!),
    get("DayOfWeek") !== undefined && E("DayOfWeek", get("DayOfWeek")!),
    get("MonthOfYear") !== undefined && E("MonthOfYear", get("MonthOfYear")!),
    version >= 14.1 && get("FirstDayOfWeek") !== undefined && el("Email2", "FirstDayOfWeek", get("FirstDayOfWeek")!),
  ].filter((x): x is WbxmlElement => !!x);
}
