// Scale: the cost of one listItems page, one changesSince call and one countItems must not grow with
// the folder. A 100 000-message folder against a 1 000-message one, same SQL path as appendMessage.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import type { BuiltinStore } from "../../src/store/builtin";
import { FolderType } from "../../src/store/types";

const raw = new TextEncoder().encode(
  "From: Load <load@example.test>\r\nTo: scale@example.test\r\nSubject: Load test\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nA small message body of a few words.\r\n",
);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median wall time in ms of `fn` over `runs` runs (performance.now is coarse in workerd, so batch). */
async function time(fn: () => Promise<unknown>, runs = 15, batch = 20): Promise<number> {
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = Date.now();
    for (let i = 0; i < batch; i++) await fn();
    samples.push((Date.now() - t0) / batch);
  }
  return median(samples);
}

/** SQLite rows one call reads: deterministic, unlike wall time. */
async function rowsRead(s: BuiltinStore, fn: () => Promise<unknown>): Promise<number> {
  const before = s.sqlStats().rowsRead;
  await fn();
  return s.sqlStats().rowsRead - before;
}

async function measure(s: BuiltinStore, folderId: string, cost: typeof time) {
  const st = await s.folderStatus(folderId);
  const newest = (await s.listItems(folderId, { limit: 1 }))[0];
  const middle = (
    await s.listItems(folderId, {
      limit: 1,
      since: 0,
      after: { received: newest.received - Math.floor(st.count / 2) * 1000, itemId: "999999999" },
    })
  )[0];
  return {
    firstPage: await cost(() => s.listItems(folderId, { limit: 100 })),
    deepPage: await cost(() => s.listItems(folderId, { limit: 100, after: { received: middle.received, itemId: middle.itemId } })),
    windowPage: await cost(() => s.listItems(folderId, { limit: 100, since: newest.received - 3 * 86_400_000 })),
    changesTail: await cost(() => s.changesSince(folderId, st.highestModseq - 5, 100)),
    changesHead: await cost(() => s.changesSince(folderId, 0, 100)),
    status: await cost(() => s.folderStatus(folderId)),
    count: await cost(() => s.countItems(folderId)),
  };
}

it("list, changes and status cost the same for 100 000 messages as for 1 000", async () => {
  await runInDurableObject(env.MAILBOX.getByName("scale@example.test"), async (mb: Mailbox) => {
    const s = mb.store as BuiltinStore; // a mailbox without backend: the built-in store
    const small = await s.createFolder("0", "Small", FolderType.UserMail);
    const large = await s.createFolder("0", "Large", FolderType.UserMail);
    const now = Date.UTC(2026, 10, 26);
    await s.seedCopies(small.id, raw, 1_000, now, 1000);
    const t0 = Date.now();
    await s.seedCopies(large.id, raw, 100_000, now, 1000, { searchIndex: false }); // this test never searches
    const seedMs = Date.now() - t0;
    expect((await s.folderStatus(large.id)).count).toBe(100_000);

    const rows = (fn: () => Promise<unknown>) => rowsRead(s, fn);
    const rowsSmall = await measure(s, small.id, rows);
    const rowsLarge = await measure(s, large.id, rows);
    const msSmall = await measure(s, small.id, time);
    const msLarge = await measure(s, large.id, time);
    // Full path of one delivery of a typical small message: parse with postal-mime, html→text, insert.
    const t2 = Date.now();
    for (let i = 0; i < 200; i++) await s.appendMessage(small.id, raw);
    const appendMs = (Date.now() - t2) / 200;
    // bench/store.bench.ts collects this line into bench/RESULTS.md.
    console.log(`STORE-BENCH ${JSON.stringify({ seedMs, appendMs, rowsSmall, rowsLarge, msSmall, msLarge })}`);
    for (const k of Object.keys(rowsSmall) as (keyof typeof rowsSmall)[]) {
      // Rows read is deterministic: the same page costs the same rows whatever the folder size
      // (± an index boundary row).
      expect(Math.abs(rowsLarge[k] - rowsSmall[k]), k).toBeLessThanOrEqual(2);
      expect(rowsLarge[k], k).toBeLessThanOrEqual(2 * 100 + 10);
      // Wall time is noisy on a shared machine: generous bound; a scan of the folder would take 50+ ms.
      expect(msLarge[k], k).toBeLessThanOrEqual(Math.max(5 * msSmall[k], msSmall[k] + 5));
    }
    expect((await s.listItems(large.id, { limit: 100 })).length).toBe(100);

    // Emptying the big folder: one tombstone per item, each its own modseq, so paging by modseq is safe.
    const before = await s.folderStatus(large.id);
    const t1 = Date.now();
    await s.emptyFolder(large.id, false);
    console.log(`emptyFolder of 100000: ${Date.now() - t1} ms`);
    const after = await s.folderStatus(large.id);
    expect(after.count).toBe(0);
    const all: number[] = [];
    for (let cursor = before.highestModseq; ; ) {
      const page = await s.changesSince(large.id, cursor, 5000);
      if (page.length === 0) break;
      expect(page.every((c) => c.deleted)).toBe(true);
      all.push(...page.map((c) => c.modseq));
      cursor = page[page.length - 1].modseq;
    }
    expect(all).toHaveLength(100_000);
    expect(new Set(all).size).toBe(100_000);
    expect(all[all.length - 1]).toBe(after.highestModseq);
    expect(await s.folderStatus(small.id)).toMatchObject({ count: 1_200 });
  });
}, 300_000);
