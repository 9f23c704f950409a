import type { WbxmlElement, WbxmlFragment, WbxmlNode } from "./types";

/** Builds an element. `null`/`undefined`/`false` children are dropped, numbers become text. */
export function el(ns: string, name: string, ...children: (WbxmlNode | number | null | undefined | false)[]): WbxmlElement {
  const kids: WbxmlNode[] = [];
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    kids.push(typeof c === "number" ? String(c) : c);
  }
  return { ns, name, children: kids };
}

export function isElement(n: WbxmlNode): n is WbxmlElement {
  return typeof n === "object" && !(n instanceof Uint8Array) && !("wbxml" in n);
}

/** A pre-encoded fragment (types.ts WbxmlFragment) among an element's children. */
export function isFragment(n: WbxmlNode): n is WbxmlFragment {
  return typeof n === "object" && !(n instanceof Uint8Array) && "wbxml" in n;
}

export function elements(e: WbxmlElement): WbxmlElement[] {
  return e.children.filter(isElement);
}

/** First child element with this name (and namespace, when given). */
export function child(e: WbxmlElement | null | undefined, name: string, ns?: string): WbxmlElement | undefined {
  if (!e) return undefined;
  for (const c of e.children) if (isElement(c) && c.name === name && (ns === undefined || c.ns === ns)) return c;
  return undefined;
}

export function childrenNamed(e: WbxmlElement | null | undefined, name: string, ns?: string): WbxmlElement[] {
  if (!e) return [];
  return e.children.filter((c): c is WbxmlElement => isElement(c) && c.name === name && (ns === undefined || c.ns === ns));
}

/**
 * Text content of an element (opaque bytes decoded as UTF-8, NUL as U+FFFD); undefined when absent. Like child
 * elements, pre-encoded fragments add nothing (decode them first: expandFragments).
 */
export function text(e: WbxmlElement | null | undefined): string | undefined {
  if (!e) return undefined;
  let s = "";
  for (const c of e.children) {
    if (typeof c === "string") s += c;
    // OPAQUE read as text: a NUL is no character of any EAS text value (inline strings end at NUL, [MS-ASWBXML]
    // 2.1.2.1.1), so it reads as U+FFFD like any other byte that is not text, and the value stays one an answer can
    // echo (front-door fuzz seed 20261218: a MoveItems SrcMsgId echoed with its NUL could not be encoded: 500).
    else if (c instanceof Uint8Array) s += new TextDecoder().decode(c).replaceAll("\0", "\uFFFD");
  }
  return s;
}

/** Text of the named child, or undefined. */
export function childText(e: WbxmlElement | null | undefined, name: string, ns?: string): string | undefined {
  return text(child(e, name, ns));
}

/** Concatenated bytes of an element's content (OPAQUE kept as is, strings as UTF-8). */
export function bytes(e: WbxmlElement | null | undefined): Uint8Array | undefined {
  if (!e) return undefined;
  const parts = e.children.map((c) =>
    c instanceof Uint8Array ? c : typeof c === "string" ? new TextEncoder().encode(c) : new Uint8Array(),
  );
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
