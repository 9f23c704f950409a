// An mbox archive ([RFC 4155]: mboxo and mboxrd, as Thunderbird, Apple Mail, mutt and Google Takeout write
// them) split into messages while it streams in: no more than one message is held at a time, and one larger than
// `maxMessageBytes` is counted, never held.
//
// - A message starts at a "From " line at the start of the archive, after an empty line, or shaped like the
//   separator ("From sender Day Mon dd hh:mm:ss yyyy"); the empty line before a separator belongs to it.
// - Body lines the writer escaped (">From ", ">>From " in mboxrd) lose one ">".
// - Line ends become CRLF, as mail is on the wire (RFC 5322 §2.1): the same archive always gives the same bytes.

export type MboxEntry = { kind: "message"; raw: Uint8Array } | { kind: "oversize"; bytes: number };

/** The archive does not start with a "From " line: not an mbox. */
export class MboxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MboxError";
  }
}

const LF = 0x0a;
const CR = 0x0d;
const FROM = [0x46, 0x72, 0x6f, 0x6d, 0x20]; // "From "
const SEPARATOR_SHAPE = /^From \S+ +[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{1,2}:\d{2}/;

function startsWithFrom(line: Uint8Array, at: number): boolean {
  if (line.length - at < FROM.length) return false;
  for (let i = 0; i < FROM.length; i++) if (line[at + i] !== FROM[i]) return false;
  return true;
}

/** A byte buffer that grows by doubling. */
class Bytes {
  buf = new Uint8Array(64 * 1024);
  len = 0;
  push(data: Uint8Array, from = 0, to = data.length): void {
    const n = to - from;
    if (this.len + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.len + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(data.subarray(from, to), this.len);
    this.len += n;
  }
  take(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.len = 0;
    if (this.buf.length > 1024 * 1024) this.buf = new Uint8Array(64 * 1024); // a large message's room is not kept
    return out;
  }
}

export class MboxSplitter {
  private readonly message = new Bytes();
  private readonly carry = new Bytes(); // the current line, until its LF
  private started = false;
  private previousBlank = false;
  private pendingBlank = false; // an empty line held back: it may be the separator's
  private size = 0; // bytes of the current message (also counted when over the limit)
  private oversize = false;
  private lineTooLong = false;

  constructor(private readonly maxMessageBytes: number) {}

  /** Feeds bytes; returns the messages completed by them. */
  push(chunk: Uint8Array): MboxEntry[] {
    const out: MboxEntry[] = [];
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf < 0) {
        if (this.carry.len + chunk.length - start > this.maxMessageBytes) this.lineTooLong = true;
        if (!this.lineTooLong) this.carry.push(chunk, start);
        else this.size += chunk.length - start;
        return out;
      }
      let line: Uint8Array;
      if (this.carry.len === 0 && !this.lineTooLong) line = chunk.subarray(start, lf);
      else {
        if (!this.lineTooLong) this.carry.push(chunk, start, lf);
        line = this.carry.take();
      }
      this.line(line, out);
      start = lf + 1;
    }
  }

  /** The end of the archive: the last message. */
  end(): MboxEntry[] {
    const out: MboxEntry[] = [];
    if (this.carry.len > 0 || this.lineTooLong) this.line(this.carry.take(), out);
    if (!this.started) throw new MboxError('empty archive: an mbox starts with a "From " line');
    this.finish(out);
    return out;
  }

  private line(raw: Uint8Array, out: MboxEntry[]): void {
    const tooLong = this.lineTooLong;
    this.lineTooLong = false;
    const line = raw.length > 0 && raw[raw.length - 1] === CR ? raw.subarray(0, raw.length - 1) : raw;
    if (!tooLong && startsWithFrom(line, 0)) {
      const separator = !this.started || this.previousBlank || SEPARATOR_SHAPE.test(String.fromCharCode(...line.subarray(0, 80)));
      if (separator) {
        if (this.started) this.finish(out);
        this.started = true;
        this.previousBlank = false;
        this.pendingBlank = false;
        return;
      }
    }
    if (!this.started) {
      if (line.length === 0) return; // blank lines before the first separator
      throw new MboxError('not an mbox archive: it does not start with a "From " line');
    }
    if (line.length === 0 && !tooLong) {
      if (this.pendingBlank) this.append(new Uint8Array(0));
      this.pendingBlank = true;
      this.previousBlank = true;
      return;
    }
    if (this.pendingBlank) this.append(new Uint8Array(0));
    this.pendingBlank = false;
    this.previousBlank = false;
    if (tooLong) {
      this.size += raw.length;
      this.oversize = true;
      return;
    }
    // mboxrd: ">From ", ">>From " … were written for "From ", ">From " …: one ">" less.
    let at = 0;
    while (at < line.length && line[at] === 0x3e) at++;
    this.append(at > 0 && startsWithFrom(line, at) ? line.subarray(1) : line);
  }

  private append(line: Uint8Array): void {
    this.size += line.length + 2;
    if (this.size > this.maxMessageBytes) this.oversize = true;
    if (this.oversize) return;
    this.message.push(line);
    this.message.push(CRLF);
  }

  private finish(out: MboxEntry[]): void {
    if (this.oversize) {
      out.push({ kind: "oversize", bytes: this.size });
      this.message.take();
    } else out.push({ kind: "message", raw: this.message.take() });
    this.size = 0;
    this.oversize = false;
    this.pendingBlank = false;
  }
}

const CRLF = new Uint8Array([CR, LF]);

/** Splits a streamed archive; `maxMessageBytes` bounds what is held. MboxError when it is not an mbox. */
export async function* splitMbox(stream: ReadableStream<Uint8Array>, maxMessageBytes: number): AsyncGenerator<MboxEntry> {
  const splitter = new MboxSplitter(maxMessageBytes);
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* splitter.push(value);
    }
    yield* splitter.end();
  } finally {
    reader.releaseLock();
  }
}
