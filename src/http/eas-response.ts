// EasResponse → HTTP ([MS-ASHTTP] 2.2.2).
import type { EasResponse } from "../eas/front/command";
import { encodeWbxml } from "../wbxml/index";
import { BASE_HEADERS, plainStatus, statusText } from "./errors";
import { SERVER_VERSION } from "./protocol";

export const WBXML_CONTENT_TYPE = "application/vnd.ms-sync.wbxml";

export function toHttpResponse(res: EasResponse): Response {
  const headers = { ...BASE_HEADERS, "MS-Server-ActiveSync": SERVER_VERSION, ...res.headers };
  switch (res.kind) {
    case "wbxml": {
      // MS-ASHTTP_R219: a WBXML body is application/vnd.ms-sync.wbxml; MS-ASHTTP_R216: Content-Length is required.
      const bytes = encodeWbxml(res.body);
      return new Response(bytes, {
        status: 200,
        headers: { ...headers, "Content-Type": WBXML_CONTENT_TYPE, "Content-Length": String(bytes.length) },
      });
    }
    case "empty":
      // MS-ASHTTP_R212: a 200 with no body needs no Content-Type.
      return new Response(null, { status: 200, headers: { ...headers, "Content-Length": "0" } });
    case "raw":
      return new Response(res.body, { status: 200, headers: { ...headers, "Content-Type": res.contentType } });
    case "http":
      return plainStatus(res.status, statusText(res.status), headers);
  }
}
