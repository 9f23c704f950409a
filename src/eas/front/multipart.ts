// The multipart body of an ItemOperations response ([MS-ASCMD] 2.2.1.10.1, MS-ASAcceptMultiPart: T): the part
// count, an (offset, length) pair per part, then the parts; part 0 is the WBXML document. A part is bytes, or a
// stream of a known length (a whole attachment sent on as the mailbox reads it, issue 15): the body is then a
// stream itself, of exactly the length its header announces (a FixedLengthStream: Content-Length is set, and a
// part that ends early or runs long breaks the response instead of shifting every later part).
import { concatenated } from "./byte-streams";

/** A part: its bytes, or a stream of exactly `length` bytes. */
export type MultipartPart = Uint8Array | { body: ReadableStream<Uint8Array>; length: number };

/** Bytes when every part is bytes, else a stream; `length` is the body's size in either case. */
export function multipartBody(parts: MultipartPart[]): { body: Uint8Array | ReadableStream<Uint8Array>; length: number } {
  const lengths = parts.map((p) => (p instanceof Uint8Array ? p.byteLength : p.length));
  const headerLength = 4 + 8 * parts.length;
  const length = headerLength + lengths.reduce((n, l) => n + l, 0);
  const header = new Uint8Array(headerLength);
  const view = new DataView(header.buffer);
  view.setInt32(0, parts.length, true);
  let offset = headerLength;
  lengths.forEach((l, i) => {
    view.setInt32(4 + 8 * i, offset, true);
    view.setInt32(8 + 8 * i, l, true);
    offset += l;
  });
  const pieces = [header, ...parts.map((p) => (p instanceof Uint8Array ? p : p.body))];
  if (pieces.every((p) => p instanceof Uint8Array)) {
    const out = new Uint8Array(length);
    let at = 0;
    for (const p of pieces as Uint8Array[]) {
      out.set(p, at);
      at += p.byteLength;
    }
    return { body: out, length };
  }
  return { body: concatenated(pieces).pipeThrough(new FixedLengthStream(length)), length };
}
