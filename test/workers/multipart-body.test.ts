// The ItemOperations multipart body ([MS-ASCMD] 2.2.1.10.1) with parts that are streams (whole attachments sent
// on as they are read, issue 15): the header's offsets and lengths, the bytes in order, and a part that does
// not keep its announced length breaking the body instead of shifting the parts after it.
import { describe, expect, it } from "vitest";
import { multipartBody } from "../../src/eas/front/multipart";

const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * seed + 1) % 251);
const streamOf = (chunks: Uint8Array[]) => new Blob(chunks).stream();

function parts(body: Uint8Array): Uint8Array[] {
  const view = new DataView(body.buffer, body.byteOffset);
  const count = view.getInt32(0, true);
  return Array.from({ length: count }, (_, i) => {
    const offset = view.getInt32(4 + 8 * i, true);
    return body.subarray(offset, offset + view.getInt32(8 + 8 * i, true));
  });
}

describe("multipartBody", () => {
  it("bytes only: one buffer of the announced length", () => {
    const [a, b] = [bytes(10, 3), bytes(0, 5)];
    const { body, length } = multipartBody([a, b]);
    expect(body).toBeInstanceOf(Uint8Array);
    expect((body as Uint8Array).length).toBe(length);
    expect(parts(body as Uint8Array)).toEqual([a, b]);
  });

  it("streams among bytes: a stream of the announced length, each part where the header says", async () => {
    const wbxml = bytes(37, 7);
    const big = bytes(300_000, 11);
    const small = bytes(5, 13);
    const { body, length } = multipartBody([
      wbxml,
      { body: streamOf([big.subarray(0, 1000), big.subarray(1000)]), length: big.length },
      small,
    ]);
    expect(body).toBeInstanceOf(ReadableStream);
    const out = new Uint8Array(await new Response(body).arrayBuffer());
    expect(out.length).toBe(length);
    expect(parts(out)).toEqual([wbxml, big, small]);
  });

  it("a stream shorter than it announced fails the body (never a body whose later parts are shifted)", async () => {
    const { body } = multipartBody([bytes(8, 3), { body: streamOf([bytes(10, 5)]), length: 20 }, bytes(4, 7)]);
    await expect(new Response(body).arrayBuffer()).rejects.toThrow();
  });

  it("a stream longer than it announced fails the body too", async () => {
    const { body } = multipartBody([bytes(8, 3), { body: streamOf([bytes(30, 5)]), length: 20 }]);
    await expect(new Response(body).arrayBuffer()).rejects.toThrow();
  });
});
