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
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
