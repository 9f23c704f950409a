// Protocol constants of the front door ([MS-ASHTTP]).

/** Versions this server really serves, oldest first (2.5: Windows Mobile 5, Palm Treo, early Nokia Mail for Exchange). */
export const SUPPORTED_VERSIONS = ["2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1"] as const;
export type ProtocolVersion = (typeof SUPPORTED_VERSIONS)[number];

export function isSupportedVersion(v: string): v is ProtocolVersion {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

/** MS-Server-ActiveSync: an implementation-specific version string (MS-ASHTTP_R222). */
export const SERVER_VERSION = "16.1";
/**
 * What Exchange 2003 SP2 sent as MS-Server-ActiveSync (its EAS build, 6.5.7638.1). Some 2.5 clients (Windows
 * Mobile 5 AKU2, VersaMail) read it to decide that the server is an Exchange 2003 SP2 with Direct Push; they
 * get it on every answer to a 2.5 request and on an OPTIONS that names 2.5.
 */
export const SERVER_VERSION_25 = "6.5.7638.1";

/** The MS-Server-ActiveSync value for a request speaking `protocolVersion` (absent: the current one). */
export function serverVersionFor(protocolVersion: string | undefined): string {
  return protocolVersion === "2.5" ? SERVER_VERSION_25 : SERVER_VERSION;
}

/** [MS-ASHTTP] 2.2.1.1.1.1.2 command codes of the base64-encoded query. */
export const COMMAND_CODES: ReadonlyMap<number, string> = new Map([
  [0, "Sync"],
  [1, "SendMail"],
  [2, "SmartForward"],
  [3, "SmartReply"],
  [4, "GetAttachment"],
  [9, "FolderSync"],
  [10, "FolderCreate"],
  [11, "FolderDelete"],
  [12, "FolderUpdate"],
  [13, "MoveItems"],
  [14, "GetItemEstimate"],
  [15, "MeetingResponse"],
  [16, "Search"],
  [17, "Settings"],
  [18, "Ping"],
  [19, "ItemOperations"],
  [20, "Provision"],
  [21, "ResolveRecipients"],
  [22, "ValidateCert"],
  [23, "Find"],
]);

/** [MS-ASHTTP] 2.2.1.1.1.1.3 tags of the encoded command parameters (7, Options, is a bit field). */
export const PARAMETER_TAGS: ReadonlyMap<number, string> = new Map([
  [0, "AttachmentName"],
  [1, "CollectionId"],
  [3, "ItemId"],
  [4, "LongId"],
  [6, "Occurrence"],
  [8, "User"],
]);
export const OPTIONS_TAG = 7;
export const OPTION_SAVE_IN_SENT = 0x01;
export const OPTION_ACCEPT_MULTIPART = 0x02;

/** Command parameters of the plain text query ([MS-ASHTTP] 2.2.1.1.1.2.5). */
export const PLAIN_PARAMETERS = ["AttachmentName", "CollectionId", "ItemId", "LongId", "Occurrence", "SaveInSent"] as const;

/** Base64 protocol version byte → version ([MS-ASHTTP] 2.2.1.1.1.1: 121, 140, 141, 160, 161; 2.5 and 12.0 must use the plain form). */
export const VERSION_BYTES: ReadonlyMap<number, ProtocolVersion> = new Map([
  [121, "12.1"],
  [140, "14.0"],
  [141, "14.1"],
  [160, "16.0"],
  [161, "16.1"],
]);

export const WBXML_CONTENT_TYPES = ["application/vnd.ms-sync.wbxml", "application/vnd.ms-sync"];
