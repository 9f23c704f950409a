// The floor of a bridged page in the Workers runtime, for bench/bridge-page.bench.ts (not deployed): a Worker and
// one Durable Object holding one IMAP session to the same Dovecot, which fetches a page's 100 UIDs with the same
// two commands as Dovecot alone in that bench (UID FLAGS INTERNALDATE RFC822.SIZE, then UID BODY.PEEK[]) and does
// only as much with the answer as `mode` says. The Worker times the RPC with performance.now() as our front door
// does (Server-Timing `mailbox`), so each rung is set beside our object's page in the same run:
//
//   POST /page?mode=bytes   the answer's bytes read through the runtime's socket and framed (lines, {n} literals
//                           skipped, the tagged end found), nothing else: what any bridge in workerd must do
//   POST /page?mode=imap    the same read by our IMAP reader (src/store/imap/parser.ts: ResponseSplitter,
//                           parseResponse, attributes), as ImapSession does for a page
//   POST /page?mode=mime    + our MIME parse of every body (src/store/mime.ts parseMessage, the simple parse when
//                           it applies), as the first listing of a folder does, without the mirror's SQLite
//   body: {"host", "port", "user", "password", "uids": [...]}; the session is opened by the first request and kept.
import { connect } from "cloudflare:sockets";
import { DurableObject } from "cloudflare:workers";
import { parseMessage } from "../../src/store/mime";
import { attributes, parseResponse, ResponseSplitter } from "../../src/store/imap/parser";

type Mode = "bytes" | "imap" | "mime";
interface Page {
  host: string;
  port: number;
  user: string;
  password: string;
  uids: number[];
}

const enc = new TextEncoder();

/** Minimal IMAP framing over a chunk stream: lines and {n} literals, until the line tagged `tag`. */
class Framer {
  private literal = 0;
  /** The current line's first and last bytes (its tag; a literal's "{n}" at its end). */
  private head: number[] = [];
  private tail: number[] = [];
  /** Feeds a chunk; true when the tagged line has ended. */
  feed(chunk: Uint8Array, tag: Uint8Array): boolean {
    let i = 0;
    const n = chunk.byteLength;
    while (i < n) {
      if (this.literal > 0) {
        const take = Math.min(this.literal, n - i);
        this.literal -= take;
        i += take;
        continue;
      }
      const lf = chunk.indexOf(0x0a, i);
      const end = lf < 0 ? n : lf;
      for (let k = i; k < end && this.head.length < 16; k++) this.head.push(chunk[k]!);
      if (end - i >= 24) this.tail = Array.from(chunk.subarray(end - 24, end));
      else this.tail = [...this.tail, ...chunk.subarray(i, end)].slice(-24);
      if (lf < 0) return false;
      i = lf + 1;
      const { head, tail } = this;
      this.head = [];
      this.tail = [];
      let j = tail.length - 1;
      if (tail[j] === 0x0d) j--;
      if (tail[j] === 0x7d) {
        // "{123}" at the line's end: a literal of 123 bytes follows.
        let size = 0;
        let mul = 1;
        for (j--; j >= 0 && tail[j]! >= 0x30 && tail[j]! <= 0x39; j--, mul *= 10) size += (tail[j]! - 0x30) * mul;
        if (tail[j] === 0x7b) {
          this.literal = size;
          continue;
        }
      }
      if (tag.every((b, k) => head[k] === b) && head[tag.byteLength] === 0x20) return true;
    }
    return false;
  }
}

export class Floor extends DurableObject {
  private socket?: Socket;
  private reader?: ReadableStreamDefaultReader<Uint8Array>;
  private writer?: WritableStreamDefaultWriter<Uint8Array>;
  private n = 0;

  private async open(p: Page): Promise<void> {
    if (this.socket) return;
    this.socket = connect({ hostname: p.host, port: p.port }, { secureTransport: "off", allowHalfOpen: false });
    this.reader = this.socket.readable.getReader();
    this.writer = this.socket.writable.getWriter();
    await this.reader.read(); // the greeting
    await this.bytes(`LOGIN "${p.user}" "${p.password}"`);
    await this.bytes("EXAMINE INBOX");
  }

  /** A command whose answer is only framed. */
  private async bytes(command: string): Promise<void> {
    const tag = `f${++this.n}`;
    await this.writer!.write(enc.encode(`${tag} ${command}\r\n`));
    const framer = new Framer();
    const t = enc.encode(tag);
    for (;;) {
      const { value, done } = await this.reader!.read();
      if (done) throw new Error("the IMAP server closed the connection");
      if (framer.feed(value, t)) return;
    }
  }

  /** A command read by our IMAP reader: each untagged response parsed and its attributes mapped. */
  private async imap(command: string, each: (a: Map<string, unknown>) => void): Promise<void> {
    const tag = `f${++this.n}`;
    await this.writer!.write(enc.encode(`${tag} ${command}\r\n`));
    const splitter = new ResponseSplitter();
    for (;;) {
      const { value, done } = await this.reader!.read();
      if (done) throw new Error("the IMAP server closed the connection");
      for (const segs of splitter.push(value)) {
        const r = parseResponse(segs);
        if (r.tag === tag) return;
        if (r.tag === "*") each(attributes(r.tokens[2] ?? null));
      }
    }
  }

  async page(mode: Mode, p: Page): Promise<number> {
    await this.open(p);
    const set = p.uids.join(",");
    if (mode === "bytes") {
      await this.bytes(`UID FETCH ${set} (UID FLAGS INTERNALDATE RFC822.SIZE)`);
      await this.bytes(`UID FETCH ${set} (UID BODY.PEEK[])`);
      return p.uids.length;
    }
    let n = 0;
    await this.imap(`UID FETCH ${set} (UID FLAGS INTERNALDATE RFC822.SIZE)`, () => n++);
    const parsing: Promise<unknown>[] = [];
    await this.imap(`UID FETCH ${set} (UID BODY.PEEK[])`, (a) => {
      const body = a.get("BODY[]");
      if (mode === "mime" && body instanceof Uint8Array) parsing.push(parseMessage(body));
    });
    await Promise.all(parsing);
    return n;
  }
}

export default {
  async fetch(request: Request, env: { FLOOR: DurableObjectNamespace<Floor> }): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/page") return new Response("the IMAP floor", { status: 200 });
    const mode = (url.searchParams.get("mode") ?? "bytes") as Mode;
    const p = (await request.json()) as Page;
    const t = performance.now();
    const n = await env.FLOOR.getByName("floor").page(mode, p);
    const ms = performance.now() - t;
    return new Response(String(n), { headers: { "Server-Timing": `mailbox;dur=${ms.toFixed(1)}` } });
  },
};
