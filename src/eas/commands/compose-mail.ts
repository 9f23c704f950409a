// The shared request handling of SendMail, SmartReply and SmartForward ([MS-ASCMD] 2.2.1.17, .19, .20).
// 12.x: parameters in the query (SaveInSent, ItemId, CollectionId, LongId, Occurrence), the message as
// a message/rfc822 body. 14.0+: a ComposeMail WBXML body (ClientId, AccountId, SaveInSentItems, Source,
// ReplaceMime, Mime). Success is an empty 200 in every version (MS-ASCMD_R463, R568, R605); a failure is a
// ComposeMail Status in 14.0+ and an HTTP status in 12.x (MS-ASCMD_R7461).
import { isTransientFailure } from "../front/transient";
import { bytes, child, childText, el } from "../../wbxml";
import type { SubmitRequest, SubmitResult } from "../../mailbox/contract";
import type { EasRequest, EasResponse } from "../front/command";
import { logError } from "../../observability/log";
import { atLeast } from "../protocol-version";

export type ComposeCommand = "SendMail" | "SmartReply" | "SmartForward";

const NS = "ComposeMail";

/** [MS-ASCMD] 2.2.2: status → HTTP for protocol versions before 14.0, where Status does not exist. */
const HTTP_FOR_12X: Record<number, number> = {
  101: 400, // InvalidContent (MS-ASCMD_R7545)
  103: 400, // InvalidXML (MS-ASCMD_R7547)
  104: 400, // InvalidDateTime
  106: 500, // InvalidIDs: "HTTP 500 for the SendMail command" (MS-ASCMD_R7549)
  107: 400, // InvalidMIME
  110: 500, // ServerError (MS-ASCMD_R7550)
  111: 503, // ServerErrorRetryLater (MS-ASCMD_R7551)
  115: 403, // SendQuotaExceeded: refused, not a server failure
  116: 400,
  119: 400,
  122: 413, // too large: a client error, never a 5xx
  150: 500, // like InvalidIDs for SendMail-family commands
};

export function isLegacy(version: string): boolean {
  return !atLeast(version, "14.0");
}

export async function handleCompose(cmd: ComposeCommand, req: EasRequest): Promise<EasResponse> {
  const parsed = parseRequest(cmd, req);
  if ("status" in parsed) return failure(cmd, req, parsed.status);
  let result: SubmitResult;
  try {
    result = await req.mailbox.submitMail(parsed);
  } catch (e) {
    // The object reset or the backend down: nothing or all of the submission was stored (one transaction), so
    // the phone is told to send it again (the same ClientId then gets 118 if it was stored).
    if (isTransientFailure(e)) return failure(cmd, req, 111); // ServerErrorRetryLater (MS-ASCMD_R7551)
    logError(`${cmd}: submission`, e);
    return failure(cmd, req, 120); // MailSubmissionFailed: the device keeps the message and may retry
  }
  return result.ok ? { kind: "empty" } : failure(cmd, req, result.status);
}

function failure(cmd: ComposeCommand, req: EasRequest, status: number): EasResponse {
  if (isLegacy(req.protocolVersion)) return { kind: "http", status: HTTP_FOR_12X[status] ?? 500 };
  return { kind: "wbxml", body: el(NS, cmd, el(NS, "Status", status)) };
}

/** The typed submission, or the status to answer with when the request itself is wrong. */
export function parseRequest(cmd: ComposeCommand, req: EasRequest): SubmitRequest | { status: number } {
  const kind = cmd === "SmartReply" ? "reply" : cmd === "SmartForward" ? "forward" : null;
  const root = req.body;
  // Some 14.x clients still post the 12.x form (message/rfc822 body, parameters in the query): accept it.
  const legacyForm = !root && req.rawBody.byteLength > 0 && !/wbxml/i.test(req.contentType);
  if (isLegacy(req.protocolVersion) || legacyForm) {
    // MS-ASCMD_R4813: SendMail in 12.1 with a WBXML body is InvalidContent.
    if (root || /wbxml/i.test(req.contentType)) return { status: 101 };
    if (!req.rawBody.byteLength) return { status: 107 };
    const p = req.params;
    const out: SubmitRequest = { user: req.user, mime: req.rawBody, saveInSent: /^t/i.test(p.SaveInSent ?? "") };
    if (kind) {
      if (!(p.ItemId && p.CollectionId) && !p.LongId) return { status: 103 };
      out.smart = { kind, folderId: p.CollectionId, itemId: p.ItemId, longId: p.LongId, instanceId: p.Occurrence, replaceMime: false };
    }
    return out;
  }
  if (!root || root.ns !== NS || root.name !== cmd) return { status: root ? 103 : 101 };
  const mime = bytes(child(root, "Mime", NS));
  if (!mime?.byteLength) return { status: 103 };
  const clientId = childText(root, "ClientId", NS);
  // [MS-ASCMD] 2.2.3.28.1 asks clients for at most 40 characters; longer ones are accepted, within reason.
  if (!clientId || clientId.length > 256) return { status: 103 };
  const accountId = childText(root, "AccountId", NS);
  // Only the primary account exists; it has no AccountId (MS-ASCMD_R729). 166 = AccountIdInvalid.
  if (accountId && accountId.toLowerCase() !== req.user.toLowerCase()) return { status: 166 };
  const out: SubmitRequest = { user: req.user, mime, clientId, saveInSent: !!child(root, "SaveInSentItems", NS) };
  if (kind) {
    const source = child(root, "Source", NS);
    if (!source) return { status: 103 };
    const folderId = childText(source, "FolderId", NS);
    const itemId = childText(source, "ItemId", NS);
    const longId = childText(source, "LongId", NS);
    if (!(folderId && itemId) && !longId) return { status: 103 };
    const instanceId = childText(source, "InstanceId", NS);
    // An occurrence of a recurring meeting, as a date-time (MS-ASCMD_R541, R578: unparsable → 104). Mail has
    // no occurrences, so a valid one still forwards or answers the whole item (MS-ASCMD_R539, R576).
    if (instanceId !== undefined && Number.isNaN(Date.parse(instanceId))) return { status: 104 };
    out.smart = { kind, folderId, itemId, longId, instanceId, replaceMime: !!child(root, "ReplaceMime", NS) };
  }
  return out;
}
