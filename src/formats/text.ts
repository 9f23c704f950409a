/** Replaces lone UTF-16 surrogates (from broken input) with U+FFFD so the text encodes as valid UTF-8. */
export function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}
