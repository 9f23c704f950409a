// WBXML 1.3 (W3C NOTE-wbxml-19990624, WAP-192) restricted to what [MS-ASWBXML] §2.1.3 uses: tag tokens with
// code pages, inline strings and opaque data. String tables, entities, processing instructions, attributes,
// literals and extensions are "not used" by EAS and are rejected.
// Pre-encoded fragments (types.ts WbxmlFragment) are written by encodeWbxmlFragment, spliced by encodeWbxml and
// read back by decodeWbxmlFragment / expandFragments under the same rules.
import { MAX_PAGE, pageOfNamespace, tagByToken, tagsOfNamespace } from "./codepages";
import type { WbxmlElement, WbxmlFragment, WbxmlNode } from "./types";
import { WbxmlError } from "./types";

export interface WbxmlLimits {
  /** Deepest element nesting accepted (root = 1). */
  maxDepth?: number;
  /** Largest input accepted, in bytes. */
  maxBytes?: number;
  /**
   * Most nodes (elements, strings and opaque values, empty ones included) accepted in one document. The
   * decoder also holds every document to `nodeBudget(bytes)`, proportional to its size (issue 13 §4).
   */
  maxElements?: number;
}

/**
 * Nodes a document of `bytes` bytes may hold: real EAS bodies have about one node per 3 bytes (a tag, a
 * short string), so one per 2 bytes plus a small allowance refuses only runs of empty values and tags, each
 * of which costs a JavaScript object (~100 bytes of heap) for 1 or 2 bytes of input.
 */
export function nodeBudget(bytes: number): number {
  return 1024 + Math.floor(bytes / 2);
}

export const DEFAULT_LIMITS: Required<WbxmlLimits> = {
  maxDepth: 64,
  maxBytes: 64 * 1024 * 1024,
  maxElements: 250_000,
};

/** Every empty OPAQUE value decodes to this one (a zero-length array cannot be written to). */
const EMPTY_OPAQUE = new Uint8Array(0);

// Global tokens (WBXML 1.3 §7.1).
const SWITCH_PAGE = 0x00;
const END = 0x01;
const ENTITY = 0x02;
const STR_I = 0x03;
const LITERAL = 0x04;
const PI = 0x43;
const STR_T = 0x83;
const OPAQUE = 0xc3;
const TAG_HAS_CONTENT = 0x40;
const TAG_HAS_ATTRIBUTES = 0x80;
const UTF8_MIBENUM = 106;

const GLOBAL_NAMES: Record<number, string> = {
  [ENTITY]: "ENTITY",
  [LITERAL]: "LITERAL",
  0x40: "EXT_I_0",
  0x41: "EXT_I_1",
  0x42: "EXT_I_2",
  [PI]: "PI",
  0x44: "LITERAL_C",
  0x80: "EXT_T_0",
  0x81: "EXT_T_1",
  0x82: "EXT_T_2",
  [STR_T]: "STR_T (string table reference)",
  0x84: "LITERAL_A",
  0xc0: "EXT_0",
  0xc1: "EXT_1",
  0xc2: "EXT_2",
  0xc4: "LITERAL_AC",
};

// Strings are UTF-8 (charset 106 in the header). Invalid UTF-8 is rejected rather than replaced with U+FFFD:
// replacing would silently alter data a device sent.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Reads a WBXML mb_u_int32 at `pos`; returns [value, next position]. */
function readMbUint32(bytes: Uint8Array, pos: number, what: string): [number, number] {
  const start = pos;
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (pos >= bytes.length) throw new WbxmlError(`truncated ${what}`, start);
    const b = bytes[pos++];
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (value > 0xffffffff) throw new WbxmlError(`${what} out of range`, start);
      return [value, pos];
    }
  }
  throw new WbxmlError(`${what} longer than 5 bytes`, start);
}

function decodeString(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 32) {
    // Short ASCII strings (status codes, ids, sync keys) are the common case; skip TextDecoder's call overhead.
    let ascii = true;
    for (let i = start; i < end; i++)
      if (bytes[i] >= 0x80) {
        ascii = false;
        break;
      }
    if (ascii) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch {
    throw new WbxmlError("inline string is not valid UTF-8", start);
  }
}

/** Decodes an EAS WBXML document. Throws WbxmlError (with the byte offset) on anything malformed or unknown. */
export function decodeWbxml(bytes: Uint8Array, limits?: WbxmlLimits): WbxmlElement {
  const maxBytes = limits?.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  if (!(bytes instanceof Uint8Array)) throw new WbxmlError("input is not a byte array", 0);
  const len = bytes.length;
  if (len > maxBytes) throw new WbxmlError(`document larger than ${maxBytes} bytes`, maxBytes);
  if (len === 0) throw new WbxmlError("empty document", 0);

  // Header: version, public id, charset, string table.
  const version = bytes[0];
  if (version < 0x01 || version > 0x03) throw new WbxmlError(`unsupported WBXML version 0x${version.toString(16)}`, 0);
  let pos = 1;
  const [publicId, afterPublicId] = readMbUint32(bytes, pos, "public identifier");
  pos = afterPublicId;
  if (publicId === 0) throw new WbxmlError("public identifier in the string table is not supported", 1);
  const charsetAt = pos;
  const [charset, afterCharset] = readMbUint32(bytes, pos, "charset");
  pos = afterCharset;
  if (charset !== UTF8_MIBENUM) throw new WbxmlError(`charset ${charset} is not UTF-8 (106)`, charsetAt);
  const tableAt = pos;
  const [tableLength, afterTable] = readMbUint32(bytes, pos, "string table length");
  pos = afterTable;
  if (tableLength !== 0) throw new WbxmlError("string tables are not used by EAS", tableAt);
  return decodeBody(bytes, pos, 0, undefined, limits).root as WbxmlElement;
}

/**
 * Decodes a pre-encoded fragment (types.ts WbxmlFragment) into the nodes it stands for, under the document's rules
 * and limits (depth counted from the fragment's own top level). Throws WbxmlError when the bytes are not whole
 * elements and text, or do not end in the code page the fragment declares.
 */
export function decodeWbxmlFragment(fragment: WbxmlFragment, limits?: WbxmlLimits): WbxmlNode[] {
  const bytes = fragment.wbxml;
  if (!(bytes instanceof Uint8Array)) throw new WbxmlError("fragment is not a byte array", 0);
  const maxBytes = limits?.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  if (bytes.length > maxBytes) throw new WbxmlError(`fragment larger than ${maxBytes} bytes`, maxBytes);
  if (fragment.startPage > MAX_PAGE || !(fragment.startPage >= 0)) throw new WbxmlError(`unknown code page ${fragment.startPage}`, 0);
  const container: WbxmlElement = { ns: "", name: "", children: [] };
  const { page } = decodeBody(bytes, 0, fragment.startPage, container, limits);
  if (page !== fragment.endPage) throw new WbxmlError(`fragment ends in code page ${page}, not ${fragment.endPage}`, bytes.length);
  return container.children;
}

/**
 * The token loop of a document's body (`container` undefined: one root element, nothing after it) or of a
 * fragment's (`container`: any number of nodes, appended to it, up to the end of the bytes).
 */
function decodeBody(
  bytes: Uint8Array,
  pos: number,
  page: number,
  container: WbxmlElement | undefined,
  limits: WbxmlLimits | undefined,
): { root: WbxmlElement | undefined; page: number } {
  const maxDepth = limits?.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  const len = bytes.length;
  const maxNodes = Math.min(limits?.maxElements ?? DEFAULT_LIMITS.maxElements, nodeBudget(len));
  // A fragment's nodes go into its container, which no END may close.
  const base = container ? 1 : 0;
  let root: WbxmlElement | undefined = container;
  const stack: WbxmlElement[] = container ? [container] : [];
  let nodeCount = 0;
  const count = (at: number) => {
    if (++nodeCount > maxNodes) throw new WbxmlError(`more than ${maxNodes} nodes for ${len} bytes`, at);
  };

  while (pos < len) {
    const b = bytes[pos];
    if (b === SWITCH_PAGE) {
      if (pos + 1 >= len) throw new WbxmlError("truncated SWITCH_PAGE", pos);
      page = bytes[pos + 1];
      if (page > MAX_PAGE) throw new WbxmlError(`unknown code page ${page}`, pos + 1);
      pos += 2;
      continue;
    }
    if (b === END) {
      if (stack.length <= base) throw new WbxmlError("END without an open element", pos);
      stack.pop();
      pos++;
      if (stack.length === 0) break;
      continue;
    }
    if (b === STR_I) {
      const parent = stack[stack.length - 1];
      if (parent === undefined) throw new WbxmlError("text outside the root element", pos);
      const start = pos + 1;
      const end = bytes.indexOf(0, start);
      if (end < 0) throw new WbxmlError("unterminated inline string", pos);
      count(pos);
      parent.children.push(decodeString(bytes, start, end));
      pos = end + 1;
      continue;
    }
    if (b === OPAQUE) {
      const parent = stack[stack.length - 1];
      if (parent === undefined) throw new WbxmlError("opaque data outside the root element", pos);
      const [n, start] = readMbUint32(bytes, pos + 1, "opaque length");
      if (n > len - start) throw new WbxmlError(`opaque data of ${n} bytes runs past the end`, pos);
      count(pos);
      parent.children.push(n === 0 ? EMPTY_OPAQUE : bytes.slice(start, start + n));
      pos = start + n;
      continue;
    }
    const global = GLOBAL_NAMES[b];
    if (global !== undefined) throw new WbxmlError(`${global} is not used by EAS`, pos);
    if (b & TAG_HAS_ATTRIBUTES) throw new WbxmlError("attributes are not used by EAS", pos);
    const tag = tagByToken(page, b & 0x3f);
    if (tag === undefined) throw new WbxmlError(`unknown token 0x${(b & 0x3f).toString(16)} in code page ${page}`, pos);
    count(pos);
    const element: WbxmlElement = { ns: tag.ns, name: tag.name, children: [] };
    if (root === undefined) root = element;
    else stack[stack.length - 1].children.push(element);
    pos++;
    if (b & TAG_HAS_CONTENT) {
      if (stack.length >= maxDepth) throw new WbxmlError(`elements nested deeper than ${maxDepth}`, pos - 1);
      stack.push(element);
    } else if (stack.length === 0) break; // an empty root element is the whole document
  }
  if (root === undefined) throw new WbxmlError("no root element", pos);
  if (stack.length > base) throw new WbxmlError(`unexpected end of document inside <${stack[stack.length - 1].name}>`, len);
  if (pos < len) throw new WbxmlError("data after the root element", pos);
  return { root, page };
}

/**
 * The encoder's working buffer, kept between documents (issue 15): a Sync page of ~114 KiB otherwise grew a fresh
 * one from 4 KiB by doubling, allocating and zeroing ~4× its size per page. Encoding is synchronous, so one per
 * isolate suffices; it is taken while in use and kept only up to SCRATCH_MAX, so one huge answer does not stay.
 */
let scratch: Uint8Array | undefined;
const SCRATCH_MAX = 1024 * 1024;

/** A growable output buffer. */
class ByteWriter {
  buf: Uint8Array;
  len = 0;

  constructor(buf: Uint8Array = new Uint8Array(4096)) {
    this.buf = buf;
  }

  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    if (this.len === this.buf.length) this.reserve(1);
    this.buf[this.len++] = b;
  }

  mbUint32(v: number): void {
    this.reserve(5);
    let shift = 28;
    while (shift > 0 && v >>> shift === 0) shift -= 7;
    for (; shift > 0; shift -= 7) this.buf[this.len++] = ((v >>> shift) & 0x7f) | 0x80;
    this.buf[this.len++] = v & 0x7f;
  }

  /** STR_I: the string's UTF-8 bytes and a terminating NUL. */
  inlineString(s: string): void {
    const n = s.length;
    if (n <= 64) {
      this.reserve(n * 3 + 2);
      const buf = this.buf;
      let at = this.len;
      buf[at++] = STR_I;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80 || c === 0) break;
        buf[at++] = c;
      }
      if (i === n) {
        buf[at++] = 0;
        this.len = at;
        return;
      }
    }
    if (s.includes("\0")) throw new WbxmlError("a string containing NUL cannot be an inline string", this.len);
    if (!isWellFormed(s)) throw new WbxmlError("string contains a lone UTF-16 surrogate", this.len);
    this.reserve(n * 3 + 2);
    this.buf[this.len++] = STR_I;
    this.len += utf8Encoder.encodeInto(s, this.buf.subarray(this.len)).written;
    this.buf[this.len++] = 0;
  }

  opaque(data: Uint8Array): void {
    this.byte(OPAQUE);
    this.mbUint32(data.length);
    this.reserve(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }
}

const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: () => boolean }).isWellFormed === "function"
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

/**
 * Encodes an element tree as EAS WBXML (header 03 01 6A 00). Elements without children are written without the
 * content bit; code pages are switched only when a tag's page differs from the current one. A pre-encoded
 * fragment among the children is copied as it is (after a switch to its start page if another is in force) and
 * the page after it is its end page, so a tree with fragments encodes to the same bytes as the tree they stand
 * for. Throws WbxmlError for a tag that no code page knows, a string with NUL or a lone surrogate, or a tree
 * deeper than the depth limit (which also stops cycles).
 */
export function encodeWbxml(root: WbxmlElement, limits?: WbxmlLimits): Uint8Array {
  const out = new ByteWriter(scratch);
  scratch = undefined;
  out.buf.set([0x03, 0x01, UTF8_MIBENUM, 0x00]);
  out.len = 4;
  new TreeWriter(out, 0, limits?.maxDepth ?? DEFAULT_LIMITS.maxDepth).element(root, 1);
  return taken(out);
}

/**
 * Encodes nodes as a fragment (types.ts WbxmlFragment) to stand among the children of an element of namespace
 * `inside` (its page is the fragment's start page, so splicing it there costs no switch and gives the bytes the
 * whole tree would have). Nodes may be elements, text, opaque data and other fragments; the depth limit counts
 * from the fragment's top level. Throws WbxmlError as encodeWbxml does, or for an unknown namespace.
 */
export function encodeWbxmlFragment(nodes: readonly WbxmlNode[], inside: string, limits?: WbxmlLimits): WbxmlFragment {
  const startPage = pageOfNamespace(inside);
  if (startPage === undefined) throw new WbxmlError(`unknown namespace ${inside}`, 0);
  const out = new ByteWriter(scratch);
  scratch = undefined;
  const w = new TreeWriter(out, startPage, limits?.maxDepth ?? DEFAULT_LIMITS.maxDepth);
  for (let i = 0; i < nodes.length; i++) w.node(nodes[i], 1);
  return { wbxml: taken(out), startPage, endPage: w.page };
}

/**
 * The tree with every fragment replaced by the nodes it stands for (a copy of what holds fragments; the rest is
 * shared): for readers that walk the tree (logs, traces, redaction), never on the encoder's path.
 */
export function expandFragments(root: WbxmlElement, limits?: WbxmlLimits): WbxmlElement {
  const maxDepth = limits?.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  const walk = (e: WbxmlElement, depth: number): WbxmlElement => {
    if (depth > maxDepth) throw new WbxmlError(`elements nested deeper than ${maxDepth}`, 0);
    let copy: WbxmlNode[] | undefined; // made at the first child that changes
    for (let i = 0; i < e.children.length; i++) {
      const c = e.children[i];
      // A fragment's decoded nodes hold no fragments.
      const now: WbxmlNode | WbxmlNode[] =
        typeof c === "string" || c instanceof Uint8Array ? c : "wbxml" in c ? decodeWbxmlFragment(c, limits) : walk(c, depth + 1);
      if (copy === undefined && now !== c) copy = e.children.slice(0, i);
      if (copy !== undefined) {
        if (Array.isArray(now)) copy.push(...now);
        else copy.push(now);
      }
    }
    return copy === undefined ? e : { ns: e.ns, name: e.name, children: copy };
  };
  return walk(root, 1);
}

/** The writer's bytes, its buffer kept for the next document when small enough. */
function taken(out: ByteWriter): Uint8Array {
  const bytes = out.buf.slice(0, out.len);
  if (out.buf.length <= SCRATCH_MAX) scratch = out.buf;
  return bytes;
}

/** Writes elements and their content, switching code pages as needed; `page` is the page in force. */
class TreeWriter {
  constructor(
    readonly out: ByteWriter,
    public page: number,
    readonly maxDepth: number,
  ) {}

  node(c: WbxmlNode, depth: number): void {
    const out = this.out;
    if (typeof c === "string") out.inlineString(c);
    else if (c instanceof Uint8Array) out.opaque(c);
    else if ("wbxml" in c) this.fragment(c);
    else this.element(c, depth);
  }

  fragment(f: WbxmlFragment): void {
    const out = this.out;
    if (!(f.wbxml instanceof Uint8Array) || !(f.startPage >= 0 && f.startPage <= MAX_PAGE) || !(f.endPage >= 0 && f.endPage <= MAX_PAGE))
      throw new WbxmlError("not a fragment", out.len);
    if (f.wbxml.length === 0) return;
    out.reserve(f.wbxml.length + 2);
    if (f.startPage !== this.page) {
      out.buf[out.len++] = SWITCH_PAGE;
      out.buf[out.len++] = f.startPage;
    }
    out.buf.set(f.wbxml, out.len);
    out.len += f.wbxml.length;
    this.page = f.endPage;
  }

  element(e: WbxmlElement, depth: number): void {
    const out = this.out;
    if (depth > this.maxDepth) throw new WbxmlError(`elements nested deeper than ${this.maxDepth}`, out.len);
    if (e === null || typeof e !== "object" || typeof e.name !== "string" || !Array.isArray(e.children))
      throw new WbxmlError("not an element", out.len);
    const tag = tagsOfNamespace(e.ns)?.get(e.name);
    if (tag === undefined) throw new WbxmlError(`unknown tag ${e.ns}:${e.name}`, out.len);
    if (tag.page !== this.page) {
      out.reserve(2);
      out.buf[out.len++] = SWITCH_PAGE;
      out.buf[out.len++] = tag.page;
      this.page = tag.page;
    }
    const children = e.children;
    if (isEmpty(children)) {
      out.byte(tag.token);
      return;
    }
    out.byte(tag.token | TAG_HAS_CONTENT);
    for (let i = 0; i < children.length; i++) {
      const c: WbxmlNode = children[i];
      if (typeof c === "string") out.inlineString(c);
      else if (c instanceof Uint8Array) out.opaque(c);
      else if ("wbxml" in c) this.fragment(c);
      else this.element(c, depth + 1);
    }
    out.byte(END);
  }
}

/** No children, or only empty fragments: the element is written without content, as if it had none. */
function isEmpty(children: WbxmlNode[]): boolean {
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (typeof c === "string" || c instanceof Uint8Array || !("wbxml" in c) || c.wbxml.length > 0) return false;
  }
  return true;
}
