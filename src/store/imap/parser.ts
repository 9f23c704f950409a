// IMAP response syntax (RFC 3501 §9, RFC 7162 §7): one response is a line, possibly continued after
// literals ({n} / ~{n} followed by n raw bytes). Tokens: atoms (strings), quoted strings (strings),
// literals (Uint8Array), NIL (null) and parenthesised lists (arrays). An atom such as BODY[HEADER.FIELDS (A)]<0>
// is one token, brackets included.

/** A Durable Object has 128 MB: a literal announced bigger than this is a broken or hostile server. */
export const MAX_LITERAL = 64 * 1024 * 1024;

export type Token = string | Uint8Array | null | Token[];

export interface ImapResponse {
  /** "*" untagged, "+" continuation, else the command tag. */
  tag: string;
  /** Tokens after the tag (for "* 3 FETCH (…)": ["3", "FETCH", […]]). */
  tokens: Token[];
  /** For OK/NO/BAD/BYE/PREAUTH: the response code inside […] as tokens, and the human text. */
  code?: Token[];
  text?: string;
}

/** Splits a byte stream into raw responses: text segments with the literals between them. */
export class ResponseSplitter {
  private buf: Uint8Array = new Uint8Array(0);
  private segments: (string | Uint8Array)[] = [];
  /** The literal being received, filled up to litFill (preallocated: big bodies arrive in many chunks). */
  private lit: Uint8Array | null = null;
  private litFill = 0;

  push(chunk: Uint8Array): (string | Uint8Array)[][] {
    const done: (string | Uint8Array)[][] = [];
    if (this.lit) {
      const n = Math.min(chunk.byteLength, this.lit.byteLength - this.litFill);
      this.lit.set(chunk.subarray(0, n), this.litFill);
      this.litFill += n;
      chunk = chunk.subarray(n);
      if (this.litFill < this.lit.byteLength) return done;
      this.segments.push(this.lit);
      this.lit = null;
    }
    this.buf = concat(this.buf, chunk);
    for (;;) {
      if (this.lit) {
        const lit: Uint8Array = this.lit;
        const n = Math.min(this.buf.byteLength, lit.byteLength);
        lit.set(this.buf.subarray(0, n));
        this.litFill = n;
        this.buf = this.buf.subarray(n);
        if (n < lit.byteLength) break;
        this.segments.push(lit);
        this.lit = null;
        continue;
      }
      const nl = indexOfCrlf(this.buf);
      if (nl < 0) break;
      const line = utf8.decode(this.buf.subarray(0, nl));
      this.buf = this.buf.subarray(nl + 2);
      const lit = /~?\{(\d+)\+?\}$/.exec(line);
      if (lit) {
        this.segments.push(line.slice(0, lit.index));
        const size = Number(lit[1]);
        if (size > MAX_LITERAL) throw new ImapSyntaxError(`literal of ${size} bytes refused (limit ${MAX_LITERAL})`);
        this.lit = new Uint8Array(size);
        this.litFill = 0;
        continue;
      }
      this.segments.push(line);
      done.push(this.segments);
      this.segments = [];
    }
    return done;
  }
}

export function parseResponse(segments: (string | Uint8Array)[]): ImapResponse {
  const t = new Tokenizer(segments);
  const tag = t.atom();
  t.space();
  if (tag === "+") return { tag, tokens: [], text: t.rest() };
  const first = t.atom();
  let kind = first;
  const tokens: Token[] = [first];
  if (/^\d+$/.test(first) && t.peekSpace()) {
    t.space();
    kind = t.atom();
    tokens.push(kind);
  }
  if (/^(OK|NO|BAD|BYE|PREAUTH)$/i.test(kind)) {
    const r: ImapResponse = { tag, tokens };
    if (t.peekSpace()) t.space();
    if (t.peek() === "[") r.code = t.code();
    r.text = t.rest().trim();
    return r;
  }
  while (!t.end()) {
    if (!t.peekSpace()) break;
    t.space();
    if (t.end()) break;
    tokens.push(t.token());
  }
  return { tag, tokens };
}

const utf8 = new TextDecoder();

class Tokenizer {
  private seg = 0;
  private pos = 0;
  constructor(private readonly segments: (string | Uint8Array)[]) {}

  private get line(): string {
    const s = this.segments[this.seg];
    return typeof s === "string" ? s : "";
  }

  end(): boolean {
    return this.seg >= this.segments.length || (this.pos >= this.line.length && this.seg === this.segments.length - 1);
  }

  peek(): string {
    return this.line[this.pos] ?? "";
  }

  peekSpace(): boolean {
    return this.peek() === " ";
  }

  space(): void {
    if (this.peek() === " ") this.pos++;
  }

  rest(): string {
    const r = this.line.slice(this.pos);
    this.pos = this.line.length;
    return r;
  }

  /** Reads an atom, keeping [...] sections (with spaces and parentheses inside) and a <partial> suffix. */
  atom(): string {
    const line = this.line;
    let i = this.pos;
    let depth = 0;
    while (i < line.length) {
      const c = line[i]!;
      if (c === "[") depth++;
      else if (c === "]") {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (c === " " || c === "(" || c === ")")) break;
      i++;
    }
    const a = line.slice(this.pos, i);
    this.pos = i;
    return a;
  }

  /** A response code: "[" … "]". */
  code(): Token[] {
    this.pos++; // [
    const out: Token[] = [];
    while (this.peek() !== "]" && this.pos < this.line.length) {
      if (this.peek() === " ") {
        this.pos++;
        continue;
      }
      out.push(this.token(true));
    }
    this.pos++; // ]
    return out;
  }

  token(inCode = false): Token {
    const c = this.peek();
    if (c === "(") {
      this.pos++;
      const list: Token[] = [];
      for (;;) {
        if (this.atLiteral()) {
          list.push(this.literal());
          continue;
        }
        const d = this.peek();
        if (d === ")") {
          this.pos++;
          return list;
        }
        if (d === "") throw new ImapSyntaxError("unterminated list");
        if (d === " ") {
          this.pos++;
          continue;
        }
        list.push(this.token(inCode));
      }
    }
    if (c === '"') return this.quoted();
    if (this.atLiteral()) return this.literal();
    if (inCode) {
      // inside [...] a "]" ends the atom
      const line = this.line;
      let i = this.pos;
      while (i < line.length && !" ()]".includes(line[i]!)) i++;
      const a = line.slice(this.pos, i);
      this.pos = i;
      return a;
    }
    const a = this.atom();
    if (a === "") throw new ImapSyntaxError(`unexpected ${JSON.stringify(this.line.slice(this.pos, this.pos + 20))}`);
    return a.toUpperCase() === "NIL" ? null : a;
  }

  /** The current text segment is exhausted and a literal follows. */
  private atLiteral(): boolean {
    return this.pos >= this.line.length && this.segments[this.seg + 1] instanceof Uint8Array;
  }

  private literal(): Uint8Array {
    const lit = this.segments[this.seg + 1] as Uint8Array;
    this.seg += 2;
    this.pos = 0;
    return lit;
  }

  private quoted(): string {
    const line = this.line;
    let i = this.pos + 1;
    let out = "";
    while (i < line.length && line[i] !== '"') {
      if (line[i] === "\\") i++;
      out += line[i] ?? "";
      i++;
    }
    if (i >= line.length) throw new ImapSyntaxError("unterminated quoted string");
    this.pos = i + 1;
    return out;
  }
}

export class ImapSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImapSyntaxError";
  }
}

/** The first CRLF (the native byte search for each CR: a page of 100 messages is ≈ 200 response lines). */
function indexOfCrlf(b: Uint8Array): number {
  for (let i = b.indexOf(13); i >= 0 && i + 1 < b.byteLength; i = b.indexOf(13, i + 1)) if (b[i + 1] === 10) return i;
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

/** Text of a token: literals decoded as UTF-8, NIL as "". */
export function str(t: Token | undefined): string {
  if (t === null || t === undefined) return "";
  if (typeof t === "string") return t;
  if (t instanceof Uint8Array) return utf8.decode(t);
  throw new ImapSyntaxError("expected a string, got a list");
}

/** A FETCH attribute list ["UID", "5", "FLAGS", [...]] as a map with upper-case keys. */
export function attributes(list: Token): Map<string, Token> {
  const m = new Map<string, Token>();
  if (!Array.isArray(list)) return m;
  for (let i = 0; i + 1 < list.length; i += 2) m.set(str(list[i]).toUpperCase(), list[i + 1]!);
  return m;
}
