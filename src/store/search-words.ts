// The words of a free-text search, as every store reads them: runs of letters and digits (what the built-in
// index's unicode61 tokenizer keeps, and what IMAP SEARCH TEXT can look for), bounded in number and length.
// Nothing of a backend's query syntax survives: quotes, operators and parentheses are separators.

/** Bounds on a query: words and the length of each (longer words cannot match a token anyway). */
const MAX_TOKENS = 16;
const MAX_TOKEN_CHARS = 64;

export function searchTokens(words: string[]): string[] {
  const tokens: string[] = [];
  for (const w of words)
    for (const t of w.normalize("NFKC").match(/[\p{L}\p{N}]+/gu) ?? []) {
      if (tokens.length >= MAX_TOKENS) return tokens;
      tokens.push(t.slice(0, MAX_TOKEN_CHARS));
    }
  return tokens;
}
