// Push benchmark: N Pings parked across N mailboxes on a local `wrangler dev`, woken by mail delivered
// through the email() handler. Loopback only, bounded, stops by itself; appends to bench/RESULTS.md.
//
//   npm run bench:push               # N = 1000 and 3000
//   npm run bench:push -- 200        # other N
//
// Measures (a) delivery → Ping-response latency, one message at a time; (b) time until every Ping is
// answered when all mailboxes get mail at once (at most IN_FLIGHT deliveries in flight, so the entry proxy
// stays under the 20 000 file-descriptor limit); (c) RSS of the workerd processes per parked Ping;
// (d) how many mailbox objects were evicted while their Ping waited (the object logs one line per
// construction with PUSH_TRACE=1; a construction during delivery means the object had been evicted).
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { applyMigrations, startDevServer } from "../scripts/dev-server.mjs";
import { freePort } from "../test/free-port.ts";
import {
  root,
  HEARTBEAT,
  IDLE_MS,
  IN_FLIGHT,
  ADMIN_TOKEN,
  VIA,
  sleep,
  checkDeadline,
  createAccounts,
  serverTimings,
  deliver,
  idleWithProbe,
  sequentialCost,
  burst,
  cpuSeconds,
  cpuDelta,
  workerdRss,
  pct,
  constructions,
  constructedSince,
  parkAll,
} from "./push-lib.mjs";

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const Ns = sizes.length ? sizes : [1000, 3000];

async function run(n) {
  const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-bench-"));
  applyMigrations(persistTo);
  createAccounts(persistTo, n);
  const server = await startDevServer({ port: await freePort(), persistTo, vars: { PUSH_TRACE: "1", DEMO_SEED: "false", ADMIN_TOKEN } });
  const base = server.url;
  const load0 = os.loadavg()[0];
  try {
    await fetch(base + "/");
    const rssIdle = workerdRss(server.child.pid);

    // Round 1: park, let the objects go idle, deliver one message at a time.
    let pings = await parkAll(base, n, true, server.log);
    // Nothing may answer before mail arrives.
    const early = (await Promise.all(pings.map((p) => Promise.race([p, sleep(0).then(() => null)])))).filter(Boolean).length;
    if (early) throw new Error(`${early} Pings answered before any delivery`);
    const idleStall = await idleWithProbe(base, IDLE_MS);
    const rssParked = workerdRss(server.child.pid);
    const c0 = constructions(server.log);
    const logA = server.log().length;
    const latencies = [];
    const statusesA = {};
    serverTimings.length = 0;
    for (let i = 0; i < n; i++) {
      checkDeadline();
      const t0 = performance.now();
      const [code, ping] = await Promise.all([deliver(base, i), pings[i]]);
      latencies.push(ping.at - t0);
      statusesA[ping.status] = (statusesA[ping.status] ?? 0) + 1;
      if (code !== 200) statusesA[`delivery http ${code}`] = (statusesA[`delivery http ${code}`] ?? 0) + 1;
    }
    const evictedA = constructedSince(server.log, logA);
    const mailboxA = serverTimings.map((x) => x.mailbox).filter((x) => x !== undefined);
    const coldRpc = { p50: pct(mailboxA, 50), p99: pct(mailboxA, 99), max: Math.max(...mailboxA), first: mailboxA[0] };
    const reconstructedA = constructions(server.log) - c0;
    const slowestAt = latencies.indexOf(Math.max(...latencies));

    // Round 2: park again (empty body: cached parameters), idle, deliver to everyone at once.
    pings = await parkAll(base, n, false, server.log);
    await sleep(IDLE_MS);
    const logB = server.log().length;
    const t0 = performance.now();
    const cpuB0 = cpuSeconds(server.child.pid);
    const burstB = await burst(base, n);
    const answered = await Promise.all(pings);
    const allAnswered = Math.max(...answered.map((p) => p.at)) - t0;
    const statusesB = {};
    for (const p of answered) statusesB[p.status] = (statusesB[p.status] ?? 0) + 1;
    const badDeliveries = burstB.bad;
    const evictedB = constructedSince(server.log, logB);
    const cpuB = cpuDelta(cpuB0, cpuSeconds(server.child.pid));

    // Control: the same burst with no Ping parked, to the same idle (evicted) objects, through each path: what delivery alone costs.
    const control = {};
    for (const via of ["admin", "email"]) {
      await sleep(IDLE_MS);
      const logC = server.log().length;
      const cpu0 = cpuSeconds(server.child.pid);
      const r = await burst(base, n, via);
      control[via] = {
        allDelivered: r.ms,
        bad: r.bad,
        evicted: constructedSince(server.log, logC),
        cpu: cpuDelta(cpu0, cpuSeconds(server.child.pid)),
      };
    }
    // The same admin burst again at once: the objects are now awake (constructed, SQLite open), so the difference is what waking N evicted objects costs.
    {
      const cpu0 = cpuSeconds(server.child.pid);
      const r = await burst(base, n, "admin");
      control.adminAwake = { allDelivered: r.ms, bad: r.bad, cpu: cpuDelta(cpu0, cpuSeconds(server.child.pid)) };
    }
    // Per-call cost of each path to awake objects, no Ping parked (the objects were just woken by the control bursts).
    const m = Math.min(n, 200);
    const cost = { admin: await sequentialCost(base, m, "admin"), email: await sequentialCost(base, m, "email"), m };

    const sum = (r) => r.reduce((s, x) => s + x.mb, 0);
    return {
      n,
      load0,
      load1: os.loadavg()[0],
      a: {
        p50: pct(latencies, 50),
        p90: pct(latencies, 90),
        p99: pct(latencies, 99),
        max: Math.max(...latencies),
        statuses: statusesA,
        evicted: evictedA,
        constructions: reconstructedA,
        slowestAt,
        idleStall,
        firstTwo: latencies.slice(0, 2),
        coldRpc,
      },
      cost,
      b: { allAnswered, statuses: statusesB, badDeliveries, evicted: evictedB, cpu: cpuB },
      control,
      rss: { idle: rssIdle, parked: rssParked, perPingKb: ((sum(rssParked) - sum(rssIdle)) * 1024) / n },
    };
  } finally {
    await server.stop();
    rmSync(persistTo, { recursive: true, force: true });
  }
}

const results = [];
for (const n of Ns) {
  console.log(`push bench: N = ${n} …`);
  const r = await run(n);
  console.log(JSON.stringify(r, null, 2));
  results.push(r);
}

const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : "–");
const rssCell = (list) => list.map((p) => f(p.mb)).join(" + ");
const cpuCell = (c) => [c.workerd, c["wrangler (node: dev proxy)"], c.bench].map((x) => (x ?? 0).toFixed(1)).join(" / ");
const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;
const ctl = (c) => `${sec(c.allDelivered)}${c.bad ? `, ${c.bad} failed` : ""}`;
const pathName = {
  admin: "admin import `POST /admin/v1/mailboxes/{address}/messages?arrival=now`",
  email: "wrangler's Email Routing simulator `POST /cdn-cgi/handler/email`",
};
const lines = [
  "",
  `## Push: parked Pings woken by delivery (${new Date().toISOString()})`,
  "",
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, \`wrangler dev\` (workerd from wrangler ${JSON.parse(readFileSync(path.join(root, "node_modules/wrangler/package.json"), "utf8")).version}) on loopback, through its entry proxy, wrangler's local observability tail stream ${process.env.X_LOCAL_OBSERVABILITY === "false" ? "off (X_LOCAL_OBSERVABILITY=false: production has no such collector; see bench/push-lib.mjs)" : "on"}. Load average before → after each run shown below.`,
  `N Pings (HeartbeatInterval ${HEARTBEAT}, Folders = Inbox) across N mailboxes, one device each; objects left idle ${IDLE_MS / 1000} s before delivering. (a) and (b) deliver through the ${pathName[VIA]}: D1 recipient lookup, then \`Mailbox.deliver()\` (MIME parse, store, \`changed\` → \`pendingChanges\`, socket send), the same method production's \`email()\` calls. Control bursts (no Ping parked) and per-call cost are given for both paths. Accounts use 1000 PBKDF2 rounds (Pings use Basic auth; deliveries do not hash). The 20 000 file-descriptor limit caps local N near 4000.`,
  "",
  "| N | load before → after | (a) one at a time p50 / p90 / p99 / max (ms) | (a) first two deliveries (ms) | (a) mailbox RPC on the evicted object p50 / p99 / first (ms) | longest `GET /` stall while idle (at s) | (a) Ping statuses | (b) all at once: every Ping answered in | (b) statuses | CPU s in burst (b): workerd / dev proxy / bench client | control burst, no Ping, evicted objects: admin / simulator (workerd CPU s) | same admin burst, objects awake (workerd CPU s) | per call, awake object, p50 / p99 (ms): admin (mailbox RPC p50 / p99) / simulator | (c) workerd RSS idle → parked (MB) | (c) per parked Ping | (d) distinct objects evicted while waiting (a / b) |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ...results.map(
    (r) =>
      `| ${r.n} | ${f(r.load0)} → ${f(r.load1)} | ${f(r.a.p50)} / ${f(r.a.p90)} / ${f(r.a.p99)} / ${f(r.a.max)} (slowest: delivery #${r.a.slowestAt + 1}) | ${r.a.firstTwo.map(f).join(", ")} | ${f(r.a.coldRpc.p50)} / ${f(r.a.coldRpc.p99)} / ${f(r.a.coldRpc.first)} | ${f(r.a.idleStall.ms)} ms (${f(r.a.idleStall.at)} s) | ${JSON.stringify(r.a.statuses)} | ${sec(r.b.allAnswered)} (≤ ${IN_FLIGHT} in flight${r.b.badDeliveries ? `, ${r.b.badDeliveries} failed` : ""}) | ${JSON.stringify(r.b.statuses)} | ${cpuCell(r.b.cpu)} | ${ctl(r.control.admin)} (${f(r.control.admin.cpu.workerd)}) / ${ctl(r.control.email)} (${f(r.control.email.cpu.workerd)}) | ${ctl(r.control.adminAwake)} (${f(r.control.adminAwake.cpu.workerd)})${r.control.admin.allDelivered > 10_000 ? " (not awake: the first burst took > 10 s, so objects idled and were evicted again)" : ""} | ${f(r.cost.admin.p50)} / ${f(r.cost.admin.p99)} (${f(r.cost.admin.mailboxP50)} / ${f(r.cost.admin.mailboxP99)}) / ${f(r.cost.email.p50)} / ${f(r.cost.email.p99)} (${r.cost.m} calls) | ${rssCell(r.rss.idle)} → ${rssCell(r.rss.parked)} | ${f(r.rss.perPingKb)} KB | ${r.a.evicted} / ${r.b.evicted} of ${r.n} |`,
  ),
  "",
];
appendFileSync(path.join(root, "bench/RESULTS.md"), lines.join("\n"));
console.log(lines.join("\n"));
