// V8 CPU profile of the Worker's isolate under `wrangler dev` (the runtime workerd's inspector, target
// `core:user:<name>`: the Worker and its Durable Objects share that isolate), for benchmarks that want to know
// where a request's CPU goes. Self time is summed by function and by source file (the bundle's `// src/…`
// markers map its lines back to our files).
import { execSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function descendants(pid: number): number[] {
  try {
    return execSync(`pgrep -P ${pid}`)
      .toString()
      .trim()
      .split("\n")
      .map(Number)
      .flatMap((k) => [k, ...descendants(k)]);
  } catch {
    return [];
  }
}

/**
 * The inspector's WebSocket URL of the Worker under `wrangler dev` started as `rootPid`: wrangler's inspector
 * proxy (in its entry workerd, path /ws), which holds the runtime's one inspector session of the Worker's
 * isolate (a second direct session to the runtime is closed at once).
 */
export async function inspectorOf(rootPid: number): Promise<string> {
  const listening = execSync("ss -ltnpH").toString().split("\n");
  for (const pid of [rootPid, ...descendants(rootPid)]) {
    const ports = listening
      .filter((l) => l.includes(`pid=${pid},`))
      .map((l) => /127\.0\.0\.1:(\d+)/.exec(l)?.[1])
      .filter(Boolean);
    for (const port of ports) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/json/list`);
        if (!r.ok) continue;
        const targets = (await r.json()) as { webSocketDebuggerUrl: string }[];
        const t = targets.find((x) => x.webSocketDebuggerUrl.endsWith("/ws"));
        if (t) return t.webSocketDebuggerUrl;
      } catch {}
    }
  }
  throw new Error("wrangler's inspector proxy not found");
}

/** One inspector session: start() … stop() → the profile. */
export class Profiler {
  private n = 0;
  private readonly pending = new Map<number, (r: unknown) => void>();
  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener("message", (e) => {
      const m = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: unknown };
      if (m.id !== undefined) this.pending.get(m.id)?.(m.error ? Promise.reject(new Error(JSON.stringify(m.error))) : m.result);
    });
  }
  static async connect(url: string): Promise<Profiler> {
    // wrangler's proxy wants a local Origin (a browser's DevTools); undici's WebSocket takes extra headers
    const ws = new WebSocket(url, { headers: { Origin: "http://localhost" } } as unknown as string[]);
    await new Promise((ok, ko) => {
      ws.addEventListener("open", ok, { once: true });
      ws.addEventListener("error", ko, { once: true });
    });
    const p = new Profiler(ws);
    await p.send("Profiler.enable");
    await p.send("Profiler.setSamplingInterval", { interval: 100 });
    return p;
  }
  private send(method: string, params: object = {}): Promise<unknown> {
    const id = ++this.n;
    return new Promise((res) => {
      this.pending.set(id, res);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }
  async start(): Promise<void> {
    await this.send("Profiler.start");
  }
  async stop(): Promise<CpuProfile> {
    return ((await this.send("Profiler.stop")) as { profile: CpuProfile }).profile;
  }
  close(): void {
    this.ws.close();
  }
}

/** The bundle wrangler dev is serving from `root` (.wrangler/tmp/dev-XXXX/index.js, removed when it stops). */
export function currentBundle(root: string): string | undefined {
  const tmp = path.join(root, ".wrangler", "tmp");
  if (!existsSync(tmp)) return undefined;
  return readdirSync(tmp)
    .map((d) => path.join(tmp, d, "index.js"))
    .filter((f) => existsSync(f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

/** Maps a bundle's lines to the source files esbuild marks with `// src/…` comments. */
const bundleMaps = new Map<string, { line: number; file: string }[]>();
function sourceOf(url: string, line: number, bundle?: string): string {
  if (!url) return "(native)";
  if (url === "index.js" && bundle) url = bundle;
  let marks = bundleMaps.get(url);
  if (!marks) {
    marks = [];
    try {
      const text = readFileSync(url.startsWith("file:") ? fileURLToPath(url) : url, "utf8").split("\n");
      text.forEach((l, i) => {
        // esbuild's `// path` before each module: src/… for ours, …/node_modules/… (any prefix) for packages
        const m = /^\/\/ (src\/\S+|\S*node_modules\/\S+)$/.exec(l);
        if (m) marks!.push({ line: i, file: m[1]!.replace(/^\S*node_modules\/(\.pnpm\/)?/, "npm:") });
      });
    } catch {}
    bundleMaps.set(url, marks);
  }
  let lo = 0;
  let hi = marks.length - 1;
  let found = url.split("/").pop() ?? url;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (marks[mid]!.line <= line) {
      found = marks[mid]!.file;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export interface ProfileSummary {
  totalMs: number;
  byFile: [string, number][];
  byFunction: [string, number][];
  /** Inclusive time under the named functions (their synchronous stacks). */
  inclusive: [string, number][];
  /** Each sample given to the nearest of our functions (src/) on its stack: our code with the natives it calls (SQL). */
  byOurFunction: [string, number][];
  /** The same by room (src/<room>/, src/store/<backend>/): which side of the RPC, which layer. */
  byRoom: [string, number][];
}

/**
 * A sample's delta is the time since the previous one; a long one is a gap where the isolate ran nothing (waiting
 * for I/O, or the sampler starved of a core) and is charged to whatever ran last, so it is capped.
 */
const MAX_SAMPLE_MS = 1;

export function summarise(p: CpuProfile, inclusiveOf: string[] = [], bundle?: string): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + Math.min(MAX_SAMPLE_MS, (p.timeDeltas[i] ?? 0) / 1000));
  });
  const files = new Map<string, number>();
  const fns = new Map<string, number>();
  const incl = new Map<string, number>();
  const ours = new Map<string, number>();
  const rooms = new Map<string, number>();
  let total = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    const cf = n.callFrame;
    if (cf.functionName === "(idle)" || cf.functionName === "(program)") continue;
    total += ms;
    const file = sourceOf(cf.url, cf.lineNumber, bundle);
    files.set(file, (files.get(file) ?? 0) + ms);
    const fn = `${cf.functionName || "(anonymous)"} ${file}`;
    fns.set(fn, (fns.get(fn) ?? 0) + ms);
    let owner = "(not under our code)";
    for (let k: number | undefined = id; k !== undefined; k = parent.get(k)) {
      const f = byId.get(k)!.callFrame;
      const src = sourceOf(f.url, f.lineNumber, bundle);
      if (src.startsWith("src/")) {
        owner = `${f.functionName || "(anonymous)"} ${src}`;
        break;
      }
    }
    ours.set(owner, (ours.get(owner) ?? 0) + ms);
    const room = /^\S+ (src\/(?:store\/[^/]+\/|eas\/front\/|eas\/commands\/|[^/]+\/)?)/.exec(owner)?.[1] ?? owner;
    rooms.set(room, (rooms.get(room) ?? 0) + ms);
    const seen = new Set<string>();
    for (let k: number | undefined = id; k !== undefined; k = parent.get(k)) {
      const name = byId.get(k)!.callFrame.functionName;
      if (inclusiveOf.includes(name) && !seen.has(name)) {
        seen.add(name);
        incl.set(name, (incl.get(name) ?? 0) + ms);
      }
    }
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: total,
    byFile: sorted(files),
    byFunction: sorted(fns),
    inclusive: sorted(incl),
    byOurFunction: sorted(ours),
    byRoom: sorted(rooms),
  };
}

export function saveProfile(p: CpuProfile, file: string): void {
  writeFileSync(file, JSON.stringify(p));
}

// npx tsx bench/cpu-profile.ts PROFILE.cpuprofile [BUNDLE.js]: the summary of a saved profile.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const p = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as CpuProfile;
  const s = summarise(p, [], process.argv[3]);
  const ms = (x: number) => `${x.toFixed(1)} ms`.padStart(10);
  console.log(`${ms(s.totalMs)} in all`);
  for (const [title, rows] of [
    ["by file", s.byFile],
    ["by function (self)", s.byFunction],
    ["by our function (with the natives it calls)", s.byOurFunction],
    ["by room (nearest of our frames)", s.byRoom],
  ] as const) {
    console.log(`## ${title}`);
    for (const [f, t] of rows.slice(0, Number(process.env.TOP ?? 40))) console.log(`${ms(t)}  ${f}`);
  }
}
