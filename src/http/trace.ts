// A traced exchange (issue 17 §5) in the form the support desk reads: request line, headers and the WBXML body
// as XML, then the response's status, headers and body. Basic credentials never appear; mail bodies and
// passwords in bodies are replaced by placeholders (src/eas/front/redact.ts) unless the admin started the
// trace with full bodies. The WBXML bodies are kept too (redacted ones re-encoded) for `npm run wbxml -- decode`.
import type { EasRequest } from "../eas/front/command";
import { redactTree } from "../eas/front/redact";
import type { TraceDirective, TraceEntry } from "../mailbox/contract";
import { encodeWbxml, toXml, type WbxmlElement } from "../wbxml/index";
import type { ResponseFacts } from "./eas-response";
import { statusText } from "./errors";

/** The request as the device sent it, and its id in the log. */
export interface TracedRequest {
  requestId: string;
  request: Request;
}

/** The answer's status line and headers as they went out (the observer copies them before the answer leaves). */
export interface AnswerHead {
  /** When the answer was built (ms since the epoch): a trace's time, whenever it is stored. */
  at: number;
  status: number;
  statusText: string;
  headers: Headers;
}

/** Request headers whose values never reach a trace. */
const SECRET_HEADERS = new Set(["authorization", "cookie", "proxy-authorization", "x-notify-signature"]);

export async function storeTrace(
  x: TracedRequest,
  req: EasRequest,
  res: AnswerHead,
  facts: ResponseFacts,
  how: TraceDirective,
): Promise<void> {
  const entry = traceEntry(x, req, res, facts, how);
  await req.mailbox.appendTrace(entry);
}

export function traceEntry(x: TracedRequest, req: EasRequest, res: AnswerHead, facts: ResponseFacts, how: TraceDirective): TraceEntry {
  const shown = (tree: WbxmlElement) => (how.fullBodies ? tree : redactTree(tree).tree);
  const url = new URL(x.request.url);
  const lines: string[] = [
    `# Mobile Sync protocol trace: request ${x.requestId}, ${new Date(res.at).toISOString()}, ${how.fullBodies ? "full bodies" : "bodies removed"}`,
    "",
    `${x.request.method} ${url.pathname}${url.search} HTTP/1.1`,
    ...headerLines(x.request.headers, true),
    "",
  ];
  let requestWbxml: Uint8Array | undefined;
  if (req.body) {
    const tree = shown(req.body);
    requestWbxml = how.fullBodies ? req.rawBody : encodeWbxml(tree);
    lines.push(toXml(tree, { opaque: "base64" }).trimEnd());
  } else if (req.rawBody.length > 0) {
    lines.push(
      how.fullBodies && /^(message\/rfc822|text\/)/.test(req.contentType)
        ? new TextDecoder().decode(req.rawBody)
        : `[${req.rawBody.length} bytes of ${req.contentType || "unknown type"} ${how.fullBodies ? "not shown" : "removed"}]`,
    );
  } else lines.push("(empty body)");
  lines.push("", `HTTP/1.1 ${res.status} ${res.statusText || statusText(res.status)}`, ...headerLines(res.headers, false), "");
  let responseWbxml: Uint8Array | undefined;
  if (facts.tree) {
    const tree = shown(facts.tree);
    responseWbxml = encodeWbxml(tree);
    lines.push(toXml(tree, { opaque: "base64" }).trimEnd());
  } else {
    const length = Number(res.headers.get("Content-Length"));
    const type = res.headers.get("Content-Type");
    lines.push(
      length === 0 || (!type && !length) ? "(empty body)" : `[${length || "streamed"} bytes of ${type ?? "unknown type"} not shown]`,
    );
  }
  return {
    deviceId: req.deviceId,
    requestId: x.requestId,
    at: res.at,
    cmd: req.cmd,
    httpStatus: res.status,
    text: `${lines.join("\n")}\n`,
    requestWbxml,
    responseWbxml,
  };
}

function headerLines(headers: Headers, request: boolean): string[] {
  const out: string[] = [];
  headers.forEach((value, name) => {
    if (request && SECRET_HEADERS.has(name.toLowerCase())) {
      const scheme = value.trim().split(/\s+/)[0] ?? "";
      out.push(`${name}: ${scheme} [credentials removed]`);
    } else out.push(`${name}: ${value}`);
  });
  return out;
}
