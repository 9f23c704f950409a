// What the mailbox object does with SendMail / SmartReply / SmartForward: refuse a ClientId already used
// (status 118), find the original for Smart*, build the outgoing message, check its size, write it to
// the outbox durably, save the Sent Items copy, and wake the alarm that delivers it.
import { FolderType, type MailStore, StoreNotFoundError } from "../store/types";
import { composeSmart } from "./compose";
import { ComposeStatus, DEFAULT_MAX_SEND_BYTES, type SubmitRequest, type SubmitResult } from "./contract";
import { defaultFolder } from "./delivery";
import { parseServerId } from "./ids";
import type { Outbox } from "./outbox";
import { ComposeError, flattenAddresses, parseMime, prepareOutgoing } from "./outgoing";
import { logError } from "../observability/log";

export { DEFAULT_MAX_SEND_BYTES };
export const DEFAULT_RECIPIENTS_PER_DAY = 1000;

export interface SubmitDeps {
  store: MailStore;
  outbox: Outbox;
  maxBytes: number;
  /** Send quota: recipients per rolling 24 hours (protects the relay's reputation from a stolen password). */
  recipientsPerDay: number;
  /** Makes the outbox alarm due now. */
  wake: () => Promise<void>;
  /** Tells the mailbox which folders changed (Sent Items, the replied-to message's folder). */
  changed: (folderIds: string[]) => Promise<void>;
}

export async function submitMessage(d: SubmitDeps, req: SubmitRequest): Promise<SubmitResult> {
  try {
    return await submit(d, req);
  } catch (e) {
    if (e instanceof ComposeError) return { ok: false, status: e.status, message: e.message };
    throw e;
  }
}

async function submit(d: SubmitDeps, req: SubmitRequest): Promise<SubmitResult> {
  if (req.clientId && d.outbox.wasSent(req.clientId)) {
    return { ok: false, status: ComposeStatus.MessagePreviouslySent, message: `ClientId ${req.clientId} was already sent` };
  }
  if (req.mime.byteLength > d.maxBytes) throw tooLarge(req.mime.byteLength, d.maxBytes);

  let raw = req.mime;
  let original: { folderId: string; itemId: string } | null = null;
  if (req.smart) {
    original = locate(req.smart);
    const originalMime = original ? await d.store.getMime(original.folderId, original.itemId).catch(notFoundAsNull) : null;
    if (!originalMime && !req.smart.replaceMime) {
      throw new ComposeError(ComposeStatus.ItemNotFound, "the message to reply to or forward does not exist");
    }
    if (!originalMime) original = null;
    // ReplaceMime: the device sent the whole message; nothing of the original is added (MS-ASCMD_R3775).
    if (originalMime && !req.smart.replaceMime) {
      // A forward carries the original whole: refuse before building something that cannot be sent anyway.
      const estimate = req.mime.byteLength + originalMime.byteLength;
      if (req.smart.kind === "forward" && estimate > d.maxBytes) throw tooLarge(estimate, d.maxBytes);
      raw = await composeSmart(req.smart.kind, req.mime, originalMime, req.user);
    }
  }
  const prepared = await prepareOutgoing(raw, { address: req.user });
  if (prepared.transmit.byteLength > d.maxBytes) throw tooLarge(prepared.transmit.byteLength, d.maxBytes);
  const sentToday = d.outbox.recipientsSince(Date.now() - 86_400_000);
  if (sentToday + prepared.recipients.length > d.recipientsPerDay) {
    // MS-ASCMD_R4842: 115 SendQuotaExceeded, "the request would exceed the send quota".
    throw new ComposeError(ComposeStatus.SendQuotaExceeded, `${sentToday} recipients in the last 24 h; the limit is ${d.recipientsPerDay}`);
  }

  const bcc = flattenAddresses((await parseMime(prepared.sentCopy)).bcc).map((a) => a.address);
  // Durable before the device hears "sent". With a Sent Items copy to save, the alarm holds off a little
  // so it does not save a second copy while this request is still saving the first.
  const outboxId = d.outbox.enqueue(
    { from: req.user, recipients: prepared.recipients, raw: prepared.transmit, bcc, saveSent: req.saveInSent, clientId: req.clientId },
    req.saveInSent ? Date.now() + 60_000 : Date.now(),
  );
  // From here on the message is accepted: nothing below may turn the answer into a failure.
  const touched: string[] = [];
  if (req.saveInSent) {
    try {
      const sent = await defaultFolder(d.store, FolderType.SentItems);
      if (sent) {
        await d.store.appendMessage(sent.id, prepared.sentCopy, { seen: true });
        d.outbox.markSentSaved(outboxId);
        touched.push(sent.id);
      }
    } catch (e) {
      logError("Sent Items copy deferred to the outbox alarm", e, {}, "warn");
    }
    d.outbox.makeDue(outboxId);
  }
  await d.wake();
  if (original && req.smart) {
    const flag = req.smart.kind === "reply" ? { answered: true } : { forwarded: true };
    await d.store.setFlags(original.folderId, original.itemId, flag).then(
      () => touched.push(original!.folderId),
      () => undefined,
    );
  }
  if (touched.length) await d.changed(touched);
  return { ok: true, outboxId };
}

function locate(s: NonNullable<SubmitRequest["smart"]>): { folderId: string; itemId: string } | null {
  // ItemId is the id "returned in the Sync command response" (MS-ASCMD_R3202): our ServerId "folder:item"; a bare item id still works.
  if (s.folderId && s.itemId) return { folderId: s.folderId, itemId: parseServerId(s.itemId)?.itemId ?? s.itemId };
  const m = s.longId ? /^([^:]+):(.+)$/.exec(s.longId) : null;
  return m ? { folderId: m[1]!, itemId: m[2]! } : null;
}

function notFoundAsNull(e: unknown): null {
  if (e instanceof StoreNotFoundError) return null;
  throw e;
}

function tooLarge(size: number, max: number): ComposeError {
  // [MS-ASCMD] 2.2.2: 122 AttachmentIsTooLarge is the one status about size; 115 is a quota over time.
  return new ComposeError(ComposeStatus.AttachmentIsTooLarge, `message of ${size} bytes exceeds the limit of ${max}`);
}
