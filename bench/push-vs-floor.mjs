// Issue 15 target 3: parked Pings against the platform's floor, both measured in one run, back to back.
//
//   npx tsx bench/push-vs-floor.mjs [N]      # N = 3000 by default; appends a section to bench/RESULTS.md
//
// For the floor (bench/push-floor: one SQLite-backed object per "mailbox" holding one hibernatable socket, woken
// by an RPC that only sends on it) and then for ours (N Pings on N mailboxes, woken by the admin delivery that
// production's email() stands for), the same client, the same 128-in-flight burst, the same 15 s idle (every
// object evicted before the burst):
//   - burst: time until every parked request is answered, and CPU per wake of each process (/proc);
//   - memory: RSS per parked request of the runtime workerd alone, and of wrangler's entry proxy apart.
// Ratio = ours ÷ floor. The objects' SQLite files go where PUSH_BENCH_DIR says (default the OS tmp dir).
// PUSH_ONLY=ours|floor runs one side only (nothing appended); PUSH_LOG_DIR=dir keeps each side's wrangler dev
// output (the Worker's log lines: the exception behind a 5xx) as dir/push-vs-floor-{floor,ours}.log.
// The floor's knobs (bench/push-lib.mjs): PUSH_FLOOR_STORE=1 stores the message before the wake; with it,
// PUSH_FLOOR_STATEMENTS=S runs S more one-row reads per wake; PUSH_FLOOR_TABLES=K makes K tables + K indexes in
// each floor object when it parks (a mailbox-sized schema); PUSH_FLOOR_D1=1 reads the recipient's login in D1 before
// each wake; PUSH_FLOOR_LOGS=1 writes one console line at the wake and one at the parked request's answer. The
// "equivalent-work floor" (the platform work a delivery must do, none of our code): PUSH_ONLY=floor
// PUSH_FLOOR_STORE=1 PUSH_FLOOR_STATEMENTS=20 PUSH_FLOOR_D1=1 PUSH_FLOOR_LOGS=1.
// PUSH_RESTART=1: each side first parks N and wakes them all on a server it then stops (every object made, its schema
// with it), and is measured on a new server over the same state: every park is then an object's restart, not its
// first start (what SQLite's parsed schema costs per open connection, apart from what making it cost).
import { appendFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  IDLE_MS,
  IN_FLIGHT,
  burst,
  constructedSince,
  cpuDelta,
  cpuSeconds,
  parkAll,
  parkFloor,
  root,
  rssMb,
  sleep,
  startPushServer,
  wakeFloor,
  workerds,
} from "./push-lib.mjs";

const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 3000);

const RESTART = process.env.PUSH_RESTART === "1";

async function run(floor) {
  let { persistTo, server } = await startPushServer(floor, N, "mobile-sync-pushfloor-");
  if (RESTART) {
    const pings = await parkAll(server.url, N, true, server.log, floor ? parkFloor : undefined);
    await burst(server.url, N, floor ? "floor" : undefined, floor ? wakeFloor : undefined);
    await Promise.all(pings);
    await server.stop();
    server = await startPushServer(floor, N, "", persistTo).then((x) => x.server);
  }
  const base = server.url;
  const load0 = os.loadavg()[0];
  try {
    await fetch(base + "/");
    const p = workerds(server.child.pid);
    const idle = { runtime: rssMb(p.runtime), proxy: rssMb(p.proxy) };
    const pings = await parkAll(base, N, true, server.log, floor ? parkFloor : undefined);
    await sleep(IDLE_MS);
    const parked = { runtime: rssMb(p.runtime), proxy: rssMb(p.proxy) };
    const logFrom = server.log().length;
    const c0 = cpuSeconds(server.child.pid);
    const t0 = performance.now();
    const r = await burst(base, N, floor ? "floor" : undefined, floor ? wakeFloor : undefined);
    const answered = await Promise.all(pings);
    const ms = Math.max(...answered.map((x) => x.at)) - t0;
    const cpu = cpuDelta(c0, cpuSeconds(server.child.pid));
    const statuses = {};
    for (const a of answered) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    // Answers other than the expected one: when (s after the burst began; negative = before it) and what they said.
    const odd = answered.filter((a) => a.status !== (floor ? "changes" : 2));
    if (odd.length)
      console.error(
        JSON.stringify({
          odd: odd.length,
          firstAtS: Math.min(...odd.map((a) => (a.at - t0) / 1000)),
          lastAtS: Math.max(...odd.map((a) => (a.at - t0) / 1000)),
          bodies: [...new Set(odd.map((a) => a.body))].slice(0, 5),
        }),
      );
    const perWake = (k) => ((cpu[k] ?? 0) * 1000) / N;
    return {
      floor,
      load0,
      load1: os.loadavg()[0],
      ms,
      bad: r.bad,
      statuses,
      evicted: constructedSince(server.log, logFrom),
      cpu: { runtime: perWake(`workerd:${p.runtime}`), proxy: perWake(`workerd:${p.proxy}`), node: perWake("wrangler (node: dev proxy)") },
      kbPerPing: {
        runtime: ((parked.runtime - idle.runtime) * 1024) / N,
        proxy: ((parked.proxy - idle.proxy) * 1024) / N,
      },
      idle,
      parked,
    };
  } finally {
    await server.stop();
    if (process.env.PUSH_LOG_DIR)
      writeFileSync(path.join(process.env.PUSH_LOG_DIR, `push-vs-floor-${floor ? "floor" : "ours"}.log`), server.log());
    rmSync(persistTo, { recursive: true, force: true });
  }
}

const only = process.env.PUSH_ONLY;
const floor = only === "ours" ? null : await run(true);
if (floor) console.error(JSON.stringify(floor));
const ours = only === "floor" ? null : await run(false);
if (ours) console.error(JSON.stringify(ours));
if (!floor || !ours) process.exit(0);

const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "–");
const row = (name, r) =>
  `| ${name} | ${f(r.load0)} → ${f(r.load1)} | ${f(r.ms / 1000, 2)} s | ${JSON.stringify(r.statuses)}${r.bad ? `, ${r.bad} failed` : ""} | ${r.evicted} of ${N} | ${f(r.cpu.runtime, 2)} / ${f(r.cpu.proxy, 2)} / ${f(r.cpu.node, 2)} | ${f(r.idle.runtime)} → ${f(r.parked.runtime)} | ${f(r.kbPerPing.runtime)} KB | ${f(r.idle.proxy)} → ${f(r.parked.proxy)} | ${f(r.kbPerPing.proxy)} KB |`;
const lines = [
  "",
  `## Parked Pings against the platform's floor, one run (issue 15 target 3) — ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
  "",
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, \`wrangler dev\` on loopback, local tail stream off, objects' SQLite on ${process.env.PUSH_BENCH_DIR ?? os.tmpdir()}. N = ${N} parked requests, idle ${IDLE_MS / 1000} s (every object evicted), then all woken at once (≤ ${IN_FLIGHT} wakes in flight). Floor: bench/push-floor (bare wake RPC); ours: admin delivery → \`Mailbox.deliver()\` → Ping Status 2. Floor first, ours right after.`,
  "",
  "| what | load before → after | every request answered in | answers | objects evicted and restarted | CPU ms per wake: runtime / entry proxy / wrangler (node) | runtime RSS idle → parked (MB) | **runtime per parked request** | entry proxy RSS idle → parked (MB) | entry proxy per parked request |",
  "|---|---|---|---|---|---|---|---|---|---|",
  row("floor", floor),
  row("ours", ours),
  `| **ours ÷ floor** | | **${f(ours.ms / floor.ms, 2)}×** | | | ${f(ours.cpu.runtime / floor.cpu.runtime, 2)}× / ${f(ours.cpu.proxy / floor.cpu.proxy, 2)}× / | | **${f(ours.kbPerPing.runtime / floor.kbPerPing.runtime, 2)}×** | | ${f(ours.kbPerPing.proxy / floor.kbPerPing.proxy, 2)}× |`,
  "",
];
console.log(lines.join("\n"));
if (process.env.PUSH_NO_APPEND !== "1") appendFileSync(path.join(root, "bench/RESULTS.md"), lines.join("\n"));
