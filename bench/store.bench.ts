// Built-in store costs, measured inside workerd (real Durable Object SQLite + R2) by the store's own
// scale and large-message tests, which print one `STORE-BENCH {json}` line each.
// Run: npx tsx bench/store.bench.ts   (prints, and appends a section to bench/RESULTS.md)
import { spawnSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const run = spawnSync(
  "npx",
  ["vitest", "run", "--project", "workers", "test/workers/store-scale.test.ts", "test/workers/store-large.test.ts"],
  {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    maxBuffer: 64 * 1024 * 1024,
  },
);
if (run.status !== 0) {
  process.stderr.write(run.stdout + run.stderr);
  throw new Error("store tests failed; no figures recorded");
}
const figures: Record<string, unknown> = {};
for (const m of run.stdout.matchAll(/STORE-BENCH (\{.*\})/g)) Object.assign(figures, JSON.parse(m[1]));

type Costs = Record<string, number>;
const { seedMs, appendMs, rowsSmall, rowsLarge, msSmall, msLarge, bigDeliverMs, bigBytes } = figures as {
  seedMs: number;
  appendMs: number;
  rowsSmall: Costs;
  rowsLarge: Costs;
  msSmall: Costs;
  msLarge: Costs;
  bigDeliverMs: number;
  bigBytes: number;
};
const labels: Record<string, string> = {
  firstPage: "listItems, first page of 100",
  deepPage: "listItems, page of 100 from the middle (keyset)",
  windowPage: "listItems, page of 100 in a FilterType window",
  changesTail: "changesSince, 5 recent changes",
  changesHead: "changesSince, 100 changes",
  status: "folderStatus",
  count: "countItems (whole folder)",
};
const rows = Object.keys(labels).map(
  (k) => `| ${labels[k]} | ${rowsSmall[k]} / ${rowsLarge[k]} | ${msSmall[k].toFixed(2)} / ${msLarge[k].toFixed(2)} |`,
);
const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
const section = `
## Built-in store (${new Date().toISOString().slice(0, 10)}, ${cpu}, ${os.cpus().length} cores shared, workerd via vitest-pool-workers)

| call | SQLite rows read, 1 000 / 100 000-message folder | ms per call, 1 000 / 100 000 |
|---|---|---|
${rows.join("\n")}

Rows read is exact and the proof that a call costs its page, not its folder; times are medians of 15 × 20
calls (0.00 = below the timer's resolution). The machine was shared with other jobs while measuring.

- seeding 100 000 messages through the append SQL path (one parse): ${(seedMs / 1000).toFixed(1)} s
- appendMessage of a small message (postal-mime parse + insert): ${appendMs.toFixed(2)} ms
- deliver of a ${(bigBytes / 1048576).toFixed(1)} MB message with a 10 MB attachment (parse, 2 R2 puts, insert): ${bigDeliverMs} ms
`;
process.stdout.write(section);
appendFileSync(path.join(root, "bench", "RESULTS.md"), section);
