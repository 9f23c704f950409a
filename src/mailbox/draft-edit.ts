// A phone's edits of its draft (Sync Change in Drafts, [MS-ASCMD] 2.2.3.24; the 16.x draft elements of
// [MS-ASEMAIL] 2.2.2): the fields it sends replace the draft's, the others stay as they were, and the message
// is rebuilt in place so the ServerId the phone holds keeps working.
import type { ClientAttachmentAdd, ClientAttachmentEdits } from "../eas/sync-types";
import type { MailStore, MailSummary } from "../store/types";
import { type DraftAttachment, draftMime } from "./draft-mime";
import { fileReferenceOf } from "./ids";

/** The draft fields a Change may carry; anything else (Read, Flag…) is a flag change, not an edit. */
const EDITABLE = ["To", "Cc", "Bcc", "Subject", "Importance", "Body.Data"];

export function isDraftEdit(fields: Record<string, string> | undefined, attachments?: ClientAttachmentEdits): boolean {
  return !!attachments || (!!fields && EDITABLE.some((k) => k in fields));
}

/** A phone's new attachment as a MIME part. */
export function newAttachment(a: ClientAttachmentAdd): DraftAttachment {
  return { filename: a.displayName, contentType: a.contentType, data: a.content, contentId: a.contentId, inline: a.isInline };
}

/**
 * The FileReference of each attachment the phone added, by its ClientId ([MS-ASAIRS] 2.2.2.14): the added
 * parts are the draft's last attachments, in the order the phone sent them.
 */
export function addedReferences(s: MailSummary, added: ClientAttachmentAdd[]): { clientId: string; fileReference: string }[] {
  if (added.length === 0 || s.attachments.length < added.length) return [];
  const parts = s.attachments.slice(s.attachments.length - added.length);
  return added.map((a, i) => ({ clientId: a.clientId, fileReference: fileReferenceOf(s.folderId, s.itemId, parts[i].partId) }));
}

const IMPORTANCE = { low: "0", normal: "1", high: "2" } as const;

/** The draft as it is now, merged with the phone's fields, as a new message. */
export async function editedDraft(
  store: MailStore,
  s: MailSummary,
  fields: Record<string, string>,
  edits: ClientAttachmentEdits = { add: [], remove: [] },
): Promise<Uint8Array> {
  const merged: Record<string, string> = {
    From: s.from,
    To: s.to,
    Cc: s.cc,
    Bcc: await draftBcc(store, s),
    Subject: s.subject,
    Importance: IMPORTANCE[s.importance],
  };
  if (!("Body.Data" in fields)) {
    const html = s.hasHtml ? await store.getBody(s.folderId, s.itemId, "html") : null;
    const body = html ?? (await store.getBody(s.folderId, s.itemId, "plain"));
    merged["Body.Type"] = html ? "2" : "1";
    merged["Body.Data"] = body?.data ?? "";
  }
  for (const [k, v] of Object.entries(fields)) if (EDITABLE.includes(k) || k === "Body.Type") merged[k] = v;
  const attachments: DraftAttachment[] = [];
  const removed = new Set(edits.remove);
  for (const a of s.attachments) {
    if (removed.has(fileReferenceOf(s.folderId, s.itemId, a.partId))) continue;
    const got = await store.getAttachment(s.folderId, s.itemId, a.partId);
    if (got)
      attachments.push({ filename: a.filename, contentType: a.contentType, data: got.data, contentId: a.contentId, inline: a.inline });
  }
  attachments.push(...edits.add.map(newAttachment));
  return draftMime(merged, s.from, attachments);
}

/** A draft's Bcc header (summaries leave Bcc out: only drafts keep one). */
export async function draftBcc(store: MailStore, s: MailSummary): Promise<string> {
  const raw = await store.getMime(s.folderId, s.itemId);
  return raw ? header(headerBlock(raw), "bcc") : "";
}

function headerBlock(raw: Uint8Array): string {
  const text = new TextDecoder().decode(raw.subarray(0, Math.min(raw.byteLength, 65536)));
  return (text.split(/\r?\n\r?\n/, 1)[0] ?? "").replace(/\r?\n[ \t]+/g, " ");
}

function header(head: string, name: string): string {
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, "im").exec(head);
  return m ? m[1].trim() : "";
}
