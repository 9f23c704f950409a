import type { StreamedText } from "./streamed-text";
import type { WbxmlElement } from "../../wbxml/types";
import type { Mailbox } from "../../mailbox/contract";
import type { BackendCredentials, DeviceGateState, GatedCall } from "../../mailbox/contract";
import type { GalProvider } from "./gal";

/** Everything a command needs from the front door. No D1, no Hono: commands talk to the mailbox object only. */
export interface EasRequest {
  /** Command name as in [MS-ASCMD] (e.g. "Sync", "FolderSync"). */
  cmd: string;
  /** Normalised mailbox address (lower case). */
  user: string;
  deviceId: string;
  deviceType: string;
  /** MS-ASProtocolVersion, e.g. "14.1". */
  protocolVersion: string;
  policyKey?: string;
  userAgent?: string;
  /** Command parameters from the query (ItemId, CollectionId, SaveInSent, AttachmentName, LongId, Occurrence, ...). */
  params: Record<string, string>;
  /** MS-ASAcceptMultiPart: T (or AcceptMultiPart option in base64 query). */
  acceptMultiPart: boolean;
  /** Decoded WBXML body, or null when the body is empty or not WBXML. */
  body: WbxmlElement | null;
  /** The raw body bytes (12.x SendMail sends message/rfc822). */
  rawBody: Uint8Array;
  contentType: string;
  /** The mailbox Durable Object of `user`. */
  mailbox: DurableObjectStub<Mailbox>;
  /** Resolves when the device drops the request (used by waits). */
  signal?: AbortSignal;
  /**
   * Bridged mailbox only (issue 8): the login the front door verified against the IMAP server and already
   * handed to the mailbox object (`useCredentials`). Waits pass it to `mailbox.poll()`. Never stored.
   */
  credentials?: BackendCredentials;
  /** Bridged mailbox only: how its server announces changes ("poll": waits poll the mailbox object). */
  backendPush?: "notify" | "poll";
  /** The caller's domain address book (Search Store=GAL), bound to `user`; absent: no GAL is served. */
  gal?: GalProvider;
  /**
   * MergedFreeBusy of another mailbox of the caller's domain over [start, end) (ResolveRecipients Availability),
   * read from that mailbox's calendar; null for an address outside the domain or without a calendar.
   */
  availability?: (address: string, start: number, end: number) => Promise<string | null>;
  /** What the command tells the front door's request log and metrics (src/http/observe.ts). */
  notes?: RequestNotes;
  /**
   * Set when the front door leaves its device gates to the command's own mailbox RPC (issue 15: one round trip
   * per request, not two; commands with `foldsGates`). The command passes `call` to the gated RPC (`gatedSync`)
   * and puts the touch's state it returns in `state`; when the object refused, the command answers
   * `{ kind: "gated" }` and the front door answers exactly as its gates do. A command that answers without that
   * RPC (a malformed request) leaves `state` unset: the front door then runs its gates before that answer goes out.
   */
  gate?: { call: GatedCall; state?: DeviceGateState };
}

/** Facts a command reports about its own request, for the log line and the metrics. */
export interface RequestNotes {
  /** A Ping or hanging Sync: how long it was parked and what ended it (wait.ts outcome kind). */
  wait?: { ms: number; outcome: string; wakeLatencyMs?: number };
}

export type EasResponse =
  /** `streamedTexts`: texts of `body` sent as streams (streamed-text.ts), e.g. an attachment's inline Data. */
  | { kind: "wbxml"; body: WbxmlElement; headers?: Record<string, string>; streamedTexts?: StreamedText[] }
  /** HTTP 200 with an empty body (e.g. unchanged Sync, successful SendMail). */
  | { kind: "empty"; headers?: Record<string, string> }
  /** Other bodies (multipart ItemOperations, raw attachment). */
  | { kind: "raw"; body: BodyInit; contentType: string; headers?: Record<string, string> }
  /** An HTTP-level answer: 449 (provision needed, <= 12.1), 403, 503 ... */
  | { kind: "http"; status: number; headers?: Record<string, string> }
  /** The device gates refused inside the command's gated RPC (EasRequest.gate): the front door answers for them. */
  | { kind: "gated"; headers?: Record<string, string> };

export interface EasCommand {
  name: string;
  /**
   * The command runs the device gates inside its own mailbox RPC when the front door offers it (EasRequest.gate):
   * it may then do nothing that changes state before that RPC.
   */
  foldsGates?: boolean;
  handle(req: EasRequest): Promise<EasResponse>;
}

/** Thrown by commands for a protocol-level failure that the front door maps to HTTP (400 bad body, 503 backend down). */
export class EasHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "EasHttpError";
  }
}
