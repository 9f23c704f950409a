// The bridge's page against Dovecot alone (issue 15, target 2): a phone (16.1) syncs a 1 000-message bridged
// Inbox at WindowSize 100 (plain text, 2 KB truncation) through `wrangler dev`; each page's mailbox-object time
// (Server-Timing) is set beside what Dovecot takes, in the same run, to answer the same FETCHes for the same 100
// UIDs on one logged-in connection (UID FLAGS INTERNALDATE RFC822.SIZE, then BODY.PEEK[]): the floor of any IMAP
// bridge. Also shown: the same items fetched one message at a time (two commands each), the shape of a page
// that reads its bodies message by message; and the same engine without IMAP: a built-in mailbox holding the
// same messages (bulk import), synced with the same options in the same run.
// Run: npm run bench bridge-page   (bench/run.mjs appends what it prints to bench/RESULTS.md); BRIDGE_PAGE_WARM=300 first
// syncs another bridged mailbox, so the first device runs in a warm isolate; BRIDGE_PAGE_PROFILE=dir profiles it.
// BRIDGE_PAGE_THINK_MS=n: the phone waits n ms after each answer before its next Sync (after SyncKey 0 and between
// pages: a mobile network's round trip; 0 by default). The phone's pages of a round run back to back (with only
// that think time between them) and Dovecot's figures for the same pages are measured right after the round, on
// their own: work the object does between a device's requests (summaries made ahead of the next page) neither
// overlaps nor slows the Dovecot reference, and gets no more time than the think time (until session 8 each
// page's Dovecot figures were measured right after it, ~50-100 ms between the phone's pages). Also printed: the
// phone's whole initial sync (Σ wall of SyncKey 0 and every page, think time excluded) against Dovecot alone
// for all the pages' FETCHes, and the runtime's CPU for each round (every thread of the workerd that runs the Worker
// and its objects, from /proc: steadier than wall times on a shared machine; work made ahead between pages counts).
// The floor in the Workers runtime (bench/imap-floor, a second `wrangler dev`; BRIDGE_PAGE_FLOOR=0 leaves it out):
// after each round, beside Dovecot alone, the same two FETCHes of each page read by a Durable Object through the
// runtime's socket — framed only ("bytes"), by our IMAP reader ("imap"), and with our MIME parse of every body
// ("mime") — timed by its Worker as ours is: what a first device's page costs before any summary, SQLite or WBXML.
import { execSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../scripts/dev-server.mjs";
import { child, childText, el } from "../src/wbxml/index";
import { freePort } from "../test/free-port";
import { Phone } from "../test/node/phone";
import {
  admin,
  bridgedPhone,
  bridgeMailbox,
  collection,
  commands,
  folderOfType,
  folderSync,
  newBridgeAccount,
  serverTimingMs,
  setBridgeEnv,
} from "../test/node/bridge-client";
import { startBridgeServers } from "../test/node/bridge-servers";
import { syncRequest } from "../test/node/sync-requests";
import { currentBundle, inspectorOf, Profiler, saveProfile, summarise } from "./cpu-profile";
import { benchDate, benchMessage, DESKTOP_WARM_UP, fillMaildir } from "./maildir-fill";

// wrangler dev streams every invocation's tail events to its local observability collector in the same runtime
// (~30 % of its CPU, bench/sync-profile.ts); production has no such collector: off unless X_LOCAL_OBSERVABILITY=true.
process.env.X_LOCAL_OBSERVABILITY ??= "false";
const SIZE = Number(process.env.BRIDGE_PAGE_SIZE ?? 1000);
const WINDOW = 100;
const ADMIN_TOKEN = "bench-admin-token";
const NOTIFY_SECRET = "bench-notify-secret";
/**
 * BRIDGE_PAGE_WARM=n: before the measured rounds, another bridged mailbox of n messages is synced to the end by a
 * phone, so that the first device's pages run in an isolate whose code is already compiled and optimised (as in a
 * runtime serving other mailboxes) rather than in one that has just started (0, the default: as before).
 */
const WARM = Number(process.env.BRIDGE_PAGE_WARM ?? 0);
/** BRIDGE_PAGE_PROFILE=dir: a V8 CPU profile of the Worker's isolate per round, saved there and summarised on stderr. */
const PROFILE = process.env.BRIDGE_PAGE_PROFILE;
const THINK_MS = Number(process.env.BRIDGE_PAGE_THINK_MS ?? 0);
const FLOOR = process.env.BRIDGE_PAGE_FLOOR !== "0";
const FLOOR_MODES = ["bytes", "imap", "mime"] as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The runtime workerd under `wrangler dev` (the one started with an inspector), or undefined. */
function runtimePid(root: number): number | undefined {
  let kids: number[] = [];
  try {
    kids = execSync(`pgrep -P ${root}`).toString().trim().split("\n").filter(Boolean).map(Number);
  } catch {}
  for (const k of kids) {
    try {
      if (
        readFileSync(`/proc/${k}/comm`, "utf8").startsWith("workerd") &&
        readFileSync(`/proc/${k}/cmdline`, "utf8").includes("--inspector-addr")
      )
        return k;
    } catch {}
    const below = runtimePid(k);
    if (below) return below;
  }
  return undefined;
}

/** CPU time of every thread of `pid` so far, ms (schedstat: ns on CPU). */
function cpuMs(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
    } catch {} // a thread gone meanwhile
  }
  return ns / 1e6;
}

/** A bare IMAP connection: each command's time until its tagged answer, nothing parsed. */
class RawImap {
  private buf = "";
  private waiting: { tag: string; done: (text: string) => void } | null = null;
  private n = 0;
  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      this.buf += d;
      const w = this.waiting;
      if (!w || !this.buf.endsWith("\r\n")) return;
      const i = this.buf.lastIndexOf("\r\n", this.buf.length - 3);
      const last = i < 0 ? this.buf : this.buf.slice(i + 2);
      if (/^\S+ (OK|NO|BAD)\b/.test(last) && last.startsWith(`${w.tag} `)) {
        const text = this.buf;
        this.waiting = null;
        this.buf = "";
        w.done(text);
      }
    });
  }
  static async open(host: string, port: number): Promise<RawImap> {
    const sock = net.connect(port, host);
    await new Promise<void>((ok, ko) => sock.once("data", () => ok()).once("error", ko));
    return new RawImap(sock);
  }
  /** Sends a command; resolves with everything the server answered, tagged line included. */
  command(text: string): Promise<string> {
    const tag = `b${++this.n}`;
    return new Promise((done) => {
      this.waiting = { tag, done };
      this.sock.write(`${tag} ${text}\r\n`);
    });
  }
  close(): void {
    this.sock.destroy();
  }
}

/** Where the isolate's CPU went during one round (all its requests: FolderSync, key 0, every page). */
function report(label: string, p: Parameters<typeof summarise>[0]): void {
  const dir = PROFILE!;
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${label.replace(/\W+/g, "-")}.cpuprofile`);
  saveProfile(p, file);
  const bundle = currentBundle(path.resolve(import.meta.dirname, ".."));
  if (bundle) copyFileSync(bundle, path.join(dir, "index.js")); // for a later look: npx tsx bench/cpu-profile.ts FILE dir/index.js
  const s = summarise(
    p,
    ["syncLocked", "listItems", "summaries", "prefetchBodies", "loadMailItem", "commit", "encodeWbxml", "decodeWbxml"],
    bundle,
  );
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.error(`\n# profile: ${label}: ${ms(s.totalMs)} of JS/VM CPU in the isolate (${file})`);
  console.error("## by file");
  for (const [f, t] of s.byFile.slice(0, 30)) console.error(`${ms(t).padStart(10)}  ${f}`);
  console.error("## by function (self)");
  for (const [f, t] of s.byFunction.slice(0, 45)) console.error(`${ms(t).padStart(10)}  ${f}`);
  console.error("## by our function (with the natives it calls)");
  for (const [f, t] of s.byOurFunction.slice(0, 45)) console.error(`${ms(t).padStart(10)}  ${f}`);
  console.error("## inclusive (synchronous stacks)");
  for (const [f, t] of s.inclusive) console.error(`${ms(t).padStart(10)}  ${f}`);
}

async function main() {
  const load0 = os.loadavg();
  const workerPort = await freePort();
  const servers = await startBridgeServers({ workerPort, notifySecret: NOTIFY_SECRET, radicale: false });
  const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-bridge-page-"));
  let worker: { url: string; child: { pid?: number }; stop(): Promise<void> } | undefined;
  let floor: { url: string; child: { pid?: number }; stop(): Promise<void> } | undefined;
  const floorPersist = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-imap-floor-"));
  try {
    worker = await startDevServer({ port: workerPort, persistTo, vars: { ADMIN_TOKEN, NOTIFY_SECRET, DEMO_SEED: "false" } });
    if (FLOOR)
      floor = await startDevServer({
        port: await freePort(),
        persistTo: floorPersist,
        config: path.resolve(import.meta.dirname, "imap-floor", "wrangler.toml"),
        migrate: false,
        testScheduled: false,
        vars: { X_LOCAL_OBSERVABILITY: "false" },
      });
    const { stop: _stop, ...info } = servers;
    setBridgeEnv({ workerUrl: worker!.url, adminToken: ADMIN_TOKEN, servers: info });
    const a = await newBridgeAccount("bench-page");
    await fillMaildir(a, SIZE, DESKTOP_WARM_UP);
    const res = await bridgeMailbox(a, { dav: false });
    if (res.status !== 201) throw new Error(`bridging: ${res.status} ${await res.text()}`);

    // Dovecot alone, one connection: per page of 100 UIDs (newest first, as the phone's pages), the same items.
    const raw = await RawImap.open(info.imap.host, info.imap.port);
    await raw.command(`LOGIN "${a.address}" "${a.password}"`);
    const objectId = /\bOBJECTID\b/i.test(await raw.command("CAPABILITY"));
    await raw.command("EXAMINE INBOX");
    const pages: number[][] = [];
    for (let top = SIZE; top > 0; top -= WINDOW) pages.push(Array.from({ length: Math.min(WINDOW, top) }, (_, i) => top - i));
    const dovecotPage = async (uids: number[]) => {
      const t = performance.now();
      await raw.command(`UID FETCH ${uids.join(",")} (UID FLAGS INTERNALDATE RFC822.SIZE)`);
      await raw.command(`UID FETCH ${uids.join(",")} (UID BODY.PEEK[])`);
      return performance.now() - t;
    };
    // What Dovecot takes for the commands of our steady page (a look and the folder list: one LIST, one
    // EXAMINE, no FETCH since the flags are kept), sent as the bridge sends them, on the same connection.
    const steadyCommands = async () => {
      const t = performance.now();
      await raw.command(`LIST "" "*" RETURN (SPECIAL-USE STATUS (UIDVALIDITY${objectId ? " MAILBOXID" : ""}))`);
      await raw.command("EXAMINE INBOX (CONDSTORE)");
      return performance.now() - t;
    };
    /** The floor's time (its Worker's Server-Timing) for page `uids` in `mode`. */
    const floorPage = async (mode: string, uids: number[]) => {
      const r = await fetch(`${floor!.url}/page?mode=${mode}`, {
        method: "POST",
        body: JSON.stringify({ host: info.imap.host, port: info.imap.port, user: a.address, password: a.password, uids }),
      });
      if (r.status !== 200) throw new Error(`imap floor: ${r.status} ${await r.text()}`);
      if (Number(await r.text()) !== uids.length) throw new Error("imap floor: not every message fetched");
      return Number(/mailbox;dur=([0-9.]+)/.exec(r.headers.get("Server-Timing") ?? "")?.[1] ?? Number.NaN);
    };
    if (floor) for (const mode of FLOOR_MODES) for (const p of pages.slice(0, 3)) await floorPage(mode, p); // its code warmed
    const oneByOne = async (uids: number[]) => {
      const t = performance.now();
      await raw.command(`UID FETCH ${uids.join(",")} (UID FLAGS INTERNALDATE RFC822.SIZE)`);
      for (const u of uids) {
        await raw.command(`UID FETCH ${u} (UID RFC822.SIZE BODYSTRUCTURE)`);
        await raw.command(`UID FETCH ${u} (UID BODY.PEEK[])`);
      }
      return performance.now() - t;
    };
    // Two phones, two full initial Syncs: the first lists the folder for the first time (summaries parsed
    // and kept), the second reads pages whose summaries are kept (the steady state of every later device).
    /** Returns the phone's wall time for the SyncKey 0 and every page (think time excluded). */
    const syncPages = async (phone: ReturnType<typeof bridgedPhone>, each: (p: number, server: number, wall: number) => Promise<void>) => {
      const inbox = folderOfType((await folderSync(phone)).folders, 2).id;
      const t0 = performance.now();
      let key = childText(collection(await phone.command("Sync", syncRequest(inbox, "0"))), "SyncKey")!;
      let total = performance.now() - t0;
      for (let p = 0; ; p++) {
        if (THINK_MS > 0) await sleep(THINK_MS);
        const t = performance.now();
        const r = await phone.command(
          "Sync",
          syncRequest(inbox, key, [
            el("AirSync", "WindowSize", WINDOW),
            el(
              "AirSync",
              "Options",
              el("AirSync", "FilterType", 0),
              el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1), el("AirSyncBase", "TruncationSize", 2048)),
            ),
          ]),
          { validate: false },
        );
        const wall = performance.now() - t;
        total += wall;
        const c = collection(r);
        if (childText(c, "Status") !== "1") throw new Error(`page ${p}: ${r.xml?.slice(0, 300)}`);
        if (commands(r, "Add").length === WINDOW) await each(p, serverTimingMs(r) ?? Number.NaN, wall);
        key = childText(c, "SyncKey")!;
        if (!child(c, "MoreAvailable")) break;
      }
      return total;
    };
    if (WARM > 0) {
      const w = await newBridgeAccount("bench-warm");
      await fillMaildir(w, WARM, DESKTOP_WARM_UP);
      const bridged = await bridgeMailbox(w, { dav: false });
      if (bridged.status !== 201) throw new Error(`bridging the warm-up mailbox: ${bridged.status}`);
      await syncPages(bridgedPhone(w, "benchPageWarm", "16.1"), async () => {});
    }
    // Two phones, two full initial Syncs: the first lists the folder for the first time (summaries parsed
    // and kept), the second reads pages whose summaries are kept (the steady state of every later device).
    const rounds: {
      label: string;
      ours: number[];
      wall: number[];
      dovecot: number[];
      single: number[];
      steady: number[];
      total: number;
      cpu: number;
      floor: Record<string, number[]>;
      floorCpu: Record<string, number>;
    }[] = [];
    const runtime = runtimePid(worker!.child.pid!);
    const floorRuntime = floor ? runtimePid(floor.child.pid!) : undefined;
    const profiler = PROFILE ? await Profiler.connect(await inspectorOf(worker!.child.pid!)) : undefined;
    for (const label of ["first device (summaries parsed)", "second device (summaries kept)"]) {
      const round = {
        label,
        ours: [] as number[],
        wall: [] as number[],
        dovecot: [] as number[],
        single: [] as number[],
        steady: [] as number[],
        total: 0,
        cpu: 0,
        floor: Object.fromEntries(FLOOR_MODES.map((m) => [m, [] as number[]])),
        floorCpu: Object.fromEntries(FLOOR_MODES.map((m) => [m, 0])),
      };
      await profiler?.start();
      const cpu0 = cpuMs(runtime);
      const full: number[] = [];
      round.total = await syncPages(bridgedPhone(a, `benchPage${rounds.length}`, "16.1"), async (p, server, wall) => {
        round.ours.push(server);
        round.wall.push(wall);
        full.push(p);
      });
      round.cpu = cpuMs(runtime) - cpu0;
      if (profiler) report(label, await profiler.stop());
      // Dovecot alone for the same pages, after the round (nothing of ours runs meanwhile: the object is idle).
      await sleep(500);
      for (const p of full) {
        round.dovecot.push(await dovecotPage(pages[p]!));
        round.single.push(await oneByOne(pages[p]!));
        round.steady.push(await steadyCommands());
        if (floor)
          for (const mode of FLOOR_MODES) {
            const c0 = cpuMs(floorRuntime);
            round.floor[mode]!.push(await floorPage(mode, pages[p]!));
            round.floorCpu[mode]! += cpuMs(floorRuntime) - c0;
          }
      }
      rounds.push(round);
    }
    // The same engine without IMAP: a built-in mailbox holding the same messages (bulk import), same options.
    const builtinAddress = "bench-page-builtin@example.test";
    const created = await admin("POST", "/mailboxes", { address: builtinAddress, password: "builtin pw" });
    if (created.status !== 201) throw new Error(`built-in mailbox: ${created.status}`);
    const mbox = Array.from(
      { length: SIZE },
      (_, i) => `From x Thu Jan  1 00:00:00 2026\r\n${benchMessage(i, builtinAddress, benchDate(i))}\r\n`,
    ).join("");
    const imported = await fetch(`${worker!.url}/admin/v1/mailboxes/${encodeURIComponent(builtinAddress)}/import`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/mbox" },
      body: mbox,
    });
    if (imported.status !== 200) throw new Error(`built-in import: ${imported.status}`);
    const builtin: number[] = [];
    const builtinPhone = new Phone({
      baseUrl: worker!.url,
      user: builtinAddress,
      password: "builtin pw",
      deviceId: "benchPageBuiltin",
      deviceType: "iPhone",
      protocolVersion: "16.1",
    });
    await profiler?.start();
    await syncPages(builtinPhone, async (_p, server) => {
      builtin.push(server);
    });
    if (profiler) report("built-in store", await profiler.stop());
    profiler?.close();
    raw.close();

    const f = (x: number) => x.toFixed(1);
    const lines = [
      `\n## Bridge page against Dovecot alone (issue 15 target 2, ${new Date().toISOString().replace(/\.\d+Z$/, "Z")})\n`,
      `${os.cpus()[0]?.model ?? "cpu"}, ${os.cpus().length} cores shared, Node ${process.version}, wrangler dev, Dovecot plain IMAP on loopback; load average ${load0
        .map((l) => l.toFixed(2))
        .join(" ")} before, ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(
          " ",
        )} after. ${SIZE} messages (~1 KB, text/plain), WindowSize ${WINDOW}, full pages only; phone think time ${THINK_MS} ms between answers and requests; each round's Dovecot figures are measured after it, page by page; wrangler's local tail stream ${process.env.X_LOCAL_OBSERVABILITY === "false" ? "off" : "on"}; ${WARM ? `isolate warmed by a ${WARM}-message bridged mailbox synced first` : "isolate cold (no warm-up mailbox)"}.\n`,
      "| pages of 100 | mailbox object p50 (Server-Timing) | phone wall p50 | Dovecot alone, same FETCHes, one connection, p50 | object ÷ Dovecot | Dovecot, one message at a time (2 commands each) p50 | built-in store, same messages, object p50 | bridge ÷ built-in | Dovecot, our steady page's LIST + EXAMINE, p50 | whole initial sync at the phone (Σ wall, SyncKey 0 + pages) | Dovecot alone, Σ of the pages | Σ wall ÷ Σ Dovecot | runtime CPU, the round (FolderSync, key 0, pages, between) | its CPU ÷ Σ Dovecot |",
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
      ...rounds.map((r) => {
        const sum = r.dovecot.reduce((x, y) => x + y, 0);
        return `| ${r.label} (${r.ours.length}) | ${f(median(r.ours))} ms | ${f(median(r.wall))} ms | ${f(median(r.dovecot))} ms | **${(median(r.ours) / median(r.dovecot)).toFixed(2)}×** | ${f(median(r.single))} ms | ${f(median(builtin))} ms | ${(median(r.ours) / median(builtin)).toFixed(2)}× | ${f(median(r.steady))} ms | ${f(r.total)} ms | ${f(sum)} ms | ${(r.total / sum).toFixed(2)}× | ${f(r.cpu)} ms | ${(r.cpu / sum).toFixed(2)}× |`;
      }),
      "",
      ...(floor
        ? [
            "",
            "The floor in the Workers runtime (bench/imap-floor), the same two FETCHes of the same pages, measured after each round beside Dovecot alone (p50, the floor's Worker's Server-Timing; ours ÷ it):",
            "",
            "| pages of 100 | Dovecot alone (node client) | workerd: bytes framed | workerd: our IMAP reader | workerd: + our MIME parse | our page | ours ÷ bytes | ours ÷ IMAP reader | ours ÷ + MIME parse | runtime CPU per page: floor bytes / IMAP / + MIME | ours (the round's ÷ its full pages) |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            ...rounds.map((r) => {
              const [b, i, m] = FLOOR_MODES.map((k) => median(r.floor[k]!));
              const o = median(r.ours);
              const c = FLOOR_MODES.map((k) => f(r.floorCpu[k]! / r.ours.length)).join(" / ");
              return `| ${r.label} | ${f(median(r.dovecot))} ms | ${f(b!)} ms | ${f(i!)} ms | ${f(m!)} ms | ${f(o)} ms | ${(o / b!).toFixed(2)}× | ${(o / i!).toFixed(2)}× | ${(o / m!).toFixed(2)}× | ${c} ms | ${f(r.cpu / r.ours.length)} ms |`;
            }),
          ]
        : []),
      "",
      ...rounds.map(
        (r) =>
          `- ${r.label}: object ${r.ours.map((x) => x.toFixed(0)).join(", ")}; phone wall ${r.wall.map((x) => x.toFixed(0)).join(", ")}; Dovecot ${r.dovecot.map((x) => x.toFixed(1)).join(", ")}; LIST + EXAMINE ${r.steady.map((x) => x.toFixed(1)).join(", ")}${floor ? `; floor ${FLOOR_MODES.map((k) => `${k} ${r.floor[k]!.map((x) => x.toFixed(0)).join(", ")}`).join("; ")}` : ""}`,
      ),
    ];
    console.log(lines.join("\n"));
  } finally {
    await worker?.stop();
    await floor?.stop();
    await servers.stop();
    rmSync(floorPersist, { recursive: true, force: true });
    rmSync(persistTo, { recursive: true, force: true });
  }
}

await main();
