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
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { applyMigrations, startDevServer } from "../scripts/dev-server.mjs";
import { decodeWbxml, encodeWbxml } from "../src/wbxml/index.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PASSWORD = "bench-password";
const HEARTBEAT = 2700;
const IDLE_MS = 15_000; // wrangler dev evicts an idle object after about 10 s (platform notes §1)
const IN_FLIGHT = 128;
const DEADLINE = Date.now() + 25 * 60_000;
const sizes = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
const Ns = sizes.length ? sizes : [1000, 3000];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const addr = (i) => `bench${i}@example.test`;
function checkDeadline() {
  if (Date.now() > DEADLINE) throw new Error("benchmark deadline reached");
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
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
function deliver(base, i) {
  const raw = `From: sender@example.net\r\nTo: ${addr(i)}\r\nSubject: bench ${i}\r\nMessage-ID: <${i}.${Date.now()}@example.net>\r\nDate: ${new Date().toUTCString()}\r\n\r\nhello ${i}\r\n`;
  return new Promise((resolve) => {
    const u = new URL(`${base}/cdn-cgi/handler/email?from=sender@example.net&to=${encodeURIComponent(addr(i))}`);
    const req = http.request(u, { method: "POST", agent: deliveryAgent, headers: { "Content-Length": Buffer.byteLength(raw) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", () => resolve(0));
    req.end(raw);
  });
}

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

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const constructions = (log) => (log().match(/\[push\] mailbox-constructed/g) ?? []).length;

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
  const server = await startDevServer({ port: await freePort(), persistTo, vars: { PUSH_TRACE: "1", DEMO_SEED: "false" } });
  const base = server.url;
  const load0 = os.loadavg()[0];
  try {
    await fetch(base + "/");
    const rssIdle = workerdRss(server.child.pid);

    // Round 1: park, let the objects go idle, deliver one message at a time.
    let pings = await parkAll(base, n, true, server.log);
    const early = (await Promise.all(pings.map((p) => Promise.race([p, sleep(0).then(() => null)])))).filter(Boolean).length;
    await sleep(IDLE_MS);
    const rssParked = workerdRss(server.child.pid);
    const c0 = constructions(server.log);
    const latencies = [];
    const statusesA = {};
    for (let i = 0; i < n; i++) {
      checkDeadline();
      const t0 = performance.now();
      const [code, ping] = await Promise.all([deliver(base, i), pings[i]]);
      latencies.push(ping.at - t0);
      statusesA[ping.status] = (statusesA[ping.status] ?? 0) + 1;
      if (code !== 200) statusesA[`delivery http ${code}`] = (statusesA[`delivery http ${code}`] ?? 0) + 1;
    }
    const evictedA = constructions(server.log) - c0;

    // Round 2: park again (empty body: cached parameters), idle, deliver to everyone at once.
    pings = await parkAll(base, n, false, server.log);
    await sleep(IDLE_MS);
    const c1 = constructions(server.log);
    const t0 = performance.now();
    let next = 0;
    const codes = [];
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < n) codes.push(await deliver(base, next++));
      }),
    );
    const answered = await Promise.all(pings);
    const allAnswered = Math.max(...answered.map((p) => p.at)) - t0;
    const statusesB = {};
    for (const p of answered) statusesB[p.status] = (statusesB[p.status] ?? 0) + 1;
    const badDeliveries = codes.filter((c) => c !== 200).length;
    const evictedB = constructions(server.log) - c1;

    const sum = (r) => r.reduce((s, x) => s + x.mb, 0);
    return {
      n,
      load0,
      load1: os.loadavg()[0],
      early,
      a: { p50: pct(latencies, 50), p90: pct(latencies, 90), p99: pct(latencies, 99), max: Math.max(...latencies), statuses: statusesA, evicted: evictedA },
      b: { allAnswered, statuses: statusesB, badDeliveries, evicted: evictedB },
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

const f = (x) => x.toFixed(1);
const rssCell = (list) => list.map((p) => f(p.mb)).join(" + ");
const lines = [
  "",
  `## Push: parked Pings woken by delivery (${new Date().toISOString()})`,
  "",
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, \`wrangler dev\` (workerd from wrangler ${JSON.parse(readFileSync(path.join(root, "node_modules/wrangler/package.json"), "utf8")).version}) on loopback, through its entry proxy. Shared machine: load average before → after each run shown below.`,
  `N Pings (HeartbeatInterval ${HEARTBEAT}, Folders = Inbox) across N mailboxes, one device each; objects left idle ${IDLE_MS / 1000} s before delivering; mail delivered through \`POST /cdn-cgi/handler/email\` (D1 recipient lookup, MIME parse, store, \`changed\`). Accounts use 1000 PBKDF2 rounds instead of 100 000 so 3000 first logins measure push, not hashing. The machine's hard limit of 20 000 file descriptors (the entry proxy needs ~4 per parked Ping) caps local N near 4000, so no larger N is claimed.`,
  "",
  "| N | load before → after | (a) one at a time p50 / p90 / p99 / max (ms) | (a) Ping statuses | (b) all at once: every Ping answered in | (b) statuses | (c) workerd RSS idle → parked (MB) | (c) per parked Ping | (d) objects evicted while waiting (a / b) |",
  "|---|---|---|---|---|---|---|---|---|",
  ...results.map(
    (r) =>
      `| ${r.n} | ${f(r.load0)} → ${f(r.load1)} | ${f(r.a.p50)} / ${f(r.a.p90)} / ${f(r.a.p99)} / ${f(r.a.max)} | ${JSON.stringify(r.a.statuses)} | ${(r.b.allAnswered / 1000).toFixed(2)} s (≤ ${IN_FLIGHT} deliveries in flight${r.b.badDeliveries ? `, ${r.b.badDeliveries} failed` : ""}) | ${JSON.stringify(r.b.statuses)} | ${rssCell(r.rss.idle)} → ${rssCell(r.rss.parked)} | ${f(r.rss.perPingKb)} KB | ${r.a.evicted} / ${r.b.evicted} of ${r.n} |`,
  ),
  "",
];
appendFileSync(path.join(root, "bench/RESULTS.md"), lines.join("\n"));
console.log(lines.join("\n"));
