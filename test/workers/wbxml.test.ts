// The codec inside workerd, where the commands run it: the [MS-ASWBXML] example both ways, opaque data and the
// typed error (TextDecoder's fatal mode and the string built-ins it relies on exist in the Workers runtime).
import { describe, expect, it } from "vitest";
import { decodeWbxml, el, encodeWbxml, fromXml, toXml, WbxmlError } from "../../src/wbxml";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const SPEC =
  "03016a00455c4f5003436f6e746163747300014b033200015203320001" +
  "4e0331000156474d03323a3100015d00114a46033100014c033000014d0331000101" +
  "00015e0346756e6b2c20446f6e00015f03446f6e0001690346756e6b000100115603310001010101010101";

describe("WBXML codec in workerd", () => {
  it("reproduces the [MS-ASWBXML] example bytes", () => {
    const bytes = Uint8Array.from(SPEC.match(/../g)!, (h) => parseInt(h, 16));
    const tree = decodeWbxml(bytes);
    expect(toXml(tree)).toContain("<contacts:FileAs>Funk, Don</contacts:FileAs>");
    expect(hex(encodeWbxml(fromXml(toXml(tree))))).toBe(SPEC);
  });

  it("keeps opaque bytes and rejects invalid UTF-8 with WbxmlError", () => {
    const tree = el("ComposeMail", "SendMail", el("ComposeMail", "Mime", new Uint8Array([0xff, 0, 1])));
    expect(decodeWbxml(encodeWbxml(tree))).toEqual(tree);
    const bad = Uint8Array.from([3, 1, 0x6a, 0, 0x45, 3, 0xff, 0, 1]);
    expect(() => decodeWbxml(bad)).toThrow(WbxmlError);
  });

  it("each answer is its own bytes: the encoder's kept buffer leaks nothing between documents, nor after a refusal", () => {
    const big = el("AirSync", "Sync", el("AirSync", "SyncKey", "x".repeat(200_000)));
    const small = el("AirSync", "Sync", el("AirSync", "SyncKey", "1"));
    const first = encodeWbxml(big);
    const firstCopy = first.slice();
    const second = encodeWbxml(small);
    expect(hex(second)).toBe("03016a00454b0331000101"); // Sync, SyncKey, "1", END, END
    expect(first).toEqual(firstCopy); // the first answer is not overwritten by the second
    expect(() => encodeWbxml(el("AirSync", "Sync", el("AirSync", "NoSuchTag")))).toThrow(WbxmlError);
    expect(decodeWbxml(encodeWbxml(small))).toEqual(small);
    expect(decodeWbxml(encodeWbxml(big))).toEqual(big);
  });
});
