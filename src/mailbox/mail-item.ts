import { mimeTruncationBytes, plainToHtml, rankBodyPreferences, truncateUtf8 } from "../eas/body-preference";
import type { BodyData, BodyPreference, ItemOptions, MailChangeData, MailItemData } from "../eas/sync-types";
import { isStoreError, type MailStore, type MailSummary } from "../store/types";
import { PimConversionError } from "../formats/errors";
import { meetingRequestToEas } from "../eas/pim/meeting-request";
import { fileReferenceOf } from "./ids";
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

function messageClassOf(s: MailSummary): string {
  if (s.attachments.some((a) => /^application\/(x-)?pkcs7-signature$/i.test(a.contentType))) return "IPM.Note.SMIME.MultipartSigned";
  if (s.attachments.some((a) => /^application\/(x-)?pkcs7-mime$/i.test(a.contentType))) return "IPM.Note.SMIME";
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

/** The invitation of a meeting request or cancellation as Email MeetingRequest; none when unreadable. */
async function meetingRequestOf(store: MailStore, s: MailSummary, opts: ItemOptions) {
  const method = s.calendarMethod?.toUpperCase();
  if (method !== "REQUEST" && method !== "CANCEL") return undefined;
  const part = s.attachments.find((a) => a.contentType.toLowerCase().startsWith("text/calendar"));
  const att = part ? await store.getAttachment(s.folderId, s.itemId, part.partId) : null;
  if (!att) return undefined;
  try {
    return meetingRequestToEas(new TextDecoder().decode(att.data), {
      version: Number.parseFloat(opts.protocolVersion) || 14.1,
      defaultZone: "Etc/UTC",
    });
  } catch (e) {
    if (e instanceof PimConversionError) return undefined;
    throw e;
  }
}

/** Builds what the device gets for one message, reading bodies from the store as the options need. */
export async function loadMailItem(store: MailStore, s: MailSummary, opts: ItemOptions): Promise<MailItemData> {
  return {
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
    messageClass: messageClassOf(s),
    contentClass: s.contentClass,
    meetingRequest: await meetingRequestOf(store, s, opts),
    lastVerb: lastVerbOf(s),
    body: await loadBody(store, s, opts).catch((e: unknown) => {
      // A body that cannot be read or converted must not block the folder forever (anchors §3 #12):
      // the device gets the message without its body. A backend outage still fails the request (503).
      if (isStoreError(e, "StoreUnavailableError")) throw e;
      logError("mail item body left out", e, { folder_id: s.folderId, item_id: s.itemId }, "warn");
      return undefined;
    }),
    nativeBodyType: s.hasHtml ? 2 : 1,
    attachments: s.attachments.map((a) => ({
      fileReference: fileReferenceOf(s.folderId, s.itemId, a.partId),
      displayName: a.filename || "attachment",
      method: /^message\/rfc822$/i.test(a.contentType) ? 5 : 1,
      estimatedDataSize: a.size,
      contentId: a.contentId,
      isInline: a.inline,
    })),
  };
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

/** The addresses of a comma-separated header list (commas inside quoted names kept). */
function splitAddresses(list: string): string[] {
  return list
    .split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .map((a) => a.trim())
    .filter(Boolean);
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
