// CalDAV bridge pull costs against a real Radicale on loopback, measured inside workerd by
// test/workers/dav-scale.test.ts (one `DAV-BENCH {json}` line) with DAV_BENCH_OBJECTS events.
// Run: npm run bench dav   (bench/run.mjs appends the table to bench/RESULTS.md)
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const objects = process.env.DAV_BENCH_OBJECTS ?? "1000";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const run = spawnSync("npx", ["vitest", "run", "--project", "workers", "test/workers/dav-scale.test.ts"], {
  cwd: root,
  encoding: "utf8",
  env: { ...process.env, DAV_BENCH_OBJECTS: objects, NO_COLOR: "1", FORCE_COLOR: "0" },
  maxBuffer: 64 * 1024 * 1024,
});
const line = /DAV-BENCH (\{.*\})/.exec(run.stdout)?.[1];
if (run.status !== 0 || !line) {
  process.stderr.write(run.stdout + run.stderr);
  throw new Error("dav-scale test failed; no figures recorded");
}
type Cost = { requests: number; ms: number };
const f = JSON.parse(line) as Record<string, Cost> & { objects: number };
const row = (label: string, c: Cost) => `| ${label} | ${c.requests} | ${Math.round(c.ms)} |`;
console.log(`Radicale 3.1.8 (Debian), one calendar of ${f.objects} events (~500 bytes each), DavPimStore in workerd (vitest pool), loopback.

| pull | HTTP requests | ms |
|---|---:|---:|
${row("discovery (listCollections)", f.discovery)}
${row("initial, sync-collection + multiget by 50", f.initial)}
${row("no change, sync-collection", f.idle)}
${row("one changed event, sync-collection", f.one)}
${row("initial, PROPFIND fallback + multiget by 50", f.fallbackInitial)}
${row("no change, PROPFIND fallback (every ETag listed)", f.fallbackIdle)}

Request counts are exact and asserted by the test; times are single runs on a shared 2-core machine.`);
