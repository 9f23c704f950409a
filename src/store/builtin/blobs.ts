// Where a value too large for a comfortable SQLite row goes.
//
// INLINE_LIMIT = 128 KiB: SQLite values in a Durable Object are capped at 2 MB, but far below that a
// big row already costs: every read of it pulls its pages through the object's 128 MB memory.
// Most mail (text, small HTML, a signature image) is well under 128 KiB, so the common message costs
// no R2 operation at all; above it the size is nearly always attachments, which are fetched rarely and
// whose R2 GET is cheap compared to their transfer.
export const INLINE_LIMIT = 128 * 1024;

export type Stored = { inline: Uint8Array | string | null; key: string | null };

export class Blobs {
  constructor(
    private readonly bucket: R2Bucket,
    private readonly prefix: string,
  ) {}

  newKey(kind: string): string {
    return `${this.prefix}/${crypto.randomUUID()}/${kind}`;
  }

  /** Keeps small values inline; writes large ones to R2 and returns their key. */
  async place(value: Uint8Array, kind: string): Promise<Stored>;
  async place(value: string, kind: string): Promise<Stored>;
  async place(value: Uint8Array | string, kind: string): Promise<Stored> {
    const size = typeof value === "string" ? utf8Length(value) : value.byteLength;
    if (size <= INLINE_LIMIT) return { inline: value, key: null };
    const key = this.newKey(kind);
    await this.bucket.put(key, value);
    return { inline: null, key };
  }

  async bytes(key: string): Promise<Uint8Array | null> {
    const obj = await this.bucket.get(key);
    return obj ? new Uint8Array(await obj.arrayBuffer()) : null;
  }

  /**
   * The object's bytes (or `length` of them from `offset`, without reading the rest: what a phone's ItemOperations
   * Range costs) as a stream, and the whole object's size: an attachment sent on without being held (issue 15).
   */
  async stream(
    key: string,
    range?: { offset: number; length: number },
  ): Promise<{ body: ReadableStream<Uint8Array>; size: number } | null> {
    const obj = await this.bucket.get(key, range ? { range } : undefined);
    return obj ? { body: obj.body, size: obj.size } : null;
  }

  /** The object's size from its metadata, or null when it is gone. */
  async size(key: string): Promise<number | null> {
    return (await this.bucket.head(key))?.size ?? null;
  }

  async text(key: string): Promise<string | null> {
    const obj = await this.bucket.get(key);
    return obj ? obj.text() : null;
  }

  /** Best effort: an object orphaned by a crash here only costs storage. */
  async remove(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) await this.bucket.delete(keys.slice(i, i + 1000));
  }
}

export function utf8Length(s: string): number {
  // Exact UTF-8 byte length without allocating an encoded copy for short strings.
  if (s.length > 65536) return new TextEncoder().encode(s).byteLength;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
