// Shared by the push benchmarks (push.mjs, push-profile.mjs): accounts, parked Pings, deliveries, CPU and RSS of the runtime.
import { execFileSync, execSync } from "node:child_process";
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { applyMigrations, startDevServer } from "../scripts/dev-server.mjs";
import { freePort } from "../test/free-port.ts";
import { decodeWbxml, encodeWbxml } from "../src/wbxml/index.ts";

// wrangler dev streams every invocation's tail events (logs, spans) to its local observability collector, a JS worker in
// the same runtime: measured at ~3 ms CPU per woken Ping at N = 1000 (bench/push-profile.mjs), 40 % of the runtime's work.
// Production has no such collector, so the push benchmarks run without it unless X_LOCAL_OBSERVABILITY=true.
process.env.X_LOCAL_OBSERVABILITY ??= "false";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const PASSWORD = "bench-password";
export const HEARTBEAT = 2700;
// wrangler dev evicts an idle object after about 10 s (platform notes §1); PUSH_BENCH_IDLE_MS=0 measures objects kept awake.
export const IDLE_MS = Number(process.env.PUSH_BENCH_IDLE_MS ?? 15_000);
export const IN_FLIGHT = 128;
export const ADMIN_TOKEN = "bench-admin-token";
// Which delivery path rounds (a) and (b) use: "admin" = POST /admin/v1/mailboxes/{address}/messages (arrival=now:
// D1 lookup, then the same Mailbox.deliver() that email() calls: the closest local stand-in for Email Routing,
// which calls email() directly); "email" = wrangler dev's local Email Routing simulator.
export const VIA = process.env.PUSH_BENCH_VIA ?? "admin";
export const DEADLINE = Date.now() + 25 * 60_000;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const addr = (i) => `bench${i}@example.test`;
export function checkDeadline() {
  if (Date.now() > DEADLINE) throw new Error("benchmark deadline reached");
}

/** Accounts straight into local D1. PBKDF2 with 1000 rounds (the row carries its own count), so 3000 first logins do not cost 3000 × 100 000 rounds: this benchmark measures push, not password hashing. */
export function createAccounts(persistTo, n) {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(PASSWORD, salt, 1000, 32, "sha256").toString("base64");
  const now = Math.floor(Date.now() / 1000);
  const rows = Array.from({ length: n }, (_, i) => `('${addr(i)}','${hash}','${salt.toString("base64")}',1000,${now},0,NULL)`);
  const file = path.join(persistTo, "accounts.sql");
  const chunks = [];
  for (let i = 0; i < rows.length; i += 500)
    chunks.push(
      `INSERT INTO accounts (address,password_hash,salt,iterations,created_at,failed_attempts,locked_until) VALUES ${rows.slice(i, i + 500).join(",")};`,
    );
  writeFileSync(file, chunks.join("\n"));
  execFileSync(
    path.join(root, "node_modules/.bin/wrangler"),
    ["d1", "execute", "mobile-sync", "--local", "--persist-to", persistTo, "--file", file],
    {
      cwd: root,
      env: { ...process.env, CI: "true" },
      stdio: "pipe",
    },
  );
}

export const pingBody = Buffer.from(
  encodeWbxml({
    ns: "Ping",
    name: "Ping",
    children: [
      { ns: "Ping", name: "HeartbeatInterval", children: [String(HEARTBEAT)] },
      {
        ns: "Ping",
        name: "Folders",
        children: [
          {
            ns: "Ping",
            name: "Folder",
            children: [
              { ns: "Ping", name: "Id", children: ["1"] },
              { ns: "Ping", name: "Class", children: ["Email"] },
            ],
          },
        ],
      },
    ],
  }),
);
export const auth = (i) => "Basic " + Buffer.from(`${addr(i)}:${PASSWORD}`).toString("base64");

/** One parked Ping on its own connection; resolves with { status, at } when answered. */
export function parkPing(base, i, withBody) {
  return new Promise((resolve) => {
    const u = new URL(
      `${base}/Microsoft-Server-ActiveSync?Cmd=Ping&User=${encodeURIComponent(addr(i))}&DeviceId=benchdev${i}&DeviceType=iPhone`,
    );
    const req = http.request(
      u,
      {
        method: "POST",
        agent: false,
        headers: {
          Authorization: auth(i),
          // Each phone from its own address (wrangler dev keeps a client's CF-Connecting-IP): the per-client login
          // budget (lockout.ts, 50 reservations) is not shared by N phones on 127.0.0.1, which under load answered
          // 401 to 2 000 of 3 000 first logins in flight at once.
          "CF-Connecting-IP": `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
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
          // Any other answer keeps the start of its body: who answered it (our Worker, wrangler's proxy) shows there.
          if (res.statusCode !== 200) resolve({ status, at, body: Buffer.concat(parts).toString("utf8", 0, 300) });
          else resolve({ status, at });
        });
      },
    );
    req.on("error", (e) => resolve({ status: `error ${e.code ?? e.message}`, at: performance.now() }));
    req.end(withBody ? pingBody : undefined);
  });
}

export const deliveryAgent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
/** Server-Timing durations (ms) of the last admin deliveries, by metric name. */
export const serverTimings = [];
/**
 * A request parked on the platform-floor worker (bench/push-floor): answered when its object is woken.
 * PUSH_FLOOR_TABLES=K: each floor object first makes K tables and K indexes (a schema the size of a mailbox's).
 * PUSH_FLOOR_PARK_STATEMENTS=S: and runs S one-row statements as it parks, each its own text, the last a write
 * (PUSH_FLOOR_PARK_MULTI=1: the S as one multi-statement exec). PUSH_FLOOR_RPC=1: the Worker makes one JS RPC to
 * the object before it parks the request (as a Ping's preparePing does).
 */
export function parkFloor(base, i) {
  return new Promise((resolve) => {
    const tables = process.env.PUSH_FLOOR_TABLES ? `&tables=${Number(process.env.PUSH_FLOOR_TABLES)}` : "";
    const log = process.env.PUSH_FLOOR_LOGS === "1" ? "&log" : "";
    const statements = process.env.PUSH_FLOOR_PARK_STATEMENTS ? `&statements=${Number(process.env.PUSH_FLOOR_PARK_STATEMENTS)}` : "";
    const multi = process.env.PUSH_FLOOR_PARK_MULTI === "1" ? "&multi=1" : "";
    const rpc = process.env.PUSH_FLOOR_RPC === "1" ? "&rpc=1" : "";
    const req = http.request(new URL(`${base}/park?u=${i}${tables}${log}${statements}${multi}${rpc}`), { agent: false }, (res) => {
      const parts = [];
      res.on("data", (d) => parts.push(d));
      res.on("end", () => resolve({ status: Buffer.concat(parts).toString(), at: performance.now() }));
    });
    req.on("error", (e) => resolve({ status: `error ${e.code ?? e.message}`, at: performance.now() }));
    req.end();
  });
}

/**
 * Wakes object i of the platform-floor worker; resolves with 200 when it answered. No delivery, unless
 * PUSH_FLOOR_STORE=1: then the object first stores the same message ours gets (one INSERT), a floor for
 * "mail arrives and wakes a phone" rather than for the wake alone. PUSH_FLOOR_STATEMENTS=S (with
 * PUSH_FLOOR_STORE=1): S more one-row reads, each its own statement text, what a statement costs a cold object.
 * PUSH_FLOOR_D1=1: the Worker first reads the recipient's login in D1 (one read, as a delivery's lookup);
 * PUSH_FLOOR_LOGS=1: the wake and the parked request's answer each write one console line (as ours do).
 */
export function wakeFloor(base, i) {
  const store = process.env.PUSH_FLOOR_STORE === "1";
  const raw = store ? message(i) : undefined;
  const statements = process.env.PUSH_FLOOR_STATEMENTS ? `&statements=${Number(process.env.PUSH_FLOOR_STATEMENTS)}` : "";
  const extra = `${process.env.PUSH_FLOOR_D1 === "1" ? "&d1" : ""}${process.env.PUSH_FLOOR_LOGS === "1" ? "&log" : ""}`;
  const url = new URL(`${base}/wake?u=${i}${store ? "&store" : ""}${statements}${extra}`);
  return new Promise((resolve) => {
    const req = http.request(
      url,
      { method: "POST", agent: deliveryAgent, headers: raw ? { "Content-Length": Buffer.byteLength(raw) } : {} },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode === 201 ? 200 : res.statusCode));
      },
    );
    req.on("error", () => resolve(0));
    req.end(raw);
  });
}

/** The message every mailbox i gets in the benchmarks. */
const message = (i) =>
  `From: sender@example.net\r\nTo: ${addr(i)}\r\nSubject: bench ${i}\r\nMessage-ID: <${i}.${Date.now()}@example.net>\r\nDate: ${new Date().toUTCString()}\r\n\r\nhello ${i}\r\n`;

/** One message to mailbox i through `via`; resolves with the HTTP status (200/201 = delivered). */
export function deliver(base, i, via = VIA) {
  const raw = message(i);
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
export async function idleWithProbe(base, ms) {
  if (process.env.PUSH_BENCH_PROBE === "0") return sleep(ms).then(() => ({ ms: NaN, at: NaN }));
  const start = performance.now();
  let worst = { ms: 0, at: 0 };
  while (performance.now() - start < ms) {
    const t = performance.now();
    await fetch(base + "/")
      .then((r) => r.arrayBuffer())
      .catch(() => {});
    const took = performance.now() - t;
    if (took > worst.ms) worst = { ms: took, at: (t - start) / 1000 };
    await sleep(250);
  }
  return worst;
}

/** `m` deliveries one after another through `via`, to mailboxes 0..m-1: per-call latency as the client sees it. */
export async function sequentialCost(base, m, via) {
  const lat = [];
  serverTimings.length = 0;
  for (let i = 0; i < m; i++) {
    const t = performance.now();
    await deliver(base, i, via);
    lat.push(performance.now() - t);
  }
  const st = (k) => serverTimings.map((x) => x[k]).filter((x) => x !== undefined);
  return {
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    d1p50: pct(st("d1"), 50),
    mailboxP50: pct(st("mailbox"), 50),
    mailboxP99: pct(st("mailbox"), 99),
  };
}

/** Every mailbox gets one message, at most IN_FLIGHT in flight; resolves with { ms, bad }. */
export async function burst(base, n, via = VIA, send = deliver) {
  const t = performance.now();
  let next = 0;
  const codes = [];
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < n) codes.push(await send(base, next++, via));
    }),
  );
  return { ms: performance.now() - t, bad: codes.filter((c) => c !== 200).length };
}

/** Every process's children, by parent pid (from /proc). */
function processChildren() {
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
  return kids;
}

/** CPU seconds (user + system) used so far by the wrangler child's process tree, by command name, and by this benchmark. */
export function cpuSeconds(rootPid) {
  const hz = 100;
  const byComm = { bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 };
  const ticks = (pid) => {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / hz;
  };
  const kids = processChildren();
  const walk = (pid) => {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim().startsWith("workerd") ? "workerd" : "wrangler (node: dev proxy)";
      const t = ticks(pid);
      byComm[comm] = (byComm[comm] ?? 0) + t;
      // The two workerd processes apart: the entry proxy and the runtime (platform notes §1).
      if (comm === "workerd") byComm[`workerd:${pid}`] = t;
    } catch {}
    for (const c of kids.get(pid) ?? []) walk(c);
  };
  walk(rootPid);
  return byComm;
}
export const cpuDelta = (a, b) => Object.fromEntries(Object.keys(b).map((k) => [k, Number((b[k] - (a[k] ?? 0)).toFixed(2))]));

/** RSS (MB) of every workerd process under the wrangler child. */
export function workerdRss(rootPid) {
  const children = processChildren();
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

export function pct(xs, p) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
export const constructions = (log) => (log().match(/\[push\] mailbox-constructed/g) ?? []).length;
/** Distinct mailbox objects constructed in the log from character `from` on. */
export const constructedSince = (log, from) =>
  new Set(
    [
      ...log()
        .slice(from)
        .matchAll(/\[push\] mailbox-constructed ([0-9a-f]+)/g),
    ].map((m) => m[1]),
  ).size;

/**
 * PUSH_PARK_RATE=r: park r requests a second (in steps every 40 ms) instead of as fast as connections are set up
 * (64 every 40 ms). At a rate both sides keep up with, the objects live at once are the same for ours and the
 * floor (those parked within the last ~10 s before eviction), so a memory figure does not depend on how fast
 * each side starts its objects.
 */
export const PARK_RATE = Number(process.env.PUSH_PARK_RATE ?? 0);

export async function parkAll(base, n, withBody, log, park = parkPing, rate = PARK_RATE) {
  const pings = new Array(n);
  const step = rate > 0 ? Math.max(1, Math.round((rate * 40) / 1000)) : 64;
  const t0 = performance.now();
  for (let i = 0; i < n; i += step) {
    checkDeadline();
    for (let j = i; j < Math.min(n, i + step); j++) pings[j] = park(base, j, withBody);
    // pace connection setup on 2 shared cores; at a fixed rate, against the clock (no drift)
    if (rate > 0) await sleep(Math.max(0, t0 + ((i + step) * 1000) / rate - performance.now()));
    else await sleep(withBody ? 40 : 10);
  }
  // Parked means: the object was constructed (first round) and a moment passed with no answer.
  for (let t = 0; withBody && constructions(log) < n && t < 600; t++) await sleep(200);
  await sleep(3000);
  return pings;
}

const FLOOR_D1 = process.env.PUSH_FLOOR_D1 === "1";
/** The floor worker's wrangler config: with the project's D1 database bound when PUSH_FLOOR_D1=1. */
export const floorConfig = () => (FLOOR_D1 ? "bench/push-floor/wrangler-d1.toml" : "bench/push-floor/wrangler.toml");

/** A `wrangler dev` for the push benchmarks: ours (N accounts in D1) or the platform floor, state in PUSH_BENCH_DIR (default the OS tmp dir); `again`: a new server over the state of an earlier one. */
export async function startPushServer(floor, n, prefix, again) {
  const persistTo = again ?? mkdtempSync(path.join(process.env.PUSH_BENCH_DIR ?? os.tmpdir(), prefix));
  if (!again) applyMigrations(persistTo);
  if ((!floor || FLOOR_D1) && !again) createAccounts(persistTo, n);
  const server = await startDevServer({
    migrate: !again,
    port: await freePort(),
    persistTo,
    vars: { PUSH_TRACE: "1", DEMO_SEED: "false", ADMIN_TOKEN },
    config: floor ? floorConfig() : undefined,
  });
  return { persistTo, server };
}

/** The runtime workerd (the one wrangler starts with an inspector) and the entry proxy (the other workerd). */
export function workerds(rootPid) {
  const out = {};
  const walk = (pid) => {
    let kids = [];
    try {
      kids = execSync(`pgrep -P ${pid}`).toString().trim().split("\n").filter(Boolean).map(Number);
    } catch {}
    for (const k of kids) {
      try {
        if (readFileSync(`/proc/${k}/comm`, "utf8").trim().startsWith("workerd"))
          out[readFileSync(`/proc/${k}/cmdline`, "utf8").includes("--inspector-addr") ? "runtime" : "proxy"] = k;
      } catch {}
      walk(k);
    }
  };
  walk(rootPid);
  return out;
}
export const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
