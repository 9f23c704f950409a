// A 100 000-message folder (anchors §3 #11): a Sync costs the page it returns, not the folder; later Syncs
// cost the changes. Time is measured around real HTTP requests to the Worker (workerd advances the clock
// across I/O); the bounds are generous ratios against a 1 000-message folder, so a machine under load
// does not fail them but a whole-folder scan (100× the work) does.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { createAccount } from "../../src/service/directory";
import { el } from "../../src/wbxml/index";
import { TestPhone, idsOf, mailOptions, message, moreAvailable, syncKeyOf } from "./helpers/phone";

const PW = "scale-secret";
const INBOX = "1";
const _DAY = 86_400_000;

/**
 * n items in the Inbox, one a minute going back in time. One real message is appended, then its item
 * row is cloned in SQL (as a move does, items share the message row): parsing 100 000 MIME messages
 * would only slow the fixture down.
 */
async function bigInbox(user: string, n: number): Promise<void> {
  await createAccount(env.DB, user, PW);
  await runInDurableObject(env.MAILBOX.getByName(user), async (mb: Mailbox, state: DurableObjectState) => {
    const first = await mb.store.appendMessage(INBOX, message("seed"), {}, Date.now());
    const sql = state.storage.sql;
    state.storage.transactionSync(() => {
      const start = sql.exec<{ value: number }>(`SELECT value FROM store_meta WHERE key = 'modseq'`).one().value;
      const now = Date.now();
      sql.exec(
        `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
         INSERT INTO items (folder, message, modseq, received, seen, flagged, answered, forwarded)
         SELECT folder, message, ? + i, ? - i * 60000, 0, 0, 0, 0 FROM items, k WHERE uid = ?`,
        n - 1,
        start,
        now,
        Number(first),
      );
      sql.exec(`UPDATE store_meta SET value = ? WHERE key = 'modseq'`, start + n - 1);
      sql.exec(`UPDATE folders SET highest_modseq = ?, item_count = ? WHERE seq = ?`, start + n - 1, n, Number(INBOX));
    });
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

beforeAll(async () => {
  await bigInbox("small@example.test", 1_000);
  await bigInbox("big@example.test", 100_000);
}, 120_000);

describe("a 100 000-message folder", () => {
  it("the first pages cost the same as in a 1 000-message folder (keyset paging, no whole-folder scan)", async () => {
    // The two folders' pages alternate (small, big, small, …) so that a burst of load on this shared machine
    // falls on both series, not on one of them only (a ratio measured in one run, pair by pair).
    const pager = async (user: string) => {
      const phone = new TestPhone(user, PW, "PAGES");
      let key = syncKeyOf(await phone.sync(INBOX, "0"));
      const times: number[] = [];
      const next = async () => {
        const { ms, value } = await timed(() => phone.sync(INBOX, key, { windowSize: 100 }));
        expect(idsOf(value, "Add")).toHaveLength(100);
        expect(moreAvailable(value)).toBe(true);
        key = syncKeyOf(value);
        times.push(ms);
      };
      return { next, times };
    };
    const smallPages = await pager("small@example.test");
    const bigPages = await pager("big@example.test");
    for (let i = 0; i < 5; i++) {
      await smallPages.next();
      await bigPages.next();
    }
    const small = median(smallPages.times);
    const big = median(bigPages.times);
    console.log(`first pages (median of 5, WindowSize 100): 1k folder ${small.toFixed(1)} ms, 100k folder ${big.toFixed(1)} ms`);
    expect(big).toBeLessThan(small * 4 + 20);
  }, 60_000);

  it("with FilterType 1 day: initial sync is the window; a no-change Sync and Syncs after changes cost the changes only", async () => {
    const run = async (user: string) => {
      const phone = new TestPhone(user, PW, "WINDOW");
      const day = mailOptions(el("AirSync", "FilterType", 1));
      let key = syncKeyOf(await phone.sync(INBOX, "0", { options: day }));
      let added = 0;
      for (;;) {
        const r = await phone.sync(INBOX, key, { windowSize: 512, options: day });
        added += idsOf(r, "Add").length;
        key = syncKeyOf(r);
        if (!moreAvailable(r)) break;
      }
      expect(added).toBeGreaterThan(900); // one-a-minute mail: the whole 1k folder, or the last 24 h (~1440) of the 100k one
      const idle: number[] = [];
      for (let i = 0; i < 7; i++) {
        const { ms, value } = await timed(() => phone.sync(INBOX, key));
        expect(value.raw.length).toBe(0);
        idle.push(ms);
      }
      // 20 new messages: the next Sync brings exactly them.
      const mb = env.MAILBOX.getByName(user);
      for (let i = 0; i < 20; i++) await mb.deliver(message(`new ${i}`));
      const { ms: changedMs, value } = await timed(() => phone.sync(INBOX, key));
      expect(idsOf(value, "Add")).toHaveLength(20);
      return { idle: median(idle), changed: changedMs };
    };
    const small = await run("small@example.test");
    const big = await run("big@example.test");
    console.log(
      `no-change Sync median: 1k ${small.idle.toFixed(1)} ms, 100k ${big.idle.toFixed(1)} ms; 20 changes: 1k ${small.changed.toFixed(1)} ms, 100k ${big.changed.toFixed(1)} ms`,
    );
    expect(big.idle).toBeLessThan(small.idle * 4 + 10);
    expect(big.changed).toBeLessThan(small.changed * 4 + 20);
  }, 120_000);
});
