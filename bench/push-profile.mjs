// Where the CPU of a push wake goes: N Pings parked on N evicted mailbox objects, then bursts, each measured as
// CPU per delivery of every process (/proc utime + stime: robust to other load on the machine, unlike wall time).
//
//   npx tsx bench/push-profile.mjs [N]            # N = 1000 by default
//   PUSH_PROFILE=1 npx tsx bench/push-profile.mjs  # also `perf record` of the runtime workerd during the Ping burst
//   npx tsx bench/push-profile.mjs --floor [N]     # the same bursts against bench/push-floor (the platform's floor)
//   X_LOCAL_OBSERVABILITY=true                     # with wrangler dev's local tail stream (off by default, see push-lib.mjs)
//   PUSH_BENCH_DIR=/dev/shm                        # the objects' SQLite files on tmpfs
//   PUSH_JS_PROFILE=file.cpuprofile                # V8 CPU profile of the Worker's isolate during the wake burst
//                                                  # (bench/cpu-profile.ts; summary on stderr; for the split, not for ratios)
//
// Bursts, in this order:
//   wake     every mailbox gets mail while its Ping waits on its evicted object (issue 4 target (b));
//   control  the same delivery burst with no Ping parked, to evicted objects;
//   awake    the same again at once, objects still in memory (only meaningful when control took < 10 s).
// Prints one JSON object; nothing is appended to RESULTS.md (bench:push does that).
import { execSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { applyMigrations, startDevServer } from "../scripts/dev-server.mjs";
import { freePort } from "../test/free-port.ts";
import { currentBundle, inspectorOf, Profiler, saveProfile, summarise } from "./cpu-profile.ts";
import {
  ADMIN_TOKEN,
  IDLE_MS,
  burst,
  parkFloor,
  wakeFloor,
  constructedSince,
  cpuDelta,
  cpuSeconds,
  createAccounts,
  floorConfig,
  parkAll,
  root,
  sleep,
} from "./push-lib.mjs";

const FLOOR = process.argv.includes("--floor");
const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1000);
const PROFILE = process.env.PUSH_PROFILE === "1";

/** The runtime workerd (not the entry proxy): the one wrangler starts with an inspector. */
function runtimePid(rootPid) {
  const kids = execSync(`pgrep -P ${rootPid}`).toString().trim().split("\n").join(",");
  for (const pid of execSync(`pgrep -f workerd -P ${kids}`).toString().trim().split("\n")) {
    if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--inspector-addr")) return Number(pid);
  }
  throw new Error("runtime workerd not found");
}

/** `perf record` of the runtime workerd (cpu-clock, call graphs) until the returned stop() is called. */
function perfRecord(pid, file) {
  const child = spawn("perf", ["record", "-e", "cpu-clock", "-F", "499", "-g", "-p", String(pid), "-o", file], { stdio: "ignore" });
  return () => new Promise((res) => (child.once("exit", res), child.kill("SIGINT")));
}

function perDelivery(cpu, n) {
  return Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Number(((v * 1000) / n).toFixed(2))]));
}

async function measured(server, label, n, fn) {
  console.error(`${new Date().toISOString()} ${label} …`);
  const logFrom = server.log().length;
  const c0 = cpuSeconds(server.child.pid);
  const r = await fn();
  const cpu = cpuDelta(c0, cpuSeconds(server.child.pid));
  return {
    label,
    ms: Math.round(r.ms),
    bad: r.bad,
    constructed: constructedSince(server.log, logFrom),
    cpuMsPerDelivery: perDelivery(cpu, n),
    load: os.loadavg()[0].toFixed(2),
  };
}

// PUSH_BENCH_DIR=/dev/shm keeps the objects' SQLite files on tmpfs (no ext4 inode allocation per actor start).
const persistTo = mkdtempSync(path.join(process.env.PUSH_BENCH_DIR ?? os.tmpdir(), "mobile-sync-prof-"));
applyMigrations(persistTo);
if (!FLOOR || process.env.PUSH_FLOOR_D1 === "1") createAccounts(persistTo, N);
const vars = { PUSH_TRACE: "1", DEMO_SEED: "false", ADMIN_TOKEN };
const server = await startDevServer({
  port: await freePort(),
  persistTo,
  vars,
  config: FLOOR ? floorConfig() : undefined,
});
const base = server.url;
const out = {
  n: N,
  floor: FLOOR,
  dir: persistTo,
  observability: process.env.X_LOCAL_OBSERVABILITY,
  loadStart: os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" "),
  runs: [],
};
const [park, send] = FLOOR ? [parkFloor, wakeFloor] : [undefined, undefined];
try {
  await fetch(base + "/");
  console.error("parking …");
  const pings = await parkAll(base, N, true, server.log, park);
  await sleep(IDLE_MS);
  const perfFile = path.join(os.tmpdir(), `push-wake-${N}.perf`);
  const stopPerf = PROFILE ? perfRecord(runtimePid(server.child.pid), perfFile) : null;
  const jsProfile = process.env.PUSH_JS_PROFILE;
  const profiler = jsProfile ? await Profiler.connect(await inspectorOf(server.child.pid)) : null;
  const bundle = jsProfile ? currentBundle(root) : undefined;
  await profiler?.start();
  out.runs.push(
    await measured(
      server,
      FLOOR ? "wake (bare wake RPC, request parked, evicted)" : "wake (delivery, Ping parked, evicted)",
      N,
      async () => {
        const t0 = performance.now();
        const r = await burst(base, N, FLOOR ? "floor" : undefined, send);
        const answered = await Promise.all(pings);
        const statuses = {};
        for (const p of answered) statuses[p.status] = (statuses[p.status] ?? 0) + 1;
        out.wakeStatuses = statuses;
        return { ms: Math.max(...answered.map((p) => p.at)) - t0, bad: r.bad };
      },
    ),
  );
  if (profiler) {
    const p = await profiler.stop();
    profiler.close();
    saveProfile(p, jsProfile);
    const sum = summarise(p, [], bundle);
    const ms = (x) => `${((x * 1000) / N).toFixed(1)} µs/wake`.padStart(16);
    console.error(`${ms(sum.totalMs)} in all (JS profile ${jsProfile})`);
    for (const [title, rows] of [
      ["by room (nearest of our frames)", sum.byRoom],
      ["by our function (with the natives it calls)", sum.byOurFunction],
      ["by function (self)", sum.byFunction],
    ]) {
      console.error(`## ${title}`);
      for (const [f, t] of rows.slice(0, 40)) console.error(`${ms(t)}  ${f}`);
    }
  }
  if (stopPerf) {
    await stopPerf();
    out.perf = `perf report -i ${perfFile} --no-children --sort dso,sym`;
  }

  await sleep(IDLE_MS);
  const what = FLOOR ? "wake RPC" : "delivery";
  out.runs.push(await measured(server, `control (${what}, no Ping, evicted)`, N, () => burst(base, N, FLOOR ? "floor" : undefined, send)));
  out.runs.push(
    await measured(server, `awake (${what}, no Ping, objects in memory if control < 10 s)`, N, () =>
      burst(base, N, FLOOR ? "floor" : undefined, send),
    ),
  );
} finally {
  out.loadEnd = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  await server.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
console.log(JSON.stringify(out, null, 2));
