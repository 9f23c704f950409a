// Issue 15 target 4: an ItemOperations Range of a large attachment reads only that range from R2 (a ranged
// GET), never the whole object; small attachments (inline in SQLite) are sliced. The bytes and the total
// match what the sender attached. The phone's side (Range, Total, Status 8, multipart) is sync-large.test.ts.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { BuiltinStore, INLINE_LIMIT } from "../../src/store/builtin";

const ADDRESS = "ranges@example.test";

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

function b64(data: Uint8Array): string {
  let s = "";
  for (let i = 0; i < data.length; i += 0x8000) s += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(s).replace(/.{76}/g, "$&\r\n");
}

function withAttachments(big: Uint8Array, small: Uint8Array): Uint8Array {
  const part = (name: string, d: Uint8Array) =>
    `--b\r\nContent-Type: application/octet-stream; name="${name}"\r\nContent-Disposition: attachment; filename="${name}"\r\n` +
    `Content-Transfer-Encoding: base64\r\n\r\n${b64(d)}\r\n`;
  return new TextEncoder().encode(
    `From: s@example.test\r\nTo: ${ADDRESS}\r\nSubject: Two files\r\nMessage-ID: <ranges@example.test>\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nFiles.\r\n` +
      `${part("big.bin", big)}${part("small.bin", small)}--b--\r\n`,
  );
}

it("a Range of an attachment in R2 is one ranged GET of those bytes; an inline one is sliced; past the end is empty", async () => {
  const big = bytes(3 * INLINE_LIMIT + 123, 1);
  const small = bytes(5000, 2);
  const stub = env.MAILBOX.getByName(ADDRESS);
  const { folderId, itemId } = await stub.deliver(withAttachments(big, small));
  await runInDurableObject(stub, async (mb: Mailbox, state) => {
    const [bigInfo, smallInfo] = (await mb.store.getSummary(folderId, itemId))!.attachments;
    // The real bucket, with its reads recorded.
    const gets: (R2GetOptions | undefined)[] = [];
    const bucket = new Proxy(env.BLOBS, {
      get(target, name) {
        if (name === "get")
          return (key: string, options?: R2GetOptions) => {
            gets.push(options);
            return target.get(key, options);
          };
        const v = Reflect.get(target, name);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const store = new BuiltinStore(state.storage, bucket, `mbx/${state.id.toString()}`);

    // What the phone's ItemOperations Range gets: the bytes as the stream yields them (exactly `length`) and the total.
    const range = async (partId: string, start: number, end: number, item = itemId) => {
      const o = await store.openAttachment(folderId, item, partId, { start, end });
      if (!o) return null;
      const data = new Uint8Array(await new Response(o.body).arrayBuffer());
      expect(data.length).toBe(o.length);
      return { total: o.total, data };
    };

    const mid = (await range(bigInfo.partId, 200_000, 299_999))!;
    expect(mid.total).toBe(big.length);
    expect(mid.data).toEqual(big.slice(200_000, 300_000));
    expect(gets).toEqual([{ range: { offset: 200_000, length: 100_000 } }]);

    const tail = (await range(bigInfo.partId, big.length - 10, big.length + 5000))!;
    expect(tail.data).toEqual(big.slice(big.length - 10));
    expect(tail.total).toBe(big.length);

    const past = (await range(bigInfo.partId, big.length, big.length + 10))!;
    expect(past.data.length).toBe(0);
    expect(past.total).toBe(big.length);

    gets.length = 0;
    const inline = (await range(smallInfo.partId, 100, 4999))!;
    expect(inline.data).toEqual(small.slice(100));
    expect(inline.total).toBe(small.length);
    expect(gets).toEqual([]); // inline in SQLite: no R2 read

    expect(await range("99", 0, 10)).toBeNull();
    expect(await range(bigInfo.partId, 0, 10, "999999")).toBeNull();
  });
});
