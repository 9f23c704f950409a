// A WBXML document with texts sent as streams (issue 15: a whole attachment's inline base64 Data, never held by
// the Worker). The command puts a marker where the text goes; the document is encoded as usual, then cut at each
// marker's bytes and sent as the pieces around them with each stream in place. WBXML inline strings (STR_I) end
// at their NUL, not at a length, so any text of the right bytes (ASCII here, never NUL) can stand in.
import { concatenated } from "./byte-streams";

/** A text of the document sent as a stream: where `marker` stands, exactly `length` bytes of `body` (no NUL). */
export interface StreamedText {
  marker: string;
  body: ReadableStream<Uint8Array>;
  length: number;
}

/** A marker no real text contains (control characters around a random id), distinct per index. */
export function streamedTextMarker(index: number): string {
  return `\u0001streamed-text-${index}-${crypto.randomUUID()}\u0001`;
}

/**
 * The encoded document with each marker replaced by its stream, in document order, as a stream of exactly
 * `length` bytes (a FixedLengthStream: a stream that ends early or runs long breaks the answer instead of
 * corrupting it). Throws if a marker is not in the document (the command's mistake, never the client's).
 */
export function splicedWbxml(encoded: Uint8Array, texts: StreamedText[]): { body: ReadableStream<Uint8Array>; length: number } {
  const utf8 = new TextEncoder();
  const pieces: (Uint8Array | ReadableStream<Uint8Array>)[] = [];
  let from = 0;
  let length = encoded.length;
  for (const t of texts) {
    const marker = utf8.encode(t.marker);
    const at = indexOf(encoded, marker, from);
    if (at < 0) throw new Error("a streamed text's marker is not in the document");
    pieces.push(encoded.subarray(from, at), t.body);
    from = at + marker.length;
    length += t.length - marker.length;
  }
  pieces.push(encoded.subarray(from));
  return { body: concatenated(pieces).pipeThrough(new FixedLengthStream(length)), length };
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  for (let i = haystack.indexOf(first, from); i >= 0 && i + needle.length <= haystack.length; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}
