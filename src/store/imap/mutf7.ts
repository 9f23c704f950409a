// Mailbox names on the wire: modified UTF-7 (RFC 3501 §5.1.3). "&" starts a base64 run of UTF-16
// ("," instead of "/"), "-" ends it, "&-" is a literal "&".
import { fromBase64, toBase64 } from "../../formats/base64";

export function encodeMailboxName(name: string): string {
  let out = "";
  let run: number[] = [];
  const flush = () => {
    if (!run.length) return;
    const bytes = new Uint8Array(run.length * 2);
    run.forEach((u, i) => {
      bytes[i * 2] = u >> 8;
      bytes[i * 2 + 1] = u & 0xff;
    });
    out += "&" + toBase64(bytes).replace(/=+$/, "").replace(/\//g, ",") + "-";
    run = [];
  };
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += c === 0x26 ? "&-" : name[i];
    } else run.push(c);
  }
  flush();
  return out;
}

export function decodeMailboxName(wire: string): string {
  return wire.replace(/&([^-]*)-/g, (run: string, b64: string) => {
    if (b64 === "") return "&";
    // A run that is not modified base64 (a server's bug or a stranger's name) stays as it came.
    const bytes = /^[A-Za-z0-9+,]+$/.test(b64) ? fromBase64(b64.replace(/,/g, "/")) : null;
    if (!bytes) return run;
    let s = "";
    for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
    return s;
  });
}
