// Sync costs through `wrangler dev`: full initial Sync of a 10 000-message Inbox at WindowSize 100 and 512,
// and the no-change Sync. Mail is imported through the Worker's email() handler (which calls the mailbox
// object's deliver RPC). "Server time" is the time the Sync command spent in the mailbox object, as
// reported in its Server-Timing header; latency is what the client saw (query, auth, encode, HTTP).
// Run: npx tsx bench/sync.bench.ts [messages]   (prints, and appends a section to bench/RESULTS.md)
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../scripts/dev-server.mjs";
import { child, childText, childrenNamed, el, type WbxmlElement } from "../src/wbxml/index";
import { insertAccount } from "../test/node/accounts";
import { Phone } from "../test/node/phone";
import { syncRequest } from "../test/node/sync-requests";
import { freePort } from "../test/free-port";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MESSAGES = Number(process.argv[2] ?? 10_000);
const USER = "bench-sync@example.test";
const PW = "bench password";
const INBOX = "1";

function serverMs(h: Headers): number {
  const m = /dur=([0-9.]+)/.exec(h.get("Server-Timing") ?? "");
  if (!m) throw new Error("no Server-Timing header on a Sync response");
  return Number(m[1]);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

function mime(i: number): string {
  const body = `Hello, this is message ${i}.\r\n`.repeat(20);
  return (
    `From: Sender ${i % 50} <s${i % 50}@example.test>\r\nTo: ${USER}\r\nSubject: Bench message ${i}\r\n` +
    `Date: ${new Date(Date.now() - i * 60_000).toUTCString()}\r\nMessage-ID: <bench${i}@example.test>\r\n` +
    `MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}` +
    `--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>${body}</p></body></html>\r\n--b--\r\n`
  );
}

const bodyOptions = el(
  "AirSync",
  "Options",
  el(
    "AirSyncBase",
    "BodyPreference",
    el("AirSyncBase", "Type", 2),
    el("AirSyncBase", "TruncationSize", 5120),
    el("AirSyncBase", "Preview", 255),
  ),
);

function syncBody(key: string, windowSize?: number): WbxmlElement {
  return syncRequest(INBOX, key, [windowSize !== undefined && el("AirSync", "WindowSize", windowSize), bodyOptions]);
}

const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-bench-sync-"));
const server = await startDevServer({ port: await freePort(), persistTo, vars: { DEMO_SEED: "false" } });
const lines: string[] = [];
try {
  await insertAccount(persistTo, USER, PW);
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < MESSAGES) {
      const i = next++;
      const r = await fetch(`${server.url}/cdn-cgi/handler/email?from=s@example.test&to=${encodeURIComponent(USER)}`, {
        method: "POST",
        body: mime(i),
      });
      if (!r.ok) throw new Error(`delivery ${i}: HTTP ${r.status} ${await r.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  const importSec = (performance.now() - t0) / 1000;
  console.log(`imported ${MESSAGES} messages in ${importSec.toFixed(1)} s`);

  const phone = (deviceId: string) =>
    new Phone({ baseUrl: server.url, user: USER, password: PW, deviceId, deviceType: "Bench", protocolVersion: "16.1" });
  const baselinePhone = phone("benchBase");
  await baselinePhone.command("Nonsense", null, { validate: false });
  const base: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    await baselinePhone.command("Nonsense", null, { validate: false });
    base.push(performance.now() - t);
  }
  const baseline = pct(base, 50);

  const fullSync = async (windowSize: number) => {
    const p = phone(`bench${windowSize}`);
    const start = performance.now();
    let key = childText(
      child(child((await p.command("Sync", syncBody("0"), { validate: false })).tree, "Collections"), "Collection"),
      "SyncKey",
    )!;
    let requests = 1;
    let items = 0;
    let bytes = 0;
    const per: number[] = [];
    const server: number[] = [];
    for (;;) {
      const t = performance.now();
      const r = await p.command("Sync", syncBody(key, windowSize), { validate: false });
      per.push(performance.now() - t);
      server.push(serverMs(r.headers));
      requests++;
      bytes += r.raw.length;
      const coll = child(child(r.tree, "Collections"), "Collection");
      items += childrenNamed(child(coll, "Commands"), "Add").length;
      key = childText(coll, "SyncKey")!;
      if (!child(coll, "MoreAvailable")) break;
    }
    const wall = performance.now() - start;
    if (items !== MESSAGES) throw new Error(`WindowSize ${windowSize}: got ${items} items, expected ${MESSAGES}`);
    return { p, key, wall, requests, per, server, bytes };
  };

  const w100 = await fullSync(100);
  const w512 = await fullSync(512);
  const idle: number[] = [];
  const idleServer: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    const r = await w100.p.command("Sync", syncBody(w100.key), { validate: false });
    idle.push(performance.now() - t);
    idleServer.push(serverMs(r.headers));
    if (r.raw.length !== 0) throw new Error("no-change Sync returned a body");
  }
  const row = (name: string, r: typeof w100) =>
    `| full initial Sync, ${MESSAGES} messages, WindowSize ${name} | ${(r.wall / 1000).toFixed(2)} s wall, ${r.requests} requests, ` +
    `${(r.bytes / 1e6).toFixed(1)} MB; per request p50 ${pct(r.per, 50).toFixed(1)} ms / p99 ${pct(r.per, 99).toFixed(1)} ms; ` +
    `server time per request p50 ${pct(r.server, 50).toFixed(1)} ms / p99 ${pct(r.server, 99).toFixed(1)} ms (${(pct(r.server, 50) / Number(name)).toFixed(2)} ms/item) |`;
  lines.push(
    `\n## Sync (${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? "cpu"}, ${os.cpus().length} cores shared, Node ${process.version}, wrangler dev)\n`,
    "| what | result |",
    "|---|---|",
    `| import through email() → Mailbox.deliver, 6 concurrent | ${MESSAGES} messages in ${importSec.toFixed(1)} s (${(MESSAGES / importSec).toFixed(0)} /s) |`,
    `| baseline request (query, cached auth, 501), p50 | ${baseline.toFixed(1)} ms |`,
    row("100", w100),
    row("512", w512),
    `| no-change Sync (200 requests), latency p50 / p99 | ${pct(idle, 50).toFixed(1)} / ${pct(idle, 99).toFixed(1)} ms |`,
    `| no-change Sync, server time (mailbox object) p50 / p99 (target p50 ≤ 5 ms) | ${pct(idleServer, 50).toFixed(1)} / ${pct(idleServer, 99).toFixed(1)} ms |`,
  );
  console.log(lines.join("\n"));
  appendFileSync(path.join(root, "bench", "RESULTS.md"), lines.join("\n") + "\n");
} finally {
  await server.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
