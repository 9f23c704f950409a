// Mailbox names on the wire: modified UTF-7 (RFC 3501 §5.1.3). "&" starts a base64 run of UTF-16
// ("," instead of "/"), "-" ends it, "&-" is a literal "&".

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
    out +=
      "&" +
      btoa(String.fromCharCode(...bytes))
        .replace(/=+$/, "")
        .replace(/\//g, ",") +
      "-";
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
  return wire.replace(/&([^-]*)-/g, (_, b64: string) => {
    if (b64 === "") return "&";
    const bin = atob(b64.replace(/,/g, "/"));
    let s = "";
    for (let i = 0; i + 1 < bin.length; i += 2) s += String.fromCharCode((bin.charCodeAt(i) << 8) | bin.charCodeAt(i + 1));
    return s;
  });
}
