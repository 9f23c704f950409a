// Standard base64 (RFC 4648 §4) for the XML form of OPAQUE data; runs on Workers and Node alike.
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

export function toBase64(data: Uint8Array): string {
  const parts: string[] = [];
  const chunk: number[] = [];
  for (let i = 0; i < data.length; i += 3) {
    const a = data[i];
    const b = i + 1 < data.length ? data[i + 1] : -1;
    const c = i + 2 < data.length ? data[i + 2] : -1;
    chunk.push(ALPHABET.charCodeAt(a >> 2), ALPHABET.charCodeAt(((a & 3) << 4) | (b < 0 ? 0 : b >> 4)));
    chunk.push(b < 0 ? 61 : ALPHABET.charCodeAt(((b & 15) << 2) | (c < 0 ? 0 : c >> 6)));
    chunk.push(c < 0 ? 61 : ALPHABET.charCodeAt(c & 63));
    if (chunk.length >= 8192) {
      parts.push(String.fromCharCode(...chunk));
      chunk.length = 0;
    }
  }
  parts.push(String.fromCharCode(...chunk));
  return parts.join("");
}

/** Decodes base64, ignoring XML whitespace; returns the index of the first bad character instead when invalid. */
export function fromBase64(text: string): Uint8Array | number {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let n = 0;
  let acc = 0;
  let bits = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) continue;
    if (ch === 61) {
      padding++;
      continue;
    }
    const v = ch < 128 ? VALUES[ch] : -1;
    if (v < 0 || padding > 0) return i;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  // Valid lengths: a multiple of 4 characters, or unpadded with 2 or 3 characters in the last group.
  if (bits >= 6 || padding > 2 || (padding > 0 && (bits === 0 || (bits === 4) !== (padding === 2)))) return text.length;
  return out.slice(0, n);
}
