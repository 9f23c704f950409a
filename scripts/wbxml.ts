// WBXML tool for people debugging device traffic.
//   npm run --silent wbxml -- decode [FILE] [--opaque=text]   WBXML (file or stdin) -> XML on stdout
//   npm run --silent wbxml -- encode [FILE]                   XML (file or stdin) -> WBXML on stdout
// Bad input: one line on stderr naming the byte offset in the input, exit status 1. Usage errors: exit 2.
import { readFileSync } from "node:fs";
import { decodeWbxml, encodeWbxml, fromXml, toXml, WbxmlError } from "../src/wbxml";

const USAGE = "usage: wbxml decode [FILE] [--opaque=text] | wbxml encode [FILE]   (stdin when no FILE)";

function readInput(file: string | undefined): Buffer {
  return readFileSync(file === undefined || file === "-" ? 0 : file);
}

/** The WbxmlError's reason without its "at offset N" tail. */
const reasonOf = (e: WbxmlError) => e.message.replace(/ at offset \d+$/, "");

function main(argv: string[]): number {
  const flags = argv.filter((a) => a.startsWith("--"));
  const [command, file, ...rest] = argv.filter((a) => !a.startsWith("--"));
  const opaqueText = flags.includes("--opaque=text");
  if (rest.length > 0 || flags.some((f) => f !== "--opaque=text") || (opaqueText && command !== "decode")) {
    console.error(USAGE);
    return 2;
  }
  let input: Buffer;
  try {
    if (command !== "decode" && command !== "encode") throw new Error("unknown command");
    input = readInput(file);
  } catch (e) {
    console.error((e as NodeJS.ErrnoException).code ? `wbxml: ${(e as Error).message}` : USAGE);
    return 2;
  }
  try {
    if (command === "decode") {
      const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      process.stdout.write(toXml(decodeWbxml(bytes), { opaque: opaqueText ? "text" : "base64" }));
    } else {
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(input);
      } catch {
        throw new WbxmlError("input is not UTF-8", firstInvalidUtf8(input));
      }
      try {
        process.stdout.write(encodeWbxml(fromXml(text)));
      } catch (e) {
        // fromXml counts characters; report the byte offset in the file.
        if (e instanceof WbxmlError) throw new WbxmlError(reasonOf(e), Buffer.byteLength(text.slice(0, e.offset)));
        throw e;
      }
    }
    return 0;
  } catch (e) {
    if (!(e instanceof WbxmlError)) throw e;
    console.error(`wbxml ${command}: ${reasonOf(e)} (byte offset ${e.offset})`);
    return 1;
  }
}

/** Byte offset of the first invalid UTF-8 sequence: where lenient decoding first yields U+FFFD not in the input. */
function firstInvalidUtf8(bytes: Buffer): number {
  const text = new TextDecoder("utf-8").decode(bytes);
  for (let i = text.indexOf("\ufffd"); i >= 0; i = text.indexOf("\ufffd", i + 1)) {
    const at = Buffer.byteLength(text.slice(0, i));
    if (!(bytes[at] === 0xef && bytes[at + 1] === 0xbf && bytes[at + 2] === 0xbd)) return at;
  }
  return bytes.length;
}

process.exitCode = main(process.argv.slice(2));
