// The long fuzz run: 2 000 000 WBXML inputs and 200 000 XML inputs through the same fuzzer as the CI test
// (test/node/wbxml-fuzzer.ts). Reports inputs/s and any escape (an exception other than WbxmlError, or a
// round trip that changed the tree). WBXML_FUZZ_SEED=n and WBXML_FUZZ_INPUTS=n override the defaults.
import { decodeWbxml, isElement, nodeBudget, type WbxmlElement, WbxmlError } from "../src/wbxml/index";
import { runFuzz } from "../test/node/wbxml-fuzzer";

const seed = Number(process.env.WBXML_FUZZ_SEED ?? Date.now() % 2 ** 31);
const wbxmlInputs = Number(process.env.WBXML_FUZZ_INPUTS ?? 2_000_000);
const xmlInputs = Math.round(wbxmlInputs / 10);
const s = runFuzz({ seed, wbxmlInputs, xmlInputs });
const total = s.wbxmlInputs + s.xmlInputs;
console.log(
  `Seed ${seed}: ${s.wbxmlInputs} WBXML inputs (${s.wbxmlAccepted} accepted), ${s.xmlInputs} XML inputs (${s.xmlAccepted} accepted).`,
);
console.log("");
console.log("| inputs | seconds | inputs/s | slowest input | escapes |");
console.log("|---:|---:|---:|---:|---:|");
console.log(
  `| ${total} | ${(s.elapsedMs / 1000).toFixed(1)} | ${Math.round(total / (s.elapsedMs / 1000))} | ${s.slowestMs.toFixed(1)} ms | ${s.escapes.length} |`,
);
console.log("");
if (s.escapes.length === 0) console.log("No escape: only WbxmlError left the codec, and every accepted input survived both round trips.");
else {
  for (const e of s.escapes) console.log(`- ${e.kind} ${e.error}: ${e.input.slice(0, 400)}`);
  process.exitCode = 1;
}

// Issue 13 §4: pathological documents (runs of empty OPAQUE values, empty strings and empty tags, deep
// nesting, all mixed) up to 2 MB. Every accepted document must hold no more nodes than nodeBudget(bytes), and
// only WbxmlError may leave the decoder.
const pathological = Number(process.env.WBXML_FUZZ_PATHOLOGICAL ?? 200);
let state = seed >>> 0 || 1;
const rnd = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 2 ** 32;
};
const UNITS = [[0xc3, 0x00], [0x03, 0x00], [0x0d], [0x4d, 0x03, 0x31, 0x00, 0x01], [0x45], [0x01], [0xc3, 0x01, 0x41]];
const count = (e: WbxmlElement): number => 1 + e.children.reduce<number>((n, c) => n + (isElement(c) ? count(c) : 1), 0);
let accepted = 0;
let overBudget = 0;
let escapes = 0;
let largest = 0;
const t0 = performance.now();
for (let i = 0; i < pathological; i++) {
  const size = Math.floor(rnd() ** 3 * 2_000_000) + 8;
  const bytes = new Uint8Array(size + 16);
  bytes.set([0x03, 0x01, 0x6a, 0x00, 0x45]);
  let at = 5;
  const unit = UNITS[Math.floor(rnd() * UNITS.length)];
  const mixed = rnd() < 0.3;
  while (at < size) {
    const u = mixed ? UNITS[Math.floor(rnd() * UNITS.length)] : unit;
    bytes.set(u, at);
    at += u.length;
  }
  bytes[at++] = 0x01;
  const doc = bytes.subarray(0, at);
  largest = Math.max(largest, doc.length);
  try {
    const tree = decodeWbxml(doc);
    accepted++;
    if (count(tree) > nodeBudget(doc.length)) overBudget++;
  } catch (e) {
    if (!(e instanceof WbxmlError)) {
      escapes++;
      if (escapes <= 5) console.log(`- pathological escape: ${String(e)}`);
    }
  }
}
const pSeconds = (performance.now() - t0) / 1000;
console.log("");
console.log("| pathological documents | largest | seconds | accepted | over the node budget | escapes | heap after |");
console.log("|---:|---:|---:|---:|---:|---:|---:|");
console.log(
  `| ${pathological} | ${(largest / 1e6).toFixed(1)} MB | ${pSeconds.toFixed(1)} | ${accepted} | ${overBudget} | ${escapes} | ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB |`,
);
if (overBudget + escapes > 0) process.exitCode = 1;
