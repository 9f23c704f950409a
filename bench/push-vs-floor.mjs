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
// PUSH_PAIRS=k (k > 1): floor, ours, floor, ours… k pairs in this one invocation, each side on a new server; one
// row per run, each pair's ratios, and the median (min–max) of the pairs' ratios, appended as one section (the
// floor's own figure moves by a third between runs: a ratio is read from pairs, not from one run).
// PUSH_PARK_RATE=r (push-lib.mjs): both sides park r requests a second instead of as fast as they are accepted,
// so the objects live at once (those parked within the ~10 s before eviction) are as many on both sides.
// PUSH_FLOOR_PARK_STATEMENTS=S (push-lib.mjs): each floor object runs S one-row statements as its request parks.
import { appendFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  IDLE_MS,
  IN_FLIGHT,
  PARK_RATE,
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
    const pings = await parkAll(server.url, N, true, server.log, floor ? parkFloor : undefined, 0);
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
const PAIRS = Math.max(1, Number(process.env.PUSH_PAIRS ?? 1));
const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "–");
const knobs = () =>
  [
    "PUSH_RESTART",
    "PUSH_PARK_RATE",
    "PUSH_FLOOR_TABLES",
    "PUSH_FLOOR_STORE",
    "PUSH_FLOOR_STATEMENTS",
    "PUSH_FLOOR_PARK_STATEMENTS",
    "PUSH_NO_APPEND",
  ]
    .filter((k) => process.env[k])
    .map((k) => `${k}=${process.env[k]}`)
    .join(" ");
if (PAIRS > 1 && !only) {
  const runs = [];
  for (let i = 0; i < PAIRS; i++) {
    const fl = await run(true);
    console.error(JSON.stringify({ pair: i + 1, ...fl }));
    const ou = await run(false);
    console.error(JSON.stringify({ pair: i + 1, ...ou }));
    runs.push({ floor: fl, ours: ou });
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const spread = (xs, d = 2) => `${f(median(xs), d)} (${f(Math.min(...xs), d)}–${f(Math.max(...xs), d)})`;
  const mem = runs.map((r) => r.ours.kbPerPing.runtime / r.floor.kbPerPing.runtime);
  const cpu = runs.map((r) => r.ours.cpu.runtime / r.floor.cpu.runtime);
  const wall = runs.map((r) => r.ours.ms / r.floor.ms);
  const proxy = runs.map((r) => r.ours.kbPerPing.proxy / r.floor.kbPerPing.proxy);
  const side = (r) =>
    `${f(r.load0)} → ${f(r.load1)} | ${f(r.ms / 1000, 2)} s | ${JSON.stringify(r.statuses)}${r.bad ? `, ${r.bad} failed` : ""} | ${r.evicted} of ${N} | ${f(r.cpu.runtime, 2)} | ${f(r.idle.runtime)} → ${f(r.parked.runtime)} | ${f(r.kbPerPing.runtime)} KB | ${f(r.kbPerPing.proxy)} KB`;
  const lines = [
    "",
    `## Parked Pings against the platform's floor, ${PAIRS} interleaved pairs in one run (issue 15 target 3) — ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
    "",
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, \`wrangler dev\` on loopback, local tail stream off, objects' SQLite on ${process.env.PUSH_BENCH_DIR ?? os.tmpdir()}. N = ${N} parked requests${PARK_RATE ? ` parked at ${PARK_RATE}/s` : ""}, idle ${IDLE_MS / 1000} s, then all woken at once (≤ ${IN_FLIGHT} wakes in flight). Floor, ours, floor, ours…, each on a new server. Knobs: ${knobs() || "none"}.`,
    "",
    "| pair: side | load before → after | every request answered in | answers | objects evicted and restarted | runtime CPU ms per wake | runtime RSS idle → parked (MB) | **runtime per parked request** | entry proxy per parked request |",
    "|---|---|---|---|---|---|---|---|---|",
    ...runs.flatMap((r, i) => [
      `| ${i + 1}: floor | ${side(r.floor)} |`,
      `| ${i + 1}: ours | ${side(r.ours)} |`,
      `| **${i + 1}: ours ÷ floor** | | ${f(wall[i], 2)}× | | | ${f(cpu[i], 2)}× | | **${f(mem[i], 2)}×** | ${f(proxy[i], 2)}× |`,
    ]),
    `| **median (min–max) of ${PAIRS} pairs** | | ${spread(wall)}× | | | ${spread(cpu)}× | | **${spread(mem)}×** | ${spread(proxy)}× |`,
    `| runtime per parked request, median (min–max): floor / ours | | | | | | | ${spread(
      runs.map((r) => r.floor.kbPerPing.runtime),
      1,
    )} / ${spread(
      runs.map((r) => r.ours.kbPerPing.runtime),
      1,
    )} KB | |`,
    "",
  ];
  console.log(lines.join("\n"));
  if (process.env.PUSH_NO_APPEND !== "1") appendFileSync(path.join(root, "bench/RESULTS.md"), lines.join("\n"));
  process.exit(0);
}
const floor = only === "ours" ? null : await run(true);
if (floor) console.error(JSON.stringify(floor));
const ours = only === "floor" ? null : await run(false);
if (ours) console.error(JSON.stringify(ours));
if (!floor || !ours) process.exit(0);

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
