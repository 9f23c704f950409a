// Search cost at scale: a mailbox of SEARCH_BENCH_MESSAGES messages (3 000 in `npm test`, 100 000 for
// bench/search.bench.ts), searched through the mailbox RPC as the Search command does (first page of 100 with
// a 200-byte plain body, what a phone asks). Prints one `SEARCH-BENCH {json}` line for the benchmark.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import type { MailboxSearchRequest } from "../../src/mailbox/contract";
import type { BuiltinStore } from "../../src/store/builtin";
import { FolderType } from "../../src/store/types";

const N = Number(env.SEARCH_BENCH_MESSAGES);
const MINUTE = 60_000;
const NOW = Date.UTC(2026, 11, 1);
const enc = new TextEncoder();
const raw = (subject: string, body: string) =>
  enc.encode(
    `From: Digest <digest@example.test>\r\nTo: scale@example.test\r\nSubject: ${subject}\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\n${body}\r\n`,
  );

const request = (freeText: string | undefined, over: Partial<MailboxSearchRequest> = {}): MailboxSearchRequest => ({
  collectionIds: [],
  deepTraversal: false,
  classes: ["Email"],
  freeText,
  range: { start: 0, end: 99 },
  options: { bodyPreferences: [{ type: 1, truncationSize: 200 }], mimeSupport: 0, protocolVersion: "16.1" },
  ...over,
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

it(`first page of a search in ${N} messages: cost by number of matches`, async () => {
  const stub = env.MAILBOX.getByName("search-scale@example.test");
  const seedStart = Date.now();
  await runInDurableObject(stub, async (mb: Mailbox) => {
    const s = mb.store as BuiltinStore;
    const inbox = s.folderByType(FolderType.Inbox)!.id;
    // Every message holds "weekly"; 1 % hold "marmalade"; one old message holds "tapioca". Subjects get "#i",
    // so "#i" is a word of exactly one message.
    const common = N - Math.floor(N / 100) - 1;
    await s.seedCopies(inbox, raw("Weekly digest", "The weekly digest: nothing special this week, see you soon."), common, NOW, MINUTE);
    await s.seedCopies(
      inbox,
      raw("Weekly marmalade order", "Orange marmalade for the weekly breakfast."),
      Math.floor(N / 100),
      NOW - 30 * MINUTE,
      100 * MINUTE,
    );
    await s.appendMessage(inbox, raw("Weekly tapioca order", "A rare word in the weekly order."), {}, NOW - N * MINUTE);
  });
  const seedMs = Date.now() - seedStart;

  const lastDay = NOW - 86_400_000;
  const cases: Record<string, MailboxSearchRequest> = {
    rare: request("tapioca"),
    // The yardstick of the run: a word no message holds (the RPC, the folder list and one index seek).
    trivial: request("zzqqxx"),
    onePercent: request("marmalade"),
    everyMessage: request("weekly"),
    everyMessageInbox: request("weekly", { collectionIds: ["1"] }),
    twoWords: request("weekly marmalade"),
    twoCommonWords: request("weekly digest"),
    typedPrefix: request("marm"),
    twoWordsInboxLastDay: request("weekly marmalade", { collectionIds: ["1"], receivedAfter: lastDay }),
    commonWordLastDay: request("weekly", { receivedAfter: lastDay }),
    classNotEmail: request("weekly", { classes: ["Calendar"] }),
    lastDayNoWords: request(undefined, { receivedAfter: lastDay }),
  };
  const ms: Record<string, number> = {};
  const minMs: Record<string, number> = {};
  const rows: Record<string, number> = {};
  const totals: Record<string, number> = {};
  // Rounds in turn (every case once per round), so a burst of load on the shared machine hits every case alike.
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let round = 0; round < 9; round++)
    for (const [name, req] of Object.entries(cases)) {
      const t0 = performance.now();
      const r = await stub.search(req); // an RPC: the clock advances across it, so this is the object's time + the call
      samples[name]!.push(performance.now() - t0);
      totals[name] = r.total;
      expect(r.status).toBe(1);
      expect(r.hits.length).toBe(Math.min(100, r.total));
    }
  for (const [name, req] of Object.entries(cases)) {
    ms[name] = median(samples[name]!);
    minMs[name] = Math.min(...samples[name]!);
    rows[name] = await runInDurableObject(stub, async (mb: Mailbox) => {
      const s = mb.store as BuiltinStore;
      const before = s.sqlStats().rowsRead;
      await mb.search(req);
      return s.sqlStats().rowsRead - before;
    });
  }
  // Pages past the first (the store's own paging; Search itself stops at 100 results): inside the newest
  // 1 001 hits (sliced from the one walk), across its end and beyond it (walked again with OFFSET) agree with
  // each other, newest first (two messages may share an arrival time).
  const page = (offset: number) =>
    runInDurableObject(stub, async (mb: Mailbox) => {
      const s = mb.store as BuiltinStore;
      const r = await s.searchMail({ folderIds: [s.folderByType(FolderType.Inbox)!.id], words: ["weekly"], offset, limit: 100 });
      return r.hits.map((h) => h.received);
    });
  const [inside, across, beyond] = [await page(900), await page(950), await page(1950)];
  expect(inside).toHaveLength(100);
  expect(across.slice(0, 50)).toEqual(inside.slice(50));
  expect(beyond).toHaveLength(100);
  expect([...inside, ...across.slice(50)].every((r, i, all) => i === 0 || r <= all[i - 1]!)).toBe(true);
  // Delivery with the index kept: one message at a time into the big mailbox (what email() does), and the
  // set-based import (seedCopies) of the same IMPORT messages with and without the index, in fresh mailboxes.
  const IMPORT = Math.max(200, Math.floor(N / 50));
  const deliveries: number[] = [];
  let written = 0;
  for (let i = 0; i < 21; i++) {
    const t0 = performance.now();
    written = await runInDurableObject(stub, async (mb: Mailbox) => {
      const s = mb.store as BuiltinStore;
      const before = s.sqlStats().rowsWritten;
      await s.appendMessage(s.folderByType(FolderType.Inbox)!.id, raw(`Delivery ${i}`, "Fresh words for the index, then some more."));
      return s.sqlStats().rowsWritten - before;
    });
    deliveries.push(performance.now() - t0);
  }
  const importMs = async (searchIndex: boolean) => {
    const xs: number[] = [];
    for (let round = 0; round < 3; round++) {
      const box = env.MAILBOX.getByName(`search-scale-import-${searchIndex}-${round}@example.test`);
      const t0 = performance.now();
      await runInDurableObject(box, async (mb: Mailbox) => {
        const s = mb.store as BuiltinStore;
        await s.seedCopies(
          s.folderByType(FolderType.Inbox)!.id,
          raw("Import", "The weekly digest: nothing special."),
          IMPORT,
          NOW,
          MINUTE,
          {
            searchIndex,
          },
        );
      });
      xs.push(performance.now() - t0);
    }
    return median(xs);
  };
  const delivery = {
    ms: median(deliveries),
    rowsWritten: written,
    imported: IMPORT,
    importIndexedMs: await importMs(true),
    importBareMs: await importMs(false),
  };
  // Total: exact for the no-words count and where the walk ends within its bound (the page and one more, at
  // least 101 hits); beyond, the density of the hits walked times the messages in scope (MS-ASCMD_R3737 "an
  // estimate"), within 2 % here where the words are spread evenly.
  const exact = { trivial: 0, rare: 1, twoWordsInboxLastDay: 15, classNotEmail: 0, lastDayNoWords: 1440 + 15 };
  const estimated = {
    onePercent: Math.floor(N / 100),
    everyMessage: N,
    everyMessageInbox: N,
    twoWords: Math.floor(N / 100),
    twoCommonWords: N, // "digest" is in every sender address too
    typedPrefix: Math.floor(N / 100),
    commonWordLastDay: 1440 + 15,
  };
  expect(Object.fromEntries(Object.keys(exact).map((k) => [k, totals[k]]))).toEqual(exact);
  for (const [k, want] of Object.entries(estimated))
    expect(Math.abs(totals[k]! - want) / want, `${k}: ${totals[k]} for ${want}`).toBeLessThan(0.02);
  // A rare word costs its hit, not the mailbox (index lookup, then one item and one message row).
  expect(rows.rare).toBeLessThan(50);
  console.log(`SEARCH-BENCH ${JSON.stringify({ n: N, seedMs, ms, minMs, rows, totals, delivery })}`);
}, 600_000);
