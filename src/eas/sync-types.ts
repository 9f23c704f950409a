// Typed shapes passed between the EAS commands and the mailbox object over RPC (structured-cloneable:
// plain objects, strings, numbers, Uint8Array). Element trees appear only as data (other classes'
// ApplicationData); nothing here encodes or decodes WBXML. A Sync's items go back already encoded
// (SyncCollectionResult: sync-render.ts renders the engine's typed SyncOutcome in the mailbox object).
import type { WbxmlElement, WbxmlFragment } from "../wbxml/types";

/** [MS-ASAIRS] 2.2.2.12 BodyPreference. Type: 1 plain, 2 HTML, 3 RTF, 4 MIME. */
export interface BodyPreference {
  type: number;
  truncationSize?: number;
  allOrNone?: boolean;
  /** Characters of plain-text preview wanted (0–255), 14.0+. */
  preview?: number;
}

/** What the device wants in each item it receives (Sync Options, ItemOperations Fetch Options). */
export interface ItemOptions {
  bodyPreferences: BodyPreference[];
  /**
   * [MS-ASAIRS] 2.2.2.11 BodyPartPreference (14.1+, Type 2 only): the message part of each message wanted in
   * an airsyncbase:BodyPart ([MS-ASCON] 3.2.5.7). With it and no BodyPreference, no Body is sent (MS-ASCON_R247).
   */
  bodyPartPreference?: BodyPreference;
  /** [MS-ASCMD] 2.2.3.108: 0 never MIME, 1 MIME for S/MIME only, 2 MIME for all messages. */
  mimeSupport: number;
  /** [MS-ASCMD] 2.2.3.109 MIMETruncation code (0–8). */
  mimeTruncation?: number;
  /** Protocol version, e.g. "14.1": decides which elements may appear. */
  protocolVersion: string;
  /** The device asking, when known (PIM conversions follow per-client conventions, e.g. birthdays). */
  device?: DeviceContext;
}

/** Sync Options that persist per device and collection ([MS-ASAIRS] 2.2.2.12: "persisted by the server"). */
export interface SyncOptions {
  filterType: number;
  bodyPreferences: BodyPreference[];
  bodyPartPreference?: BodyPreference;
  mimeSupport: number;
  mimeTruncation?: number;
  /** [MS-ASCMD] 2.2.3.34: 0 client wins, 1 server wins (default). */
  conflict: number;
}

/** A change sent by the device: Read and Flag parsed for mail; `data` is the ApplicationData for other classes. */
export interface ClientMailChange {
  serverId: string;
  data?: WbxmlElement;
  /** The ApplicationData's simple children by name, Body as Body.Type / Body.Data (a draft's edits). */
  fields?: Record<string, string>;
  attachments?: ClientAttachmentEdits;
  /** 16.1 email2:Send ([MS-ASEMAIL] 2.2.2.69): the draft is sent after this Change and leaves Drafts. */
  send?: boolean;
  read?: boolean;
  /** true: flagged (Flag Status 2); false: cleared or complete; undefined: untouched. */
  flagged?: boolean;
  /** A value the server cannot convert (e.g. Read "yes"): answered with Status 6, nothing applied. */
  invalid?: boolean;
  /** 16.x calendar: airsyncbase:InstanceId of the one occurrence this Change (or Delete) is about. */
  instanceId?: string;
  /** A Delete with InstanceId: removes that occurrence from the series (an EXDATE), not the item. */
  deleteInstance?: boolean;
  /** Who sent it, for the PIM conversions (version rules, per-client quirks). */
  device?: DeviceContext;
  /** The Supported element names cached at SyncKey 0 ([MS-ASCMD] 2.2.3.179); absent = nothing ghosted. */
  supported?: string[];
}

export interface DeviceContext {
  deviceId: string;
  protocolVersion: string;
  deviceType: string;
  userAgent?: string;
}

/** An attachment a 16.x phone adds to its draft ([MS-ASAIRS] 2.2.2.2 Add). */
export interface ClientAttachmentAdd {
  clientId: string;
  displayName: string;
  contentType: string;
  /** 1 normal attachment; 5 an embedded message; 6 an OLE object ([MS-ASAIRS] 2.2.2.31). */
  method: number;
  content: Uint8Array;
  contentId?: string;
  isInline?: boolean;
}

/** Attachments added and deleted by the phone ([MS-ASAIRS] 2.2.2.8 in a Sync request, 16.0+). */
export interface ClientAttachmentEdits {
  add: ClientAttachmentAdd[];
  /** FileReferences of attachments the phone removed ([MS-ASAIRS] 2.2.2.21 Delete). */
  remove: string[];
}

/** A device Add (16.x drafts). Fields are the ApplicationData children by name. */
export interface ClientAdd {
  clientId: string;
  fields: Record<string, string>;
  attachments?: ClientAttachmentEdits;
  /** 16.x email2:Send on an Add: the new message is sent at once rather than kept as a draft. */
  send?: boolean;
  /** The ApplicationData as sent, for classes other than mail. */
  data?: WbxmlElement;
  device?: DeviceContext;
  /**
   * Set by the sync engine: the same on every repeat of this Add (device, collection, SyncKey series,
   * ClientId) and different for any other. A store whose write can succeed while its answer is lost (a bridged
   * CalDAV/CardDAV server) derives the new object's UID from it, so a repeat finds the first object.
   */
  addKey?: string;
}

export interface SyncCollectionRequest {
  /** Absent in a Partial request collection taken from the cache. */
  syncKey?: string;
  collectionId: string;
  getChanges?: boolean;
  windowSize?: number;
  deletesAsMoves?: boolean;
  /** Absent: the options cached from the device's previous Sync of this collection. */
  options?: SyncOptions;
  changes: ClientMailChange[];
  deletes: string[];
  adds: ClientAdd[];
  fetches: string[];
  /** Child element names of Supported (calendar and contacts ghosting), sent with SyncKey 0. */
  supported?: string[];
}

export interface SyncRequest {
  deviceId: string;
  deviceType?: string;
  userAgent?: string;
  /** The mailbox address (sender of drafts the device adds). */
  user?: string;
  protocolVersion: string;
  /** Empty body or a Sync element without Collections: reuse the cached request ([MS-ASCMD] 2.2.3.131). */
  empty: boolean;
  partial: boolean;
  collections: SyncCollectionRequest[];
  windowSize?: number;
  wait?: number;
  heartbeatInterval?: number;
}

/** Everything the device may get for one mail message (built in the mailbox, encoded by the command). */
export interface MailItemData {
  to: string;
  cc: string;
  from: string;
  replyTo: string;
  subject: string;
  /** ms since epoch. */
  dateReceived: number;
  displayTo: string;
  threadTopic: string;
  importance: number;
  read: boolean;
  flagged: boolean;
  messageClass: string;
  contentClass?: string;
  /** An invitation's Email MeetingRequest ([MS-ASEMAIL] 2.2.2.48), already in EAS form. */
  meetingRequest?: WbxmlElement;
  lastVerb?: number;
  body?: BodyData;
  nativeBodyType: number;
  attachments: AttachmentData[];
  /** A draft in Drafts (16.x, [MS-ASEMAIL] 2.2.2.41 IsDraft, 2.2.2.10 Bcc): sent as Email2 IsDraft/Bcc. */
  draft?: { bcc: string };
  /** [MS-ASEMAIL] 2.2.2.21 email2:ConversationId (14.0+, OPAQUE): the message's conversation. */
  conversationId?: Uint8Array;
  /** [MS-ASEMAIL] 2.2.2.22 email2:ConversationIndex (14.0+, OPAQUE). */
  conversationIndex?: Uint8Array;
  /** The message part asked for by BodyPartPreference ([MS-ASAIRS] 2.2.2.10 BodyPart, 14.1+). */
  bodyPart?: BodyPartData;
}

/** [MS-ASAIRS] 2.2.2.10 BodyPart: Status 1 (or 176), Type 2 (HTML), the part's size, and its data unless cut off. */
export interface BodyPartData {
  status: number;
  type: number;
  estimatedDataSize: number;
  truncated: boolean;
  data?: string;
  preview?: string;
}

export interface BodyData {
  type: number;
  estimatedDataSize: number;
  truncated: boolean;
  /** Absent with AllOrNone when the body did not fit. Bytes: MIME that is not valid UTF-8 (sent OPAQUE). */
  data?: string | Uint8Array;
  preview?: string;
}

export interface AttachmentData {
  fileReference: string;
  displayName: string;
  /** [MS-ASAIRS] 2.2.2.31.2 Method: 1 normal attachment, 5 embedded message (message/rfc822). */
  method: 1 | 5;
  estimatedDataSize: number;
  contentId?: string;
  isInline: boolean;
}

/** A change pushed to the device for an item it already has: only what mail lets change. */
export interface MailChangeData {
  read: boolean;
  flagged: boolean;
  lastVerb?: number;
  /** A draft: the whole item, since the phone that owns it may have edited any field (16.x drafts). */
  item?: MailItemData;
}

/**
 * An item as the device gets it: mail as typed data (encoded by email-props), other classes as their
 * ApplicationData children already in EAS form (plain element trees, structured-cloneable).
 */
export type ItemPayload = { mail: MailItemData } | { data: WbxmlElement[] };
export type ChangePayload = { mail: MailChangeData } | { data: WbxmlElement[] };

export type ServerCommand =
  | { op: "Add"; serverId: string; item: ItemPayload }
  | { op: "Change"; serverId: string; change: ChangePayload }
  | { op: "Delete"; serverId: string }
  | { op: "SoftDelete"; serverId: string };

export interface SyncResponses {
  /**
   * `attachments`: the FileReference of each attachment the Add carried, by its ClientId ([MS-ASAIRS] 2.2.2.14).
   * `conversationId`: a draft's email2:ConversationId, which a 16.x Add response carries ([MS-ASEMAIL] 2.2.2.21,
   * MS-ASEMAIL_R1184 / R11850).
   */
  adds: {
    clientId: string;
    serverId?: string;
    status: number;
    attachments?: { clientId: string; fileReference: string }[];
    conversationId?: Uint8Array;
  }[];
  changes: { serverId: string; status: number }[];
  deletes: { serverId: string; status: number }[];
  fetches: { serverId: string; status: number; item?: ItemPayload }[];
}

/** One collection's answer as the sync engine makes it, typed; sync-render.ts renders it for the device. */
export interface SyncCollectionOutcome {
  collectionId: string;
  syncKey: string;
  status: number;
  responses: SyncResponses;
  commands: ServerCommand[];
  moreAvailable: boolean;
}

/** The sync engine's answer to a Sync, typed (what `SyncResult` is rendered from). */
export interface SyncOutcome {
  /** 1 unless the whole request failed (4 protocol error, 13 nothing cached for an empty request). */
  status: number;
  /** Collections with something to say; none + status 1 = the empty "no changes" response. */
  collections: SyncCollectionOutcome[];
  /** Every collection the request covered (after filling an empty/Partial one): what a hanging Sync watches. */
  collectionIds: string[];
  /** The Wait/HeartbeatInterval in force, in seconds (given or cached), for a hanging Sync. */
  waitSeconds?: number;
}

/**
 * One collection's answer as the mailbox object sends it (issue 15): the shell typed, the content of its
 * Responses and Commands elements already encoded for the request's protocol version (sync-render.ts), each a
 * WBXML fragment made to stand inside an AirSync element. The front door builds the shell around them and its
 * encoder copies them in: no element tree of the page is built, cloned across the RPC or walked in the Worker.
 */
export interface SyncCollectionResult {
  collectionId: string;
  syncKey: string;
  status: number;
  /** The Add/Change/Delete/Fetch answers to the device's own commands; absent when there are none. */
  responses?: WbxmlFragment;
  /** The server's Add/Change/Delete/SoftDelete commands; absent when there are none. */
  commands?: WbxmlFragment;
  moreAvailable: boolean;
}

/** What the mailbox object answers a Sync with: `SyncOutcome`, each collection rendered. */
export interface SyncResult {
  status: number;
  collections: SyncCollectionResult[];
  collectionIds: string[];
  waitSeconds?: number;
}

/** [MS-ASCMD] 2.2.3.199: default 100; 0 or more than 512 means 512. */
export function effectiveWindowSize(n: number | undefined): number {
  if (n === undefined) return 100;
  if (!Number.isFinite(n) || n <= 0 || n > 512) return 512;
  return Math.trunc(n);
}

export const SyncStatus = {
  Success: 1,
  InvalidSyncKey: 3,
  ProtocolError: 4,
  ServerError: 5,
  ConversionError: 6,
  Conflict: 7,
  NotFound: 8,
  HierarchyChanged: 12,
  Incomplete: 13,
  InvalidWait: 14,
  Retry: 16,
} as const;
