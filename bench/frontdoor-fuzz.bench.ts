// Issue 13 §8: random, well-formed command trees posted through the front door of a running server
// (`wrangler dev`), counting 5xx answers and transport failures (a crash of the isolate shows as one). Each
// request is a valid WBXML document of the command's own code page, with children drawn from that page and
// the AirSync/AirSyncBase pages and values from a pool of edge cases (keys, ids, huge and negative numbers,
// control characters, long strings), in a random served protocol version.
// FRONTDOOR_FUZZ_SEED=n, FRONTDOOR_FUZZ_INPUTS=n (default 3000), FRONTDOOR_FUZZ_CONCURRENCY=n (default 6).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../scripts/dev-server.mjs";
import { CODE_PAGES, el, encodeWbxml, type WbxmlElement } from "../src/wbxml/index";
import { freePort } from "../test/free-port";
import { insertAccount } from "../test/node/accounts";

const seed = Number(process.env.FRONTDOOR_FUZZ_SEED ?? Date.now() % 2 ** 31);
const inputs = Number(process.env.FRONTDOOR_FUZZ_INPUTS ?? 3000);
const concurrency = Number(process.env.FRONTDOOR_FUZZ_CONCURRENCY ?? 6);

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

const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-fuzz-"));
const server = await startDevServer({ port: await freePort(), persistTo, vars: { DEMO_SEED: "false" } });
const counts = new Map<string, number>();
const failures: string[] = [];
let done = 0;
const started = performance.now();
try {
  const USER = "fuzz@example.test";
  const PW = "fuzz password";
  await insertAccount(persistTo, USER, PW);
  const auth = `Basic ${Buffer.from(`${USER}:${PW}`).toString("base64")}`;
  const one = async () => {
    const [cmd, ns, root] = pick(COMMANDS);
    const body = encodeWbxml(el(ns, root, ...tree(ns, 1)));
    const v = pick(VERSIONS);
    const device = `fuzz${int(4)}`;
    let status: string;
    try {
      const res = await fetch(`${server.url}/Microsoft-Server-ActiveSync?Cmd=${cmd}&User=${USER}&DeviceId=${device}&DeviceType=Fuzz`, {
        method: "POST",
        headers: { Authorization: auth, "MS-ASProtocolVersion": v, "Content-Type": "application/vnd.ms-sync.wbxml", "X-MS-PolicyKey": "0" },
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
      while (done < inputs) {
        done++;
        await one();
      }
    }),
  );
} finally {
  await server.stop?.();
  rmSync(persistTo, { recursive: true, force: true });
}
const seconds = (performance.now() - started) / 1000;
const fivexx = [...counts].filter(([s]) => s.startsWith("5") && s !== "503").reduce((n, [, c]) => n + c, 0);
const transport = counts.get("transport") ?? 0;
console.log(`Seed ${seed}: ${inputs} random well-formed command trees, ${concurrency} at a time, through wrangler dev.`);
console.log("");
console.log("| requests | seconds | requests/s | statuses | 5xx (not 503) | transport failures |");
console.log("|---:|---:|---:|---|---:|---:|");
const statuses = [...counts]
  .sort()
  .map(([s, c]) => `${s}: ${c}`)
  .join(", ");
console.log(`| ${inputs} | ${seconds.toFixed(1)} | ${(inputs / seconds).toFixed(0)} | ${statuses} | ${fivexx} | ${transport} |`);
for (const f of failures) console.log(`- ${f}`);
if (fivexx + transport > 0) process.exitCode = 1;
