// Bridge benchmark end to end (issue 8 §7): Dovecot on loopback, the Worker under `wrangler dev`, a phone over
// HTTP. For a 5 000- and a 500-message Inbox: full initial Sync at WindowSize 100 and 512 (wall time, and the
// mailbox object's time per page from the Sync route's Server-Timing header), first vs last pages, no-change
// Sync; then LMTP delivery → Ping response latency through Dovecot's push_notification plugin.
// Every WBXML response is validated against the conformance kit after it is timed.
//
//   npx tsx bench/imap-e2e.bench.ts            (npm run bench:imap runs it after the store bench)
//   IMAP_E2E_SIZES=500,5000 IMAP_E2E_PINGS=50  (defaults); IMAP_E2E_RECORD=0 prints without appending to RESULTS.md
import { readFileSync, appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../scripts/dev-server.mjs";
import { freePort } from "../test/free-port";
import {
  type BridgeAccount,
  bridgedPhone,
  bridgeMailbox,
  collection,
  commands,
  deliver,
  folderOfType,
  folderSync,
  newBridgeAccount,
  pingBody,
  serverTimingMs,
  setBridgeEnv,
  status,
  syncAll,
  syncMore,
  within,
} from "../test/node/bridge-client";
import { startBridgeServers } from "../test/node/bridge-servers";
import type { PhoneResponse } from "../test/node/phone";
import { assertValid } from "../test/node/validate";
import { syncRequest } from "../test/node/sync-requests";
import { child, childText, el } from "../src/wbxml/index";
import { DESKTOP_WARM_UP, fillMaildir } from "./maildir-fill";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SIZES = (process.env.IMAP_E2E_SIZES ?? "500,5000").split(",").map(Number);
const WINDOWS = [100, 512];
const PINGS = Number(process.env.IMAP_E2E_PINGS ?? 50);
const NOTIFY_SECRET = "bench-notify-secret";
const ADMIN_TOKEN = "bench-admin-token";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const median = (xs: number[]) => pct(xs, 50);
const f1 = (x: number) => x.toFixed(1);

/** Writes `n` messages straight into the account's maildir (cur/), then lets Dovecot index them. */
interface SyncRun {
  size: number;
  window: number;
  pages: number;
  items: number;
  wallMs: number;
  /** Per page: client wall time and the mailbox object's time (Server-Timing). */
  page: { wall: number; server: number | null }[];
  /** The SyncKey 0 request (the store's first look at the folder). */
  boot: { wall: number; server: number | null };
  noChange: { wall: number; server: number | null }[];
}

async function timedSync(a: BridgeAccount, deviceId: string, size: number, window: number): Promise<SyncRun> {
  const phone = bridgedPhone(a, deviceId, "16.1");
  const inbox = folderOfType((await folderSync(phone)).folders, 2).id;
  const tb = performance.now();
  const boot = await phone.command("Sync", syncRequest(inbox, "0"));
  const bootTime = { wall: performance.now() - tb, server: serverTimingMs(boot) };
  if (childText(collection(boot), "Status") !== "1") throw new Error(`Sync boot: ${boot.xml}`);
  let key = childText(collection(boot), "SyncKey")!;
  const page: SyncRun["page"] = [];
  const seen = new Set<string>();
  const toValidate: string[] = [];
  const started = performance.now();
  for (;;) {
    const t = performance.now();
    const r = await phone.command(
      "Sync",
      syncRequest(inbox, key, [
        el("AirSync", "WindowSize", window),
        el(
          "AirSync",
          "Options",
          el("AirSync", "FilterType", 0),
          el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1), el("AirSyncBase", "TruncationSize", 2048)),
        ),
      ]),
      { validate: false },
    );
    page.push({ wall: performance.now() - t, server: serverTimingMs(r) });
    if (r.status !== 200 || !r.xml) throw new Error(`Sync page ${page.length}: HTTP ${r.status}`);
    toValidate.push(r.xml);
    const c = collection(r);
    if (childText(c, "Status") !== "1") throw new Error(`Sync page ${page.length}: ${r.xml.slice(0, 400)}`);
    for (const add of commands(r, "Add")) seen.add(childText(add, "ServerId")!);
    key = childText(c, "SyncKey")!;
    if (!child(c, "MoreAvailable")) break;
  }
  const wallMs = performance.now() - started;
  for (const xml of toValidate) assertValid("Sync", xml);
  if (seen.size !== size) throw new Error(`synced ${seen.size} distinct items of ${size}`);
  const noChange: SyncRun["noChange"] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const r = await phone.command("Sync", syncRequest(inbox, key, [el("AirSync", "WindowSize", window)]), { validate: false });
    noChange.push({ wall: performance.now() - t, server: serverTimingMs(r) });
    if (r.xml) assertValid("Sync", r.xml);
    if (r.raw.length) {
      if (commands(r, "Add").length || commands(r, "Change").length) throw new Error("no-change Sync brought changes");
      key = childText(collection(r), "SyncKey") ?? key;
    }
  }
  return { size, window, pages: page.length, items: seen.size, wallMs, page, boot: bootTime, noChange };
}

async function pingLatency(a: BridgeAccount): Promise<number[]> {
  const phone = bridgedPhone(a, "benchPing", "16.1");
  const inbox = folderOfType((await folderSync(phone)).folders, 2).id;
  let { key } = await syncAll(phone, inbox);
  const out: number[] = [];
  for (let i = 0; i < PINGS; i++) {
    const answer = phone
      .command("Ping", pingBody(600, [[inbox, "Email"]]), { validate: false })
      .then((r) => Object.assign(r, { at: performance.now() }));
    if ((await within(answer, 300)) !== "pending") throw new Error("Ping answered before the delivery");
    const t0 = performance.now();
    await deliver(a, `Ping bench ${i}`);
    const r = await within(answer, 10_000);
    if (r === "pending") throw new Error(`Ping ${i} not answered 10 s after the delivery`);
    const got = r as PhoneResponse & { at: number };
    assertValid("Ping", got.xml!);
    if (status(got) !== "2") throw new Error(`Ping ${i}: Status ${status(got)}`);
    out.push(got.at - t0);
    key = (await syncMore(phone, inbox, key)).key;
  }
  return out;
}

async function main() {
  const load0 = os.loadavg();
  const workerPort = await freePort();
  const servers = await startBridgeServers({ workerPort, notifySecret: NOTIFY_SECRET, radicale: false });
  const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-imap-bench-"));
  let worker: { url: string; stop(): Promise<void> } | undefined;
  try {
    worker = await startDevServer({ port: workerPort, persistTo, vars: { ADMIN_TOKEN, NOTIFY_SECRET, DEMO_SEED: "false" } });
    const { stop: _stop, ...info } = servers;
    setBridgeEnv({ workerUrl: worker!.url, adminToken: ADMIN_TOKEN, servers: info });

    const runs: SyncRun[] = [];
    for (const size of SIZES) {
      for (const window of WINDOWS) {
        const a = await newBridgeAccount(`bench-${size}-${window}`);
        const tf = performance.now();
        await fillMaildir(a, size, DESKTOP_WARM_UP);
        console.log(`filled ${size} messages in ${((performance.now() - tf) / 1000).toFixed(1)} s (maildir files + Dovecot indexing)`);
        const res = await bridgeMailbox(a, { dav: false });
        if (res.status !== 201) throw new Error(`bridging: ${res.status} ${await res.text()}`);
        const run = await timedSync(a, `bench${size}w${window}`, size, window);
        runs.push(run);
        console.log(`${size} messages, WindowSize ${window}: ${run.pages} pages in ${(run.wallMs / 1000).toFixed(2)} s`);
      }
    }
    const pinger = await newBridgeAccount("bench-ping");
    const res = await bridgeMailbox(pinger, { dav: false });
    if (res.status !== 201) throw new Error(`bridging: ${res.status} ${await res.text()}`);
    const pings = await pingLatency(pinger);
    report(runs, pings, load0);
  } finally {
    await worker?.stop();
    await servers.stop();
    rmSync(persistTo, { recursive: true, force: true });
  }
}

function report(runs: SyncRun[], pings: number[], load0: number[]) {
  const server = (xs: { server: number | null }[]) => {
    const v = xs.map((x) => x.server).filter((x): x is number => x !== null);
    return v.length ? v : null;
  };
  const row = (r: SyncRun) => {
    const full = r.page.slice(0, -1).length ? r.page.slice(0, -1) : r.page; // the last page may be short
    const sv = server(full);
    const firstLast = (xs: { wall: number; server: number | null }[], k: "wall" | "server") => {
      const head = xs.slice(0, 3).map((x) => x[k] ?? NaN);
      const tail = xs.slice(-3).map((x) => x[k] ?? NaN);
      return `${f1(median(head))} / ${f1(median(tail))}`;
    };
    const nc = r.noChange;
    return `| ${r.size} | ${r.window} | ${f1(r.boot.wall)} (${r.boot.server ?? "–"}) | ${r.pages} | ${(r.wallMs / 1000).toFixed(2)} s | ${f1(median(full.map((x) => x.wall)))} / ${f1(
      pct(
        full.map((x) => x.wall),
        95,
      ),
    )} | ${firstLast(full, "wall")} | ${sv ? `${f1(median(sv))} / ${f1(pct(sv, 95))}` : "–"} | ${sv ? firstLast(full, "server") : "–"} | ${f1(median(nc.map((x) => x.wall)))} (${server(nc) ? f1(median(server(nc)!)) : "–"}) |`;
  };
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  const dovecot = execFileSync("/usr/sbin/dovecot", ["--version"], { encoding: "utf8" }).trim();
  const wrangler = JSON.parse(readFileSync(path.join(root, "node_modules/wrangler/package.json"), "utf8")).version;
  const section = `
## Bridge end to end: phone → Worker → Dovecot (${new Date().toISOString()})

Machine: ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, shared with other jobs; load average ${load0.map((x) => x.toFixed(1)).join(" ")} before, ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")} after. Node ${process.version}, \`wrangler dev\` (wrangler ${wrangler}), Dovecot ${dovecot}, plain IMAP on loopback.
Each row is a new bridged mailbox whose Inbox was filled with N messages (maildir files, then indexed and cached by
Dovecot as a desktop client would) and a new device (16.1) syncing it from SyncKey 0 to the end, plain-text bodies
truncated at 2 KB. Times in ms. "server" is the mailbox object's time per request from \`Server-Timing: mailbox\`
(IMAP session with login included: connections are per request); the last, shorter page is left out of the page
figures. First / last = median of the first three / last three full pages.

| messages | WindowSize | SyncKey 0 wall (server) | pages | full initial Sync after it | page wall p50 / p95 | page wall first / last | page server p50 / p95 | page server first / last | no-change Sync wall (server) p50 |
|---|---|---|---|---|---|---|---|---|---|
${runs.map(row).join("\n")}

Server time of every page, in order (ms):
${runs.map((r) => `- ${r.size} messages, WindowSize ${r.window}: ${r.page.map((p) => p.server ?? "–").join(", ")}`).join("\n")}

LMTP delivery → Ping response through Dovecot's push_notification OX driver → \`/notify/ox\` → the mailbox object,
${pings.length} deliveries one at a time, a Sync between them: p50 **${f1(pct(pings, 50))} ms**, p99 **${f1(pct(pings, 99))} ms**, max ${f1(Math.max(...pings))} ms.
`;
  process.stdout.write(section);
  if (process.env.IMAP_E2E_RECORD !== "0") appendFileSync(path.join(root, "bench", "RESULTS.md"), section);
}

await main();
