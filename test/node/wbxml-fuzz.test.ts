// Fuzz: random and mutated WBXML (random bytes, token streams built from the code pages, mutations and splices
// of the corpus) and mutated XML. Only WbxmlError may escape decodeWbxml/fromXml, accepted input must survive
// both round trips, and no single input may take long (bounded depth, size, element count; no backtracking).
// The seed is printed on failure; WBXML_FUZZ_SEED=n reruns one. bench/wbxml-fuzz.bench.ts runs a longer one.
import { expect, it } from "vitest";
import { runFuzz } from "./wbxml-fuzzer";

const seed = Number(process.env.WBXML_FUZZ_SEED ?? Date.now() % 2 ** 31);

it(`survives 100 000 WBXML and 25 000 XML fuzz inputs (seed ${seed})`, () => {
  const stats = runFuzz({ seed, wbxmlInputs: 100_000, xmlInputs: 25_000 });
  expect(stats.escapes, `seed ${seed}`).toEqual([]);
  // The fuzzer must reach past the error paths, or it proves little.
  expect(stats.wbxmlAccepted).toBeGreaterThan(1_000);
  expect(stats.xmlAccepted).toBeGreaterThan(200);
  // Generous: the machine is shared and a GC pause lands on some input; a hang would be far longer.
  expect(stats.slowestMs, "slowest single input (ms)").toBeLessThan(2_000);
}, 120_000);
