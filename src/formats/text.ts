/** Replaces lone UTF-16 surrogates (from broken input) with U+FFFD so the text encodes as valid UTF-8. */
export function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

// XML 1.0 §2.2 Char: no C0 controls but tab, LF and CR, no U+FFFE/U+FFFF. WBXML inline strings cannot carry
// NUL either. Mail from strangers has all of them (issue 13 §7).
const NOT_XML_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Text a phone can be sent in any EAS element: well-formed UTF-16 without the characters XML forbids. */
export function xmlText(s: string): string {
  NOT_XML_CHAR.lastIndex = 0;
  return wellFormed(NOT_XML_CHAR.test(s) ? s.replace(NOT_XML_CHAR, "") : s);
}
