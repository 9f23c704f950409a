// Reading a request body no further than a limit, whatever its transfer encoding (issue 13 §4): refused
// before reading when Content-Length says too much, cut while streaming when there is none (chunked).
// Used by the front door (http/) and the admin API (admin/), which both may call service/.

/** The body's bytes, or null when it is larger than `max` (the rest is not read). */
export async function readBodyUpTo(request: Request, max: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get("Content-Length") ?? Number.NaN);
  if (declared > max) {
    await request.body?.cancel().catch(() => undefined);
    return null;
  }
  if (!request.body) return new Uint8Array();
  return readStreamUpTo(request.body, max);
}

/** A stream's bytes, or null when it is longer than `max` (the rest is not read, the stream cancelled). */
export async function readStreamUpTo(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  // One chunk is a view on the runtime's read buffer (4 KiB for a Ping's ~100 bytes): a copy of its own size, so a
  // request held for a long time (a parked Ping, a hanging Sync, for up to an hour) keeps its bytes, not that buffer
  // (issue 15 target 3: 4 KB of every parked request's JS heap).
  if (chunks.length === 1) return ownBuffer(chunks[0]);
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** `bytes`, or a copy when it is a view on a larger buffer (which it would keep alive). */
export function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}
