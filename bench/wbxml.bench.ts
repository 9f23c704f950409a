// Codec throughput on a realistic Sync response (100 e-mails, ~4 KB bodies): encode (tree -> bytes) and decode
// (bytes -> tree), in MB/s of WBXML. Prints a markdown table for bench/RESULTS.md. Target: >= 100 MB/s each way.
import { decodeWbxml, encodeWbxml, fromXml, toXml } from "../src/wbxml";
import { syncResponse } from "./sync-response-fixture";

const tree = syncResponse(100);
const bytes = encodeWbxml(tree);
const xml = toXml(tree);
const MB = 1e6;

/** Runs fn repeatedly for about `ms` per round; returns the median rate in MB/s over the rounds. */
function measure(fn: () => unknown, size: number, rounds = 7, ms = 300): number {
  for (let i = 0; i < 20; i++) fn(); // warm up the JIT
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms) {
      fn();
      n++;
      t = performance.now();
    }
    rates.push((size * n) / MB / ((t - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[rates.length >> 1];
}

const encode = measure(() => encodeWbxml(tree), bytes.length);
const decode = measure(() => decodeWbxml(bytes), bytes.length);
const xmlOut = measure(() => toXml(tree), bytes.length);
const xmlIn = measure(() => fromXml(xml), bytes.length);

const verdict = (mbs: number) => (mbs >= 100 ? "meets 100 MB/s" : "BELOW 100 MB/s");
console.log(
  `Sync response: 100 e-mails, ${(bytes.length / 1024).toFixed(0)} KiB of WBXML (${(xml.length / 1024).toFixed(0)} KiB as XML); median of 7 rounds of 0.3 s.`,
);
console.log("");
console.log("| operation | MB/s (of WBXML) | |");
console.log("|---|---:|---|");
console.log(`| encodeWbxml | ${encode.toFixed(0)} | ${verdict(encode)} |`);
console.log(`| decodeWbxml | ${decode.toFixed(0)} | ${verdict(decode)} |`);
console.log(`| toXml | ${xmlOut.toFixed(0)} | (debug form, no target) |`);
console.log(`| fromXml | ${xmlIn.toFixed(0)} | (debug form, no target) |`);
