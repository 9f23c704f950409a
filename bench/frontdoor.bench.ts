// Front door costs: query parsing, PBKDF2, and the latency of an authenticated request through `wrangler dev`.
// Run: npx tsx bench/frontdoor.bench.ts   (prints, and appends a section to bench/RESULTS.md)
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseEasQuery } from "../src/http/query";
import { hashPassword, verifyPassword } from "../src/service/password";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../scripts/dev-server.mjs";
import { insertAccount } from "../test/node/accounts";
import { Phone } from "../test/node/phone";
import { freePort } from "../test/free-port";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function opsPerSecond(n: number, f: () => void): number {
  for (let i = 0; i < 1000; i++) f();
  const t = performance.now();
  for (let i = 0; i < n; i++) f();
  return n / ((performance.now() - t) / 1000);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const plain = opsPerSecond(200_000, () =>
  parseEasQuery("Cmd=SmartReply&User=alice%40example.test&DeviceId=ApplF17X&DeviceType=iPhone&ItemId=5%3A12&CollectionId=5&SaveInSent=T"),
);
const base64 = opsPerSecond(200_000, () => parseEasQuery("eQIJBBCuTs0Z9ZK6Vldwb/dM8JusBHVeHIQDUFBDBwEBAwYxMTkyODEBBUlOQk9Y"));

const stored = await hashPassword("bench password");
const pbkdf2: number[] = [];
for (let i = 0; i < 10; i++) {
  const t = performance.now();
  await verifyPassword("bench password", stored);
  pbkdf2.push(performance.now() - t);
}
pbkdf2.sort((a, b) => a - b);

const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-bench-"));
const server = await startDevServer({ port: await freePort(), persistTo, vars: { DEMO_SEED: "false" } });
let latency: number[] = [];
let first = 0;
try {
  await insertAccount(persistTo, "bench@example.test", "bench password");
  const phone = new Phone({
    baseUrl: server.url,
    user: "bench@example.test",
    password: "bench password",
    deviceId: "bench1",
    deviceType: "Bench",
    protocolVersion: "14.1",
  });
  // An unbuilt command: query parsing, authentication (PBKDF2 once, then the verified-credential cache), 501.
  let t = performance.now();
  if ((await phone.command("Nonsense", null)).status !== 501) throw new Error("unexpected status");
  first = performance.now() - t;
  for (let i = 0; i < 300; i++) {
    t = performance.now();
    await phone.command("Nonsense", null);
    latency.push(performance.now() - t);
  }
  latency = latency.sort((a, b) => a - b);
} finally {
  await server.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const lines = [
  ``,
  `## Front door (${new Date().toISOString().slice(0, 10)}, ${cpu}, ${os.cpus().length} cores shared, Node ${process.version}, wrangler dev)`,
  ``,
  `| what | result |`,
  `|---|---|`,
  `| parse plain query (SmartReply, 7 parameters) | ${Math.round(plain).toLocaleString("en")} /s |`,
  `| parse base64 query (Horde SmartForward vector) | ${Math.round(base64).toLocaleString("en")} /s |`,
  `| PBKDF2-SHA256 100 000 rounds, Node WebCrypto (p50 / max of 10) | ${percentile(pbkdf2, 50).toFixed(1)} / ${pbkdf2.at(-1)!.toFixed(1)} ms |`,
  `| first authenticated request (PBKDF2, then 501), wrangler dev | ${first.toFixed(1)} ms |`,
  `| next 300 requests, credentials cached (p50 / p90 / p99) | ${percentile(latency, 50).toFixed(1)} / ${percentile(latency, 90).toFixed(1)} / ${percentile(latency, 99).toFixed(1)} ms |`,
  ``,
];
console.log(lines.join("\n"));
appendFileSync(path.join(root, "bench", "RESULTS.md"), lines.join("\n"));
