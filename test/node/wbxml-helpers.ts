// Shared helpers for the Node-side WBXML tests: the fixture corpus, hex, tree walks, and Debian's libwbxml
// (xml2wbxml / wbxml2xml) as an independent codec.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { bytes, isElement, TAG_ALIASES, toXml, type WbxmlElement, type WbxmlNode } from "../../src/wbxml";
import { toBase64 } from "../../src/wbxml/base64";
import { LIBWBXML_BASE64_TAGS } from "../../src/wbxml/xml";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const FIXTURE_DIR = path.join(REPO_ROOT, "test/fixtures/wbxml");

export interface Fixture {
  file: string;
  xml: string;
}

/** The XML corpus under test/fixtures/wbxml, sorted by file name. */
export function readFixtures(): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith(".xml"))
    .sort()
    .map((file) => ({ file, xml: readFileSync(path.join(FIXTURE_DIR, file), "utf8") }));
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** Every element of a tree, depth first. */
export function* walk(e: WbxmlElement): Generator<WbxmlElement> {
  yield e;
  for (const c of e.children) if (isElement(c)) yield* walk(c);
}

/** A copy of the tree with opaque children replaced by their UTF-8 text (libwbxml has no opaque in XML). */
export function opaqueAsText(e: WbxmlElement): WbxmlElement {
  const decoder = new TextDecoder();
  return {
    ns: e.ns,
    name: e.name,
    children: e.children.map((c: WbxmlNode) => (c instanceof Uint8Array ? decoder.decode(c) : isElement(c) ? opaqueAsText(c) : c)),
  };
}

/**
 * A copy of the tree as its XML text can show it: adjacent strings merged (XML cannot show where one STR_I
 * ended) and empty strings dropped, except an element's only child (<X></X>).
 */
export function mergeText(e: WbxmlElement): WbxmlElement {
  let children: WbxmlNode[] = [];
  for (const c of e.children) {
    const last = children[children.length - 1];
    if (typeof c === "string" && typeof last === "string") children[children.length - 1] = last + c;
    else children.push(isElement(c) ? mergeText(c) : c);
  }
  if (children.length > 1) children = children.filter((c) => c !== "");
  return { ns: e.ns, name: e.name, children };
}

// libwbxml spells a few tags differently (TAG_ALIASES lists them with their source); invert those entries.
const LIBWBXML_SPELLING = new Map<string, string>();
// GALSearchCriterion, CheckCrl are not libwbxml's (it has no Find page; it spells CheckCRL like the spec).
for (const [ns, aliases] of Object.entries(TAG_ALIASES))
  for (const [alias, name] of Object.entries(aliases))
    if (!(ns === "Find" || ns === "ValidateCert")) LIBWBXML_SPELLING.set(`${ns}:${name}`, alias);

/**
 * The tree as libwbxml sees it. libwbxml has no opaque in its XML except for the tags in LIBWBXML_BASE64_TAGS,
 * whose content it always treats as opaque bytes written in base64. So: opaque elsewhere becomes text (invalid
 * UTF-8 replaced, as any XML reader would), and the content of those tags becomes bytes; their text is read as
 * base64 when libwbxml encodes ("encode") and taken as its UTF-8 bytes when libwbxml decodes ("decode").
 */
export function libwbxmlView(e: WbxmlElement, direction: "encode" | "decode"): WbxmlElement {
  const decoder = new TextDecoder();
  if (LIBWBXML_BASE64_TAGS.has(`${e.ns}:${e.name}`) && !e.children.some(isElement)) {
    if (e.children.length === 0) return { ns: e.ns, name: e.name, children: [] };
    const parts = e.children.map((c) => {
      if (c instanceof Uint8Array) return c;
      if (direction === "decode") return new TextEncoder().encode(c as string);
      return Uint8Array.from(atob(c as string), (ch) => ch.charCodeAt(0));
    });
    return { ns: e.ns, name: e.name, children: [bytes({ ...e, children: parts })!] };
  }
  return {
    ns: e.ns,
    name: e.name,
    children: e.children.map((c) => (c instanceof Uint8Array ? decoder.decode(c) : isElement(c) ? libwbxmlView(c, direction) : c)),
  };
}

/** A copy with CR LF and CR turned into LF in every string (what an XML reader does to raw CRs). */
export function normalizeNewlines(e: WbxmlElement): WbxmlElement {
  return {
    ns: e.ns,
    name: e.name,
    children: e.children.map((c) => (typeof c === "string" ? c.replace(/\r\n?/g, "\n") : isElement(c) ? normalizeNewlines(c) : c)),
  };
}

/**
 * The XML that libwbxml's xml2wbxml needs for a tree: the ActiveSync DOCTYPE (to pick its ActiveSync tables),
 * namespaces with a trailing colon (without it, it guesses the page from the tag name alone), "Gal:" for GAL,
 * its own tag spellings, and opaque written in base64 (pass a libwbxmlView: it has opaque only where libwbxml
 * expects base64).
 */
export function toLibwbxmlXml(tree: WbxmlElement): string {
  const renamed = (e: WbxmlElement): WbxmlElement => ({
    ns: e.ns,
    name: LIBWBXML_SPELLING.get(`${e.ns}:${e.name}`) ?? e.name,
    children: e.children.map((c) => (isElement(c) ? renamed(c) : c)),
  });
  const base64 = (e: WbxmlElement): WbxmlElement => ({
    ns: e.ns,
    name: e.name,
    children: e.children.map((c) => (c instanceof Uint8Array ? toBase64(c) : isElement(c) ? base64(c) : c)),
  });
  let xml = toXml(base64(renamed(tree)), { declaration: false, indent: false });
  xml = xml.replace(/^<([^>]*)>/, (start) =>
    start.replace(/xmlns(:\w+)?="(\w+)"/g, (_, p, ns) => `xmlns${p ?? ""}="${ns === "GAL" ? "Gal" : ns}:"`),
  );
  return `<?xml version="1.0"?>\n<!DOCTYPE ActiveSync PUBLIC "-//MICROSOFT//DTD ActiveSync//EN" "http://www.microsoft.com/">\n${xml}\n`;
}

function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(os.tmpdir(), "wbxml-test-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** libwbxml's encoding of an XML document: whitespace kept, no string table, anonymous (public id 1), WBXML 1.3. */
export function libwbxmlEncode(xml: string): Uint8Array {
  return withTempDir((dir) => {
    writeFileSync(path.join(dir, "in.xml"), xml);
    execFileSync("xml2wbxml", ["-k", "-n", "-a", "-v", "1.3", "-o", path.join(dir, "out.wbxml"), path.join(dir, "in.xml")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new Uint8Array(readFileSync(path.join(dir, "out.wbxml")));
  });
}

/** libwbxml's decoding of WBXML bytes to (compact) XML, with its ActiveSync tables forced. */
export function libwbxmlDecode(bytes: Uint8Array): string {
  return withTempDir((dir) => {
    writeFileSync(path.join(dir, "in.wbxml"), bytes);
    execFileSync("wbxml2xml", ["-k", "-l", "ACTIVESYNC", "-m", "0", "-o", path.join(dir, "out.xml"), path.join(dir, "in.wbxml")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    return readFileSync(path.join(dir, "out.xml"), "utf8");
  });
}
