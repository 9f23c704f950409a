// Issue 15 target 3: a small body read in one chunk keeps its own bytes, not the runtime's read buffer it is a view
// on: a parked Ping's request holds its body for as long as it waits (up to an hour), 4 KiB of buffer for ~100 bytes.
import { describe, expect, it } from "vitest";
import { ownBuffer, readBodyUpTo, readStreamUpTo } from "../../src/service/bounded-body";

const streamOf = (...chunks: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const x of chunks) c.enqueue(x);
      c.close();
    },
  });

describe("readStreamUpTo: what the body's bytes keep alive", () => {
  it("one chunk that is a view on a larger buffer comes back as a copy of its own size", async () => {
    const buffer = new Uint8Array(4096);
    const view = buffer.subarray(16, 16 + 90).fill(0x03);
    const bytes = await readStreamUpTo(streamOf(view), 64 * 1024);
    expect(bytes).toEqual(view);
    expect(bytes?.buffer.byteLength).toBe(90);
    expect(bytes?.byteOffset).toBe(0);
    // a copy: the caller's buffer is not shared
    buffer[16] = 0x04;
    expect(bytes?.[0]).toBe(0x03);
  });

  it("one chunk that owns its whole buffer is returned as it is (no copy)", async () => {
    const whole = new Uint8Array(100).fill(7);
    expect(await readStreamUpTo(streamOf(whole), 1000)).toBe(whole);
    expect(ownBuffer(whole)).toBe(whole);
  });

  it("several chunks are joined into one buffer of the body's size; over the limit is null", async () => {
    const a = new Uint8Array(4096).subarray(0, 10).fill(1);
    const b = new Uint8Array(20).fill(2);
    const bytes = await readStreamUpTo(streamOf(a, b), 1000);
    expect(bytes?.buffer.byteLength).toBe(30);
    expect([...(bytes ?? [])]).toEqual([...Array(10).fill(1), ...Array(20).fill(2)]);
    expect(await readStreamUpTo(streamOf(a, b), 29)).toBeNull();
  });

  it("a request's small body reads back byte for byte, in a buffer of its own size", async () => {
    const body = new Uint8Array([3, 1, 106, 0, 0, 13, 69, 72, 3, 54, 48, 0, 1, 1]);
    const req = new Request("https://mail.example.test/", { method: "POST", body });
    const bytes = await readBodyUpTo(req, 64 * 1024);
    expect(bytes).toEqual(body);
    expect(bytes?.buffer.byteLength).toBe(body.length);
  });
});
