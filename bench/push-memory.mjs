// Where the runtime's memory per parked request goes (issue 15 target 3 (a)): RSS of the runtime workerd and the
// Worker isolate's JS heap (V8, read through the runtime's inspector after a full GC), at four moments:
//   idle     the server up, nothing parked;
//   live     right after the last park, every object still live (its JS in the isolate, before the idle evicts it);
//            heapAsIs: V8's heap read before the GC (used and committed, garbage included);
//   peak     the highest RSS seen while parking (every object starting, logging the phone in, registering its wait);
//   parked   every request parked and every object evicted (what push-vs-floor.mjs reports per parked request);
//   after    every parked request answered (woken by the burst) and the objects evicted again.
// parked − after is what the parked requests themselves hold (upper bound: memory freed is not always returned to
// the system); after − idle is what stays once they are gone (the runtime's high water from the parking phase).
//
//   npx tsx bench/push-memory.mjs [N]            # ours: N Pings on N mailboxes, woken by an admin delivery
//   npx tsx bench/push-memory.mjs --floor [N]    # bench/push-floor
// PUSH_HEAP_SNAPSHOT=file also writes the isolate's heap snapshot at "parked" (bench/heap-summary.mjs sums it);
// PUSH_HEAP_SNAPSHOT_AT=live takes it at "live" instead (every object's JS still in the isolate, after a full GC).
// PUSH_RESTART=1: park N and wake them on a first server, then measure on a new server over the same state (every
// park an object's restart, as in push-vs-floor.mjs).
// PUSH_HEAP_SAMPLING=file: V8's sampling heap profile of the parking (idle → live, garbage included), as a
// .heapprofile that bench/heap-sampling-summary.mjs sums by function. PUSH_VERBOSE=1: each step on stderr.
// Prints one JSON object; nothing is appended to RESULTS.md.
import { execSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { IDLE_MS, burst, parkAll, parkFloor, rssMb, sleep, startPushServer, wakeFloor, workerds } from "./push-lib.mjs";

const FLOOR = process.argv.includes("--floor");
const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1000);

/** An inspector session on the Worker isolate (the runtime's port that lists a `core:user:` target), or null. */
async function inspector(pid) {
  const ports = [
    ...execSync(`ss -ltnp`)
      .toString()
      .matchAll(new RegExp(`127\\.0\\.0\\.1:(\\d+) .*pid=${pid},`, "g")),
  ].map((m) => m[1]);
  for (const port of ports) {
    let list;
    try {
      list = await (await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(2000) })).json();
    } catch {
      continue;
    }
    if (!Array.isArray(list)) continue;
    const target = list.find((t) => /core:user:/.test(t.id));
    if (!target) continue;
    const ws = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise(
      (res, rej) => ((ws.onopen = res), (ws.onerror = rej), setTimeout(() => rej(new Error("inspector: no connection")), 5000)),
    );
    let id = 0;
    const call = (method, params = {}, ms = 10_000) =>
      new Promise((res) => {
        const my = ++id;
        const on = (e) => {
          const m = JSON.parse(String(e.data));
          if (m.id === my) {
            ws.removeEventListener("message", on);
            res(m.result ?? m.error ?? null);
          }
        };
        ws.addEventListener("message", on);
        ws.send(JSON.stringify({ id: my, method, params }));
        step(`inspector: ${method}`);
        setTimeout(() => res(null), ms);
      });
    return { ws, call };
  }
  return null;
}

/** The Worker isolate's JS heap after a full GC (MB), through the runtime's inspector (the port that lists targets). */
async function heapMb(pid, snapshotTo, gc = true) {
  const session = await inspector(pid);
  if (!session) return null;
  const { ws, call } = session;
  // workerd's inspector does not answer HeapProfiler.collectGarbage (it waited out the whole timeout, 300 s with a
  // snapshot to take): asked, given 2 s; a heap snapshot collects garbage itself.
  if (gc) await call("HeapProfiler.collectGarbage", {}, 2000);
  if (snapshotTo) {
    // PUSH_HEAP_SNAPSHOT=file: the whole heap at this moment, as V8's .heapsnapshot JSON (for a by-constructor sum).
    const chunks = [];
    const onChunk = (e) => {
      const m = JSON.parse(String(e.data));
      if (m.method === "HeapProfiler.addHeapSnapshotChunk") chunks.push(m.params.chunk);
    };
    ws.addEventListener("message", onChunk);
    await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false }, 300_000);
    ws.removeEventListener("message", onChunk);
    writeFileSync(snapshotTo, chunks.join(""));
  }
  const u = await call("Runtime.getHeapUsage");
  ws.close();
  if (!u || u.usedSize === undefined) return null;
  return { used: u.usedSize / 2 ** 20, total: u.totalSize / 2 ** 20 };
}

const step = (m) => process.env.PUSH_VERBOSE && console.error(new Date().toISOString(), m);
const SNAP_AT = process.env.PUSH_HEAP_SNAPSHOT_AT === "live" ? "live" : "parked";
const snapAt = (at) => (SNAP_AT === at ? process.env.PUSH_HEAP_SNAPSHOT : undefined);
let { persistTo, server } = await startPushServer(FLOOR, N, "mobile-sync-pushmem-");
if (process.env.PUSH_RESTART === "1") {
  const first = await parkAll(server.url, N, true, server.log, FLOOR ? parkFloor : undefined, 0);
  step("restart: parked");
  await burst(server.url, N, FLOOR ? "floor" : undefined, FLOOR ? wakeFloor : undefined);
  await Promise.all(first);
  step("restart: answered");
  await server.stop();
  server = await startPushServer(FLOOR, N, "", persistTo).then((x) => x.server);
}
const out = { n: N, floor: FLOOR, load0: os.loadavg()[0] };
try {
  await fetch(server.url + "/");
  const pid = workerds(server.child.pid).runtime;
  out.idle = { rss: rssMb(pid), heap: await heapMb(pid) };
  // PUSH_HEAP_SAMPLING=file: V8's sampling heap profiler over the parking (idle → live), what was allocated where
  // (garbage included: what grows the heap's committed pages), as a .heapprofile (bench/heap-sampling-summary.mjs).
  const sampling = process.env.PUSH_HEAP_SAMPLING ? await inspector(pid) : null;
  if (sampling) {
    await sampling.call("HeapProfiler.enable");
    out.samplingStarted = await sampling.call("HeapProfiler.startSampling", {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 250);
  const pings = await parkAll(server.url, N, true, server.log, FLOOR ? parkFloor : undefined);
  // Every object still live (none evicted yet): the JS the N objects hold in the isolate, after a full GC.
  // V8's heap as it stands (no GC first): what the isolate has committed at that moment, garbage included.
  step("parked");
  if (sampling) {
    const r = await sampling.call("HeapProfiler.stopSampling", {}, 60_000);
    if (r?.profile) writeFileSync(process.env.PUSH_HEAP_SAMPLING, JSON.stringify(r.profile));
    else out.samplingError = r;
    sampling.ws.close();
  }
  const asIs = await heapMb(pid, undefined, false);
  out.live = { rss: rssMb(pid), heapAsIs: asIs, heap: await heapMb(pid, snapAt("live")) };
  step("live read");
  await sleep(IDLE_MS);
  clearInterval(sampler);
  out.peak = { rss: peak };
  out.parked = { rss: rssMb(pid), heap: await heapMb(pid, snapAt("parked")) };
  await burst(server.url, N, FLOOR ? "floor" : undefined, FLOOR ? wakeFloor : undefined);
  const answered = await Promise.all(pings);
  out.statuses = {};
  for (const a of answered) out.statuses[a.status] = (out.statuses[a.status] ?? 0) + 1;
  await sleep(IDLE_MS);
  out.after = { rss: rssMb(pid), heap: await heapMb(pid) };
  const kb = (a, b) => ((a - b) * 1024) / N;
  out.kbPerRequest = {
    rssParkedMinusIdle: kb(out.parked.rss, out.idle.rss),
    rssParkedMinusAfter: kb(out.parked.rss, out.after.rss),
    heapParkedMinusAfter: out.parked.heap && out.after.heap ? kb(out.parked.heap.used, out.after.heap.used) : null,
    heapLiveMinusAfter: out.live.heap && out.after.heap ? kb(out.live.heap.used, out.after.heap.used) : null,
    heapLiveMinusParked: out.live.heap && out.parked.heap ? kb(out.live.heap.used, out.parked.heap.used) : null,
    heapParkedMinusIdle: out.parked.heap && out.idle.heap ? kb(out.parked.heap.used, out.idle.heap.used) : null,
  };
  out.load1 = os.loadavg()[0];
} finally {
  await server.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
// The inspector calls leave their timeouts pending (up to 300 s): done is done.
process.exit(0);
