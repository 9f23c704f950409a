// A deterministic fuzzer for the codec, shared by test/node/wbxml-fuzz.test.ts (CI size) and
// bench/wbxml-fuzz.bench.ts (long run). The property: for any input, decodeWbxml / fromXml either return a tree
// or throw WbxmlError, never anything else, and a returned tree survives encode -> decode and toXml -> fromXml.
import { isDeepStrictEqual } from "node:util";
import { CODE_PAGES, decodeWbxml, encodeWbxml, fromXml, toXml, WbxmlError, type WbxmlElement } from "../../src/wbxml";
import { mergeText, readFixtures } from "./wbxml-helpers";

/** mulberry32: small, fast, reproducible from a 32-bit seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzEscape {
  kind: "wbxml" | "xml";
  input: string; // hex for WBXML, JSON string for XML
  error: string;
}

export interface FuzzStats {
  seed: number;
  wbxmlInputs: number;
  wbxmlAccepted: number;
  xmlInputs: number;
  xmlAccepted: number;
  escapes: FuzzEscape[];
  slowestMs: number;
  elapsedMs: number;
}

// Bytes that mean something to the decoder: global tokens, tag bytes with and without the content bit, mb_u_int32
// continuation bytes, NUL.
const INTERESTING = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x40, 0x41, 0x43, 0x44, 0x45, 0x7f, 0x80, 0x83, 0x84, 0x85, 0xc0, 0xc3, 0xc4, 0xff, 0x6a, 0x19, 0x1a,
];
const XML_PIECES = [
  "<",
  ">",
  "/",
  "</",
  "/>",
  "&",
  ";",
  "&amp;",
  "&#x",
  "&#",
  '"',
  "'",
  "=",
  " ",
  ":",
  "xmlns",
  'xmlns="AirSync"',
  "<![CDATA[",
  "]]>",
  "<!--",
  "-->",
  "<?",
  "?>",
  "\u0000",
  "\ud800",
  "é",
  "<Sync>",
  "</Sync>",
  "wbxml:opaque",
  "AirSync:",
  "x",
];

export function runFuzz(options: { seed: number; wbxmlInputs: number; xmlInputs: number; maxEscapes?: number }): FuzzStats {
  const rand = prng(options.seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const fixtures = readFixtures();
  const xmlCorpus = fixtures.map((f) => f.xml);
  const wbxmlCorpus = fixtures.map((f) => encodeWbxml(fromXml(f.xml)));
  const escapes: FuzzEscape[] = [];
  const maxEscapes = options.maxEscapes ?? 20;
  let slowestMs = 0;
  const started = performance.now();

  const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => (rand() < 0.5 ? pick(INTERESTING) : int(256)));

  const mutateBytes = (src: Uint8Array): Uint8Array => {
    const b = Array.from(src);
    const rounds = 1 + int(4);
    for (let r = 0; r < rounds; r++) {
      const at = int(b.length + 1);
      switch (int(8)) {
        case 0:
          if (b.length) b[at % b.length] ^= 1 << int(8);
          break;
        case 1:
          if (b.length) b[at % b.length] = pick(INTERESTING);
          break;
        case 2:
          if (b.length) b[at % b.length] = int(256);
          break;
        case 3:
          b.splice(at, 1 + int(8));
          break;
        case 4:
          b.splice(at, 0, ...randomBytes(1 + int(8)));
          break;
        case 5:
          b.length = at;
          break; // truncate
        case 6: {
          const from = int(b.length + 1);
          b.splice(at, 0, ...b.slice(from, from + 1 + int(32)));
          break;
        } // duplicate a range
        default: {
          const other = pick(wbxmlCorpus);
          const from = int(other.length);
          b.splice(at, b.length, ...other.subarray(from));
        } // splice
      }
    }
    return Uint8Array.from(b);
  };

  // A token stream built from the real tables: plausible enough to get deep into the decoder.
  const tokenSoup = (): Uint8Array => {
    const out = [0x03, 0x01, 0x6a, 0x00];
    let page = 0;
    const n = 1 + int(60);
    for (let i = 0; i < n; i++) {
      const r = rand();
      if (r < 0.08) {
        page = int(28);
        out.push(0x00, page);
      } else if (r < 0.3) out.push(0x01);
      else if (r < 0.45) out.push(0x03, ...randomBytes(int(6)).map((x) => x || 0x41), 0x00);
      else if (r < 0.5) {
        const len = int(8);
        out.push(0xc3, len, ...randomBytes(rand() < 0.9 ? len : int(12)));
      } else {
        const p = CODE_PAGES[page]?.tags;
        const token = p?.length && rand() < 0.9 ? pick(p).token : int(64);
        out.push(token | (rand() < 0.6 ? 0x40 : 0) | (rand() < 0.02 ? 0x80 : 0));
      }
    }
    return Uint8Array.from(out);
  };

  const mutateXml = (src: string): string => {
    let s = src;
    const rounds = 1 + int(4);
    for (let r = 0; r < rounds; r++) {
      const at = int(s.length + 1);
      switch (int(6)) {
        case 0:
          s = s.slice(0, at) + pick(XML_PIECES) + s.slice(at);
          break;
        case 1:
          s = s.slice(0, at) + s.slice(at + 1 + int(12));
          break;
        case 2:
          s = s.slice(0, at);
          break;
        case 3: {
          const from = int(s.length);
          s = s.slice(0, at) + s.slice(from, from + 1 + int(80)) + s.slice(at);
          break;
        }
        case 4:
          s = s.slice(0, at) + String.fromCharCode(int(0x3000)) + s.slice(at + 1);
          break;
        default: {
          const other = pick(xmlCorpus);
          s = s.slice(0, at) + other.slice(int(other.length));
        }
      }
    }
    return s;
  };

  const check = (kind: FuzzEscape["kind"], input: () => string, fn: () => void): boolean => {
    const t0 = performance.now();
    let accepted = false;
    try {
      fn();
      accepted = true;
    } catch (e) {
      if (!(e instanceof WbxmlError) && escapes.length < maxEscapes)
        escapes.push({ kind, input: input(), error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
    const ms = performance.now() - t0;
    if (ms > slowestMs) slowestMs = ms;
    return accepted;
  };

  /** A decoded tree must survive both round trips unchanged. */
  const roundTrip = (tree: WbxmlElement): void => {
    const again = decodeWbxml(encodeWbxml(tree));
    if (!isDeepStrictEqual(again, tree)) throw new Error("encode/decode round trip changed the tree");
    const viaXml = fromXml(toXml(tree));
    if (!isDeepStrictEqual(mergeText(viaXml), mergeText(tree))) throw new Error("toXml/fromXml round trip changed the tree");
  };

  let wbxmlAccepted = 0;
  for (let i = 0; i < options.wbxmlInputs; i++) {
    const r = rand();
    const input =
      r < 0.15
        ? rand() < 0.5
          ? Uint8Array.from([0x03, 0x01, 0x6a, 0x00, ...randomBytes(int(48))])
          : randomBytes(int(48))
        : r < 0.45
          ? tokenSoup()
          : mutateBytes(pick(wbxmlCorpus));
    if (
      check(
        "wbxml",
        () => Buffer.from(input).toString("hex"),
        () => roundTrip(decodeWbxml(input)),
      )
    )
      wbxmlAccepted++;
  }

  let xmlAccepted = 0;
  for (let i = 0; i < options.xmlInputs; i++) {
    const input = rand() < 0.1 ? Array.from({ length: int(40) }, () => pick(XML_PIECES)).join("") : mutateXml(pick(xmlCorpus));
    // A parsed document must also encode (or be refused with WbxmlError: a raw NUL or lone surrogate in text).
    if (
      check(
        "xml",
        () => JSON.stringify(input),
        () => roundTrip(decodeWbxml(encodeWbxml(fromXml(input)))),
      )
    )
      xmlAccepted++;
  }

  return {
    seed: options.seed,
    wbxmlInputs: options.wbxmlInputs,
    wbxmlAccepted,
    xmlInputs: options.xmlInputs,
    xmlAccepted,
    escapes,
    slowestMs,
    elapsedMs: performance.now() - started,
  };
}
