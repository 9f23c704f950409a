// RFC 2152 UTF-7, which the WHATWG TextDecoder (and so workerd and postal-mime) does not support:
// postal-mime falls back to windows-1252, which leaves UTF-7's ASCII form ("Caf+AOk-") untouched,
// so decoding that text again here gives the real characters.

import { wellFormed } from "./text";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export function decodeUtf7(text: string): string {
  return text.replace(/\+([A-Za-z0-9+/]*)-?/g, (whole, run: string) => {
    if (run === "") return whole === "+-" ? "+" : whole;
    let bits = 0;
    let acc = 0;
    const units: number[] = [];
    for (const ch of run) {
      acc = (acc << 6) | B64.indexOf(ch);
      bits += 6;
      if (bits >= 16) {
        bits -= 16;
        units.push((acc >> bits) & 0xffff);
        acc &= (1 << bits) - 1;
      }
    }
    return wellFormed(String.fromCharCode(...units));
  });
}
