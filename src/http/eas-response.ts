// EasResponse → HTTP ([MS-ASHTTP] 2.2.2).
import type { EasResponse } from "../eas/front/command";
import { splicedWbxml } from "../eas/front/streamed-text";
import { child, elements, encodeWbxml, text, type WbxmlElement } from "../wbxml/index";
import { BASE_HEADERS, plainStatus, statusText } from "./errors";
import { SERVER_VERSION } from "./protocol";

export const WBXML_CONTENT_TYPE = "application/vnd.ms-sync.wbxml";

/** What the front door's observer (observe.ts) reads back from a Response it did not build itself. */
export interface ResponseFacts {
  /**
   * The WBXML tree sent, when the body is WBXML. It may hold pre-encoded fragments (a Sync page's items): whoever
   * reads it as text decodes them then (toXml, redactTree), never on the answer's path.
   */
  tree?: WbxmlElement;
  /** The EAS Status: the root's, else the first one inside (Sync answers per collection). */
  easStatus?: number;
}

const facts = new WeakMap<Response, ResponseFacts>();

export function responseFacts(res: Response): ResponseFacts {
  return facts.get(res) ?? {};
}

/** The root's Status, else the first Status below it (breadth first, a few levels). */
export function easStatusOf(root: WbxmlElement): number | undefined {
  let level: WbxmlElement[] = [root];
  for (let depth = 0; depth < 4 && level.length > 0; depth++) {
    for (const e of level) {
      const s = child(e, "Status");
      if (s) {
        const n = Number(text(s));
        return Number.isInteger(n) ? n : undefined;
      }
    }
    level = level.flatMap(elements);
  }
  return undefined;
}

export function toHttpResponse(res: EasResponse): Response {
  const http = buildHttpResponse(res);
  if (res.kind === "wbxml") facts.set(http, { tree: res.body, easStatus: easStatusOf(res.body) });
  return http;
}

function buildHttpResponse(res: EasResponse): Response {
  const headers = { ...BASE_HEADERS, "MS-Server-ActiveSync": SERVER_VERSION, ...res.headers };
  switch (res.kind) {
    case "wbxml": {
      // MS-ASHTTP_R219: a WBXML body is application/vnd.ms-sync.wbxml; MS-ASHTTP_R216: Content-Length is required.
      const bytes = encodeWbxml(res.body);
      const { body, length } = res.streamedTexts?.length ? splicedWbxml(bytes, res.streamedTexts) : { body: bytes, length: bytes.length };
      return new Response(body, {
        status: 200,
        headers: { ...headers, "Content-Type": WBXML_CONTENT_TYPE, "Content-Length": String(length) },
      });
    }
    case "empty":
      // MS-ASHTTP_R212: a 200 with no body needs no Content-Type.
      return new Response(null, { status: 200, headers: { ...headers, "Content-Length": "0" } });
    case "raw":
      return new Response(res.body, { status: 200, headers: { ...headers, "Content-Type": res.contentType } });
    case "http":
      return plainStatus(res.status, statusText(res.status), headers);
    case "gated":
      // activesync-route.ts answers a gated refusal with its gates' own response before it gets here.
      throw new Error("a gated refusal reached the encoder");
  }
}
