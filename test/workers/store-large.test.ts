// Messages above the inline threshold: raw MIME, bodies and attachments go to R2 and come back
// byte-identical; deleting the item removes its R2 objects. Uses the demo corpus's 10 MB attachment.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import PostalMime from "postal-mime";
import { expect, it } from "vitest";
// @ts-expect-error plain ESM script without type declarations
import { demoMessages } from "../../scripts/demo-mail.mjs";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { INLINE_LIMIT } from "../../src/store/builtin";

const ADDRESS = "large@example.test";
const TEN_MB = 10 * 1024 * 1024;

async function r2Keys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.BLOBS.list({ prefix, ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

it("a 10 MB attachment: raw and attachment in R2, byte-identical, gone from R2 after delete", async () => {
  const big = (demoMessages({ now: Date.UTC(2026, 10, 26) }) as { name: string; raw: Uint8Array }[]).find(
    (m) => m.name === "big-attachment",
  )!;
  const raw = new Uint8Array(big.raw);
  expect(raw.byteLength).toBeGreaterThan(TEN_MB);
  const stub = env.MAILBOX.getByName(ADDRESS);
  const t0 = Date.now();
  const { folderId, itemId } = await stub.deliver(raw);
  console.log(`STORE-BENCH ${JSON.stringify({ bigDeliverMs: Date.now() - t0, bigBytes: raw.byteLength })}`);
  const prefix = await runInDurableObject(stub, async (_mb: Mailbox, state) => `mbx/${state.id.toString()}/`);

  const keys = await r2Keys(prefix);
  expect(keys.filter((k) => k.endsWith("/raw"))).toHaveLength(1);
  expect(keys.filter((k) => k.endsWith("/part-1"))).toHaveLength(1);

  await runInDurableObject(stub, async (mb: Mailbox, state) => {
    // The SQLite rows hold only keys: nothing large inline.
    const sizes = state.storage.sql
      .exec<{ raw: number | null; parts: number | null }>(
        `SELECT length(m.raw) AS raw, (SELECT max(length(data)) FROM parts) AS parts FROM messages m`,
      )
      .one();
    expect(sizes.raw).toBeNull();
    expect(sizes.parts).toBeNull();

    const summary = (await mb.store.getSummary(folderId, itemId))!;
    expect(summary.size).toBe(raw.byteLength);
    expect(summary.attachments).toEqual([
      { partId: "1", filename: "brand-guidelines.pdf", contentType: "application/pdf", size: TEN_MB, inline: false },
    ]);
    expect(await mb.store.getMime(folderId, itemId)).toEqual(raw);
    const att = (await mb.store.getAttachment(folderId, itemId, "1"))!;
    const reference = await PostalMime.parse(raw);
    expect(att.data.byteLength).toBe(TEN_MB);
    expect(att.data).toEqual(new Uint8Array(reference.attachments[0].content as ArrayBuffer));

    // Moving keeps the same R2 objects (no copy); deleting removes them.
    const moved = await mb.store.moveItem(folderId, itemId, "3");
    expect(await r2Keys(prefix)).toEqual(keys);
    expect((await mb.store.getAttachment("3", moved, "1"))!.data.byteLength).toBe(TEN_MB);
    await mb.store.deleteItem("3", moved);
  });
  expect(await r2Keys(prefix)).toEqual([]);
}, 60_000);

it("an HTML body above the threshold lives in R2 and comes back whole", async () => {
  const html = `<html><body>${"<p>Line of a very long newsletter body with ünïcödé.</p>\n".repeat(4000)}</body></html>`;
  expect(new TextEncoder().encode(html).byteLength).toBeGreaterThan(INLINE_LIMIT);
  const raw = new TextEncoder().encode(
    `From: n@example.test\r\nTo: large@example.test\r\nSubject: Long\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${html}`,
  );
  const { folderId, itemId } = await env.MAILBOX.getByName(ADDRESS).deliver(raw);
  await runInDurableObject(env.MAILBOX.getByName(ADDRESS), async (mb: Mailbox) => {
    const body = (await mb.store.getBody(folderId, itemId, "html"))!;
    expect(body.data.trimEnd()).toBe(html); // postal-mime ends a text body with a newline
    expect(body.size).toBe(new TextEncoder().encode(body.data).byteLength);
    const plain = (await mb.store.getBody(folderId, itemId, "plain"))!;
    expect(plain.data).not.toContain("<p>");
    expect(plain.data.split("\n").filter((l) => l.includes("ünïcödé")).length).toBe(4000);
    expect(await mb.store.getMime(folderId, itemId)).toEqual(raw);
  });
});
