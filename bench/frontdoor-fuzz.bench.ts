// Issue 13 §8: random, well-formed command trees posted through the front door of a running server
// (`wrangler dev`), counting 5xx answers and transport failures (a crash of the isolate shows as one). Each
// request is a valid WBXML document of the command's own code page, with children drawn from that page and
// the AirSync/AirSyncBase pages and values from a pool of edge cases (keys, ids, huge and negative numbers,
// control characters, long strings), in a random served protocol version.
// FRONTDOOR_FUZZ_SEED=n, FRONTDOOR_FUZZ_INPUTS=n (default 3000), FRONTDOOR_FUZZ_CONCURRENCY=n (default 6).
// For long runs (issue 13 §8 asks for 1 M): FRONTDOOR_FUZZ_MAILBOXES=n spreads the requests over n mailboxes
// (default 1: one mailbox object, the original runs' shape and seeds), FRONTDOOR_FUZZ_DIRECT=1 posts straight to
// the Worker's own workerd socket instead of through wrangler dev's proxy worker (same Worker, same workerd, one
// hop less), FRONTDOOR_FUZZ_SHOW_ERRORS=1 prints the Worker's error log lines (printed anyway when a request failed). The run reports where the CPU went
// (the Worker's workerd, the proxy's workerd, wrangler's Node process, this client) and the Worker's memory.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../scripts/dev-server.mjs";
import { CODE_PAGES, el, encodeWbxml, type WbxmlElement } from "../src/wbxml/index";
import { freePort } from "../test/free-port";

const seed = Number(process.env.FRONTDOOR_FUZZ_SEED ?? Date.now() % 2 ** 31);
const inputs = Number(process.env.FRONTDOOR_FUZZ_INPUTS ?? 3000);
const concurrency = Number(process.env.FRONTDOOR_FUZZ_CONCURRENCY ?? 6);
const mailboxCount = Math.max(1, Number(process.env.FRONTDOOR_FUZZ_MAILBOXES ?? 1));
const direct = process.env.FRONTDOOR_FUZZ_DIRECT === "1";
/** FRONTDOOR_FUZZ_SECONDS=n: stop sending after n seconds even if fewer than INPUTS were sent (the report says how many). */
const budgetMs = Number(process.env.FRONTDOOR_FUZZ_SECONDS ?? 0) * 1000 || Number.POSITIVE_INFINITY;

function prng(s: number) {
  let x = s >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
const rand = prng(seed);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];

/** Command → the namespace of its request root (the root element has the command's name except Move). */
const COMMANDS: [cmd: string, ns: string, root: string][] = [
  ["Sync", "AirSync", "Sync"],
  ["FolderSync", "FolderHierarchy", "FolderSync"],
  ["FolderCreate", "FolderHierarchy", "FolderCreate"],
  ["FolderUpdate", "FolderHierarchy", "FolderUpdate"],
  ["FolderDelete", "FolderHierarchy", "FolderDelete"],
  ["GetItemEstimate", "GetItemEstimate", "GetItemEstimate"],
  ["Ping", "Ping", "Ping"],
  ["ItemOperations", "ItemOperations", "ItemOperations"],
  ["MoveItems", "Move", "MoveItems"],
  ["MeetingResponse", "MeetingResponse", "MeetingResponse"],
  ["Settings", "Settings", "Settings"],
  ["Provision", "Provision", "Provision"],
  ["SendMail", "ComposeMail", "SendMail"],
  ["SmartReply", "ComposeMail", "SmartReply"],
  ["SmartForward", "ComposeMail", "SmartForward"],
];
const VERSIONS = ["12.0", "12.1", "14.0", "14.1", "16.0", "16.1"];
const VALUES = [
  "0",
  "1",
  "2",
  "-1",
  "4294967296",
  "99999999999999999999",
  "1:1",
  "1:999999",
  "2:1",
  "{00000000-0000-0000-0000-000000000000}1",
  "",
  " ",
  "Email",
  "Calendar",
  "T",
  "F",
  "20261204T150000Z",
  "2026-12-04T15:00:00.000Z",
  "notadate",
  "x".repeat(5000),
  "\u0001\u0002",
  "é😀",
  "a@b.c",
  "From: a@b.c\r\nTo: x@y.z\r\nSubject: fuzz\r\n\r\nbody\r\n",
];
const tagsOf = (ns: string) => CODE_PAGES.find((p) => p.ns === ns)!.tags.map((t) => t.name);

function tree(ns: string, depth: number): WbxmlElement[] {
  const out: WbxmlElement[] = [];
  const n = int(depth > 3 ? 2 : 5);
  for (let i = 0; i < n; i++) {
    const childNs = rand() < 0.7 ? ns : pick(["AirSync", "AirSyncBase", "Email", "Calendar"]);
    const name = pick(tagsOf(childNs));
    if (depth < 5 && rand() < 0.5) out.push(el(childNs, name, ...tree(childNs, depth + 1)));
    else if (rand() < 0.85) out.push(el(childNs, name, pick(VALUES)));
    else
      out.push(
        el(
          childNs,
          name,
          new Uint8Array(int(64)).map(() => int(256)),
        ),
      );
  }
  return out;
}

// ---------------------------------------------------------------- the processes of `wrangler dev`

/** pid → [ppid, command line] of every process (Linux /proc). */
function processTable(): Map<number, [number, string]> {
  const out = new Map<number, [number, string]>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      out.set(Number(d), [ppid, readFileSync(`/proc/${d}/cmdline`, "utf8").replaceAll("\0", " ")]);
    } catch {}
  }
  return out;
}
function descendants(root: number): { pid: number; cmd: string }[] {
  const table = processTable();
  const out: { pid: number; cmd: string }[] = [];
  const walk = (p: number) => {
    for (const [pid, [ppid, cmd]] of table)
      if (ppid === p) {
        out.push({ pid, cmd });
        walk(pid);
      }
  };
  walk(root);
  return out;
}
/** user + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}
function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}
/** Loopback ports a process listens on (`ss`). */
function listeningPorts(pid: number): number[] {
  const out = execFileSync("ss", ["-ltnpH"], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => Number(/127\.0\.0\.1:(\d+)/.exec(l)?.[1]))
    .filter((p) => p > 0);
}

const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-fuzz-"));
const ADMIN = "fuzz-admin-token";
const server = await startDevServer({ port: await freePort(), persistTo, vars: { DEMO_SEED: "false", ADMIN_TOKEN: ADMIN } });
// A long run must not keep all of wrangler's output (a line or two per request): only the Worker's error lines.
const errorLines: string[] = [];
for (const stream of [server.child.stdout, server.child.stderr]) {
  stream?.removeAllListeners("data");
  let rest = "";
  stream?.on("data", (d: Buffer) => {
    const lines = (rest + d.toString()).split("\n");
    rest = lines.pop() ?? "";
    // Errors, not warnings (a refused input is logged as a warning, and a long run has many): the lines a 500 leaves.
    for (const l of lines) if (l.includes('"kind":"error"') && l.includes('"level":"error"') && errorLines.length < 200) errorLines.push(l);
  });
}
// wrangler dev = wrangler's Node process, a workerd running the proxy worker (the port we asked for) and a
// workerd running our Worker (its own loopback port).
const procs = descendants(server.child.pid);
const wranglerNode = procs.find((p) => p.cmd.includes("wrangler-dist/cli.js"));
const workerds = procs.filter((p) => p.cmd.includes("workerd serve"));
const proxyWorkerd = workerds.find((p) => p.cmd.includes(`entry=127.0.0.1:${new URL(server.url).port}`));
const userWorkerd = workerds.find((p) => p !== proxyWorkerd);
let target = server.url;
if (direct) {
  if (!userWorkerd) throw new Error("FRONTDOOR_FUZZ_DIRECT: the Worker's workerd was not found");
  for (const port of listeningPorts(userWorkerd.pid)) {
    const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    if (r?.ok && (await r.text()).length > 0) {
      target = `http://127.0.0.1:${port}`;
      break;
    }
  }
  if (target === server.url) throw new Error("FRONTDOOR_FUZZ_DIRECT: the Worker's own port was not found");
}
const counts = new Map<string, number>();
const failures: string[] = [];
let done = 0;
let peakRss = 0;
const cpuBefore = {
  worker: userWorkerd ? cpuSeconds(userWorkerd.pid) : 0,
  proxy: proxyWorkerd ? cpuSeconds(proxyWorkerd.pid) : 0,
  wrangler: wranglerNode ? cpuSeconds(wranglerNode.pid) : 0,
  client: process.cpuUsage(),
};
const started = performance.now();
const sampler = setInterval(() => {
  if (userWorkerd) peakRss = Math.max(peakRss, rssMiB(userWorkerd.pid));
}, 1000);
const progress = setInterval(() => {
  const s = (performance.now() - started) / 1000;
  const bad = [...counts].filter(([k]) => k.startsWith("5") || k === "transport").map(([k, c]) => `${k}: ${c}`);
  console.error(
    `${done} requests, ${s.toFixed(0)} s, ${(done / s).toFixed(0)} req/s, RSS ${userWorkerd ? rssMiB(userWorkerd.pid).toFixed(0) : "?"} MiB${bad.length ? `, ${bad.join(", ")}` : ""}`,
  );
}, 60_000);
try {
  const PW = "fuzz password";
  const users = mailboxCount === 1 ? ["fuzz@example.test"] : Array.from({ length: mailboxCount }, (_, i) => `fuzz${i}@example.test`);
  for (const address of users) {
    const r = await fetch(`${server.url}/admin/v1/mailboxes`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ADMIN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ address, password: PW }),
    });
    if (!r.ok) throw new Error(`creating ${address}: HTTP ${r.status} ${await r.text()}`);
  }
  const auths = users.map((u) => `Basic ${Buffer.from(`${u}:${PW}`).toString("base64")}`);
  const one = async () => {
    const [cmd, ns, root] = pick(COMMANDS);
    const body = encodeWbxml(el(ns, root, ...tree(ns, 1)));
    const v = pick(VERSIONS);
    const device = `fuzz${int(4)}`;
    // Drawn only with several mailboxes, so that a seed of the one-mailbox runs replays the same requests.
    const u = mailboxCount === 1 ? 0 : int(mailboxCount);
    let status: string;
    try {
      const res = await fetch(`${target}/Microsoft-Server-ActiveSync?Cmd=${cmd}&User=${users[u]}&DeviceId=${device}&DeviceType=Fuzz`, {
        method: "POST",
        headers: {
          Authorization: auths[u]!,
          "MS-ASProtocolVersion": v,
          "Content-Type": "application/vnd.ms-sync.wbxml",
          "X-MS-PolicyKey": "0",
        },
        body,
        signal: AbortSignal.timeout(60_000),
      });
      await res.arrayBuffer();
      status = String(res.status);
      if (res.status >= 500 && res.status !== 503 && failures.length < 20)
        failures.push(`${cmd} ${v} → ${res.status}: ${Buffer.from(body).toString("hex").slice(0, 300)}`);
    } catch (e) {
      status = "transport";
      if (failures.length < 20) failures.push(`${cmd} ${v} → ${String(e)}`);
    }
    counts.set(status, (counts.get(status) ?? 0) + 1);
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (done < inputs && performance.now() - started < budgetMs) {
        done++;
        await one();
      }
    }),
  );
} finally {
  clearInterval(sampler);
  clearInterval(progress);
}
const seconds = (performance.now() - started) / 1000;
const sent = done;
// Read before the processes end.
const clientCpu = process.cpuUsage(cpuBefore.client);
const cpu = {
  worker: userWorkerd ? cpuSeconds(userWorkerd.pid) - cpuBefore.worker : Number.NaN,
  proxy: proxyWorkerd ? cpuSeconds(proxyWorkerd.pid) - cpuBefore.proxy : Number.NaN,
  wrangler: wranglerNode ? cpuSeconds(wranglerNode.pid) - cpuBefore.wrangler : Number.NaN,
  client: (clientCpu.user + clientCpu.system) / 1e6,
};
if (userWorkerd) peakRss = Math.max(peakRss, rssMiB(userWorkerd.pid));
const finalRss = userWorkerd ? rssMiB(userWorkerd.pid) : 0;
await server.stop?.();
rmSync(persistTo, { recursive: true, force: true });
const fivexx = [...counts].filter(([s]) => s.startsWith("5") && s !== "503").reduce((n, [, c]) => n + c, 0);
const transport = counts.get("transport") ?? 0;
console.log(
  `Seed ${seed}: ${sent} random well-formed command trees, ${concurrency} at a time, ${mailboxCount} mailbox${mailboxCount > 1 ? "es" : ""}, ` +
    `through wrangler dev${direct ? " (straight to the Worker's workerd, not through the proxy worker)" : ""}.`,
);
console.log("");
console.log("| requests | seconds | requests/s | statuses | 5xx (not 503) | transport failures | Worker workerd RSS peak / end |");
console.log("|---:|---:|---:|---|---:|---:|---:|");
const statuses = [...counts]
  .sort()
  .map(([s, c]) => `${s}: ${c}`)
  .join(", ");
console.log(
  `| ${sent} | ${seconds.toFixed(1)} | ${(sent / seconds).toFixed(0)} | ${statuses} | ${fivexx} | ${transport} | ${peakRss.toFixed(0)} / ${finalRss.toFixed(0)} MiB |`,
);
const ms = (s: number) => `${((s * 1000) / sent).toFixed(2)} ms`;
console.log("");
console.log(
  `CPU per request: Worker's workerd ${ms(cpu.worker)}, proxy worker's workerd ${ms(cpu.proxy)}, wrangler's Node ${ms(cpu.wrangler)}, ` +
    `this client (generation + HTTP) ${ms(cpu.client)}.`,
);
for (const f of failures) console.log(`- ${f}`);
// The Worker's error lines whenever something failed (a 500 is only worth a seed with its cause), else on request.
if (process.env.FRONTDOOR_FUZZ_SHOW_ERRORS || failures.length > 0) for (const l of errorLines) console.error(l);
if (fivexx + transport > 0) process.exitCode = 1;
