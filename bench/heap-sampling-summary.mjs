// Sums a V8 sampling heap profile (PUSH_HEAP_SAMPLING=file npx tsx bench/push-memory.mjs N) by allocating function:
// self (allocated in the function itself) and total (with its callees), ÷ `per` (e.g. N parked requests), largest first.
//   npx tsx bench/heap-sampling-summary.mjs file.heapprofile [per=1] [top=40]
import { readFileSync } from "node:fs";

const profile = JSON.parse(readFileSync(process.argv[2], "utf8"));
const per = Number(process.argv[3] ?? 1);
const top = Number(process.argv[4] ?? 40);
const self = new Map();
const total = new Map();
const key = (f) => `${f.functionName || "(anonymous)"} ${String(f.url).split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
let all = 0;
const walk = (node, stack) => {
  const k = key(node.callFrame);
  const s = node.selfSize;
  all += s;
  self.set(k, (self.get(k) ?? 0) + s);
  const onStack = new Set(stack);
  let sub = s;
  for (const c of node.children) sub += walk(c, onStack.has(k) ? stack : [...stack, k]);
  if (!onStack.has(k)) total.set(k, (total.get(k) ?? 0) + sub);
  return sub;
};
walk(profile.head, []);
const kb = (x) => (x / 1024 / per).toFixed(1).padStart(8);
console.log(`allocated (sampled) ${kb(all)} KB per unit`);
console.log("\nself:");
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${kb(v)} KB  ${k}`);
console.log("\ntotal (with callees):");
for (const [k, v] of [...total].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${kb(v)} KB  ${k}`);
