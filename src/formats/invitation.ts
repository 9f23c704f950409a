// Meeting invitations (iTIP, RFC 5546, carried by iMIP, RFC 6047): what an invitation, a cancellation or
// a reply arriving by mail does to the stored calendar, and the reply a MeetingResponse sends.
import { PimConversionError } from "./errors";
import { ICAL, newCalendar, parseCalendar, setText, utcTime } from "./ical-util";

const mailto = (a: string) => `mailto:${a}`;
const addressOf = (p: ICAL.Property) =>
  String(p.getFirstValue() ?? "")
    .replace(/^mailto:/i, "")
    .toLowerCase();

function events(cal: ICAL.Component): ICAL.Component[] {
  return cal.getAllSubcomponents("vevent");
}

function sequence(e: ICAL.Component | undefined): number {
  return Number(e?.getFirstPropertyValue("sequence") ?? 0) || 0;
}

function master(list: ICAL.Component[]): ICAL.Component | undefined {
  return list.find((e) => !e.hasProperty("recurrence-id")) ?? list[0];
}

function ownAttendee(e: ICAL.Component, owner: string): ICAL.Property | undefined {
  return e.getAllProperties("attendee").find((p) => addressOf(p) === owner.toLowerCase());
}

function clone(c: ICAL.Component): ICAL.Component {
  return new ICAL.Component(JSON.parse(JSON.stringify(c.toJSON())));
}

/** The address of a From header value ("Name <a@b>" or "a@b"), lower case; "" when there is none. */
export function senderAddress(from: string): string {
  const m = from.match(/<([^<>@\s]+@[^<>\s]+)>/) ?? from.match(/([^\s<>",;:]+@[^\s<>",;:]+)/);
  return m ? m[1].toLowerCase() : "";
}

/**
 * An iTIP message whose sender may not make the change it asks for (RFC 5546 3.2, RFC 6047 3): it is
 * filed as ordinary mail and recorded, the calendar is left as it was.
 */
export class ItipRefusedError extends PimConversionError {
  constructor(message: string) {
    super(message);
    this.name = "ItipRefusedError";
  }
}

/** Whether `sender` is the organizer of `e` or the one acting for it (ORGANIZER;SENT-BY=). */
function speaksForOrganizer(e: ICAL.Component | undefined, sender: string): boolean {
  const org = e?.getFirstProperty("organizer");
  if (!org || !sender) return false;
  const sentBy = String(org.getParameter("sent-by") ?? "")
    .replace(/^mailto:/i, "")
    .toLowerCase();
  return addressOf(org) === sender || sentBy === sender;
}

/** Whether `sender` is the attendee `a` or acts for it (ATTENDEE;SENT-BY=). */
function speaksForAttendee(a: ICAL.Property, sender: string): boolean {
  const sentBy = String(a.getParameter("sent-by") ?? "")
    .replace(/^mailto:/i, "")
    .toLowerCase();
  return !!sender && (addressOf(a) === sender || sentBy === sender);
}

/**
 * RFC 5546 3.2 / RFC 6047 3: REQUEST and CANCEL come from the event's organizer (the stored event's when it
 * is known, so nobody can take a meeting over by naming themselves organizer), REPLY from the attendee it
 * answers for. Throws ItipRefusedError otherwise. `sender` is the message's From address.
 */
export function checkItipSender(itip: string, previous: string | undefined, sender: string): void {
  const cal = parseCalendar(itip);
  const { method } = readItip(itip);
  const incoming = master(events(cal));
  const prevMaster = previous ? master(events(parseCalendar(previous))) : undefined;
  const who = sender.toLowerCase();
  if (method === "REQUEST" || method === "CANCEL" || method === "ADD") {
    if (!speaksForOrganizer(incoming, who)) throw new ItipRefusedError(`${method} from ${who || "nobody"}, not its organizer`);
    if (prevMaster && !speaksForOrganizer(prevMaster, who))
      throw new ItipRefusedError(`${method} from ${who}, not the organizer of the stored meeting`);
    return;
  }
  if (method === "REPLY") {
    // Only the sender's own answer counts (applyItip ignores any other ATTENDEE the reply carries).
    const answering = events(cal).flatMap((e) => e.getAllProperties("attendee"));
    if (!answering.some((a) => speaksForAttendee(a, who))) throw new ItipRefusedError(`REPLY from ${who || "nobody"} for another attendee`);
  }
}

export interface ItipMessage {
  method: string;
  uid: string;
}

/** METHOD and UID of an iTIP object; PimConversionError when it is not one. */
export function readItip(itip: string): ItipMessage {
  const cal = parseCalendar(itip);
  const method = String(cal.getFirstPropertyValue("method") ?? "").toUpperCase();
  const uid = master(events(cal))?.getFirstPropertyValue("uid");
  if (!method || !uid) throw new PimConversionError("not an iTIP VEVENT message");
  return { method, uid: String(uid) };
}

/**
 * The stored event after an iTIP message from `sender` to `owner` (checkItipSender first: ItipRefusedError
 * when the sender may not make this change), or null when nothing changes (an older or repeated
 * invitation, a cancellation or reply for an unknown event, an unsupported method).
 * REQUEST: filed as received meeting; while the owner has not answered it shows as tentative ([MS-ASCAL]
 * BusyStatus 1). CANCEL: the event (or the one occurrence) is cancelled. REPLY: the attendee's PARTSTAT.
 */
export function applyItip(itip: string, previous: string | undefined, owner: string, sender: string): string | null {
  checkItipSender(itip, previous, sender);
  const cal = parseCalendar(itip);
  const { method } = readItip(itip);
  const incoming = events(cal);
  const prev = previous ? parseCalendar(previous) : undefined;
  const prevMaster = prev ? master(events(prev)) : undefined;
  if (method === "REQUEST") {
    const m = master(incoming)!;
    if (prevMaster && sequence(m) < sequence(prevMaster)) return null;
    // The same message again (same SEQUENCE and DTSTAMP): nothing to file, nothing to push to phones.
    const stamp = (e: ICAL.Component | undefined) => e?.getFirstPropertyValue("dtstamp")?.toString();
    if (prevMaster && sequence(m) === sequence(prevMaster) && stamp(m) === stamp(prevMaster)) return null;
    const out = newCalendar();
    for (const z of cal.getAllSubcomponents("vtimezone")) out.addSubcomponent(clone(z));
    for (const e of incoming) {
      const copy = clone(e);
      const me = ownAttendee(copy, owner);
      // A re-sent invitation with the same times keeps the owner's answer.
      const before =
        prev &&
        events(prev).find(
          (p) => String(p.getFirstPropertyValue("recurrence-id") ?? "") === String(e.getFirstPropertyValue("recurrence-id") ?? ""),
        );
      const answered = before && ownAttendee(before, owner)?.getParameter("partstat");
      const sameTimes = before && before.getFirstPropertyValue("dtstart")?.toString() === e.getFirstPropertyValue("dtstart")?.toString();
      if (me && answered && sameTimes) me.setParameter("partstat", String(answered));
      const partstat = String(me?.getParameter("partstat") ?? "NEEDS-ACTION").toUpperCase();
      setText(copy, "x-microsoft-cdo-busystatus", partstat === "ACCEPTED" ? "BUSY" : partstat === "DECLINED" ? "FREE" : "TENTATIVE");
      out.addSubcomponent(copy);
    }
    return out.toString();
  }
  if (!prev || !prevMaster) return null;
  if (method === "CANCEL") {
    for (const e of incoming) {
      const rid = e.getFirstProperty("recurrence-id");
      if (!rid) {
        for (const p of events(prev)) setText(p, "status", "CANCELLED");
        continue;
      }
      const override = events(prev).find((p) => p.getFirstPropertyValue("recurrence-id")?.toString() === rid.getFirstValue()?.toString());
      if (override) prev.removeSubcomponent(override);
      const ex = new ICAL.Property("exdate");
      const tzid = rid.getParameter("tzid");
      if (tzid) ex.setParameter("tzid", String(tzid));
      ex.setValue(rid.getFirstValue() as ICAL.Time);
      prevMaster.addProperty(ex);
    }
    return prev.toString();
  }
  if (method === "REPLY") {
    let changed = false;
    for (const e of incoming) {
      for (const a of e.getAllProperties("attendee")) {
        if (!speaksForAttendee(a, sender.toLowerCase())) continue;
        const target = events(prev)
          .flatMap((p) => p.getAllProperties("attendee"))
          .find((p) => addressOf(p) === addressOf(a));
        const partstat = a.getParameter("partstat");
        if (target && partstat) {
          target.setParameter("partstat", String(partstat));
          changed = true;
        }
      }
    }
    return changed ? prev.toString() : null;
  }
  return null;
}

/** [MS-ASCMD] 2.2.3.191 UserResponse: 1 accepted, 2 tentatively accepted, 3 declined. */
export type UserResponse = 1 | 2 | 3;
const PARTSTAT_OF: Record<UserResponse, string> = { 1: "ACCEPTED", 2: "TENTATIVE", 3: "DECLINED" };

export interface MeetingAnswer {
  /** The stored event after the answer (a declined meeting stays, shown free, so a later update finds it). */
  stored: string;
  /** METHOD:REPLY for the organizer, or null when there is nobody to tell (no organizer, or it is us). */
  reply: { ics: string; organizer: string; summary: string } | null;
}

/**
 * The owner answers an invitation (the whole series, or one occurrence by its RECURRENCE-ID instant in ms).
 * With proposed times (16.1 ProposedStartTime/EndTime, tentative or decline) the reply is an iTIP COUNTER
 * carrying them (RFC 5546 3.2.7); the stored event keeps the organizer's times.
 */
export function answerMeeting(
  stored: string,
  owner: string,
  response: UserResponse,
  occurrenceMs?: number,
  proposed?: { start: number; end: number },
): MeetingAnswer {
  const cal = parseCalendar(stored);
  const list = events(cal);
  const m = master(list);
  if (!m) throw new PimConversionError("no VEVENT");
  let targets = list;
  if (occurrenceMs !== undefined) {
    const match = list.filter((e) => {
      const rid = e.getFirstPropertyValue("recurrence-id") as ICAL.Time | null;
      return rid && Math.abs(rid.toUnixTime() * 1000 - occurrenceMs) < 1000;
    });
    targets = match.length ? match : [m];
  }
  const partstat = PARTSTAT_OF[response];
  for (const e of targets) {
    let me = ownAttendee(e, owner);
    if (!me) {
      me = e.addPropertyWithValue("attendee", mailto(owner));
    }
    me.setParameter("partstat", partstat);
    me.removeParameter("rsvp");
    setText(e, "x-microsoft-cdo-busystatus", response === 1 ? "BUSY" : response === 2 ? "TENTATIVE" : "FREE");
    setText(e, "transp", response === 3 ? "TRANSPARENT" : "OPAQUE");
  }
  const orgProp = m.getFirstProperty("organizer");
  const organizer = orgProp ? addressOf(orgProp) : "";
  let reply: MeetingAnswer["reply"] = null;
  if (organizer && organizer !== owner.toLowerCase()) {
    const out = newCalendar();
    const counter = proposed !== undefined && response !== 1;
    out.addPropertyWithValue("method", counter ? "COUNTER" : "REPLY");
    for (const e of targets) {
      const r = new ICAL.Component("vevent");
      const times = counter ? [] : ["dtstart", "dtend"];
      for (const name of ["uid", "recurrence-id", "sequence", "organizer", "summary", ...times]) {
        for (const p of e.getAllProperties(name)) r.addProperty(new ICAL.Property(JSON.parse(JSON.stringify(p.toJSON()))));
      }
      if (counter) {
        r.addPropertyWithValue("dtstart", utcTime(proposed.start));
        r.addPropertyWithValue("dtend", utcTime(proposed.end));
      }
      r.addPropertyWithValue("dtstamp", utcTime(Date.now()));
      const att = r.addPropertyWithValue("attendee", mailto(owner));
      att.setParameter("partstat", partstat);
      out.addSubcomponent(r);
    }
    reply = { ics: out.toString(), organizer, summary: String(m.getFirstPropertyValue("summary") ?? "") };
  }
  return { stored: cal.toString(), reply };
}
