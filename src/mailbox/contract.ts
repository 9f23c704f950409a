// The mailbox object's public face: every type and constant the Worker side (http/, eas/, service/, admin/) needs
// to call the mailbox Durable Object over RPC or to read what it returns. Other rooms import this file only, never
// the object's internals (the boundary check in `npm test` enforces it, see ARCHITECTURE.md). The definitions live
// here; the object's own files import them from here too.
import { z } from "zod";
import type { Policy } from "../eas/policy";
import { atLeast } from "../eas/protocol-version";
import type { ItemOptions, MailItemData } from "../eas/sync-types";
import type { TlsMode } from "../store/imap";
import type { WbxmlElement } from "../wbxml/types";

/**
 * The mailbox object's class as the Worker's binding declares it (`Env["MAILBOX"]`, worker-configuration.d.ts): the
 * type behind `DurableObjectStub<Mailbox>`. Read from the binding rather than re-exported from ./mailbox so that
 * the object's own files can import this contract without an import cycle (contract → mailbox → … → contract).
 */
export type Mailbox = Env["MAILBOX"] extends DurableObjectNamespace<infer M> ? M : never;

// ---- Waiting requests (Ping, hanging Sync): the Worker ⇄ object WebSocket protocol (mailbox/waits.ts) ----

/** What the object tells the waiting Worker (one message, then the object closes the socket). */
export type WaitMessage = (
  | { t: "changes"; folders: string[] }
  | { t: "hierarchy" }
  | { t: "superseded" }
  | { t: "ended"; reason: string }
) & {
  /** When the object answered (ms since epoch): the Worker measures push wake latency from it. */
  at?: number;
};

export type WaitKind = "ping" | "sync";

export interface WaitRequest {
  deviceId: string;
  kind: WaitKind;
  folders: string[];
}

export const WAIT_HEADER = "X-Mobile-Sync-Wait";

// ---- Ping parameters (mailbox/ping-params.ts) ----

export interface PingFolder {
  id: string;
  class: string;
}

export interface PingBounds {
  minHeartbeat: number;
  maxHeartbeat: number;
  maxFolders: number;
}

/** What the device sent; absent fields come from the cache. */
export interface PingInput {
  heartbeat?: number;
  folders?: PingFolder[];
}

// ---- Devices: partnership, provisioning, access rules (mailbox/devices.ts, mailbox/device-access.ts) ----

export type AccessState = "allowed" | "blocked" | "quarantined";
export type RuleKind = "device-id" | "device-model" | "device-type" | "user-agent";

export interface AccessRule {
  id: string;
  kind: RuleKind;
  /** Exact DeviceId / DeviceType (case-insensitive), or a model / user-agent pattern where `*` matches anything. */
  pattern: string;
  access: AccessState;
  note?: string | null;
  createdAt: number;
}

/** Service-wide rules and default, applied after the mailbox's own rules. */
export interface GlobalAccess {
  rules: AccessRule[];
  defaultAccess?: AccessState;
}

/** [MS-ASCMD] 2.2.3.45 DeviceInformation / Settings Set fields. */
export interface DeviceInformation {
  model?: string;
  imei?: string;
  friendlyName?: string;
  os?: string;
  osLanguage?: string;
  phoneNumber?: string;
  userAgent?: string;
  enableOutboundSms?: boolean;
  mobileOperator?: string;
}

export type WipeState = "none" | "pending" | "account-only-pending" | "acknowledged" | "account-only-acknowledged";
export type PolicyState = "none" | "pending" | "provisioned" | "refused";

export interface DeviceRecord extends DeviceInformation {
  deviceId: string;
  deviceType: string;
  protocolVersion: string;
  firstSeen: number;
  lastSeen: number;
  policyState: PolicyState;
  policyKey: string | null;
  policyVersion: number | null;
  policyAckStatus: number | null;
  policyAckedAt: number | null;
  wipeState: WipeState;
  wipeRequestedAt: number | null;
  wipeSentAt: number | null;
  wipeAckedAt: number | null;
  wipeAckStatus: number | null;
  access: AccessState;
  accessBy: string;
  devicePasswordSetAt: number | null;
  deviceInformationAt: number | null;
}

/** What the gates need, returned by the per-request touch (one RPC, one row). */
export interface DeviceGateState {
  access: AccessState;
  accessBy: string;
  /** A wipe directive is due (pending, or acknowledged: Exchange keeps wiping until the partnership is removed). */
  wipe: "none" | "full" | "account-only";
  /** A wipe not yet acknowledged (the device record's wipeState "pending" / "account-only-pending"). */
  wipePending: "none" | "full" | "account-only";
  policyEnforced: boolean;
  policyKey: string | null;
  policyCurrent: boolean;
  /** Set once, the first time the device is quarantined: the mailbox then tells its user. */
  quarantineNotice?: true;
  /** Set while an admin traces this device (or its whole mailbox): the front door stores the exchange. */
  trace?: TraceDirective;
  /**
   * The mailbox's subscription state (null: no order yet, not gated), read in the same RPC so that the
   * subscription gate costs the request no round trip of its own (issue 15: one RPC fewer per request).
   */
  subscription?: MailboxSubscriptionState | null;
}

/** What the front door knows about a device on every request (the touch records it). */
export interface DeviceSeen {
  deviceId: string;
  deviceType: string;
  userAgent?: string;
  protocolVersion: string;
}

// ---- The device gates' decisions (issue 13 §5), shared by the front door (src/http/*-gate.ts), which answers
// them, and the mailbox object's gated RPCs (`gatedSync`), which run the command only when they all pass: one
// definition, so the object never runs what the front door would refuse (issue 15: one round trip, not two). ----

/** The request facts the gates read besides the touch's state. */
export interface GateRequest {
  cmd: string;
  protocolVersion: string;
  policyKey?: string;
}

/** The per-request touch and the gates' facts, for an RPC that runs the device gates itself (`gatedSync`). */
export interface GatedCall {
  seen: DeviceSeen;
  /** The service-wide access rules (src/service/global-device-rules.ts), as the touch takes them. */
  global?: GlobalAccess;
  request: GateRequest;
}

/** A wipe directive is due for this request (an account-only wipe waits for a 16.1 request, MS-ASPROV_R6906). */
export function wipeDue(s: Pick<DeviceGateState, "wipe">, protocolVersion: string): boolean {
  return s.wipe === "full" || (s.wipe === "account-only" && atLeast(protocolVersion, "16.1"));
}

/**
 * The subscription gate refuses: the service is off (suspended, expired, ended, unpaid) and no wipe is pending
 * for this request. A pending wipe passes even then (a suspended customer's lost phone must still be wiped); once
 * acknowledged, refused again. No order yet (null) is not gated.
 */
export function subscriptionStops(s: Pick<DeviceGateState, "subscription" | "wipePending">, r: GateRequest): boolean {
  if (!s.subscription || servesDevices(s.subscription.status)) return false;
  const pending = s.wipePending === "full" || (s.wipePending === "account-only" && atLeast(r.protocolVersion, "16.1"));
  return !pending;
}

/**
 * The device access gate refuses a blocked or quarantined device; a quarantined one may still Provision and send
 * Settings (so the admin sees what it is), and a device with a wipe due passes to get it.
 */
export function accessStops(s: Pick<DeviceGateState, "access" | "wipe">, r: GateRequest): boolean {
  if (s.access === "allowed" || wipeDue(s, r.protocolVersion)) return false;
  return !(s.access === "quarantined" && (r.cmd === "Provision" || r.cmd === "Settings"));
}

/**
 * The provision gate's status ([MS-ASPROV] 3.2.5.1), null to pass: 140 RemoteWipeRequested, 142 DeviceNotProvisioned
 * (no key, or "0"), 144 InvalidPolicyKey (not the key issued), 143 PolicyRefresh (policy edited since). Provision
 * itself always passes.
 */
export function provisionStatus(
  s: Pick<DeviceGateState, "wipe" | "policyEnforced" | "policyKey" | "policyCurrent">,
  r: GateRequest,
): 140 | 142 | 143 | 144 | null {
  if (r.cmd === "Provision") return null;
  if (wipeDue(s, r.protocolVersion)) return 140;
  if (!s.policyEnforced) return null;
  // A key of "0" means "not provisioned" (sent by many clients before their first Provision).
  if (!r.policyKey || r.policyKey === "0") return 142;
  if (r.policyKey !== s.policyKey) return 144;
  if (!s.policyCurrent) return 143;
  return null;
}

/** Every device gate passes (subscription, then access, then provisioning): the command may run. */
export function deviceGatesPass(s: DeviceGateState, r: GateRequest): boolean {
  return !subscriptionStops(s, r) && !accessStops(s, r) && provisionStatus(s, r) === null;
}

/** What `gatedSync` answers: the touch's state, and the sync's result when the gates passed (null: refused). */
export interface GatedResult<T> {
  gate: DeviceGateState;
  result: T | null;
}

export interface ProvisionInput {
  protocolVersion: string;
  deviceInformation?: DeviceInformation;
  /** Initial request: policyType only. Acknowledgement: policyKey (the temporary key) and status. */
  policy?: { policyType: string; policyKey?: string; status?: number };
  wipeAck?: { accountOnly: boolean; status: number };
}

export type ProvisionOutcome =
  | { kind: "wipe"; accountOnly: boolean; status: 1 | 2 }
  | { kind: "policy"; phase: "initial"; policyKey: string; policy: Policy }
  | { kind: "policy"; phase: "ack"; policyKey: string }
  | { kind: "policy-error"; policyStatus: 3 | 5 }
  /** Common status 139 (device could not apply everything) or 145 (externally managed), [MS-ASPROV] 3.1.5.2. */
  | { kind: "refused"; status: 139 | 145 }
  | { kind: "status-only" };

// ---- GetItemEstimate, ItemOperations Fetch, MoveItems (mailbox/item-ops.ts) ----

export interface EstimateRequest {
  collectionId: string;
  syncKey: string;
  /** FilterType given in the request; otherwise the one cached by Sync. */
  filterType?: number;
}

export interface EstimateResult {
  collectionId: string;
  /** [MS-ASCMD] 2.2.3.177.7: 1 ok, 2 unknown collection, 3 not primed, 4 invalid key. */
  status: number;
  estimate?: number;
}

export type FetchRequest =
  /** By CollectionId + ServerId, or by a Search result's LongId alone (`longId` set, the other two derived from it). */
  | { kind: "item"; collectionId: string; serverId: string; longId?: string; options: ItemOptions }
  | {
      kind: "attachment";
      fileReference: string;
      range?: { start: number; end: number };
    };

export type FetchResult =
  | {
      kind: "item";
      status: number;
      collectionId: string;
      serverId: string;
      /** Echoed when the request named the item by LongId. */
      longId?: string;
      item?: MailItemData;
      itemClass?: string;
      data?: WbxmlElement[];
    }
  | {
      kind: "attachment";
      status: number;
      fileReference: string;
      contentType?: string;
      total?: number;
      range?: { start: number; end: number };
      data?: Uint8Array;
      /**
       * In place of `data` for a large attachment or range (issue 15: never held in memory): exactly `range`'s
       * bytes, or without a range the whole attachment (`total` bytes). `streamedLength` gives that count.
       */
      body?: ReadableStream<Uint8Array>;
    };

/** The bytes a streamed attachment result's `body` yields. */
export function streamedLength(r: { total?: number; range?: { start: number; end: number } }): number {
  return r.range ? r.range.end - r.range.start + 1 : (r.total ?? 0);
}

// ---- Search Store=Mailbox (mailbox/search.ts) ----

/** [MS-ASCMD] 2.2.3.177.13 Status of a Search Store. */
export const SearchStoreStatus = {
  Success: 1,
  InvalidRequest: 2,
  ServerError: 3,
  /** The requested range went past what the server returns (at most 100 results, MS-ASCMD_R3733, R3736). */
  EndOfRetrievableRange: 12,
} as const;

/** MS-ASCMD_R3733: a mailbox search returns at most 100 results (default Range 0-99). */
export const MAX_SEARCH_RESULTS = 100;

export interface MailboxSearchRequest {
  /** airsync:CollectionId conditions; empty = every mail folder. */
  collectionIds: string[];
  /** DeepTraversal: the subfolders of each collection too (MS-ASCMD_R2031); without it they are not searched (R2146). */
  deepTraversal: boolean;
  /** airsync:Class conditions; empty = every class served (MS-ASCMD_R922). */
  classes: string[];
  /** FreeText, as the phone typed it. */
  freeText?: string;
  /** GreaterThan / LessThan on email:DateReceived, ms since epoch (MS-ASCMD_R3140). */
  receivedAfter?: number;
  receivedBefore?: number;
  /** Range m-n as requested (defaults 0-99). */
  range: { start: number; end: number };
  /** search:ConversationId (14.0+): only this conversation's messages, from every mail folder in scope (MS-ASCON_R220). */
  conversationId?: string;
  options: ItemOptions;
}

export interface MailboxSearchHit {
  collectionId: string;
  /** The item's ServerId form "folderId:itemId": ItemOperations Fetch, SmartReply and SmartForward take it. */
  longId: string;
  item: MailItemData;
}

export interface MailboxSearchResult {
  status: number;
  total: number;
  hits: MailboxSearchHit[];
  /** The range actually returned (absent when nothing is). */
  range?: { start: number; end: number };
}

// ---- The domain's address book (GAL) ----

/**
 * One person or address of the caller's domain ([MS-ASCMD] 2.2.4 GAL namespace). Here because two rooms share it:
 * service/gal.ts reads entries from D1, and the commands (through eas/front/gal.ts's GalProvider, which the
 * front door binds to a service/gal.ts directory) render them; both may import this file, not each other.
 */
export interface GalEntry {
  /** The primary address (gal:EmailAddress). */
  address: string;
  displayName: string;
  firstName?: string;
  lastName?: string;
  /** gal:Alias: the address's local part, as Exchange shows a mailbox alias. */
  alias?: string;
  phone?: string;
  mobilePhone?: string;
  homePhone?: string;
  title?: string;
  company?: string;
  office?: string;
  /** Photo bytes as base64 (gal:Picture Data), when an admin gave one. */
  photo?: string;
  /** The address has a mailbox of this service (so its calendar can answer for availability). */
  mailbox: boolean;
}

/** A contact of the user that matches a ResolveRecipients query (mailbox/contact-search.ts). */
export interface ContactMatch {
  displayName: string;
  address: string;
}

export interface MoveRequest {
  srcMsgId: string;
  srcFldId: string;
  dstFldId: string;
}

export interface MoveResult {
  srcMsgId: string;
  /** [MS-ASCMD] 2.2.3.177.10: 1 bad source, 2 bad destination, 3 success, 4 same folder, 5 failure, 7 locked. */
  status: number;
  dstMsgId?: string;
}

// ---- SendMail / SmartReply / SmartForward (mailbox/submit.ts, mailbox/outgoing.ts) ----

/** [MS-ASCMD] 2.2.2 common status codes used by ComposeMail commands. */
export const ComposeStatus = {
  InvalidContent: 101,
  InvalidXML: 103,
  InvalidMIME: 107,
  ServerError: 110,
  ServerErrorRetryLater: 111,
  SendQuotaExceeded: 115,
  MessageRecipientUnresolved: 116,
  MessagePreviouslySent: 118,
  MessageHasNoRecipient: 119,
  MailSubmissionFailed: 120,
  MessageReplyFailed: 121,
  AttachmentIsTooLarge: 122,
  ItemNotFound: 150,
} as const;
export type ComposeStatusValue = (typeof ComposeStatus)[keyof typeof ComposeStatus];

export type SmartKind = "reply" | "forward";

/** The largest message SendMail accepts unless MAX_SEND_BYTES says otherwise (the front door caps bodies by it). */
export const DEFAULT_MAX_SEND_BYTES = 25 * 1024 * 1024;

/**
 * Admin bulk import (Mailbox.importBatch): one message's outcome, in the order given. `duplicate` names the item
 * the message already is (same Message-ID or same bytes in the folder, or earlier in the same archive).
 */
export type ImportOutcome = { status: "imported" | "duplicate"; folderId: string; itemId: string } | { status: "skipped"; reason: string };
/**
 * A batch of a bulk import: at most this many messages and bytes per mailbox RPC and SQLite transaction (a
 * single larger message, up to the message-size limit, is a batch of its own). Well under the RPC's 32 MiB.
 */
export const IMPORT_BATCH_MESSAGES = 250;
export const IMPORT_BATCH_BYTES = 8 * 1024 * 1024;

export interface SubmitRequest {
  /** The authenticated mailbox address: the message goes out From it ([MS-ASCMD] MS-ASCMD_R448). */
  user: string;
  mime: Uint8Array;
  clientId?: string;
  saveInSent: boolean;
  smart?: {
    kind: SmartKind;
    folderId?: string;
    itemId?: string;
    /** Search/ItemOperations LongId, in this service's form "folderId:itemId". */
    longId?: string;
    instanceId?: string;
    replaceMime: boolean;
  };
}

export type SubmitResult = { ok: true; outboxId: number } | { ok: false; status: ComposeStatusValue; message: string };

/**
 * What the object asks the Worker side when it routes outgoing mail (mailbox/directory.ts): the built-in
 * mailbox a recipient address belongs to, or null. Implemented on D1 by service/accounts.ts; src/index.ts
 * hands it to the object, so the object itself never queries D1.
 */
export interface RecipientAccounts {
  accountFor(recipient: string): Promise<string | null>;
}

// ---- Out of office (mailbox/oof.ts) ----

/** Out-of-office settings ([MS-ASCMD] 2.2.3.119 OofState, 2.2.3.121 OofMessage). */
export const OofMessageSchema = z.object({
  appliesTo: z.enum(["internal", "external-known", "external-unknown"]),
  enabled: z.boolean(),
  replyMessage: z.string().max(64_000).optional(),
  bodyType: z.enum(["Text", "HTML"]).optional(),
});
export const OofSettingsSchema = z.object({
  /** 0 disabled, 1 global (until turned off), 2 time-based (between start and end). */
  state: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  start: z.string().datetime().optional(),
  end: z.string().datetime().optional(),
  messages: z.array(OofMessageSchema).max(3),
});
export type OofMessage = z.infer<typeof OofMessageSchema>;
export type OofSettings = z.infer<typeof OofSettingsSchema>;

// ---- Bridge backend (mailbox/backend.ts) ----

export interface ServerEndpoint {
  host: string;
  port: number;
  tls: TlsMode;
}

export interface BridgeBackend {
  kind: "imap";
  imap: ServerEndpoint;
  /** "account": submission with the account's own login (default); "none": the server relays for us. */
  smtp: ServerEndpoint & { auth?: "account" | "none" };
  /** CalDAV/CardDAV root or principal URL; without it a bridged mailbox syncs mail only. */
  dav?: { url: string };
  /**
   * "notify": the IMAP server announces changes (Dovecot push_notification → /notify/…);
   * "poll": it cannot, so the store is polled while (and only while) a device waits.
   */
  push?: "notify" | "poll";
}

/** The account's login as the device sent it, after the front door verified it. Memory only. */
export interface BackendCredentials {
  username: string;
  password: string;
}

// ---- Subscription state pushed by the service (mailbox/subscription-state.ts) ----

export type MailboxSubscriptionStatus =
  | "pending_payment"
  | "active"
  | "grace"
  | "suspended"
  | "expired"
  | "withdrawn"
  | "cancelled"
  | "terminated";

export interface MailboxSubscriptionState {
  subscriptionId: string;
  status: MailboxSubscriptionStatus;
  /** Why service is refused (e.g. `eligibility`, `illicit_use`), null when it is not. */
  reason: string | null;
  /** Per-subscription counter; an older copy never overwrites a newer one. */
  version: number;
  /** Epoch ms of the change in D1. */
  updatedAt: number;
}

/** Service is given while the subscription is active or in its renewal grace period. */
export function servesDevices(status: MailboxSubscriptionStatus): boolean {
  return status === "active" || status === "grace";
}

// ---- Bridged mailboxes with push "notify": the safety poll's interval (mailbox/bridge-push.ts) ----

/** Default of the wrangler var BRIDGE_SAFETY_POLL_SECONDS. */
export const DEFAULT_SAFETY_POLL_SECONDS = 900;

/** The wrangler var BRIDGE_SAFETY_POLL_SECONDS (whole seconds, at least 1), default 900. */
export function safetyPollSeconds(vars: { BRIDGE_SAFETY_POLL_SECONDS?: string }): number {
  const n = Number(vars.BRIDGE_SAFETY_POLL_SECONDS);
  return vars.BRIDGE_SAFETY_POLL_SECONDS && Number.isInteger(n) && n >= 1 ? n : DEFAULT_SAFETY_POLL_SECONDS;
}

// ---- Protocol traces for support (traces.ts) ----

/** Trace every device of the mailbox. */
export const ALL_DEVICES = "*";
export const DEFAULT_TRACE_MINUTES = 60;
export const MAX_TRACE_MINUTES = 24 * 60;
/** Bytes stored per session (device or mailbox) unless the admin asks for another cap. */
export const DEFAULT_TRACE_MAX_BYTES = 20 * 1024 * 1024;

export interface TraceSession {
  /** A DeviceId, or "*" for every device of the mailbox. */
  target: string;
  startedAt: number;
  until: number;
  /** Mail bodies and device passwords kept as sent (the reason is in the audit log). */
  fullBodies: boolean;
  maxBytes: number;
  bytes: number;
  entries: number;
  /** Exchanges not stored because the cap was reached. */
  dropped: number;
}

/** What the front door learns with each request: trace this exchange, and how. */
export interface TraceDirective {
  fullBodies: boolean;
}

/** One request and its response, formatted by the front door (src/http/trace.ts). */
export interface TraceEntry {
  deviceId: string;
  requestId: string;
  at: number;
  cmd: string;
  httpStatus: number;
  /** The readable form: request line, headers and XML bodies of both sides. */
  text: string;
  /** The WBXML bodies as sent (redacted ones re-encoded), for `npm run wbxml -- decode`. */
  requestWbxml?: Uint8Array;
  responseWbxml?: Uint8Array;
}

export interface TraceFile {
  key: string;
  deviceId: string;
  requestId: string;
  at: number;
  cmd: string;
  httpStatus: number;
  /** "text" (headers + XML), "request.wbxml" or "response.wbxml". */
  part: string;
  size: number;
}

/**
 * The reason the chaos harness' test-only reset gives `ctx.abort()` (Mailbox.chaosAbort). A request in flight in
 * the object receives it as a plain Error, where the platform's own resets ("Durable Object reset because its
 * code was updated") carry `retryable`: the front door reads it as the same transient failure.
 */
export const CHAOS_RESET_REASON = "chaos harness: object reset";
