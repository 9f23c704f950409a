// The request body: WBXML for most commands, message/rfc822 for 12.x SendMail/SmartReply/SmartForward.
import { type WbxmlElement, WbxmlError, decodeWbxml } from "../wbxml/index";
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

function tooLarge(): HttpProblem {
  return new HttpProblem(413, `Payload Too Large: at most ${MAX_REQUEST_BODY} bytes`);
}

/** Reads the body, refusing before buffering when Content-Length is too large and while streaming otherwise. */
async function readBounded(request: Request, max: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("Content-Length") ?? NaN);
  if (declared > max) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
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
