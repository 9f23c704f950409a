// Inline texts sent as streams (issue 15): base64 computed chunk by chunk is the base64 of the whole, and a WBXML
// document with a streamed text decodes to the document with that text in place, with the Content-Length its
// bytes have; a stream of the wrong length breaks the answer instead of corrupting it.
import { describe, expect, it } from "vitest";
import { toBase64 } from "../../src/formats/base64";
import { base64Length, base64Stream } from "../../src/eas/front/byte-streams";
import { splicedWbxml, streamedTextMarker } from "../../src/eas/front/streamed-text";
import { child, childText, decodeWbxml, el, encodeWbxml, isElement } from "../../src/wbxml/index";

const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * seed + 7) % 256);
const chunked = (data: Uint8Array, sizes: number[]) => {
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (let k = 0; at < data.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]);
    chunks.push(data.subarray(at, at + n));
    at += n;
  }
  return new Blob(chunks).stream();
};
const read = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

describe("base64Stream", () => {
  it("is the base64 of the whole, whatever the chunks (sizes 0 to 10, chunks of 1 to 7 bytes and larger)", async () => {
    for (let n = 0; n <= 10; n++) {
      for (const sizes of [[1], [2], [4, 1], [7, 3, 5], [1000]]) {
        const data = bytes(n, 3 + n);
        const out = new TextDecoder().decode(await read(base64Stream(chunked(data, sizes))));
        expect(out, `${n} bytes in chunks of ${sizes}`).toBe(toBase64(data));
        expect(out.length).toBe(base64Length(n));
      }
    }
    const big = bytes(1_000_003, 11);
    expect(new TextDecoder().decode(await read(base64Stream(chunked(big, [65_537, 1, 2]))))).toBe(toBase64(big));
  });
});

describe("splicedWbxml", () => {
  const doc = (data: string, more: string) =>
    el(
      "ItemOperations",
      "ItemOperations",
      el("ItemOperations", "Status", 1),
      el(
        "ItemOperations",
        "Response",
        el("ItemOperations", "Fetch", el("ItemOperations", "Properties", el("ItemOperations", "Data", data))),
      ),
      el(
        "ItemOperations",
        "Response",
        el("ItemOperations", "Fetch", el("ItemOperations", "Properties", el("ItemOperations", "Data", more))),
      ),
    );
  const datas = (tree: ReturnType<typeof decodeWbxml>) =>
    tree.children
      .filter((c) => isElement(c) && c.name === "Response")
      .map((r) => childText(child(child(r as never, "Fetch"), "Properties"), "Data"));

  it("decodes to the document with each text in its place, and says its exact length", async () => {
    const [a, b] = [bytes(70_000, 5), bytes(10, 9)];
    const [m0, m1] = [streamedTextMarker(0), streamedTextMarker(1)];
    const { body, length } = splicedWbxml(encodeWbxml(doc(m0, m1)), [
      { marker: m0, body: base64Stream(chunked(a, [4096])), length: base64Length(a.length) },
      { marker: m1, body: base64Stream(chunked(b, [3])), length: base64Length(b.length) },
    ]);
    const out = await read(body);
    expect(out.length).toBe(length);
    expect(datas(decodeWbxml(out))).toEqual([toBase64(a), toBase64(b)]);
    expect(out).toEqual(encodeWbxml(doc(toBase64(a), toBase64(b))));
  });

  it("a stream shorter than announced fails the body; a marker not in the document is refused at once", async () => {
    const m = streamedTextMarker(0);
    const { body } = splicedWbxml(encodeWbxml(doc(m, "x")), [
      { marker: m, body: chunked(new TextEncoder().encode("QUJD"), [2]), length: 8 },
    ]);
    await expect(read(body)).rejects.toThrow();
    expect(() => splicedWbxml(encodeWbxml(doc("plain", "x")), [{ marker: m, body: new Blob([]).stream(), length: 0 }])).toThrow(/marker/);
  });
});
