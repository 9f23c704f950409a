// Base64 (RFC 4648) for every room but wbxml/ (whose codec stands alone and reports where bad input starts).
//
// One place instead of a `btoa(String.fromCharCode(...bytes))` per caller: that idiom spreads every byte as an
// argument (a RangeError past ~100 KB) or builds its string a character at a time, and `atob` throws a DOMException
// on bad input, which a caller that forgets its try turns into a 500.

const nativeToBase64 = (Uint8Array.prototype as { toBase64?: () => string }).toBase64;
/** Bytes per String.fromCharCode call: far under any engine's argument limit. */
const CHUNK = 0x8000;

/** The bytes as one Latin-1 string (a character per byte), what `btoa` takes. */
function binaryString(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += CHUNK) s += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return s;
}

/** Standard base64 (RFC 4648 §4, padded, no line breaks) of the bytes. */
export function toBase64(bytes: Uint8Array): string {
  if (nativeToBase64) return nativeToBase64.call(bytes);
  return btoa(binaryString(bytes));
}

/** Standard base64 of the text's UTF-8 bytes (Basic and SASL PLAIN credentials, RFC 2047 "B" words). */
export function utf8ToBase64(text: string): string {
  return toBase64(new TextEncoder().encode(text));
}

/** base64url (RFC 4648 §5) without padding: tokens in URLs and cookies. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * The bytes of standard base64, or null when the text is not base64. Whitespace is ignored and padding may be
 * left out (what `atob` accepts, RFC 4648 §3.2, the WHATWG forgiving decode); anything else is refused.
 */
export function fromBase64(text: string): Uint8Array | null {
  let bin: string;
  try {
    bin = atob(text);
  } catch {
    return null;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The bytes of base64url (RFC 4648 §5, padded or not), or null when the text is not base64url. */
export function fromBase64Url(text: string): Uint8Array | null {
  if (/[+/]/.test(text)) return null;
  return fromBase64(text.replaceAll("-", "+").replaceAll("_", "/"));
}
