// A bridged account's INBOX filled straight into its Dovecot maildir (n messages of ~1 KB, one an hour from
// 2026-01-01, every third unread), then opened once by "another client" so Dovecot has indexed it: the shared
// fill of bench/bridge-page.bench.ts, bench/imap-e2e.bench.ts and bench/sync-profile.ts. Each bench names the
// warm-up FETCH it has always used (what Dovecot caches decides what a later FETCH costs), so its figures stay
// comparable with its earlier runs.
import { chownSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { FetchQueryObject } from "imapflow";
import { type BridgeAccount, maildirOf, withImap } from "../test/node/bridge-client";

/** The warm-up of bridge-page and imap-e2e: what a desktop client reads on opening a folder (its cache filled). */
export const DESKTOP_WARM_UP: FetchQueryObject = { flags: true, internalDate: true, size: true, envelope: true, bodyStructure: true };
/** sync-profile's warm-up (no BODYSTRUCTURE). */
export const ENVELOPE_WARM_UP: FetchQueryObject = { flags: true, internalDate: true, size: true, envelope: true };

/** Message `i` of a bench folder, to `to`, dated `date` (also what bridge-page imports into its built-in mailbox). */
export function benchMessage(i: number, to: string, date: Date): string {
  const body = `Message ${i} of the benchmark folder.\r\n`.repeat(20);
  return `From: Sender ${i % 37} <sender${i % 37}@mta.test>\r\nTo: ${to}\r\nSubject: Benchmark message ${i}\r\nDate: ${date.toUTCString()}\r\nMessage-ID: <bench-${i}@mta.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`;
}

/** The date of message `i`: one an hour from 2026-01-01. */
export function benchDate(i: number): Date {
  return new Date(Date.UTC(2026, 0, 1) + i * 3_600_000);
}

/** Writes `n` bench messages into the account's INBOX maildir, then has Dovecot index them with `warmUp`. */
export async function fillMaildir(a: BridgeAccount, n: number, warmUp: FetchQueryObject): Promise<void> {
  await withImap(a, (c) => c.status("INBOX", { messages: true }).then(() => undefined)); // Dovecot makes the maildir
  const cur = path.join(maildirOf(a), "cur");
  mkdirSync(cur, { recursive: true });
  const owner = process.getuid?.() === 0 ? { uid: 8, gid: 8 } : null; // test/servers/dovecot.ts mailOwner()
  for (let i = 0; i < n; i++) {
    const date = benchDate(i);
    const raw = benchMessage(i, a.address, date);
    const file = path.join(cur, `${Math.floor(date.getTime() / 1000)}.M${i}P1.bench,S=${raw.length}:2,${i % 3 ? "S" : ""}`);
    writeFileSync(file, raw);
    if (owner) chownSync(file, owner.uid, owner.gid);
  }
  // A real mailbox has been opened by other clients: index it and fill Dovecot's cache as the bench's client does.
  await withImap(a, async (c) => {
    const lock = await c.getMailboxLock("INBOX");
    try {
      let count = 0;
      for await (const _ of c.fetch("1:*", warmUp)) count++;
      if (count !== n) throw new Error(`Dovecot indexed ${count} of ${n} messages`);
    } finally {
      lock.release();
    }
  });
}
