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
import { execFileSync } from "node:child_process";
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { applyMigrations, startDevServer } from "../scripts/dev-server.mjs";
import { decodeWbxml, encodeWbxml } from "../src/wbxml/index.ts";
import { freePort } from "../test/free-port.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PASSWORD = "bench-password";
const HEARTBEAT = 2700;
// wrangler dev evicts an idle object after about 10 s (platform notes §1); PUSH_BENCH_IDLE_MS=0 measures objects kept awake.
const IDLE_MS = Number(process.env.PUSH_BENCH_IDLE_MS ?? 15_000);
const IN_FLIGHT = 128;
const ADMIN_TOKEN = "bench-admin-token";
// Which delivery path rounds (a) and (b) use: "admin" = POST /admin/v1/mailboxes/{address}/messages (arrival=now:
// D1 lookup, then the same Mailbox.deliver() that email() calls: the closest local stand-in for Email Routing,
// which calls email() directly); "email" = wrangler dev's local Email Routing simulator.
const VIA = process.env.PUSH_BENCH_VIA ?? "admin";
const DEADLINE = Date.now() + 25 * 60_000;
const sizes = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
const Ns = sizes.length ? sizes : [1000, 3000];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const addr = (i) => `bench${i}@example.test`;
function checkDeadline() {
  if (Date.now() > DEADLINE) throw new Error("benchmark deadline reached");
}


/** Accounts straight into local D1. PBKDF2 with 1000 rounds (the row carries its own count), so 3000 first logins do not cost 3000 × 100 000 rounds: this benchmark measures push, not password hashing. */
function createAccounts(persistTo, n) {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(PASSWORD, salt, 1000, 32, "sha256").toString("base64");
  const now = Math.floor(Date.now() / 1000);
  const rows = Array.from({ length: n }, (_, i) => `('${addr(i)}','${hash}','${salt.toString("base64")}',1000,${now},0,NULL)`);
  const file = path.join(persistTo, "accounts.sql");
  const chunks = [];
  for (let i = 0; i < rows.length; i += 500) chunks.push(`INSERT INTO accounts (address,password_hash,salt,iterations,created_at,failed_attempts,locked_until) VALUES ${rows.slice(i, i + 500).join(",")};`);
  writeFileSync(file, chunks.join("\n"));
  execFileSync(path.join(root, "node_modules/.bin/wrangler"), ["d1", "execute", "mobile-sync", "--local", "--persist-to", persistTo, "--file", file], {
    cwd: root,
    env: { ...process.env, CI: "true" },
    stdio: "pipe",
  });
}

const pingBody = Buffer.from(
  encodeWbxml({
    ns: "Ping",
    name: "Ping",
    children: [
      { ns: "Ping", name: "HeartbeatInterval", children: [String(HEARTBEAT)] },
      { ns: "Ping", name: "Folders", children: [{ ns: "Ping", name: "Folder", children: [{ ns: "Ping", name: "Id", children: ["1"] }, { ns: "Ping", name: "Class", children: ["Email"] }] }] },
    ],
  }),
);
const auth = (i) => "Basic " + Buffer.from(`${addr(i)}:${PASSWORD}`).toString("base64");

/** One parked Ping on its own connection; resolves with { status, at } when answered. */
function parkPing(base, i, withBody) {
  return new Promise((resolve) => {
    const u = new URL(`${base}/Microsoft-Server-ActiveSync?Cmd=Ping&User=${encodeURIComponent(addr(i))}&DeviceId=benchdev${i}&DeviceType=iPhone`);
    const req = http.request(
      u,
      {
        method: "POST",
        agent: false,
        headers: {
          Authorization: auth(i),
          "MS-ASProtocolVersion": "14.1",
          "Content-Type": "application/vnd.ms-sync.wbxml",
          "Content-Length": withBody ? pingBody.length : 0,
        },
      },
      (res) => {
        const parts = [];
        res.on("data", (d) => parts.push(d));
        res.on("end", () => {
          const at = performance.now();
          let status = `http ${res.statusCode}`;
          try {
            if (res.statusCode === 200) status = Number(decodeWbxml(new Uint8Array(Buffer.concat(parts))).children[0].children[0]);
          } catch {
            status = "undecodable";
          }
          resolve({ status, at });
        });
      },
    );
    req.on("error", (e) => resolve({ status: `error ${e.code ?? e.message}`, at: performance.now() }));
    req.end(withBody ? pingBody : undefined);
  });
}

const deliveryAgent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
/** Server-Timing durations (ms) of the last admin deliveries, by metric name. */
const serverTimings = [];
/** One message to mailbox i through `via`; resolves with the HTTP status (200/201 = delivered). */
function deliver(base, i, via = VIA) {
  const raw = `From: sender@example.net\r\nTo: ${addr(i)}\r\nSubject: bench ${i}\r\nMessage-ID: <${i}.${Date.now()}@example.net>\r\nDate: ${new Date().toUTCString()}\r\n\r\nhello ${i}\r\n`;
  const url =
    via === "admin"
      ? `${base}/admin/v1/mailboxes/${encodeURIComponent(addr(i))}/messages?arrival=now`
      : `${base}/cdn-cgi/handler/email?from=sender@example.net&to=${encodeURIComponent(addr(i))}`;
  const headers = { "Content-Length": Buffer.byteLength(raw) };
  if (via === "admin") Object.assign(headers, { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "message/rfc822" });
  return new Promise((resolve) => {
    const req = http.request(new URL(url), { method: "POST", agent: deliveryAgent, headers }, (res) => {
      const st = res.headers["server-timing"];
      if (st) serverTimings.push(Object.fromEntries([...String(st).matchAll(/([\w-]+);dur=([\d.]+)/g)].map((m) => [m[1], Number(m[2])])));
      res.resume();
      res.on("end", () => resolve(res.statusCode === 201 ? 200 : res.statusCode));
    });
    req.on("error", () => resolve(0));
    req.end(raw);
  });
}

/** Sleeps `ms` while asking `GET /` every 250 ms: the longest stall shows when the runtime itself is busy (not our delivery). */
async function idleWithProbe(base, ms) {
  if (process.env.PUSH_BENCH_PROBE === "0") return sleep(ms).then(() => ({ ms: NaN, at: NaN }));
  const start = performance.now();
  let worst = { ms: 0, at: 0 };
  while (performance.now() - start < ms) {
    const t = performance.now();
    await fetch(base + "/").then((r) => r.arrayBuffer()).catch(() => {});
    const took = performance.now() - t;
    if (took > worst.ms) worst = { ms: took, at: (t - start) / 1000 };
    await sleep(250);
  }
  return worst;
}

/** `m` deliveries one after another through `via`, to mailboxes 0..m-1: per-call latency as the client sees it. */
async function sequentialCost(base, m, via) {
  const lat = [];
  serverTimings.length = 0;
  for (let i = 0; i < m; i++) {
    const t = performance.now();
    await deliver(base, i, via);
    lat.push(performance.now() - t);
  }
  const st = (k) => serverTimings.map((x) => x[k]).filter((x) => x !== undefined);
  return { p50: pct(lat, 50), p99: pct(lat, 99), d1p50: pct(st("d1"), 50), mailboxP50: pct(st("mailbox"), 50), mailboxP99: pct(st("mailbox"), 99) };
}

/** Every mailbox gets one message, at most IN_FLIGHT in flight; resolves with { ms, bad }. */
async function burst(base, n, via = VIA) {
  const t = performance.now();
  let next = 0;
  const codes = [];
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < n) codes.push(await deliver(base, next++, via));
    }),
  );
  return { ms: performance.now() - t, bad: codes.filter((c) => c !== 200).length };
}

/** CPU seconds (user + system) used so far by the wrangler child's process tree, by command name, and by this benchmark. */
function cpuSeconds(rootPid) {
  const hz = 100;
  const byComm = { bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 };
  const ticks = (pid) => {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / hz;
  };
  const kids = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch {}
  }
  const walk = (pid) => {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim().startsWith("workerd") ? "workerd" : "wrangler (node: dev proxy)";
      byComm[comm] = (byComm[comm] ?? 0) + ticks(pid);
    } catch {}
    for (const c of kids.get(pid) ?? []) walk(c);
  };
  walk(rootPid);
  return byComm;
}
const cpuDelta = (a, b) => Object.fromEntries(Object.keys(b).map((k) => [k, Number((b[k] - (a[k] ?? 0)).toFixed(2))]));

/** RSS (MB) of every workerd process under the wrangler child. */
function workerdRss(rootPid) {
  const children = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {}
  }
  const out = [];
  const walk = (pid) => {
    for (const c of children.get(pid) ?? []) {
      try {
        const comm = readFileSync(`/proc/${c}/comm`, "utf8").trim();
        if (comm.startsWith("workerd")) {
          const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${c}/status`, "utf8"))?.[1] ?? 0);
          out.push({ pid: c, mb: kb / 1024 });
        }
      } catch {}
      walk(c);
    }
  };
  walk(rootPid);
  return out;
}

function pct(xs, p) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const constructions = (log) => (log().match(/\[push\] mailbox-constructed/g) ?? []).length;
/** Distinct mailbox objects constructed in the log from character `from` on. */
const constructedSince = (log, from) => new Set([...log().slice(from).matchAll(/\[push\] mailbox-constructed ([0-9a-f]+)/g)].map((m) => m[1])).size;

async function parkAll(base, n, withBody, log) {
  const pings = new Array(n);
  for (let i = 0; i < n; i += 64) {
    checkDeadline();
    for (let j = i; j < Math.min(n, i + 64); j++) pings[j] = parkPing(base, j, withBody);
    await sleep(withBody ? 40 : 10); // pace connection setup on 2 shared cores
  }
  // Parked means: the object was constructed (first round) and a moment passed with no answer.
  for (let t = 0; withBody && constructions(log) < n && t < 600; t++) await sleep(200);
  await sleep(3000);
  return pings;
}

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
      control[via] = { allDelivered: r.ms, bad: r.bad, evicted: constructedSince(server.log, logC), cpu: cpuDelta(cpu0, cpuSeconds(server.child.pid)) };
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
      a: { p50: pct(latencies, 50), p90: pct(latencies, 90), p99: pct(latencies, 99), max: Math.max(...latencies), statuses: statusesA, evicted: evictedA, constructions: reconstructedA, slowestAt, idleStall, firstTwo: latencies.slice(0, 2), coldRpc },
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
const pathName = { admin: "admin import `POST /admin/v1/mailboxes/{address}/messages?arrival=now`", email: "wrangler's Email Routing simulator `POST /cdn-cgi/handler/email`" };
const lines = [
  "",
  `## Push: parked Pings woken by delivery (${new Date().toISOString()})`,
  "",
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, \`wrangler dev\` (workerd from wrangler ${JSON.parse(readFileSync(path.join(root, "node_modules/wrangler/package.json"), "utf8")).version}) on loopback, through its entry proxy. Load average before → after each run shown below.`,
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
