// Mail item → EAS properties ([MS-ASEMAIL] 2.2.2, [MS-ASAIRS] 2.2.2). Dates use the mail form
// yyyy-MM-ddTHH:mm:ss.000Z ([MS-ASEMAIL] 2.2.2.20 DateReceived; Nokia Mail for Exchange depends on it).
import { el, type WbxmlElement } from "../wbxml";
import type { BodyData, BodyPartData, MailChangeData, MailItemData } from "./sync-types";
import { atLeast } from "./protocol-version";
import { attachments25, mailBody25, only25 } from "./legacy25";

export function easMailDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + ".000Z";
}

function flag(flagged: boolean): WbxmlElement {
  // An empty Flag clears it ([MS-ASEMAIL] 2.2.2.27); Status 2 = active follow-up flag.
  return flagged ? el("Email", "Flag", el("Email", "Status", "2"), el("Email", "FlagType", "Flag for follow up")) : el("Email", "Flag");
}

/** Type, EstimatedDataSize, Truncated, Data, Preview: the children Body and BodyPart share, in schema order. */
function bodyFields(b: BodyData | BodyPartData): (WbxmlElement | false)[] {
  return [
    el("AirSyncBase", "Type", b.type),
    el("AirSyncBase", "EstimatedDataSize", b.estimatedDataSize),
    b.truncated && el("AirSyncBase", "Truncated", "1"),
    b.data !== undefined && el("AirSyncBase", "Data", b.data),
    b.preview !== undefined && el("AirSyncBase", "Preview", b.preview),
  ];
}

export function bodyElement(b: BodyData): WbxmlElement {
  return el("AirSyncBase", "Body", ...bodyFields(b));
}

/** [MS-ASAIRS] 2.2.2.10 BodyPart (14.1+): Status, then the fields of a Body. */
export function bodyPartElement(b: BodyPartData): WbxmlElement {
  return el("AirSyncBase", "BodyPart", el("AirSyncBase", "Status", b.status), ...bodyFields(b));
}

/**
 * The message's envelope, the same in every version from 2.5 on ([MS-ASEMAIL] 2.2.2), appended to `out`: empty
 * optional fields left out. Appended in place, like the rest of a message's properties: a Sync page builds ~25
 * elements for each of up to 512 messages in the Worker (issue 15), so no intermediate arrays per message.
 */
function envelope(item: MailItemData, out: WbxmlElement[]): void {
  if (item.to) out.push(el("Email", "To", item.to));
  if (item.cc) out.push(el("Email", "Cc", item.cc));
  if (item.from) out.push(el("Email", "From", item.from));
  out.push(el("Email", "Subject", item.subject));
  if (item.replyTo) out.push(el("Email", "ReplyTo", item.replyTo));
  out.push(el("Email", "DateReceived", easMailDate(item.dateReceived)));
  if (item.displayTo) out.push(el("Email", "DisplayTo", item.displayTo));
  if (item.threadTopic) out.push(el("Email", "ThreadTopic", item.threadTopic));
  out.push(el("Email", "Importance", item.importance), el("Email", "Read", item.read ? "1" : "0"));
}

/** Children of ApplicationData (Sync Add/Fetch) or Properties (ItemOperations Fetch) for a message. */
export function mailProperties(item: MailItemData, protocolVersion: string): WbxmlElement[] {
  if (protocolVersion === "2.5") return mailProperties25(item);
  const out: WbxmlElement[] = [];
  envelope(item, out);
  if (item.body) out.push(bodyElement(item.body));
  if (item.bodyPart && atLeast(protocolVersion, "14.1")) out.push(bodyPartElement(item.bodyPart));
  if (item.attachments.length > 0)
    out.push(
      el(
        "AirSyncBase",
        "Attachments",
        ...item.attachments.map((a) =>
          el(
            "AirSyncBase",
            "Attachment",
            el("AirSyncBase", "DisplayName", a.displayName),
            el("AirSyncBase", "FileReference", a.fileReference),
            el("AirSyncBase", "Method", a.method),
            el("AirSyncBase", "EstimatedDataSize", a.estimatedDataSize),
            a.contentId ? el("AirSyncBase", "ContentId", a.contentId) : null,
            a.isInline ? el("AirSyncBase", "IsInline", "1") : null,
          ),
        ),
      ),
    );
  out.push(el("Email", "MessageClass", item.messageClass));
  if (item.meetingRequest) out.push(item.meetingRequest);
  out.push(
    el("Email", "InternetCPID", "65001"),
    flag(item.flagged),
    el("Email", "ContentClass", item.contentClass ?? "urn:content-classes:message"),
    el("AirSyncBase", "NativeBodyType", item.nativeBodyType),
  );
  if (atLeast(protocolVersion, "14.0")) {
    if (item.lastVerb !== undefined) out.push(el("Email2", "LastVerbExecuted", item.lastVerb));
    // [MS-ASEMAIL] 2.2.2.21, 2.2.2.22 (14.0+, R1180, R1186: not 12.x): the conversation, as OPAQUE bytes (R348, R1003).
    if (item.conversationId) out.push(el("Email2", "ConversationId", item.conversationId));
    if (item.conversationIndex) out.push(el("Email2", "ConversationIndex", item.conversationIndex));
  }
  // Drafts are 16.0+ ([MS-ASEMAIL] 2.2.2.41 IsDraft; 2.2.2.10 Bcc, at most 1024 characters in the schema).
  if (item.draft && atLeast(protocolVersion, "16.0")) {
    if (item.draft.bcc) out.push(el("Email2", "Bcc", boundedList(item.draft.bcc, 1024)));
    out.push(el("Email2", "IsDraft", "1"));
  }
  return out;
}

/**
 * A message for a 2.5 client ([MS-ASEMAIL] version notes): the same item, with the body and attachments in the
 * Email namespace (legacy25.ts) and without what 2.5 does not have (AirSyncBase, Flag, ContentClass, ...).
 */
function mailProperties25(item: MailItemData): WbxmlElement[] {
  const out: (WbxmlElement | null)[] = [];
  envelope(item, out as WbxmlElement[]);
  out.push(
    attachments25(item.attachments),
    ...mailBody25(item.body),
    el("Email", "MessageClass", item.messageClass),
    item.meetingRequest ? only25(item.meetingRequest) : null,
    el("Email", "InternetCPID", "65001"),
  );
  return out.filter((x): x is WbxmlElement => x !== null && only25(x) !== null);
}

/** ApplicationData of a server Change: only what changes on a message. */
export function mailChangeProperties(c: MailChangeData, protocolVersion: string): WbxmlElement[] {
  // A draft goes down whole (another device may have edited any field); mailProperties handles 2.5 too.
  if (c.item) return mailProperties(c.item, protocolVersion);
  // 2.5 has no Flag ([MS-ASWBXML] code page 2: Flag from 12.0): only Read changes.
  if (protocolVersion === "2.5") return [el("Email", "Read", c.read ? "1" : "0")];
  return [
    el("Email", "Read", c.read ? "1" : "0"),
    flag(c.flagged),
    ...(c.lastVerb !== undefined && atLeast(protocolVersion, "14.0") ? [el("Email2", "LastVerbExecuted", c.lastVerb)] : []),
  ];
}

/** An address list cut after its last whole address that fits `max` characters. */
function boundedList(list: string, max: number): string {
  if (list.length <= max) return list;
  const cut = list.slice(0, max);
  const comma = cut.lastIndexOf(",");
  return comma > 0 ? cut.slice(0, comma) : cut;
}
