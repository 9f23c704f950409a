// The request body: WBXML for most commands, message/rfc822 for 12.x SendMail/SmartReply/SmartForward.
import { type WbxmlElement, WbxmlError, decodeWbxml } from "../wbxml/index";
import { HttpProblem } from "./errors";
import { WBXML_CONTENT_TYPES } from "./protocol";

export interface RequestBody {
  body: WbxmlElement | null;
  rawBody: Uint8Array;
  /** Media type without parameters, lower case; "" when absent. */
  contentType: string;
}

/** WBXML 1.3 documents start with version byte 0x03 (some clients omit Content-Type). */
const WBXML_VERSION_1_3 = 0x03;

export async function readRequestBody(request: Request): Promise<RequestBody> {
  const contentType = (request.headers.get("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
  const rawBody = new Uint8Array(await request.arrayBuffer());
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
