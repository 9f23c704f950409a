// The XML text form of an EAS element tree, for people and for the conformance validator.
//
// Namespaces are the code page names ([MS-ASWBXML] §2.1.2.1): the root's page is the default namespace, every
// other page used in the tree is declared on the root with its lowercase name as prefix:
//   <Sync xmlns="AirSync" xmlns:airsyncbase="AirSyncBase">
//
// OPAQUE data has no XML equivalent, so toXml marks it in a reserved namespace that never reaches WBXML
// (EAS itself has no attributes):
//   <Mime wbxml:opaque="base64">RnJvbTog…</Mime>        an element whose only child is opaque
//   <Data>text<wbxml:opaque>AAEC</wbxml:opaque></Data>  opaque mixed with text or other opaque chunks
// with xmlns:wbxml="urn:mobile-sync:wbxml" on the root. fromXml turns both back into the same bytes.
// With { opaque: "text" } opaque is written as plain text instead: its UTF-8 text when it is valid UTF-8,
// otherwise its base64, unmarked. That is what people and the XSD validator want to read, but it is one-way:
// it comes back as text, not opaque.
//
// Strings may hold characters XML 1.0 cannot carry (control characters): they are written as numeric
// character references (&#x1;), which fromXml accepts. Carriage returns are written as &#xD; so they survive.
import { DEFAULT_LIMITS, expandFragments, type WbxmlLimits } from "./codec";
import { fromBase64, toBase64 } from "./base64";
import { namespaceFromXml, tagByNameOrAlias } from "./codepages";
import { isElement } from "./tree";
import type { WbxmlElement } from "./types";
import { WbxmlError } from "./types";

/** The reserved namespace of the opaque marker. */
export const WBXML_XML_NAMESPACE = "urn:mobile-sync:wbxml";

export interface ToXmlOptions {
  /** "base64" (default): opaque marked and base64-encoded, reversible. "text": as text (UTF-8, else base64), one-way. */
  opaque?: "base64" | "text";
  /** Indent nested elements (default true). */
  indent?: boolean;
  /** Start with <?xml version="1.0" encoding="utf-8"?> (default true). */
  declaration?: boolean;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// XML 1.0 §2.2 Char: what no document may hold, not even as a character reference.
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/**
 * Opaque data for { opaque: "text" }: its UTF-8 text, or its base64 when it is not UTF-8 or holds characters
 * no XML document may hold (a stranger's MIME with NULs, sent as opaque on purpose).
 */
function opaqueText(bytes: Uint8Array): string {
  try {
    const text = strictUtf8.decode(bytes);
    return NOT_XML_CHAR.test(text) ? toBase64(bytes) : escapeText(text);
  } catch {
    return toBase64(bytes);
  }
}

// Characters that need escaping in text: & < > and everything XML 1.0 cannot hold raw (or would normalise: CR).
// eslint-disable-next-line no-control-regex
const TEXT_NEEDS_ESCAPE = /[&<>\u0000-\u0008\u000B\u000C\u000D\u000E-\u001F\uFFFE\uFFFF]/;
// eslint-disable-next-line no-control-regex
const TEXT_ESCAPES = /[&<>\u0000-\u0008\u000B\u000C\u000D\u000E-\u001F\uFFFE\uFFFF]/g;

function escapeText(s: string): string {
  if (!TEXT_NEEDS_ESCAPE.test(s)) return s;
  return s.replace(TEXT_ESCAPES, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`,
  );
}

function asReferences(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += `&#x${s.charCodeAt(i).toString(16).toUpperCase()};`;
  return out;
}

function escapeAttribute(s: string): string {
  return escapeText(s).replace(/"/g, "&quot;");
}

/** Renders an element tree as XML text (see the top of this file for the conventions). */
export function toXml(tree: WbxmlElement, options: ToXmlOptions = {}): string {
  // Pre-encoded fragments (a Sync page's Commands) are read back here, only when someone asks for the text.
  const root = expandFragments(tree);
  const opaqueAsText = options.opaque === "text";
  const indent = options.indent !== false;
  const maxDepth = DEFAULT_LIMITS.maxDepth;

  // Namespaces in order of first use; the root's is the default.
  const used: string[] = [];
  let needsMarker = false;
  const seen = new Set<string>();
  const scan = (e: WbxmlElement, depth: number): void => {
    if (depth > maxDepth) throw new WbxmlError(`elements nested deeper than ${maxDepth}`, 0);
    if (e === null || typeof e !== "object" || typeof e.ns !== "string" || !Array.isArray(e.children))
      throw new WbxmlError("not an element", 0);
    if (!seen.has(e.ns)) {
      seen.add(e.ns);
      used.push(e.ns);
    }
    for (const c of e.children) {
      if (c instanceof Uint8Array) {
        if (!opaqueAsText) needsMarker = true;
      } else if (isElement(c)) scan(c, depth + 1);
    }
  };
  scan(root, 1);

  const prefixOf = (ns: string): string => (ns === root.ns ? "" : ns.toLowerCase() + ":");
  const out: string[] = [];
  if (options.declaration !== false) out.push('<?xml version="1.0" encoding="utf-8"?>\n');

  const opaqueMarkup = (bytes: Uint8Array): string => `<wbxml:opaque>${toBase64(bytes)}</wbxml:opaque>`;

  const write = (e: WbxmlElement, depth: number, isRoot: boolean): void => {
    const qname = prefixOf(e.ns) + e.name;
    const pad = indent ? "  ".repeat(depth) : "";
    let open = `${pad}<${qname}`;
    if (isRoot) {
      open += ` xmlns="${escapeAttribute(e.ns)}"`;
      for (const ns of used) if (ns !== root.ns) open += ` xmlns:${ns.toLowerCase()}="${escapeAttribute(ns)}"`;
      if (needsMarker) open += ` xmlns:wbxml="${WBXML_XML_NAMESPACE}"`;
    }
    const children = e.children;
    if (children.length === 0) {
      out.push(open, "/>");
      return;
    }
    // Only element children: one per line. Anything else is written inline so no whitespace is added to text.
    let onlyElements = true;
    for (const c of children) if (typeof c === "string" || c instanceof Uint8Array) onlyElements = false;
    if (onlyElements) {
      out.push(open, ">");
      for (const c of children) {
        if (indent) out.push("\n");
        write(c as WbxmlElement, depth + 1, false);
      }
      out.push(indent ? `\n${pad}</${qname}>` : `</${qname}>`);
      return;
    }
    if (children.length === 1 && children[0] instanceof Uint8Array) {
      if (opaqueAsText) out.push(open, ">", opaqueText(children[0]), `</${qname}>`);
      else out.push(open, ' wbxml:opaque="base64">', toBase64(children[0]), `</${qname}>`);
      return;
    }
    out.push(open, ">");
    const hasElements = !children.every((c) => typeof c === "string" || c instanceof Uint8Array);
    for (const c of children) {
      // Whitespace-only text between elements would read back as indentation: write it as references.
      if (typeof c === "string") out.push(hasElements && /^[ \t\n\r]+$/.test(c) ? asReferences(c) : escapeText(c));
      else if (c instanceof Uint8Array) out.push(opaqueAsText ? opaqueText(c) : opaqueMarkup(c));
      else if (isElement(c)) write(c, 0, false); // no indentation before it: that would add text to mixed content
    }
    out.push(`</${qname}>`);
  };
  write(root, 0, true);
  if (indent) out.push("\n");
  return out.join("");
}

// ---------------------------------------------------------------------------------------------------------------
// fromXml: a small strict parser for the subset above. Elements, xmlns/xmlns:prefix declarations, text, the five
// predefined entities and numeric references, CDATA, comments, the XML declaration and a DOCTYPE (skipped).
// Accepted on top of toXml's own output: libwbxml's spellings (namespace "AirSync:", "Gal", its tag names, see
// TAG_ALIASES in codepages.ts) and the pre-12.0 POOM* namespace names.
// Literal whitespace-only text next to child elements is indentation and dropped; other text is kept exactly
// (toXml writes whitespace-only text that is content, between elements, as character references).
// <X/> has no content; <X></X> holds one empty string (an empty inline string in WBXML), as toXml writes them.
//
// libwbxml writes the content of some tags that EAS carries as OPAQUE in base64 and reads it back the same way.
// When a document uses libwbxml's namespace spelling ("AirSync:"), the text of those tags is read as base64 and
// becomes opaque bytes again, so `wbxml2xml` output encodes back to the bytes it came from.
export const LIBWBXML_BASE64_TAGS: ReadonlySet<string> = new Set([
  "ComposeMail:Mime",
  "AirSyncBase:Content",
  "Email2:ConversationId",
  "Email2:ConversationIndex",
  "ItemOperations:ConversationId",
  "Search:ConversationId",
  "GAL:Data",
  "ResolveRecipients:Data",
]);

interface Frame {
  element: WbxmlElement;
  qname: string;
  defaultNs: string | undefined;
  prefixes: Map<string, string>;
  /** wbxml:opaque="base64" on this element, or the <wbxml:opaque> pseudo-element itself. */
  opaque: "attribute" | "element" | undefined;
  hasChildElements: boolean;
  selfClosing: boolean;
  text: string[];
  /** The pending text is only literal whitespace (no references, no CDATA): indentation if next to elements. */
  textIsLayout: boolean;
  /** Indices of children that are such text. */
  layout: number[];
  start: number;
}

const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function isNameChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d || c === 0x2e || c === 0x3a
  );
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Parses the XML text form back into an element tree. Throws WbxmlError with the character offset. */
export function fromXml(xml: string, limits?: WbxmlLimits): WbxmlElement {
  if (typeof xml !== "string") throw new WbxmlError("input is not a string", 0);
  const maxDepth = limits?.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  const maxElements = limits?.maxElements ?? DEFAULT_LIMITS.maxElements;
  const maxBytes = limits?.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  if (xml.length > maxBytes) throw new WbxmlError(`document longer than ${maxBytes} characters`, maxBytes);
  const s = xml;
  const len = s.length;
  let pos = s.charCodeAt(0) === 0xfeff ? 1 : 0;
  const fail = (message: string, at = pos): never => {
    throw new WbxmlError(message, at);
  };

  const skipSpace = (): void => {
    while (pos < len && isSpace(s.charCodeAt(pos))) pos++;
  };
  const readName = (): string => {
    const start = pos;
    while (pos < len && isNameChar(s.charCodeAt(pos))) pos++;
    if (pos === start) fail("expected a name");
    return s.slice(start, pos);
  };
  const skipPast = (terminator: string, what: string): void => {
    const end = s.indexOf(terminator, pos);
    if (end < 0) fail(`unterminated ${what}`);
    pos = end + terminator.length;
  };
  const skipDoctype = (): void => {
    const start = pos;
    pos += 9; // "<!DOCTYPE"
    let brackets = 0;
    while (pos < len) {
      const c = s[pos];
      if (c === '"' || c === "'") {
        const end = s.indexOf(c, pos + 1);
        if (end < 0) break;
        pos = end + 1;
        continue;
      }
      if (c === "[") brackets++;
      else if (c === "]") brackets--;
      else if (c === ">" && brackets <= 0) {
        pos++;
        return;
      }
      pos++;
    }
    fail("unterminated DOCTYPE", start);
  };
  /** Comments, PIs/XML declaration and DOCTYPE allowed outside the root element. */
  const skipMisc = (allowDoctype: boolean): void => {
    for (;;) {
      skipSpace();
      if (s.startsWith("<!--", pos)) {
        pos += 4;
        skipPast("-->", "comment");
      } else if (s.startsWith("<?", pos)) {
        pos += 2;
        skipPast("?>", "processing instruction");
      } else if (allowDoctype && s.startsWith("<!DOCTYPE", pos)) skipDoctype();
      else return;
    }
  };

  /** Decodes entity and character references in s[start, end). */
  const decodeReferences = (start: number, end: number): string => {
    let raw = s.slice(start, end);
    if (raw.includes("\r")) raw = raw.replace(/\r\n?/g, "\n"); // XML end-of-line normalisation
    if (!raw.includes("&")) return raw;
    let out = "";
    let i = 0;
    for (;;) {
      const amp = raw.indexOf("&", i);
      if (amp < 0) break;
      out += raw.slice(i, amp);
      const semi = raw.indexOf(";", amp);
      // Offsets below are approximate only when CRLFs were normalised before this point.
      const at = start + amp;
      if (semi < 0 || semi - amp > 12) fail("unterminated entity reference", at);
      const ref = raw.slice(amp + 1, semi);
      if (ref.startsWith("#")) {
        const code = ref[1] === "x" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        const digits = ref[1] === "x" ? ref.slice(2) : ref.slice(1);
        const valid = ref[1] === "x" ? /^[0-9a-fA-F]+$/.test(digits) : /^[0-9]+$/.test(digits);
        if (!valid || code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) fail(`bad character reference &${ref};`, at);
        out += String.fromCodePoint(code);
      } else if (Object.hasOwn(PREDEFINED, ref)) out += PREDEFINED[ref];
      else fail(`unknown entity &${ref};`, at);
      i = semi + 1;
    }
    return out + raw.slice(i);
  };

  let libwbxmlDialect = false;
  const resolveNamespace = (uri: string, at: number): string => {
    if (uri === WBXML_XML_NAMESPACE) return uri;
    if (uri.endsWith(":")) libwbxmlDialect = true;
    const ns = namespaceFromXml(uri);
    if (ns === undefined) fail(`unknown namespace "${uri}"`, at);
    return ns!;
  };

  const stack: Frame[] = [];
  let root: WbxmlElement | undefined;
  let elementCount = 0;

  const finishText = (frame: Frame): void => {
    if (frame.text.length === 0) return;
    if (frame.textIsLayout) frame.layout.push(frame.element.children.length);
    frame.element.children.push(frame.text.length === 1 ? frame.text[0] : frame.text.join(""));
    frame.text = [];
    frame.textIsLayout = true;
  };

  const closeElement = (frame: Frame, at: number): void => {
    finishText(frame);
    const children = frame.element.children;
    if (frame.hasChildElements) {
      // Indentation between child elements is not content.
      for (let i = frame.layout.length - 1; i >= 0; i--) children.splice(frame.layout[i], 1);
    }
    const base64 =
      frame.opaque !== undefined ||
      (libwbxmlDialect && !frame.hasChildElements && LIBWBXML_BASE64_TAGS.has(`${frame.element.ns}:${frame.element.name}`));
    if (base64) {
      if (frame.hasChildElements) fail("opaque content cannot contain elements", at);
      const text = children.join("");
      const bytes = fromBase64(text);
      if (typeof bytes === "number") fail("opaque content is not base64", frame.start);
      if (frame.opaque === "element") {
        stack[stack.length - 1].element.children.push(bytes as Uint8Array);
        return;
      }
      frame.element.children = [bytes as Uint8Array];
    } else if (children.length === 0 && !frame.selfClosing) {
      // <X></X> is an element holding an empty string (STR_I ""), <X/> one with no content.
      children.push("");
    }
  };

  skipMisc(true);
  if (pos >= len) fail("no root element");
  while (pos < len) {
    const c = s.charCodeAt(pos);
    if (c !== 0x3c /* < */) {
      // Text.
      const start = pos;
      const lt = s.indexOf("<", pos);
      pos = lt < 0 ? len : lt;
      const frame = stack[stack.length - 1];
      if (frame === undefined) fail("text outside the root element", start);
      const text = decodeReferences(start, pos);
      if (frame.textIsLayout && !/^[ \t\n\r]*$/.test(s.slice(start, pos))) frame.textIsLayout = false;
      frame.text.push(text);
      continue;
    }
    if (s.startsWith("<!--", pos)) {
      pos += 4;
      skipPast("-->", "comment");
      continue;
    }
    if (s.startsWith("<![CDATA[", pos)) {
      const frame = stack[stack.length - 1];
      if (frame === undefined) fail("CDATA outside the root element");
      const end = s.indexOf("]]>", pos + 9);
      if (end < 0) fail("unterminated CDATA section");
      frame.text.push(s.slice(pos + 9, end));
      frame.textIsLayout = false;
      pos = end + 3;
      continue;
    }
    if (s.startsWith("</", pos)) {
      const at = pos;
      pos += 2;
      const name = readName();
      skipSpace();
      if (s[pos] !== ">") fail("expected > to close the end tag");
      pos++;
      const frame = stack.pop();
      if (frame === undefined) fail(`end tag </${name}> without a start tag`, at);
      if (frame!.qname !== name) fail(`end tag </${name}> does not match <${frame!.qname}>`, at);
      closeElement(frame!, at);
      if (stack.length === 0) break;
      continue;
    }
    if (s.startsWith("<?", pos) || s.startsWith("<!", pos)) fail("processing instructions and declarations are not allowed here");

    // Start tag.
    const tagStart = pos;
    pos++;
    const qname = readName();
    const attributes: { name: string; value: string; at: number }[] = [];
    let selfClosing = false;
    for (;;) {
      const before = pos;
      skipSpace();
      if (s.startsWith("/>", pos)) {
        selfClosing = true;
        pos += 2;
        break;
      }
      if (s[pos] === ">") {
        pos++;
        break;
      }
      if (pos >= len) fail("unterminated start tag", tagStart);
      if (pos === before) fail("expected whitespace before an attribute");
      const at = pos;
      const name = readName();
      skipSpace();
      if (s[pos] !== "=") fail("expected = after the attribute name");
      pos++;
      skipSpace();
      const quote = s[pos];
      if (quote !== '"' && quote !== "'") fail("expected a quoted attribute value");
      const end = s.indexOf(quote, pos + 1);
      if (end < 0) fail("unterminated attribute value");
      if (s.slice(pos + 1, end).includes("<")) fail("< in an attribute value", pos);
      const value = decodeReferences(pos + 1, end);
      pos = end + 1;
      attributes.push({ name, value, at });
    }

    const parent = stack[stack.length - 1];
    if (parent === undefined && root !== undefined) fail("more than one root element", tagStart);
    let defaultNs = parent?.defaultNs;
    let prefixes = parent?.prefixes ?? new Map<string, string>();
    let copied = false;
    for (const a of attributes) {
      if (a.name === "xmlns") defaultNs = resolveNamespace(a.value, a.at);
      else if (a.name.startsWith("xmlns:")) {
        if (!copied) {
          prefixes = new Map(prefixes);
          copied = true;
        }
        prefixes.set(a.name.slice(6), resolveNamespace(a.value, a.at));
      }
    }
    let opaque: Frame["opaque"];
    for (const a of attributes) {
      if (a.name === "xmlns" || a.name.startsWith("xmlns:")) continue;
      const colon = a.name.indexOf(":");
      const ns = colon > 0 ? prefixes.get(a.name.slice(0, colon)) : undefined;
      if (ns === WBXML_XML_NAMESPACE && a.name.slice(colon + 1) === "opaque" && a.value === "base64") opaque = "attribute";
      else fail(`attribute ${a.name} is not allowed: EAS elements have no attributes`, a.at);
    }
    const colon = qname.indexOf(":");
    const local = colon >= 0 ? qname.slice(colon + 1) : qname;
    let ns: string | undefined;
    if (colon >= 0) {
      ns = prefixes.get(qname.slice(0, colon));
      if (ns === undefined) fail(`undeclared namespace prefix in <${qname}>`, tagStart);
    } else {
      ns = defaultNs;
      if (ns === undefined) fail(`<${qname}> has no namespace`, tagStart);
    }
    if (stack.length >= maxDepth) fail(`elements nested deeper than ${maxDepth}`, tagStart);
    let element: WbxmlElement;
    if (ns === WBXML_XML_NAMESPACE) {
      if (local !== "opaque" || parent === undefined) fail(`unknown element <${qname}>`, tagStart);
      if (opaque !== undefined) fail("wbxml:opaque attribute on <wbxml:opaque>", tagStart);
      opaque = "element";
      element = { ns: WBXML_XML_NAMESPACE, name: "opaque", children: [] };
    } else {
      const tag = tagByNameOrAlias(ns!, local);
      if (tag === undefined) fail(`unknown tag <${qname}> in namespace ${ns}`, tagStart);
      if (++elementCount > maxElements) fail(`more than ${maxElements} elements`, tagStart);
      element = { ns: tag!.ns, name: tag!.name, children: [] };
      if (parent === undefined) root = element;
      else {
        finishText(parent);
        parent.element.children.push(element);
        parent.hasChildElements = true;
      }
    }
    const frame: Frame = {
      element,
      qname,
      defaultNs,
      prefixes,
      opaque,
      hasChildElements: false,
      selfClosing,
      text: [],
      textIsLayout: true,
      layout: [],
      start: tagStart,
    };
    if (selfClosing) {
      if (opaque === "element") finishText(parent!);
      if (parent !== undefined && opaque === "element") {
        parent.element.children.push(new Uint8Array(0));
      } else if (opaque === "attribute") element.children = [new Uint8Array(0)];
      if (parent === undefined) break;
      continue;
    }
    if (opaque === "element") finishText(parent!);
    stack.push(frame);
  }
  if (stack.length > 0) fail(`unexpected end of document inside <${stack[stack.length - 1].qname}>`, len);
  if (root === undefined) fail("no root element");
  skipMisc(false);
  if (pos < len) fail("content after the root element");
  return root!;
}
