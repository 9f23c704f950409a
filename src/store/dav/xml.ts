// A small namespace-aware XML reader for the WebDAV multistatus subset (RFC 4918 §13, RFC 6578, RFC 4791,
// RFC 6352). workerd has no DOMParser, and the codec's XML form is bound to EAS code pages. Tolerant:
// comments, processing instructions and DOCTYPE are skipped, unknown entities are kept as written.
// Elements are named by namespace URI and local name; attributes are kept raw (DAV bodies use none we need).

export interface XmlNode {
  ns: string;
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Concatenated text directly inside the element (CDATA included), entities decoded. */
  text: string;
}

export const DAV = "DAV:";
export const CALDAV = "urn:ietf:params:xml:ns:caldav";
export const CARDDAV = "urn:ietf:params:xml:ns:carddav";
export const CALSERVER = "http://calendarserver.org/ns/";

export class XmlParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XmlParseError";
  }
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);/g, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref] ?? whole;
  });
}

const ATTR = /([^\s=/>]+)\s*=\s*("([^"]*)"|'([^']*)')/g;

interface Open {
  node: XmlNode;
  qname: string;
  scope: Map<string, string>;
}

export function parseXml(xml: string): XmlNode {
  const root: XmlNode = { ns: "", name: "#document", attrs: {}, children: [], text: "" };
  const stack: Open[] = [{ node: root, qname: "", scope: new Map([["xml", "http://www.w3.org/XML/1998/namespace"]]) }];
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const top = stack[stack.length - 1]!;
    if (lt < 0) {
      top.node.text += decodeEntities(xml.slice(i));
      break;
    }
    if (lt > i) top.node.text += decodeEntities(xml.slice(i, lt));
    if (xml.startsWith("<!--", lt)) {
      i = after(xml, "-->", lt);
    } else if (xml.startsWith("<![CDATA[", lt)) {
      const end = xml.indexOf("]]>", lt);
      if (end < 0) throw new XmlParseError("unterminated CDATA");
      top.node.text += xml.slice(lt + 9, end);
      i = end + 3;
    } else if (xml.startsWith("<?", lt)) {
      i = after(xml, "?>", lt);
    } else if (xml.startsWith("<!", lt)) {
      i = skipDeclaration(xml, lt);
    } else if (xml[lt + 1] === "/") {
      const gt = xml.indexOf(">", lt);
      if (gt < 0) throw new XmlParseError("unterminated end tag");
      const qname = xml.slice(lt + 2, gt).trim();
      if (stack.length < 2 || top.qname !== qname) throw new XmlParseError(`unexpected </${qname}>`);
      stack.pop();
      i = gt + 1;
    } else {
      const gt = tagEnd(xml, lt);
      const body = xml.slice(lt + 1, gt);
      const selfClosing = body.endsWith("/");
      const inner = selfClosing ? body.slice(0, -1) : body;
      const m = /^([^\s/>]+)/.exec(inner);
      if (!m) throw new XmlParseError("empty tag");
      const qname = m[1]!;
      const attrs: Record<string, string> = {};
      const scope = new Map(top.scope);
      for (const a of inner.slice(qname.length).matchAll(ATTR)) {
        const value = decodeEntities(a[3] ?? a[4] ?? "");
        if (a[1] === "xmlns") scope.set("", value);
        else if (a[1]!.startsWith("xmlns:")) scope.set(a[1]!.slice(6), value);
        else attrs[a[1]!] = value;
      }
      const colon = qname.indexOf(":");
      const prefix = colon < 0 ? "" : qname.slice(0, colon);
      const ns = scope.get(prefix);
      if (ns === undefined && prefix !== "") throw new XmlParseError(`undeclared prefix ${prefix}`);
      const node: XmlNode = { ns: ns ?? "", name: colon < 0 ? qname : qname.slice(colon + 1), attrs, children: [], text: "" };
      top.node.children.push(node);
      if (!selfClosing) stack.push({ node, qname, scope });
      i = gt + 1;
    }
  }
  if (stack.length !== 1) throw new XmlParseError(`unclosed <${stack[stack.length - 1]!.qname}>`);
  const doc = root.children[0];
  if (!doc || root.children.length > 1) throw new XmlParseError("expected one root element");
  return doc;
}

function after(xml: string, terminator: string, from: number): number {
  const end = xml.indexOf(terminator, from);
  if (end < 0) throw new XmlParseError(`missing ${terminator}`);
  return end + terminator.length;
}

/** The '>' closing a start tag, ignoring '>' inside quoted attribute values. */
function tagEnd(xml: string, from: number): number {
  let quote = "";
  for (let j = from + 1; j < xml.length; j++) {
    const c = xml[j];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ">") return j;
  }
  throw new XmlParseError("unterminated tag");
}

/** <!DOCTYPE …> possibly with an internal subset in brackets. */
function skipDeclaration(xml: string, from: number): number {
  let depth = 0;
  for (let j = from + 2; j < xml.length; j++) {
    if (xml[j] === "[") depth++;
    else if (xml[j] === "]") depth--;
    else if (xml[j] === ">" && depth <= 0) return j + 1;
  }
  throw new XmlParseError("unterminated declaration");
}

export function child(node: XmlNode | undefined, ns: string, name: string): XmlNode | undefined {
  return node?.children.find((c) => c.ns === ns && c.name === name);
}

export function children(node: XmlNode | undefined, ns: string, name: string): XmlNode[] {
  return node ? node.children.filter((c) => c.ns === ns && c.name === name) : [];
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;"));
}
