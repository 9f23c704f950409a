import { mimeTruncationBytes, plainToHtml, rankBodyPreferences, truncateUtf8 } from "../eas/body-preference";
import type { BodyData, BodyPartData, BodyPreference, ItemOptions, MailChangeData, MailItemData } from "../eas/sync-types";
import { conversationIdOf, conversationIndexOf } from "../store/conversation";
import { splitAddresses } from "../formats/address-list";
import { hexBytes } from "../formats/hex";
import { messagePart } from "../formats/message-part";
import { isStoreError, type MailStore, type MailSummary } from "../store/types";
import { PimConversionError } from "../formats/errors";
import { meetingRequestToEas } from "../eas/pim/meeting-request";
import { checkItipSender, senderAddress } from "../formats/invitation";
import { xmlText } from "../formats/text";
import { isElement, type WbxmlElement } from "../wbxml/index";
import { fileReferenceOf } from "./ids";
import type { ItipRefusals } from "./itip-refusals";
import { logError } from "../observability/log";
import { atLeast } from "../eas/protocol-version";

const SMIME_TYPES = /^application\/(x-)?pkcs7-(mime|signature)$/i;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** [MS-ASEMAIL] 2.2.2.44 LastVerbExecuted: 1 reply to sender, 3 forward. */
function lastVerbOf(s: MailSummary): number | undefined {
  if (s.flags.forwarded) return 3;
  if (s.flags.answered) return 1;
  return undefined;
}

export function changeDataOf(s: MailSummary): MailChangeData {
  return { read: s.flags.seen, flagged: s.flags.flagged, lastVerb: lastVerbOf(s) };
}

/** `invitation`: whether the message's iTIP part was readable and from someone entitled to send it. */
function messageClassOf(s: MailSummary, invitation: boolean): string {
  if (s.attachments.some((a) => /^application\/(x-)?pkcs7-signature$/i.test(a.contentType))) return "IPM.Note.SMIME.MultipartSigned";
  if (s.attachments.some((a) => /^application\/(x-)?pkcs7-mime$/i.test(a.contentType))) return "IPM.Note.SMIME";
  if (!invitation) return "IPM.Note";
  switch (s.calendarMethod?.toUpperCase()) {
    case "REQUEST":
      return "IPM.Schedule.Meeting.Request";
    case "CANCEL":
      return "IPM.Schedule.Meeting.Canceled";
    case "REPLY":
      return "IPM.Schedule.Meeting.Resp.Pos";
  }
  return "IPM.Note";
}

/**
 * The invitation of an iTIP message: for a meeting request or cancellation its Email MeetingRequest. An
 * invitation that cannot be read, or that comes from someone who may not send it (RFC 5546 3.2: REQUEST and
 * CANCEL from the organizer, REPLY from the attendee), is shown as a plain message (`invitation: false`).
 */
async function invitationOf(store: MailStore, s: MailSummary, opts: ItemOptions, refusals?: ItipRefusals) {
  const method = s.calendarMethod?.toUpperCase();
  if (!method || refusals?.has(`${s.folderId}:${s.itemId}`)) return { invitation: false };
  const part = s.attachments.find((a) => a.contentType.toLowerCase().startsWith("text/calendar"));
  const att = part ? await store.getAttachment(s.folderId, s.itemId, part.partId) : null;
  if (!att) return { invitation: false };
  try {
    const text = new TextDecoder().decode(att.data);
    checkItipSender(text, undefined, senderAddress(s.from));
    if (method !== "REQUEST" && method !== "CANCEL") return { invitation: true };
    const meetingRequest = meetingRequestToEas(text, { version: Number.parseFloat(opts.protocolVersion) || 14.1, defaultZone: "Etc/UTC" });
    return { invitation: meetingRequest !== undefined, meetingRequest };
  } catch (e) {
    // Any failure of the conversion (ical.js throws plain Errors on bad values): a plain message.
    if (!(e instanceof PimConversionError)) console.warn(`mail item ${s.folderId}:${s.itemId}: invitation shown as mail: ${String(e)}`);
    return { invitation: false };
  }
}

/** Builds what the device gets for one message, reading bodies from the store as the options need. */
/** `refusals`: iTIP messages the calendar did not take (shown as plain mail). */
export async function loadMailItem(store: MailStore, s: MailSummary, opts: ItemOptions, refusals?: ItipRefusals): Promise<MailItemData> {
  const { invitation, meetingRequest } = await invitationOf(store, s, opts, refusals);
  return phoneSafe({
    to: s.to,
    cc: s.cc,
    from: s.from,
    replyTo: semicolonList(s.replyTo),
    subject: s.subject,
    dateReceived: s.received,
    displayTo: displayNames(s.to),
    threadTopic: s.threadTopic ?? s.subject,
    importance: s.importance === "low" ? 0 : s.importance === "high" ? 2 : 1,
    read: s.flags.seen,
    flagged: s.flags.flagged,
    messageClass: messageClassOf(s, invitation),
    contentClass: s.calendarMethod && !invitation ? undefined : s.contentClass,
    meetingRequest,
    lastVerb: lastVerbOf(s),
    // [MS-ASCON] 3.2.5.7: BodyPartPreference alone means a BodyPart and no Body (MS-ASCON_R247); with a
    // BodyPreference too, both (R248); neither, a Body as always (R245, R246).
    body:
      opts.bodyPartPreference && opts.bodyPreferences.length === 0
        ? undefined
        : await loadBody(store, s, opts).catch((e: unknown) => {
            // A body that cannot be read or converted must not block the folder forever (anchors §3 #12):
            // the device gets the message without its body. A backend outage still fails the request (503).
            if (isStoreError(e, "StoreUnavailableError")) throw e;
            logError("mail item body left out", e, { folder_id: s.folderId, item_id: s.itemId }, "warn");
            return undefined;
          }),
    bodyPart:
      opts.bodyPartPreference && atLeast(opts.protocolVersion, "14.1")
        ? await loadBodyPart(store, s, opts.bodyPartPreference).catch((e: unknown) => {
            if (isStoreError(e, "StoreUnavailableError")) throw e;
            logError("mail item body part left out", e, { folder_id: s.folderId, item_id: s.itemId }, "warn");
            return undefined;
          })
        : undefined,
    ...conversationOf(s),
    nativeBodyType: s.hasHtml ? 2 : 1,
    attachments: s.attachments.map((a) => ({
      fileReference: fileReferenceOf(s.folderId, s.itemId, a.partId),
      displayName: a.filename || "attachment",
      method: /^message\/rfc822$/i.test(a.contentType) ? 5 : 1,
      estimatedDataSize: a.size,
      contentId: a.contentId,
      isInline: a.inline,
    })),
  });
}

/**
 * Every text a phone gets is text XML can carry (issue 13 §7: a stranger's mail has NULs and control
 * characters, which no WBXML inline string or XML document may hold). A MIME body (type 4) keeps its bytes:
 * sent as opaque data when its text would not do.
 */
function phoneSafe(m: MailItemData): MailItemData {
  const body = m.body;
  let safeBody = body;
  if (body && typeof body.data === "string") {
    const clean = xmlText(body.data);
    safeBody = { ...body, data: clean === body.data ? body.data : body.type === 4 ? new TextEncoder().encode(body.data) : clean };
  }
  if (safeBody?.preview !== undefined) safeBody = { ...safeBody, preview: xmlText(safeBody.preview) };
  const part = m.bodyPart;
  const safePart = part && {
    ...part,
    ...(part.data !== undefined ? { data: xmlText(part.data) } : {}),
    ...(part.preview !== undefined ? { preview: xmlText(part.preview) } : {}),
  };
  return {
    ...m,
    to: xmlText(m.to),
    cc: xmlText(m.cc),
    from: xmlText(m.from),
    replyTo: xmlText(m.replyTo),
    subject: xmlText(m.subject),
    displayTo: xmlText(m.displayTo),
    threadTopic: xmlText(m.threadTopic),
    meetingRequest: m.meetingRequest && cleanTree(m.meetingRequest),
    body: safeBody,
    bodyPart: safePart,
    attachments: m.attachments.map((a) => ({ ...a, displayName: xmlText(a.displayName), contentId: a.contentId && xmlText(a.contentId) })),
  };
}

/** The same for an element tree (calendar items, meeting requests): every string child made XML text. */
export function cleanTree(e: WbxmlElement): WbxmlElement {
  return { ...e, children: e.children.map((c) => (typeof c === "string" ? xmlText(c) : isElement(c) ? cleanTree(c) : c)) };
}

async function loadBody(store: MailStore, s: MailSummary, opts: ItemOptions): Promise<BodyData | undefined> {
  const smime = s.attachments.some((a) => SMIME_TYPES.test(a.contentType));
  const ranked = rankBodyPreferences(opts.bodyPreferences, { hasHtml: s.hasHtml, smime, mimeSupport: opts.mimeSupport });
  let first: BodyData | undefined;
  for (const pref of ranked) {
    const body = await renderBody(store, s, pref, opts);
    if (!body) continue;
    first ??= body;
    // [MS-ASAIRS] 2.2.2.3.2 AllOrNone: a type whose data would be truncated is skipped for the next one.
    if (!(pref.allOrNone && body.truncated)) return withoutPlainPreview(body);
  }
  if (!first) return undefined;
  const { data: _dropped, ...withoutData } = first;
  return withoutData;
}

/** [MS-ASAIRS] 2.2.2.35.1 (R1001036): plain text returned in Data comes without a Preview. */
function withoutPlainPreview(b: BodyData): BodyData {
  if (b.type !== 1 || !b.data) return b;
  const { preview: _preview, ...rest } = b;
  return rest;
}

async function renderBody(store: MailStore, s: MailSummary, pref: BodyPreference, opts: ItemOptions): Promise<BodyData | undefined> {
  const preview = pref.preview && atLeast(opts.protocolVersion, "14.0") ? s.preview.slice(0, Math.min(pref.preview, 255)) : undefined;
  if (pref.type === 4) {
    const raw = await store.getMime(s.folderId, s.itemId);
    if (!raw) return undefined;
    const limit = pref.truncationSize ?? mimeTruncationBytes(opts.mimeTruncation);
    const cut = limit !== undefined && raw.length > limit ? raw.subarray(0, limit) : raw;
    let data: string | Uint8Array;
    try {
      data = utf8.decode(cut);
    } catch {
      data = cut.slice(); // 8-bit MIME: sent as OPAQUE so the bytes stay identical
    }
    return { type: 4, estimatedDataSize: raw.length, truncated: cut.length < raw.length, data, preview };
  }
  const wantHtml = pref.type === 2;
  let text: string;
  let size: number;
  if (wantHtml && s.hasHtml) {
    const b = await store.getBody(s.folderId, s.itemId, "html");
    if (!b) return undefined;
    ({ data: text, size } = b);
  } else {
    const b = await store.getBody(s.folderId, s.itemId, "plain");
    if (!b) return undefined;
    text = wantHtml ? plainToHtml(b.data) : b.data;
    size = wantHtml ? new TextEncoder().encode(text).length : b.size;
  }
  const limit = pref.truncationSize;
  const truncated = limit !== undefined && size > limit;
  return { type: wantHtml ? 2 : 1, estimatedDataSize: size, truncated, data: truncated ? truncateUtf8(text, limit) : text, preview };
}

/**
 * The message's ConversationId and ConversationIndex as bytes ([MS-ASEMAIL] 2.2.2.21, 2.2.2.22): as its store
 * computed them, else derived from its headers the same way (store/conversation.ts).
 */
export function conversationOf(s: MailSummary): { conversationId: Uint8Array; conversationIndex: Uint8Array } {
  const id = hexBytes(s.conversationId ?? conversationIdOf(s)) ?? new Uint8Array(16);
  const index = hexBytes(s.conversationIndex ?? conversationIndexOf(s.threadIndex, s.date ?? s.received)) ?? new Uint8Array(5);
  return { conversationId: id, conversationIndex: index };
}

/**
 * [MS-ASAIRS] 2.2.2.10 BodyPart: the message part (formats/message-part.ts: the plain text before the quoted
 * history) as HTML, Type 2, cut at TruncationSize bytes (MS-ASCON_R239, R240: Truncated and EstimatedDataSize);
 * with AllOrNone a part that does not fit comes without Data; Preview as asked (MS-ASAIRS_R255, R256).
 */
async function loadBodyPart(store: MailStore, s: MailSummary, pref: BodyPreference): Promise<BodyPartData | undefined> {
  const b = await store.getBody(s.folderId, s.itemId, "plain");
  if (!b) return undefined;
  const part = messagePart(b.data);
  const html = plainToHtml(part);
  const size = new TextEncoder().encode(html).length;
  const limit = pref.truncationSize;
  const truncated = limit !== undefined && size > limit;
  const preview = pref.preview ? part.replace(/\s+/g, " ").trim().slice(0, Math.min(pref.preview, 255)) : undefined;
  const data = truncated && pref.allOrNone ? undefined : truncated ? truncateUtf8(html, limit) : html;
  return {
    status: 1,
    type: 2,
    estimatedDataSize: size,
    truncated,
    ...(data !== undefined ? { data } : {}),
    ...(preview !== undefined ? { preview } : {}),
  };
}

/** "Ann <a@x>, b@y" → "Ann <a@x>; b@y": [MS-ASEMAIL] 2.2.2.63 ReplyTo separates addresses with semi-colons (R711). */
function semicolonList(list: string): string {
  return splitAddresses(list).join("; ");
}

/** "Ann <a@x>, b@y" → "Ann; b@y" ([MS-ASEMAIL] 2.2.2.24 DisplayTo). */
function displayNames(list: string): string {
  return splitAddresses(list)
    .map((a) => {
      const m = a.match(/^"?([^"<]*?)"?\s*<([^>]+)>$/);
      return m ? m[1].trim() || m[2] : a;
    })
    .join("; ");
}

const DEGRADED_TEXT_BYTES = 32_768;

/**
 * A message whose conversion failed (issue 13 §1): its headers as the store summarised them and the start of
 * its raw text as a plain body, so the phone shows something and the folder goes on.
 */
export async function degradedMailItem(store: MailStore, s: MailSummary, reason: unknown): Promise<MailItemData> {
  console.warn(`mail item ${s.folderId}:${s.itemId}: shown degraded: ${reason instanceof Error ? reason.message : String(reason)}`);
  const raw = await store.getMime(s.folderId, s.itemId).catch((e: unknown) => {
    if (e instanceof Error && e.name === "StoreUnavailableError") throw e;
    return null;
  });
  const text = raw ? new TextDecoder("utf-8").decode(raw.subarray(0, DEGRADED_TEXT_BYTES)) : ""; // made XML text by phoneSafe
  return phoneSafe({
    to: s.to,
    cc: s.cc,
    from: s.from,
    replyTo: "",
    subject: s.subject,
    dateReceived: s.received,
    displayTo: "",
    threadTopic: s.subject,
    importance: 1,
    read: s.flags.seen,
    flagged: s.flags.flagged,
    messageClass: "IPM.Note",
    body: { type: 1, estimatedDataSize: raw?.length ?? 0, truncated: (raw?.length ?? 0) > DEGRADED_TEXT_BYTES, data: text },
    nativeBodyType: 1,
    attachments: [],
    ...conversationOf(s),
  });
}
