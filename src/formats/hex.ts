// Bytes ⇄ lower-case hex, for ids kept as text and sent as OPAQUE bytes (ConversationId, ConversationIndex).

export function bytesHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** Hex → bytes; null when `s` is not an even run of hex digits. */
export function hexBytes(s: string): Uint8Array | null {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}
