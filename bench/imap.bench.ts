// IMAP store costs against the test Dovecot, measured inside workerd by test/workers/imap/imap-scale.test.ts,
// which prints one `IMAP-BENCH {json}` line. Each call runs in its own session (TLS + login included).
// Run: npx tsx bench/imap.bench.ts   (prints, and appends a section to bench/RESULTS.md)
import { spawnSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const run = spawnSync("npx", ["vitest", "run", "--project", "workers", "test/workers/imap/imap-scale.test.ts"], {
  cwd: root,
  encoding: "utf8",
  env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  maxBuffer: 64 * 1024 * 1024,
});
const line = /IMAP-BENCH (\{.*\})/.exec(run.stdout);
if (run.status !== 0 || !line) {
  process.stderr.write(run.stdout + run.stderr);
  throw new Error("IMAP scale test failed; no figures recorded");
}
type Cost = { ms: number; commands: number; bytesIn: number };
const f = JSON.parse(line[1]!) as Record<"500" | "5000", Record<string, Cost>>;
const labels: Record<string, string> = {
  statusNoChange: "folderStatus, nothing changed",
  firstPageCold: "listItems, first page of 100, first listing (arrival order read once, 100 messages parsed)",
  firstPageWarm: "listItems, first page of 100, summaries kept",
  middlePageWarm: "listItems, page of 100 from the middle (keyset)",
  changesSince5: "folderStatus + changesSince, 5 flag changes by another client",
};
const cell = (c: Cost) => `${c.ms} ms, ${c.commands} cmd, ${(c.bytesIn / 1024).toFixed(1)} KiB`;
const rows = Object.keys(labels).map((k) => `| ${labels[k]} | ${cell(f["500"][k]!)} | ${cell(f["5000"][k]!)} |`);
const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
const section = `
## IMAP store against Dovecot 2.3 (${new Date().toISOString().slice(0, 10)}, ${cpu}, ${os.cpus().length} cores shared, workerd via vitest-pool-workers, implicit TLS on loopback)

| call (own session: TLS + login + ENABLE included in ms) | 500-message folder | 5 000-message folder |
|---|---|---|
${rows.join("\n")}

Commands and bytes per call are the same at both sizes once a folder has been listed: pages come from the
arrival order the store keeps in SQLite (imap_order), updated from each look at the folder's changes. The first
listing reads every UID's INTERNALDATE once. "cmd" counts commands after login. Wall times are single runs
on a shared machine. Phone → Worker → Dovecot figures (WindowSize 100/512, LMTP → Ping): the next section (imap-e2e.bench.ts).
`;
process.stdout.write(section);
appendFileSync(path.join(root, "bench", "RESULTS.md"), section);
