// Bulk import into the built-in store (issue 15, target 5): one mbox archive of N messages posted to the admin
// API (POST /admin/v1/mailboxes/{address}/import, streamed, batches of ≤ 250 messages per RPC and transaction)
// against, in the same run and on the same Worker, the way mail came in before: email() per message (6 at a
// time, as bench/sync.bench.ts imports) and the admin's single-message import (?arrival=date), one at a time.
// Then the same archive again: every message a duplicate (what a re-post after a cut costs).
// Run: npm run bench import [messages]   (bench/run.mjs appends what it prints to bench/RESULTS.md)
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../scripts/dev-server.mjs";
import { insertAccount } from "../test/node/accounts";
import { freePort } from "../test/free-port";

const MESSAGES = Number(process.argv[2] ?? 5000);
const REFERENCE = 300; // messages through each of the old paths
const ADMIN_TOKEN = "bench-admin-token";

function mime(i: number, to: string): string {
  const body = `Hello, this is message ${i}.\r\n`.repeat(20);
  return (
    `From: Sender ${i % 50} <s${i % 50}@example.test>\r\nTo: ${to}\r\nSubject: Bench message ${i}\r\n` +
    `Date: ${new Date(Date.now() - i * 60_000).toUTCString()}\r\nMessage-ID: <bench${i}@example.test>\r\n` +
    `MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}` +
    `--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>${body}</p></body></html>\r\n--b--\r\n`
  );
}

// BENCH_TMPDIR=/dev/shm puts the local state on tmpfs (the write cost without the disk).
const persistTo = mkdtempSync(path.join(process.env.BENCH_TMPDIR ?? os.tmpdir(), "mobile-sync-bench-import-"));
const load0 = os.loadavg();
const server = await startDevServer({ port: await freePort(), persistTo, vars: { ADMIN_TOKEN, DEMO_SEED: "false" } });
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
try {
  const viaEmail = "bench-email@example.test";
  const viaSingle = "bench-single@example.test";
  const viaBulk = "bench-bulk@example.test";
  for (const a of [viaEmail, viaSingle, viaBulk]) await insertAccount(persistTo, a, "pw");

  // Warm-up: each mailbox object exists and has its schema before the clock starts.
  for (const a of [viaEmail, viaSingle, viaBulk]) {
    const r = await fetch(`${server.url}/admin/v1/mailboxes/${encodeURIComponent(a)}/messages?arrival=date`, {
      method: "POST",
      headers: { ...admin, "content-type": "message/rfc822" },
      body: mime(-1, a),
    });
    if (r.status !== 201) throw new Error(`warm-up: HTTP ${r.status} ${await r.text()}`);
  }

  let t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      while (next < REFERENCE) {
        const i = next++;
        const r = await fetch(`${server.url}/cdn-cgi/handler/email?from=s@example.test&to=${encodeURIComponent(viaEmail)}`, {
          method: "POST",
          body: mime(i, viaEmail),
        });
        if (!r.ok) throw new Error(`email() ${i}: HTTP ${r.status}`);
      }
    }),
  );
  const emailRate = REFERENCE / ((performance.now() - t) / 1000);

  t = performance.now();
  for (let i = 0; i < REFERENCE; i++) {
    const r = await fetch(`${server.url}/admin/v1/mailboxes/${encodeURIComponent(viaSingle)}/messages?arrival=date`, {
      method: "POST",
      headers: { ...admin, "content-type": "message/rfc822" },
      body: mime(i, viaSingle),
    });
    if (r.status !== 201) throw new Error(`single import ${i}: HTTP ${r.status}`);
  }
  const singleRate = REFERENCE / ((performance.now() - t) / 1000);

  const archive = Array.from(
    { length: MESSAGES },
    (_, i) => `From s@example.test Mon Jan  1 00:00:00 2024\r\n${mime(i, viaBulk)}\r\n`,
  ).join("");
  const bulk = async () => {
    const t0 = performance.now();
    // Streamed in 64 KiB chunks without a Content-Length, as a large upload arrives.
    const bytes = new TextEncoder().encode(archive);
    const body = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (let i = 0; i < bytes.length; i += 65536) ctl.enqueue(bytes.subarray(i, i + 65536));
        ctl.close();
      },
    });
    const r = await fetch(`${server.url}/admin/v1/mailboxes/${encodeURIComponent(viaBulk)}/import`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/mbox" },
      body,
      duplex: "half",
    } as RequestInit);
    const report = (await r.json()) as { imported: number; duplicates: number; skipped: number; batches: number };
    if (r.status !== 200) throw new Error(`bulk import: HTTP ${r.status} ${JSON.stringify(report)}`);
    return { s: (performance.now() - t0) / 1000, report, mb: bytes.length / 1048576 };
  };
  const first = await bulk();
  if (first.report.imported !== MESSAGES) throw new Error(`bulk import: ${JSON.stringify(first.report)}`);
  const again = await bulk();
  if (again.report.duplicates !== MESSAGES) throw new Error(`bulk import again: ${JSON.stringify(again.report)}`);
  const bulkRate = MESSAGES / first.s;

  console.log(
    [
      `\n## Bulk import into the built-in store (issue 15 target 5, ${new Date().toISOString().replace(/\.\d+Z$/, "Z")})\n`,
      `${os.cpus()[0]?.model ?? "cpu"}, ${os.cpus().length} cores shared, Node ${process.version}, wrangler dev; load average ${load0
        .map((l) => l.toFixed(2))
        .join(" ")} before, ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(
          " ",
        )} after. Local state in ${path.dirname(persistTo)}. One mailbox per row; messages of ~2.3 KB (multipart/alternative, as bench/sync.bench.ts).\n`,
      "| path | messages | time | messages/s | ÷ email() |",
      "|---|---|---|---|---|",
      `| email() per message, 6 concurrent (reference) | ${REFERENCE} | ${(REFERENCE / emailRate).toFixed(1)} s | ${emailRate.toFixed(0)} | 1.00× |`,
      `| admin POST /messages?arrival=date, one at a time | ${REFERENCE} | ${(REFERENCE / singleRate).toFixed(1)} s | ${singleRate.toFixed(0)} | ${(singleRate / emailRate).toFixed(2)}× |`,
      `| admin POST /import, one mbox of ${first.mb.toFixed(1)} MiB streamed, ${first.report.batches} batches | ${MESSAGES} | ${first.s.toFixed(1)} s | **${bulkRate.toFixed(0)}** | ${(bulkRate / emailRate).toFixed(2)}× |`,
      `| the same archive again (all ${MESSAGES} duplicates, nothing written) | ${MESSAGES} | ${again.s.toFixed(1)} s | ${(MESSAGES / again.s).toFixed(0)} | ${(MESSAGES / again.s / emailRate).toFixed(2)}× |`,
    ].join("\n"),
  );
} finally {
  await server.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
