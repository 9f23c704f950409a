// Where the time of an initial Sync page goes (issue 15 target 1): phone wall time per page against the mailbox
// object's own time (Server-Timing `mailbox`), through wrangler dev's entry proxy and straight to the runtime
// workerd's own socket, with the CPU each process spent per page (/proc utime + stime, robust to other load).
//
//   npx tsx bench/sync-profile.ts [messages]        # 2 048 by default: 20 pages at 100, 4 at 512, per path
//   SYNC_PROFILE_PERF=1 npx tsx bench/sync-profile.ts # also `perf record` of the runtime during one more 512 sync
//     (SYNC_PROFILE_PERF_WINDOW=100: at that WindowSize instead)
//   SYNC_PROFILE_WINDOWS=100 (only those sizes), SYNC_PROFILE_ROUNDS=n (each row n times), SYNC_PROFILE_LABEL=text
//   (in the section's title), SYNC_PROFILE_DUMP=1 (each page's Server-Timing on stderr), SYNC_PROFILE_NO_APPEND=1
//   SYNC_PROFILE_V8=dir: a V8 CPU profile of the Worker's isolate (Worker and mailbox object) during one more
//     runtime sync at SYNC_PROFILE_PERF_WINDOW (100 by default here), saved there and summarised on stderr per page
//   SYNC_PROFILE_WRANGLER_LOG=warn: wrangler dev's --log-level (at warn its entry worker no longer posts a
//     "[wrangler:info] POST …" line per request to wrangler's Node process: a cost of `wrangler dev` only)
//   SYNC_PROFILE_BRIDGE=n: also a bridged mailbox of n messages (Dovecot on loopback, its maildir filled directly,
//     plain text ~1 KB, as bench/bridge-page.bench.ts), synced at WindowSize 100 with the same client and options
//
// "Phone wall" is request sent → last response byte received (the phone's decoding is not counted). "Object" is
// the Sync command's time across its mailbox RPC (object work + the RPC's transfer), which the Worker reports in
// Server-Timing: the clock only advances across I/O inside workerd, so the Worker's own CPU (decode, build,
// encode) is seen from outside: phone wall minus object, and the runtime's CPU per page.
//
// The platform's floor in the same run (bench/sync-floor, a second `wrangler dev`): before the measured rows, one
// initial sync per WindowSize (and the bridged one) is captured — every page's bytes and headers — and handed to the
// floor worker once. Then beside each of our rows, with the same client, path (runtime socket / entry proxy) and
// request, the floor answers the same number of pages with the same bytes: (a) Worker → object RPC returning the
// page's bytes → phone; (b) the same after one D1 read of one row (a login read's platform cost); (c) the object
// returning the page as a plain object tree of the typed page's shape instead of one buffer (the Worker sends the
// captured bytes): what crossed our RPC until the object rendered its items as WBXML (SyncOutcome, issue 15). Per row: wall, RPC ("object") and outside = wall − RPC, p50 over full pages; and the best ratio
// reachable here = (our object + the floor's outside) ÷ our object. SYNC_PROFILE_FLOOR=0 leaves the floor out.
// Appends a section to bench/RESULTS.md.
import { execSync, spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../scripts/dev-server.mjs";
import { child, childText, childrenNamed, decodeWbxml, el, elements, encodeWbxml, text, type WbxmlElement } from "../src/wbxml/index";
import { insertAccount } from "../test/node/accounts";
import { syncRequest } from "../test/node/sync-requests";
import { freePort } from "../test/free-port";
import { bridgedPhone, bridgeMailbox, folderOfType, folderSync, newBridgeAccount, setBridgeEnv } from "../test/node/bridge-client";
import { startBridgeServers } from "../test/node/bridge-servers";
import { currentBundle, inspectorOf, Profiler, saveProfile, summarise } from "./cpu-profile";
import { ENVELOPE_WARM_UP, fillMaildir } from "./maildir-fill";

// wrangler dev streams every invocation's tail events (RPC spans, logs) to its local observability collector, a JS
// worker in the same runtime: ~30 % of the runtime's CPU during a Sync page (perf, SYNC_PROFILE_PERF=1). Production has
// no such collector, so this benchmark runs without it unless X_LOCAL_OBSERVABILITY=true (as bench/push-lib.mjs does).
process.env.X_LOCAL_OBSERVABILITY ??= "false";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MESSAGES = Number(process.argv[2] ?? 2048);
const PERF = process.env.SYNC_PROFILE_PERF === "1";
const USER = "bench-sync@example.test";
const PW = "bench password";
const INBOX = "1";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

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

/** CPU seconds of every process under the dev server, by role: runtime workerd, entry-proxy workerd, wrangler (node). */
function cpuByRole(rootPid: number, runtime: number): Record<string, number> {
  const out: Record<string, number> = { runtime: 0, "entry proxy": 0, "wrangler (node)": 0 };
  const walk = (pid: number) => {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      return;
    }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpu = (Number(f[11]) + Number(f[12])) / 100;
    const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    const role = pid === runtime ? "runtime" : comm.startsWith("workerd") ? "entry proxy" : comm === "esbuild" ? "" : "wrangler (node)";
    if (role) out[role] += cpu;
    let kids: string[] = [];
    try {
      kids = execSync(`pgrep -P ${pid}`).toString().trim().split("\n").filter(Boolean);
    } catch {}
    for (const k of kids) walk(Number(k));
  };
  walk(rootPid);
  return out;
}

/** The runtime workerd (the one started with an inspector) and its entry socket (its lowest fd). */
async function runtimeOf(rootPid: number): Promise<{ pid: number; entry: string }> {
  const pids = execSync(`pgrep -f workerd`).toString().trim().split("\n").map(Number);
  const isDescendant = (pid: number): boolean => {
    for (let p = pid; p > 1; ) {
      if (p === rootPid) return true;
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      p = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    }
    return false;
  };
  for (const pid of pids) {
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (!cmd.includes("--inspector-addr") || !isDescendant(pid)) continue;
    const socks = execSync(`ss -ltnpH`)
      .toString()
      .split("\n")
      .map((l) => ({ m: new RegExp(`127\\.0\\.0\\.1:(\\d+).*pid=${pid},fd=(\\d+)`).exec(l) }))
      .filter((x) => x.m)
      .map((x) => ({ port: x.m![1], fd: Number(x.m![2]) }))
      .sort((a, b) => a.fd - b.fd);
    return { pid, entry: `http://127.0.0.1:${socks[0].port}` };
  }
  throw new Error("runtime workerd not found");
}

/** `perf record` of the runtime workerd (cpu-clock, call graphs) until the returned stop() is called. */
function perfRecord(pid: number, file: string) {
  const child = spawn("perf", ["record", "-e", "cpu-clock", "-F", "999", "-g", "-p", String(pid), "-o", file], { stdio: "ignore" });
  return () => new Promise((res) => (child.once("exit", res), child.kill("SIGINT")));
}

// SYNC_PROFILE_STATE=dir keeps the imported mailbox there across runs (imported once per message count).
const keep = process.env.SYNC_PROFILE_STATE;
const persistTo = keep ?? mkdtempSync(path.join(os.tmpdir(), "mobile-sync-bench-syncprof-"));
const imported = keep !== undefined && existsSync(path.join(keep, `imported-${MESSAGES}`));
const run = Date.now().toString(36);
const BRIDGE = Number(process.env.SYNC_PROFILE_BRIDGE ?? 0);
const ADMIN_TOKEN = "bench-admin-token";
const NOTIFY_SECRET = "bench-notify-secret";
const port = await freePort();
const bridgeServers = BRIDGE ? await startBridgeServers({ workerPort: port, notifySecret: NOTIFY_SECRET, radicale: false }) : undefined;
const wranglerLog = process.env.SYNC_PROFILE_WRANGLER_LOG;
const server = await startDevServer({
  port,
  persistTo,
  vars: { DEMO_SEED: "false", ADMIN_TOKEN, NOTIFY_SECRET },
  extraArgs: wranglerLog ? ["--log-level", wranglerLog] : [],
});
const FLOOR = process.env.SYNC_PROFILE_FLOOR !== "0";
const floorPersist = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-bench-syncfloor-"));
const floor = FLOOR
  ? await startDevServer({
      port: await freePort(),
      persistTo: floorPersist,
      config: path.join(root, "bench", "sync-floor", "wrangler.toml"),
      migrate: false,
      testScheduled: false,
      extraArgs: wranglerLog ? ["--log-level", wranglerLog] : [],
    })
  : undefined;
const loadStart = os.loadavg().map((l) => l.toFixed(2));
try {
  if (!imported) await insertAccount(persistTo, USER, PW);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      while (!imported && next < MESSAGES) {
        const i = next++;
        const r = await fetch(`${server.url}/cdn-cgi/handler/email?from=s@example.test&to=${encodeURIComponent(USER)}`, {
          method: "POST",
          body: mime(i),
        });
        if (!r.ok) throw new Error(`delivery ${i}: HTTP ${r.status} ${await r.text()}`);
      }
    }),
  );
  if (keep) writeFileSync(path.join(keep, `imported-${MESSAGES}`), "");
  console.error(`imported ${MESSAGES} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const rt = await runtimeOf(server.child.pid!);
  /** Whose mailbox a sync reads: the built-in one, or the bridged one (its own login and Inbox id). */
  interface Target {
    kind: "built-in" | "bridge";
    user: string;
    auth: string;
    inbox: string;
    messages: number;
  }
  const builtIn: Target = {
    kind: "built-in",
    user: USER,
    auth: "Basic " + Buffer.from(`${USER}:${PW}`).toString("base64"),
    inbox: INBOX,
    messages: MESSAGES,
  };
  let bridged: Target | undefined;
  if (bridgeServers) {
    const { stop: _stop, ...info } = bridgeServers;
    setBridgeEnv({ workerUrl: server.url, adminToken: ADMIN_TOKEN, servers: info });
    const a = await newBridgeAccount(`prof${run}`);
    await fillMaildir(a, BRIDGE, ENVELOPE_WARM_UP);
    const res = await bridgeMailbox(a, { dav: false });
    if (res.status !== 201) throw new Error(`bridging: ${res.status} ${await res.text()}`);
    const inbox = folderOfType((await folderSync(bridgedPhone(a, `prof${run}setup`))).folders, 2).id;
    bridged = {
      kind: "bridge",
      user: a.address,
      auth: "Basic " + Buffer.from(`${a.address}:${a.password}`).toString("base64"),
      inbox,
      messages: BRIDGE,
    };
  }

  /** One Sync exchange, timed at the phone: send → last byte. The phone's decoding is done after the clock stops. */
  const sync = async (target: Target, base: string, deviceId: string, key: string, windowSize?: number) => {
    const body = encodeWbxml(
      syncRequest(target.inbox, key, [windowSize !== undefined && el("AirSync", "WindowSize", windowSize), bodyOptions]),
    );
    const q = new URLSearchParams({ Cmd: "Sync", User: target.user, DeviceId: deviceId, DeviceType: "Bench" });
    const t = performance.now();
    const res = await fetch(`${base}/Microsoft-Server-ActiveSync?${q}`, {
      method: "POST",
      headers: { Authorization: target.auth, "MS-ASProtocolVersion": "16.1", "Content-Type": "application/vnd.ms-sync.wbxml" },
      body,
    });
    const headersAt = performance.now() - t;
    const raw = new Uint8Array(await res.arrayBuffer());
    const wall = performance.now() - t;
    if (res.status !== 200) throw new Error(`Sync: HTTP ${res.status}`);
    const st = res.headers.get("Server-Timing") ?? "";
    const hop = (name: string) => Number(new RegExp(`(?:^|,)\\s*${name};dur=([0-9.]+)`).exec(st)?.[1] ?? NaN);
    const object = hop("mailbox");
    if (process.env.SYNC_PROFILE_DUMP === "1")
      console.error(
        `page ${windowSize} ${base === server.url ? "proxy" : "runtime"} ${(performance.now() - t).toFixed(1)} ${st} ${target.kind}`,
      );
    const coll = child(child(decodeWbxml(raw), "Collections"), "Collection");
    return {
      wall,
      raw,
      headers: Object.fromEntries([...res.headers].filter(([k]) => !DROPPED_HEADERS.has(k))),
      headersAt,
      object,
      // The front door's hops (Server-Timing, the Worker's clock: I/O only): login (D1), device gates (touch RPC;
      // 0 when folded into the command's RPC), and the whole request up to its last I/O.
      auth: hop("auth"),
      gate: hop("gate"),
      total: hop("total"),
      bytes: raw.length,
      key: childText(coll, "SyncKey")!,
      adds: childrenNamed(child(coll, "Commands"), "Add").length,
      more: !!child(coll, "MoreAvailable"),
    };
  };

  // Headers the runtime sets on its own (or per answer): the floor's Response gets them from its runtime too.
  const DROPPED_HEADERS = new Set(["server-timing", "content-length", "date", "connection", "keep-alive", "transfer-encoding", "server"]);
  let devices = 0;
  /** `afterPage(i)`: run after our page i (the floor's same page, interleaved page by page). */
  const fullSync = async (
    via: "proxy" | "runtime",
    windowSize: number,
    target: Target = builtIn,
    afterPage?: (i: number) => Promise<void>,
  ) => {
    const base = via === "proxy" ? server.url : rt.entry;
    const deviceId = `prof${run}${via}${windowSize}n${devices++}`;
    console.error(`${new Date().toISOString()} ${target.kind} ${via} WindowSize ${windowSize}`);
    let { key } = await sync(target, base, deviceId, "0");
    const pages: Awaited<ReturnType<typeof sync>>[] = [];
    const c0 = cpuByRole(server.child.pid!, rt.pid);
    for (;;) {
      const p = await sync(target, base, deviceId, key, windowSize);
      pages.push(p);
      key = p.key;
      await afterPage?.(pages.length - 1);
      if (!p.more) break;
    }
    const c1 = cpuByRole(server.child.pid!, rt.pid);
    const items = sum(pages.map((p) => p.adds));
    if (items !== target.messages)
      throw new Error(`${target.kind} ${via} WindowSize ${windowSize}: got ${items} items, expected ${target.messages}`);
    const full = pages.filter((p) => p.adds === windowSize);
    const cpu = Object.fromEntries(Object.keys(c0).map((k) => [k, ((c1[k] - c0[k]) * 1000) / pages.length]));
    const walls = full.map((p) => p.wall);
    const objects = full.map((p) => p.object);
    const outsides = full.map((p) => p.wall - p.object);
    return {
      via,
      kind: target.kind,
      windowSize,
      pages: pages.length,
      wall: pct(walls, 50),
      headersAt: pct(
        full.map((p) => p.headersAt),
        50,
      ),
      object: pct(objects, 50),
      outside: pct(outsides, 50),
      ratio: sum(walls) / sum(objects),
      captured: pages.map((p) => ({ raw: p.raw, headers: p.headers, full: p.adds === windowSize })),
      /** Per page (NaN unless full): phone wall − object, for the floor's paired comparison. */
      pageOutside: pages.map((p) => (p.adds === windowSize ? p.wall - p.object : NaN)),
      // Least disturbed by other processes on a shared machine: the fastest tenth of the pages.
      wall10: pct(walls, 10),
      object10: pct(objects, 10),
      hops: (["auth", "gate", "total"] as const).map((k) => {
        const xs = full.map((p) => p[k]).filter((n) => !Number.isNaN(n));
        return xs.length ? pct(xs, 50).toFixed(1) : "–";
      }),
      kb: sum(full.map((p) => p.bytes)) / full.length / 1024,
      cpu,
    };
  };

  // ---- The platform's floor (bench/sync-floor), fed with our own pages ----
  /** A plain object tree of the typed page's shape (SyncOutcome) for a captured page: one command per Add, its fields as strings. */
  const treeOf = (raw: Uint8Array) => {
    const value = (e: WbxmlElement): unknown => {
      const kids = elements(e);
      return kids.length === 0 ? (text(e) ?? "") : Object.fromEntries(kids.map((k) => [k.name, value(k)]));
    };
    const coll = child(child(decodeWbxml(raw), "Collections"), "Collection");
    const id = childText(coll, "CollectionId");
    return {
      status: 1,
      collections: [
        {
          collectionId: id,
          syncKey: childText(coll, "SyncKey"),
          status: 1,
          responses: { adds: [], changes: [], deletes: [], fetches: [] },
          commands: childrenNamed(child(coll, "Commands"), "Add").map((a) => ({
            op: "Add",
            serverId: childText(a, "ServerId"),
            item: { mail: value(child(a, "ApplicationData")!) },
          })),
          moreAvailable: !!child(coll, "MoreAvailable"),
        },
      ],
      collectionIds: [id],
    };
  };
  type Captured = { raw: Uint8Array; headers: Record<string, string>; full: boolean }[];
  const floorPages = new Map<string, boolean[]>();
  const frt = floor ? await runtimeOf(floor.child.pid!) : undefined;
  /** Hands one captured initial sync to the floor: each page's bytes and headers, and its tree (variant c). */
  const toFloor = async (label: string, captured: Captured) => {
    for (const [i, c] of captured.entries())
      for (const tree of [false, true]) {
        const r = await fetch(`${floor!.url}/put?w=${label}&i=${i}`, {
          method: "POST",
          headers: tree ? { "x-floor-tree": "1" } : { "x-floor-headers": JSON.stringify(c.headers) },
          body: tree ? JSON.stringify(treeOf(c.raw)) : c.raw,
        });
        if (r.status !== 201) throw new Error(`floor put ${label} ${i}: HTTP ${r.status} ${await r.text()}`);
      }
    floorPages.set(
      label,
      captured.map((c) => c.full),
    );
  };
  type Variant = "bytes" | "d1" | "tree";
  type FloorPage = { wall: number; object: number; auth: number };
  /** One floor page: page i of a captured sync, the same client, request and path as ours. */
  const floorPage = async (via: "proxy" | "runtime", label: string, target: Target, variant: Variant, i: number): Promise<FloorPage> => {
    const base = via === "proxy" ? floor!.url : frt!.entry;
    const body = encodeWbxml(syncRequest(target.inbox, "1", [el("AirSync", "WindowSize", 100), bodyOptions]));
    const q = new URLSearchParams({ Cmd: "Sync", User: target.user, DeviceId: "floor", DeviceType: "Bench", w: label, i: String(i) });
    if (variant !== "bytes") q.set(variant, "1");
    const t = performance.now();
    const res = await fetch(`${base}/page?${q}`, {
      method: "POST",
      headers: { Authorization: target.auth, "MS-ASProtocolVersion": "16.1", "Content-Type": "application/vnd.ms-sync.wbxml" },
      body,
    });
    await res.arrayBuffer();
    const wall = performance.now() - t;
    if (res.status !== 200) throw new Error(`floor ${variant} ${label} ${i}: HTTP ${res.status}`);
    const st = res.headers.get("Server-Timing") ?? "";
    const hop = (name: string) => Number(new RegExp(`(?:^|,)\\s*${name};dur=([0-9.]+)`).exec(st)?.[1] ?? NaN);
    return { wall, object: hop("mailbox"), auth: hop("auth") };
  };
  /**
   * The floor beside one of our initial syncs, page by page (ours, then the floor's (a), (b), (c) of the same page:
   * whatever else the machine is doing falls on all four alike). `hook` goes to fullSync; `result` summarises.
   */
  const floorBeside = (via: "proxy" | "runtime", label: string, target: Target) => {
    const fulls = floorPages.get(label)!;
    const got: Record<Variant, (FloorPage & { i: number })[]> = { bytes: [], d1: [], tree: [] };
    let cpu = 0;
    return {
      hook: async (i: number) => {
        if (i >= fulls.length) return;
        const before = cpuByRole(floor!.child.pid!, frt!.pid).runtime;
        for (const v of ["bytes", "d1", "tree"] as const) got[v].push({ ...(await floorPage(via, label, target, v, i)), i });
        cpu += cpuByRole(floor!.child.pid!, frt!.pid).runtime - before;
      },
      result: (ours: number[]) => {
        const of = (v: Variant) => {
          const full = got[v].filter((p) => fulls[p.i]);
          const med = (xs: number[]) => pct(xs, 50);
          return {
            wall: med(full.map((p) => p.wall)),
            object: med(full.map((p) => p.object)),
            outside: med(full.map((p) => p.wall - p.object)),
            auth: v === "d1" ? med(full.map((p) => p.auth)) : NaN,
            // Ours minus the floor's outside, page by page (the same page, measured back to back).
            paired: med(full.map((p) => ours[p.i] - (p.wall - p.object)).filter((d) => !Number.isNaN(d))),
          };
        };
        // The floor's runtime CPU per page, over its three variants.
        return { bytes: of("bytes"), d1: of("d1"), tree: of("tree"), cpuRuntime: (cpu * 1000) / (got.bytes.length * 3) };
      },
    };
  };
  /** Ours, with the floor beside it page by page when there is one. */
  const measured = async (via: "proxy" | "runtime", w: number, target: Target, label: string) => {
    const beside = floor ? floorBeside(via, label, target) : undefined;
    const ours = await fullSync(via, w, target, beside?.hook);
    return { ...ours, floor: beside?.result(ours.pageOutside) };
  };

  // Warm both paths (isolate, object, caches) with one small full sync each.
  for (const via of ["proxy", "runtime"] as const) await fullSync(via, 512);
  const rows = [];
  // SYNC_PROFILE_WINDOWS=100 (comma-separated) measures only those window sizes; ROUNDS repeats each row.
  const windows = (process.env.SYNC_PROFILE_WINDOWS ?? "100,512").split(",").map(Number);
  const rounds = Number(process.env.SYNC_PROFILE_ROUNDS ?? 1);
  // One initial sync per WindowSize captured for the floor (it warms the floor's paths too).
  if (floor)
    for (const w of windows) {
      await toFloor(String(w), (await fullSync("runtime", w)).captured);
      for (const via of ["proxy", "runtime"] as const) await measured(via, w, builtIn, String(w));
    }
  for (let r = 0; r < rounds; r++)
    for (const w of windows) for (const via of ["proxy", "runtime"] as const) rows.push(await measured(via, w, builtIn, String(w)));
  // The bridged mailbox at WindowSize 100 (its pages at 512 are Dovecot's and the IMAP parser's time: target 2).
  if (bridged) {
    const warm = await fullSync("runtime", 100, bridged); // warm: the object's summaries, the login cache
    if (floor) await toFloor("b100", warm.captured);
    for (let r = 0; r < rounds; r++) for (const via of ["proxy", "runtime"] as const) rows.push(await measured(via, 100, bridged, "b100"));
  }

  let perfFile = "";
  if (PERF) {
    perfFile = path.join(os.tmpdir(), `sync-page-${MESSAGES}.perf`);
    const stop = perfRecord(rt.pid, perfFile);
    await new Promise((r) => setTimeout(r, 1000));
    await fullSync("runtime", Number(process.env.SYNC_PROFILE_PERF_WINDOW ?? 512));
    await stop();
  }

  const V8 = process.env.SYNC_PROFILE_V8;
  if (V8) {
    const profiler = await Profiler.connect(await inspectorOf(server.child.pid!));
    await profiler.start();
    const r = await fullSync("runtime", Number(process.env.SYNC_PROFILE_PERF_WINDOW ?? 100));
    const p = await profiler.stop();
    profiler.close();
    mkdirSync(V8, { recursive: true });
    const file = path.join(V8, `sync-page-${r.windowSize}-${run}.cpuprofile`);
    saveProfile(p, file);
    const bundle = currentBundle(root);
    const s = summarise(
      p,
      ["handleActiveSync", "serve", "readRequestBody", "decodeWbxml", "encodeWbxml", "toHttpResponse", "report", "authenticate"],
      bundle,
    );
    const per = (x: number) => `${(x / r.pages).toFixed(2)} ms`.padStart(10);
    console.error(
      `\n# V8 profile, runtime WindowSize ${r.windowSize}: ${per(s.totalMs)} of JS/VM CPU per page (${r.pages} pages, ${file})`,
    );
    for (const [title, rows, n] of [
      ["by room (nearest of our frames)", s.byRoom, 20],
      ["by our function (with the natives it calls)", s.byOurFunction, 40],
      ["by function (self)", s.byFunction, 40],
      ["inclusive (synchronous stacks)", s.inclusive, 20],
    ] as const) {
      console.error(`## ${title}`);
      for (const [name, t] of rows.slice(0, n)) console.error(`${per(t)}  ${name}`);
    }
  }

  const f = (n: number) => n.toFixed(1);
  const lines = [
    `\n## Sync page profile (issue 15 target 1) — ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}${process.env.SYNC_PROFILE_LABEL ? ` — ${process.env.SYNC_PROFILE_LABEL}` : ""}\n`,
    `Machine: ${os.cpus()[0]?.model ?? "cpu"}, ${os.cpus().length} cores shared, Node ${process.version}, wrangler dev on loopback; ` +
      `load average ${loadStart.join(" ")} at start, ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")} at end. ${MESSAGES} messages (plain + HTML, ~1.5 KB), EAS 16.1, BodyPreference HTML truncated at 5 120, Preview 255. ` +
      "Medians over the full pages of one initial sync per row; ratio = Σ phone wall / Σ object time over those pages. " +
      `wrangler's local tail stream ${process.env.X_LOCAL_OBSERVABILITY === "false" ? "off" : "on"}. ` +
      "proxy = through wrangler dev's entry proxy (what `npm start` serves); runtime = straight to the runtime workerd's socket.",
    "",
    "| WindowSize | path | pages | phone wall p50 (ms) | headers at p50 (ms) | object p50 (ms) | **wall ÷ object** | p10: wall / object (ratio) | Worker's clock p50: auth / gate / total (ms) | KiB per page | CPU ms per page: runtime / entry proxy / wrangler (node) |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.windowSize} | ${r.kind === "bridge" ? `${r.via}, bridged` : r.via} | ${r.pages} | ${f(r.wall)} | ${f(r.headersAt)} | ${f(r.object)} | **${r.ratio.toFixed(2)}×** | ${f(r.wall10)} / ${f(r.object10)} (${(r.wall10 / r.object10).toFixed(2)}×) | ${r.hops.join(" / ")} | ${r.kb.toFixed(0)} | ${f(r.cpu.runtime)} / ${f(r.cpu["entry proxy"])} / ${f(r.cpu["wrangler (node)"])} |`,
    ),
  ];
  if (floor) {
    lines.push(
      "",
      "Beside each row, in the same run, with the same client and path and **page by page** (our page i, then the floor's page i " +
        "in each variant, so whatever else the machine does falls on all alike), the platform's floor (bench/sync-floor) answering " +
        "with the bytes and headers of our own pages, captured earlier in the run: (a) Worker → object RPC returning the page's " +
        "bytes → phone; (b) the same after one D1 read of one row; (c) the RPC returning a plain object tree of the typed page's " +
        "shape (the Worker then sends the captured bytes). " +
        '"Object" = the Worker\'s clock across the RPC (Server-Timing `mailbox`, whole ms here); outside = phone wall − object; p50 ' +
        "over full pages. Ours − floor: the median over pages of our outside minus the floor's outside for the same page. " +
        "**Best reachable** = (our object p50 + the floor's outside p50) ÷ our object p50: the ratio we would have if everything " +
        "outside our object cost what it costs the floor ((b): the floor with a login's D1 read).",
      "",
      "| WindowSize | path | ours: wall / object / **outside** p50 (ms) | floor (a) bytes: wall / RPC / **outside** | floor (b) + D1 read: wall / RPC / auth / **outside** | floor (c) tree: wall / RPC / **outside** | ours − floor outside, paired p50: (a) / (b) / (c) | runtime CPU per page: ours / floor (ms) | **best reachable** with (a) / with (b) |",
      "|---|---|---|---|---|---|---|---|---|",
      ...rows
        .filter((r) => r.floor)
        .map((r) => {
          const { bytes: a, d1: b, tree: c, cpuRuntime } = r.floor!;
          return (
            `| ${r.windowSize} | ${r.kind === "bridge" ? `${r.via}, bridged` : r.via} | ${f(r.wall)} / ${f(r.object)} / **${f(r.outside)}** | ` +
            `${f(a.wall)} / ${f(a.object)} / **${f(a.outside)}** | ${f(b.wall)} / ${f(b.object)} / ${f(b.auth)} / **${f(b.outside)}** | ` +
            `${f(c.wall)} / ${f(c.object)} / **${f(c.outside)}** | ${f(a.paired)} / ${f(b.paired)} / ${f(c.paired)} | ${f(r.cpu.runtime)} / ${f(cpuRuntime)} | ` +
            `**${((r.object + a.outside) / r.object).toFixed(2)}× / ${((r.object + b.outside) / r.object).toFixed(2)}×** |`
          );
        }),
    );
  }
  if (perfFile) console.error(`perf report -i ${perfFile} --no-children --sort dso,sym`);
  console.log(lines.join("\n"));
  if (process.env.SYNC_PROFILE_NO_APPEND !== "1") appendFileSync(path.join(root, "bench", "RESULTS.md"), lines.join("\n") + "\n");
} finally {
  await server.stop();
  await floor?.stop();
  await bridgeServers?.stop();
  if (!keep) rmSync(persistTo, { recursive: true, force: true });
  rmSync(floorPersist, { recursive: true, force: true });
}
