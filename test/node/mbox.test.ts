// The mbox splitter (src/formats/mbox.ts, issue 15 target 5): RFC 4155 separators, mboxrd unescaping, CRLF,
// chunk boundaries anywhere, oversize messages counted and not held, and what is not an mbox.
import { describe, expect, it } from "vitest";
import { MboxError, MboxSplitter, splitMbox, type MboxEntry } from "../../src/formats/mbox";

const enc = new TextEncoder();
const dec = (e: MboxEntry) => (e.kind === "message" ? new TextDecoder().decode(e.raw) : `<oversize ${e.bytes}>`);

function split(text: string | Uint8Array, max = 1 << 20, chunk = Infinity): string[] {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  const s = new MboxSplitter(max);
  const out: MboxEntry[] = [];
  for (let i = 0; i < bytes.length; i += Math.min(chunk, bytes.length)) out.push(...s.push(bytes.subarray(i, i + chunk)));
  out.push(...s.end());
  return out.map(dec);
}

const ARCHIVE =
  "From alice@example.test Thu Jan  1 00:00:00 2026\n" +
  "From: alice@example.test\nSubject: one\n\nHello\n>From the start\n>>From twice\n\n" +
  "From bob@example.test Fri Jan  2 10:00:00 2026\n" +
  "From: bob@example.test\nSubject: two\n\nHi\nFrom here on, a body line (unescaped, not after an empty line)\nend\n";

describe("MboxSplitter", () => {
  it("splits at separators, unescapes >From, drops the separator's empty line, writes CRLF", () => {
    expect(split(ARCHIVE)).toEqual([
      "From: alice@example.test\r\nSubject: one\r\n\r\nHello\r\nFrom the start\r\n>From twice\r\n",
      "From: bob@example.test\r\nSubject: two\r\n\r\nHi\r\nFrom here on, a body line (unescaped, not after an empty line)\r\nend\r\n",
    ]);
  });

  it("gives the same messages whatever the chunk boundaries (1, 7, 64 bytes) and for CRLF archives", () => {
    const whole = split(ARCHIVE);
    for (const chunk of [1, 7, 64]) expect(split(ARCHIVE, 1 << 20, chunk)).toEqual(whole);
    expect(split(ARCHIVE.replace(/\n/g, "\r\n"), 1 << 20, 5)).toEqual(whole);
  });

  it("keeps empty lines that are the message's own; an empty message is an empty entry", () => {
    expect(split("From a Thu Jan  1 00:00:00 2026\nSubject: x\n\nbody\n\n\nFrom b Thu Jan  1 00:00:00 2026\n\nFrom c\n")).toEqual([
      "Subject: x\r\n\r\nbody\r\n\r\n",
      "",
      "",
    ]);
  });

  it("counts a message over the limit without holding it, and goes on with the next", () => {
    const big = `From a Thu Jan  1 00:00:00 2026\nSubject: big\n\n${"x".repeat(5000)}\n${"y".repeat(300)}\n\nFrom b Thu Jan  1 00:00:00 2026\nSubject: small\n`;
    for (const chunk of [Infinity, 100]) {
      const out = split(big, 1000, chunk);
      expect(out).toHaveLength(2);
      expect(out[0]).toMatch(/^<oversize \d+>$/);
      expect(Number(/\d+/.exec(out[0])![0])).toBeGreaterThan(1000);
      expect(out[1]).toBe("Subject: small\r\n");
    }
  });

  it("refuses what is not an mbox (MboxError): a bare message, an empty body", () => {
    expect(() => split("Subject: not an mbox\n\nhello\n")).toThrow(MboxError);
    expect(() => split("")).toThrow(MboxError);
    expect(() => split("\n\n")).toThrow(MboxError);
    expect(split("\n\nFrom a\nSubject: x\n")).toEqual(["Subject: x\r\n"]);
  });

  it("splitMbox reads a stream", async () => {
    const stream = new Blob([ARCHIVE]).stream();
    const out: string[] = [];
    for await (const e of splitMbox(stream, 1 << 20)) out.push(dec(e));
    expect(out).toEqual(split(ARCHIVE));
  });
});
