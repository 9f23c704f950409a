// The long fuzz run: 2 000 000 WBXML inputs and 200 000 XML inputs through the same fuzzer as the CI test
// (test/node/wbxml-fuzzer.ts). Reports inputs/s and any escape (an exception other than WbxmlError, or a
// round trip that changed the tree). WBXML_FUZZ_SEED=n and WBXML_FUZZ_INPUTS=n override the defaults.
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
