// Bytes ⇄ lower-case hex, for ids kept as text and sent as OPAQUE bytes (ConversationId, ConversationIndex).

export function bytesHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** Hex → bytes; null when `s` is not an even run of hex digits. */
export function hexBytes(s: string): Uint8Array | null {
  if (s.length % 2 !== 0) return null;
  const out = new Uint8Array(s.length / 2);
  // Digit by digit (every item of a Sync page carries two ids: no regex, no substrings).
  for (let i = 0; i < out.length; i++) {
    const hi = digit(s.charCodeAt(2 * i));
    const lo = digit(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** The value of a hex digit's char code, or -1. */
function digit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}
