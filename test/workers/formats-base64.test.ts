// src/formats/base64.ts: the one base64 of every room but wbxml/ (RFC 4648 §4 and §5).
import { describe, expect, it } from "vitest";
import { fromBase64, fromBase64Url, toBase64, toBase64Url, utf8ToBase64 } from "../../src/formats/base64";

describe("base64 (RFC 4648)", () => {
  it("encodes the RFC's test vectors and decodes them back", () => {
    const vectors: [string, string][] = [
      ["", ""],
      ["f", "Zg=="],
      ["fo", "Zm8="],
      ["foo", "Zm9v"],
      ["foob", "Zm9vYg=="],
      ["fooba", "Zm9vYmE="],
      ["foobar", "Zm9vYmFy"],
    ];
    for (const [plain, b64] of vectors) {
      expect(toBase64(new TextEncoder().encode(plain))).toBe(b64);
      expect(new TextDecoder().decode(fromBase64(b64)!)).toBe(plain);
    }
    expect(utf8ToBase64("\0user\0pässword")).toBe("AHVzZXIAcMOkc3N3b3Jk");
  });

  it("encodes a large buffer whole (a byte-per-argument spread would throw past ~100 KB)", () => {
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) & 0xff);
    const text = toBase64(big);
    expect(text).toHaveLength((big.length / 3) * 4);
    expect(fromBase64(text)).toEqual(big);
  });

  it("answers null for what is not base64, never throws", () => {
    for (const bad of ["A", "AAAAA", "AB=C", "Zm9v!", "Zm9v\u00e9", "===="]) expect(fromBase64(bad), bad).toBeNull();
    expect(fromBase64("Zm9v\r\nYmFy")).toEqual(new TextEncoder().encode("foobar")); // whitespace is ignored
    expect(fromBase64("Zm8")).toEqual(new TextEncoder().encode("fo")); // padding may be left out
  });

  it("base64url: no padding, no + or /, and standard base64 is refused", () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xfe, 0x3e]);
    expect(toBase64(bytes)).toBe("+//+Pg==");
    expect(toBase64Url(bytes)).toBe("-__-Pg");
    expect(fromBase64Url("-__-Pg")).toEqual(bytes);
    expect(fromBase64Url("+//+Pg")).toBeNull();
    expect(fromBase64Url("-")).toBeNull();
  });
});
