// Sums a V8 .heapsnapshot (e.g. from PUSH_HEAP_SNAPSHOT=file npx tsx bench/push-memory.mjs) by node type and name:
// self size and count, the largest first. What the isolate holds, by constructor.
//   npx tsx bench/heap-summary.mjs file.heapsnapshot [top=40]
import { readFileSync } from "node:fs";

const snap = JSON.parse(readFileSync(process.argv[2], "utf8"));
const top = Number(process.argv[3] ?? 40);
const meta = snap.snapshot.meta;
const F = meta.node_fields.length;
const iType = meta.node_fields.indexOf("type");
const iName = meta.node_fields.indexOf("name");
const iSize = meta.node_fields.indexOf("self_size");
const types = meta.node_types[iType];
const sums = new Map();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += F) {
  const type = types[snap.nodes[i + iType]];
  let name = snap.strings[snap.nodes[i + iName]];
  if (type === "string" || type === "concatenated string" || type === "sliced string") name = "(strings)";
  else if (type === "code") name = "(code)";
  else name = name.slice(0, 80);
  const key = `${type}\t${name}`;
  const size = snap.nodes[i + iSize];
  total += size;
  const s = sums.get(key) ?? { n: 0, size: 0 };
  s.n++;
  s.size += size;
  sums.set(key, s);
}
console.log(`total self size ${(total / 2 ** 20).toFixed(1)} MB, ${snap.nodes.length / F} nodes`);
for (const [k, s] of [...sums].sort((a, b) => b[1].size - a[1].size).slice(0, top))
  console.log(`${(s.size / 1024).toFixed(0).padStart(8)} KB ${String(s.n).padStart(8)}  ${k}`);
