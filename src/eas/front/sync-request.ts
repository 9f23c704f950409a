// Sync request ([MS-ASCMD] 2.2.1.21, 6.45): decoded WBXML → typed SyncRequest. Bad shape → SyncParseError
// carrying the Sync Status (4 protocol error).
import { bytes, child, childrenNamed, childText, elements, text, type WbxmlElement } from "../../wbxml";
import type { EasRequest } from "./command";
import { parseOptions } from "./options";
import type { ClientAdd, ClientAttachmentEdits, ClientMailChange, DeviceContext, SyncCollectionRequest, SyncRequest } from "../sync-types";
import { SyncStatus } from "../sync-types";

/** [MS-ASCMD] 2.2.2 common status 164 BodyPartPreferenceTypeNotSupported. */
const BODY_PART_TYPE_NOT_SUPPORTED = 164;

export class SyncParseError extends Error {
  constructor(readonly status: number) {
    super(`Sync status ${status}`);
  }
}

const INT = /^[0-9]{1,9}$/;

function intOf(e: WbxmlElement | undefined): number | undefined {
  if (!e) return undefined;
  const t = (text(e) ?? "").trim();
  if (!INT.test(t)) throw new SyncParseError(SyncStatus.ProtocolError);
  return Number(t);
}

/** A boolean element: empty or "1" is true ([MS-ASCMD] 2.2.3.84 GetChanges, 2.2.3.43 DeletesAsMoves). */
function boolOf(e: WbxmlElement | undefined): boolean | undefined {
  if (!e) return undefined;
  const t = (text(e) ?? "").trim();
  if (t === "" || t === "1") return true;
  if (t === "0") return false;
  throw new SyncParseError(SyncStatus.ProtocolError);
}

/** ApplicationData children by name; Body as Body.Type / Body.Data (drafts, [MS-ASEMAIL] 2.2.2). */
function fieldsOf(data: WbxmlElement | undefined): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const f of data ? elements(data) : []) {
    if (f.name === "Body") {
      fields["Body.Type"] = childText(f, "Type") ?? "1";
      fields["Body.Data"] = childText(f, "Data") ?? "";
    } else if (elements(f).length === 0) fields[f.name] = text(f) ?? "";
  }
  return fields;
}

/** At most this many attachments added or deleted per item in one request. */
const MAX_ATTACHMENT_EDITS = 50;

/** AirSyncBase Attachments Add/Delete of a draft ([MS-ASAIRS] 2.2.2.2, 2.2.2.21); none: undefined. */
function attachmentEditsOf(data: WbxmlElement | undefined): ClientAttachmentEdits | undefined {
  const atts = child(data, "Attachments", "AirSyncBase");
  if (!atts) return undefined;
  const adds = childrenNamed(atts, "Add");
  const deletes = childrenNamed(atts, "Delete");
  if (adds.length + deletes.length === 0) return undefined;
  if (adds.length + deletes.length > MAX_ATTACHMENT_EDITS) throw new SyncParseError(SyncStatus.ProtocolError);
  const add = adds.map((a) => {
    const clientId = childText(a, "ClientId")?.trim();
    const content = bytes(child(a, "Content"));
    if (!clientId || !content) throw new SyncParseError(SyncStatus.ProtocolError);
    const method = Number(childText(a, "Method") ?? "1");
    return {
      clientId,
      displayName: childText(a, "DisplayName")?.trim() || "attachment",
      contentType: childText(a, "ContentType")?.trim() || "application/octet-stream",
      method: Number.isInteger(method) ? method : 1,
      content,
      contentId: childText(a, "ContentId")?.trim() || undefined,
      isInline: child(a, "IsInline") ? (text(child(a, "IsInline")) ?? "").trim() !== "0" : undefined,
    };
  });
  const remove = deletes.map((d) => {
    const ref = childText(d, "FileReference")?.trim();
    if (!ref) throw new SyncParseError(SyncStatus.ProtocolError);
    return ref;
  });
  return { add, remove };
}

function parseChange(c: WbxmlElement, device: DeviceContext): ClientMailChange {
  const serverId = childText(c, "ServerId");
  if (!serverId) throw new SyncParseError(SyncStatus.ProtocolError);
  const data = child(c, "ApplicationData");
  const change: ClientMailChange = { serverId, data, device, fields: fieldsOf(data) };
  const attachments = attachmentEditsOf(data);
  if (attachments) change.attachments = attachments;
  // email2:Send is a child of Change ([MS-ASCMD] 2.2.3.24); some clients put it in ApplicationData.
  if (child(c, "Send", "Email2") || child(data, "Send", "Email2")) change.send = true;
  // 16.x: one occurrence of a recurring event ([MS-ASCAL] 2.2.2.22, MS-ASCAL_R2113).
  const instanceId = childText(c, "InstanceId", "AirSyncBase")?.trim();
  if (instanceId) change.instanceId = instanceId;
  // [MS-ASEMAIL] 2.2.2.21 (MS-ASEMAIL_R347): the client never sets a ConversationId; a Change carrying one is
  // Status 6 for that item (the ConversationIndex likewise, MS-ASCON_R94).
  if (child(data, "ConversationId", "Email2") || child(data, "ConversationIndex", "Email2")) change.invalid = true;
  const read = childText(data, "Read", "Email")?.trim();
  // [MS-ASEMAIL] 2.2.2.58 (R643): a non-boolean Read is Status 6 for that item.
  if (read !== undefined && read !== "0" && read !== "1") change.invalid = true;
  else if (read !== undefined) change.read = read === "1";
  const flag = child(data, "Flag", "Email");
  const flagStatus = flag && childText(flag, "Status", "Email")?.trim();
  // [MS-ASEMAIL] 2.2.2.77 (R757): a flag Status other than 0, 1 or 2 is Status 6 for that item.
  if (flagStatus !== undefined && !["0", "1", "2"].includes(flagStatus)) change.invalid = true;
  else if (flag) change.flagged = flagStatus === "2";
  return change;
}

function parseAdd(a: WbxmlElement, device: DeviceContext): ClientAdd {
  const clientId = childText(a, "ClientId");
  if (!clientId) throw new SyncParseError(SyncStatus.ProtocolError);
  const data = child(a, "ApplicationData");
  const attachments = attachmentEditsOf(data);
  // email2:Send may be a child of Add too ([MS-ASEMAIL] 2.2.2.69, MS-ASEMAIL_R1386): sent at once.
  const send = child(a, "Send", "Email2") || child(data, "Send", "Email2") ? { send: true } : {};
  return { clientId, fields: fieldsOf(data), data, device, ...(attachments ? { attachments } : {}), ...send };
}

/** Collections in one Sync request (issue 13 §4); Exchange caps the operations at 200, we cap these too. */
export const MAX_SYNC_COLLECTIONS = 1000;

function parseCollection(c: WbxmlElement, partial: boolean, device: DeviceContext): SyncCollectionRequest {
  const collectionId = childText(c, "CollectionId");
  const syncKey = childText(c, "SyncKey");
  if (!collectionId || (!partial && !syncKey)) throw new SyncParseError(SyncStatus.ProtocolError);
  const commands = child(c, "Commands");
  // One Options per class; a mail folder may also carry SMS Options, which this server does not sync.
  const optionsEls = childrenNamed(c, "Options").filter((o) => childText(o, "Class") !== "SMS");
  const deletes = childrenNamed(commands, "Delete");
  const supported = child(c, "Supported");
  const req: SyncCollectionRequest = {
    syncKey: syncKey || undefined,
    collectionId,
    getChanges: boolOf(child(c, "GetChanges")),
    windowSize: intOf(child(c, "WindowSize")),
    deletesAsMoves: boolOf(child(c, "DeletesAsMoves")),
    options:
      optionsEls.length > 0
        ? parseOptions(
            optionsEls[0],
            () => new SyncParseError(SyncStatus.ProtocolError),
            device.protocolVersion,
            // [MS-ASCMD] 2.2.2 status 164: a BodyPartPreference Type other than 2 (MS-ASCMD_R5412).
            () => new SyncParseError(BODY_PART_TYPE_NOT_SUPPORTED),
          )
        : undefined,
    changes: [
      ...childrenNamed(commands, "Change").map((x) => parseChange(x, device)),
      // 16.x: a Delete with InstanceId removes one occurrence; the series item itself changes.
      ...deletes
        .filter((d) => childText(d, "InstanceId", "AirSyncBase")?.trim())
        .map((d) => ({ ...parseChange(d, device), deleteInstance: true })),
    ],
    deletes: deletes
      .filter((d) => !childText(d, "InstanceId", "AirSyncBase")?.trim())
      .map((d) => {
        const id = childText(d, "ServerId");
        if (!id) throw new SyncParseError(SyncStatus.ProtocolError);
        return id;
      }),
    adds: childrenNamed(commands, "Add").map((x) => parseAdd(x, device)),
    fetches: childrenNamed(commands, "Fetch").map((f) => {
      const id = childText(f, "ServerId");
      if (!id) throw new SyncParseError(SyncStatus.ProtocolError);
      return id;
    }),
  };
  if (supported) req.supported = elements(supported).map((e) => e.name);
  return req;
}

/** Typed Sync request from the decoded body; `null` body = the empty Sync request. */
export function parseSyncRequest(req: EasRequest): SyncRequest {
  const base = {
    deviceId: req.deviceId,
    deviceType: req.deviceType,
    userAgent: req.userAgent,
    user: req.user,
    protocolVersion: req.protocolVersion,
  };
  const body = req.body;
  if (!body) return { ...base, empty: true, partial: false, collections: [] };
  if (body.ns !== "AirSync" || body.name !== "Sync") throw new SyncParseError(SyncStatus.ProtocolError);
  const partial = child(body, "Partial") !== undefined;
  const collectionsEl = child(body, "Collections");
  const device: DeviceContext = {
    deviceId: req.deviceId,
    protocolVersion: req.protocolVersion,
    deviceType: req.deviceType,
    userAgent: req.userAgent,
  };
  // A Sync names each collection once; more than MAX_SYNC_COLLECTIONS is not a phone (Status 4, before any work).
  const collectionEls = childrenNamed(collectionsEl, "Collection");
  if (collectionEls.length > MAX_SYNC_COLLECTIONS) throw new SyncParseError(SyncStatus.ProtocolError);
  const collections = collectionEls.map((c) => parseCollection(c, partial, device));
  // Wait/HeartbeatInterval were checked by parseSyncWait (Status 4 together, Status 14 + Limit out of range).
  const wait = intOf(child(body, "Wait"));
  const heartbeatInterval = intOf(child(body, "HeartbeatInterval"));
  // Exchange caps Add+Change+Delete+Fetch at 200 per request ([MS-ASCMD] 3.1.5.10): Status 4 beyond.
  const ops = collections.reduce((n, c) => n + c.adds.length + c.changes.length + c.deletes.length + c.fetches.length, 0);
  if (ops > 200) throw new SyncParseError(SyncStatus.ProtocolError);
  return {
    ...base,
    empty: !collectionsEl && !partial,
    partial,
    collections,
    windowSize: intOf(child(body, "WindowSize")),
    wait,
    heartbeatInterval,
  };
}
