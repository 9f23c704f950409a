// The request body: WBXML for most commands, message/rfc822 for 12.x SendMail/SmartReply/SmartForward.
import { type WbxmlElement, WbxmlError, decodeWbxml } from "../wbxml/index";
import { readBodyUpTo } from "../service/bounded-body";
import { HttpProblem } from "./http-problem";
import { WBXML_CONTENT_TYPES } from "./protocol";

export interface RequestBody {
  body: WbxmlElement | null;
  rawBody: Uint8Array;
  /** Media type without parameters, lower case; "" when absent. */
  contentType: string;
}

/** WBXML 1.3 documents start with version byte 0x03 (some clients omit Content-Type). */
const WBXML_VERSION_1_3 = 0x03;

/** Largest request body read into memory (a 25 MB attachment base64-encoded in MIME fits; Stalwart's default too). */
export const MAX_REQUEST_BODY = 50 * 1024 * 1024;

const KiB = 1024;
const MiB = 1024 * KiB;
/** Commands whose requests are a handful of ids and keys. */
const SMALL = new Set(["Ping", "FolderSync", "FolderCreate", "FolderUpdate", "FolderDelete", "GetItemEstimate", "Provision"]);

/**
 * The largest body each command may send (issue 13 §4), read no further: small for the commands that carry
 * ids and keys; the message-size limit (plus room for the WBXML around it) for the ones that carry a message,
 * and for 16.x Sync, whose draft Adds carry attachments; 2 MiB for an older Sync (changes, calendar items).
 */
export function maxBodyFor(cmd: string, protocolVersion: string, maxSendBytes: number): number {
  if (SMALL.has(cmd)) return 64 * KiB;
  const message = Math.min(maxSendBytes + 256 * KiB, MAX_REQUEST_BODY);
  if (cmd === "SendMail" || cmd === "SmartReply" || cmd === "SmartForward") return message;
  if (cmd === "Sync") return Number.parseFloat(protocolVersion) >= 16 ? message : 2 * MiB;
  return MiB;
}

function tooLarge(max: number): HttpProblem {
  return new HttpProblem(413, `Payload Too Large: at most ${max} bytes`);
}

/** Reads the body up to `max` bytes (any transfer encoding); 413 beyond. */
export async function readBounded(request: Request, max: number): Promise<Uint8Array> {
  const bytes = await readBodyUpTo(request, max);
  if (!bytes) throw tooLarge(max);
  return bytes;
}

export async function readRequestBody(request: Request, max = MAX_REQUEST_BODY): Promise<RequestBody> {
  const contentType = (request.headers.get("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
  const rawBody = await readBounded(request, max);
  const isWbxml = WBXML_CONTENT_TYPES.includes(contentType) || (contentType === "" && rawBody[0] === WBXML_VERSION_1_3);
  if (!isWbxml || rawBody.length === 0) return { body: null, rawBody, contentType };
  try {
    return { body: decodeWbxml(rawBody), rawBody, contentType };
  } catch (err) {
    // The codec's only error on bad input (MS-ASHTTP_R188: other malformed requests get 400).
    if (err instanceof WbxmlError) throw new HttpProblem(400, `Bad Request: ${err.message}`);
    throw err;
  }
}
