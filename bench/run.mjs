// `npm run bench [NAME...]`: runs every bench/*.bench.ts in order (or those named, e.g. `wbxml` or
// `wbxml-fuzz.bench.ts`) with the same Node as this script, prints their output and appends it to
// bench/RESULTS.md under a header describing the machine.
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const here = import.meta.dirname;
const all = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .sort();
const wanted = process.argv.slice(2);
const chosen = wanted.length
  ? wanted.map((w) => {
      const file = all.find((f) => f === w || f === `${w}.bench.ts` || f === path.basename(w));
      if (!file) {
        console.error(`no bench named ${w}; have: ${all.join(", ")}`);
        process.exit(2);
      }
      return file;
    })
  : all;

function cpuModel() {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    if (line) return line.split(":")[1].trim();
  } catch {}
  return os.cpus()[0]?.model ?? "unknown CPU";
}

const machine =
  `${cpuModel()}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
  `Node ${process.version}, ${os.type()} ${os.release()}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} at start`;
const results = path.join(here, "RESULTS.md");
if (!existsSync(results)) writeFileSync(results, "# Benchmark results\n\nAppended by `npm run bench` (bench/run.mjs); newest last.\n");

let failed = 0;
let section = `\n## ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}\n\n${machine}\n`;
for (const file of chosen) {
  console.log(`# ${file}`);
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(here, file)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.stdout.write(r.stdout);
  section += `\n### ${file}\n\n${r.stdout.trim()}\n`;
  if (r.status !== 0) {
    failed++;
    section += `\n(exit status ${r.status})\n`;
  }
}
appendFileSync(results, section);
console.log(`\nappended to ${path.relative(process.cwd(), results)}`);
process.exit(failed ? 1 : 0);
