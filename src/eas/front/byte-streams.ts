// Byte streams a response is made of when it carries an attachment it never holds (issue 15): pieces joined in
// order as the reader pulls, and base64 computed on the way (ItemOperations inline Data).
import { toBase64 } from "../../formats/base64";

/** One stream of the pieces in order, read as the reader pulls (nothing buffered ahead); cancel reaches them all. */
export function concatenated(pieces: (Uint8Array | ReadableStream<Uint8Array>)[]): ReadableStream<Uint8Array> {
  let i = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (reader) {
          const { done, value } = await reader.read();
          if (!done) {
            controller.enqueue(value);
            return;
          }
          reader = undefined;
          i++;
          continue;
        }
        const next = pieces[i];
        if (next === undefined) {
          controller.close();
          return;
        }
        if (next instanceof Uint8Array) {
          i++;
          if (next.byteLength > 0) {
            controller.enqueue(next);
            return;
          }
          continue;
        }
        reader = next.getReader();
      }
    },
    async cancel(reason) {
      await reader?.cancel(reason);
      for (const p of pieces.slice(reader ? i + 1 : i)) if (!(p instanceof Uint8Array)) await p.cancel(reason);
    },
  });
}

/** The length of the base64 of `n` bytes. */
export function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}

const ascii = new TextEncoder();

/** Input gathered before each encoding step: few large native calls instead of one per (small) chunk. */
const BASE64_STEP = 768 * 1024;

/** The base64 of a byte stream, as ASCII bytes, in steps of ~BASE64_STEP input bytes (a multiple of 3 each). */
export function base64Stream(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  const encode = (controller: TransformStreamDefaultController<Uint8Array>, final: boolean) => {
    const all = new Uint8Array(heldBytes);
    let at = 0;
    for (const h of held) {
      all.set(h, at);
      at += h.length;
    }
    const cut = final ? all.length : all.length - (all.length % 3);
    if (cut > 0) controller.enqueue(ascii.encode(toBase64(all.subarray(0, cut))));
    held = cut < all.length ? [all.slice(cut)] : [];
    heldBytes = all.length - cut;
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        held.push(chunk);
        heldBytes += chunk.length;
        if (heldBytes >= BASE64_STEP) encode(controller, false);
      },
      flush(controller) {
        if (heldBytes > 0) encode(controller, true);
      },
    }),
  );
}
