/** Reading the (tiny) Autodiscover request and writing its responses ([MS-ASCMD] 2.2.1.1). */

export const AUTODISCOVER_NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
export const MOBILESYNC_NS = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006";

export interface AutodiscoverRequest {
  email: string;
  schema: string;
}

/**
 * Extracts EMailAddress and AcceptableResponseSchema from a request like
 * `<Autodiscover xmlns="…/mobilesync/requestschema/2006"><Request><EMailAddress>…</EMailAddress>
 * <AcceptableResponseSchema>…</AcceptableResponseSchema></Request></Autodiscover>`.
 * Returns null when the body is not well-formed or lacks either element, or has several Request elements
 * (the spec's ErrorCode 600 case).
 */
export function readAutodiscoverRequest(xml: string): AutodiscoverRequest | null {
  if (xml.length > 64 * 1024 || !wellFormed(xml)) return null;
  if ((xml.match(/<(?:[\w.-]+:)?Request[\s>]/g) ?? []).length !== 1) return null;
  const text = (name: string) => {
    const m = new RegExp(`<(?:[\\w.-]+:)?${name}(?:\\s[^>]*)?>([^<]*)</(?:[\\w.-]+:)?${name}\\s*>`).exec(xml);
    return m ? decodeEntities(m[1]!.trim()) : undefined;
  };
  const email = text("EMailAddress");
  const schema = text("AcceptableResponseSchema");
  if (!email || !schema) return null;
  return { email, schema };
}

/** Tag balance check: every start tag closed in order, no stray '<'. Enough to refuse truncated or garbled bodies. */
function wellFormed(xml: string): boolean {
  const body = xml
    .replace(/^\uFEFF/, "")
    .replace(/<\?[\s\S]*?\?>/g, "")
    .replace(/<!--[\s\S]*?-->/g, "");
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  let last = 0;
  let roots = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    if (body.slice(last, m.index).includes("<") || body.slice(last, m.index).includes(">")) return false;
    if (stack.length === 0 && body.slice(last, m.index).trim()) return false;
    last = tag.lastIndex;
    const [, close, name, , selfClose] = m;
    if (close) {
      if (stack.pop() !== name) return false;
    } else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
  }
  const rest = body.slice(last);
  return stack.length === 0 && roots === 1 && !rest.includes("<") && !rest.trim();
}

function decodeEntities(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The mobilesync settings response ([MS-ASCMD] 4.2.4 shape). */
export function mobileSyncResponse(r: { displayName: string; email: string; url: string; culture?: string }): string {
  const url = escapeXml(r.url);
  return `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="${AUTODISCOVER_NS}">
  <Response xmlns="${MOBILESYNC_NS}">
    <Culture>${escapeXml(r.culture ?? "en:us")}</Culture>
    <User>
      <DisplayName>${escapeXml(r.displayName)}</DisplayName>
      <EMailAddress>${escapeXml(r.email)}</EMailAddress>
    </User>
    <Action>
      <Settings>
        <Server>
          <Type>MobileSync</Type>
          <Url>${url}</Url>
          <Name>${url}</Name>
        </Server>
      </Settings>
    </Action>
  </Response>
</Autodiscover>
`;
}

/** The error form ([MS-ASCMD] 2.2.3.64 ErrorCode: 600 invalid request, 601 no provider for the requested schema). */
export function errorResponse(code: 600 | 601, message: string, now = new Date()): string {
  const time = now.toISOString().slice(11, 23);
  const id = crypto.getRandomValues(new Uint32Array(1))[0];
  return `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="${AUTODISCOVER_NS}">
  <Response>
    <Error Time="${time}" Id="${id}">
      <ErrorCode>${code}</ErrorCode>
      <Message>${escapeXml(message)}</Message>
      <DebugData />
    </Error>
  </Response>
</Autodiscover>
`;
}
