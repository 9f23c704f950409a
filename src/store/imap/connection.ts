// One IMAP session over a Workers TCP socket (`cloudflare:sockets`): greeting, STARTTLS or implicit TLS,
// login, then one command at a time. Any transport failure (refused, reset, EOF, timeout, BYE) rejects
// with StoreUnavailableError and closes the session; a tagged NO/BAD rejects with ImapCommandError.
import { connect } from "cloudflare:sockets";
import { isLoopbackHost } from "../loopback";
import { StoreAuthError, StoreUnavailableError } from "../types";
import { type ImapResponse, parseResponse, ResponseSplitter, str, type Token } from "./parser";
import { utf8ToBase64 } from "../../formats/base64";

export type TlsMode = "implicit" | "starttls" | "none";

export interface ImapEndpoint {
  host: string;
  port: number;
  tls: TlsMode;
}

export interface ImapCredentials {
  user: string;
  password: string;
}

export interface ImapSessionOptions {
  /** Per command (and for connect + greeting), ms. */
  timeoutMs?: number;
  /** Seconds a phone is told to wait when the server is unreachable. */
  retryAfterSeconds?: number;
  /** Capabilities to act as if the server lacked (tests of the fallbacks for older servers). */
  ignoreCapabilities?: string[];
}

/** A literal argument: sent as {n+} with LITERAL+ (RFC 7888), else as a synchronising {n}. */
export class Literal {
  constructor(readonly bytes: Uint8Array) {}
}

export type Arg = string | Literal;

export class ImapCommandError extends Error {
  constructor(
    readonly status: "NO" | "BAD",
    readonly code: string,
    readonly serverText: string,
    command: string,
  ) {
    super(`IMAP ${command}: ${status} ${code ? `[${code}] ` : ""}${serverText}`);
    this.name = "ImapCommandError";
  }
}

export interface CommandResult {
  untagged: ImapResponse[];
  done: ImapResponse;
}

interface Pending {
  tag: string;
  name: string;
  untagged: ImapResponse[];
  /** Called with each untagged response as it is read (it is also in `untagged`). */
  each?: (r: ImapResponse) => void;
  resolve(r: CommandResult): void;
  reject(e: Error): void;
  onContinue?: () => void;
}

const enc = new TextEncoder();
const WRITE_SLICE = 64 * 1024;

/** Quotes a string argument, or makes it a literal when quoting cannot carry it (CR, LF, 8-bit). */
export function q(s: string): Arg {
  if (/[\r\n\u0080-\uffff]/.test(s) || s.length > 1000) return new Literal(enc.encode(s));
  return `"${s.replace(/[\\"]/g, "\\$&")}"`;
}

export class ImapSession {
  capabilities = new Set<string>();
  /** Bytes received and commands sent on this session (cost figures for tests and benchmarks). */
  readonly stats = { bytesIn: 0, commands: 0 };
  private socket: Socket;
  private reader!: ReadableStreamDefaultReader<Uint8Array>;
  private writer!: WritableStreamDefaultWriter<Uint8Array>;
  private readonly splitter = new ResponseSplitter();
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private tagNo = 0;
  private failed: StoreUnavailableError | null = null;
  private greeting!: Promise<ImapResponse>;
  private resolveGreeting!: (r: ImapResponse) => void;
  private readonly timeoutMs: number;
  private readonly retryAfter: number;
  private readonly ignored: Set<string>;

  private constructor(
    private readonly endpoint: ImapEndpoint,
    opts: ImapSessionOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 20_000;
    this.retryAfter = opts.retryAfterSeconds ?? 30;
    this.ignored = new Set((opts.ignoreCapabilities ?? []).map((c) => c.toUpperCase()));
    this.socket = connect(
      { hostname: endpoint.host, port: endpoint.port },
      { secureTransport: endpoint.tls === "implicit" ? "on" : endpoint.tls === "starttls" ? "starttls" : "off", allowHalfOpen: false },
    );
  }

  /** Connects, upgrades to TLS when asked, logs in and learns the capabilities. */
  static async open(endpoint: ImapEndpoint, credentials: ImapCredentials, opts: ImapSessionOptions = {}): Promise<ImapSession> {
    assertEndpointAllowed(endpoint);
    const s = new ImapSession(endpoint, opts);
    try {
      await s.withTimeout(s.start(), "connect");
      await s.login(credentials);
      return s;
    } catch (e) {
      s.abort(e);
      if (e instanceof ImapCommandError) throw new StoreAuthError(e.message);
      throw s.failed ?? e;
    }
  }

  private async start(): Promise<void> {
    if (this.endpoint.tls === "starttls") {
      // Greeting and STARTTLS are read by hand so that no read is pending when the socket is upgraded.
      const plainReader = this.socket.readable.getReader();
      const plainWriter = this.socket.writable.getWriter();
      const lines = new ResponseSplitter();
      const next = async (): Promise<ImapResponse> => {
        for (;;) {
          const { value, done } = await plainReader.read();
          if (done) throw new StoreUnavailableError("IMAP server closed the connection before TLS", this.retryAfter);
          const got = lines.push(value);
          if (got.length) return parseResponse(got[0]!);
        }
      };
      const hello = await next();
      this.learnCapabilities(hello.code);
      await plainWriter.write(enc.encode("S STARTTLS\r\n"));
      let r = await next();
      while (r.tag === "*") r = await next();
      // A server refusing STARTTLS is unusable (we never send a password in clear), not a wrong password:
      // an outage (503 to the device), never a counted failure that could lock the account (issue 13 §6).
      if (str(r.tokens[0]).toUpperCase() !== "OK")
        throw new StoreUnavailableError(`IMAP server refused STARTTLS: ${r.text ?? ""}`, this.retryAfter);
      plainReader.releaseLock();
      plainWriter.releaseLock();
      this.socket = this.socket.startTls();
      this.capabilities.clear();
      this.attach();
      // No greeting after STARTTLS: ask for the capabilities again (RFC 3501 §6.2.1).
      this.resolveGreeting({ tag: "*", tokens: ["OK"] });
      return;
    }
    this.attach();
    const hello = await this.greeting;
    if (str(hello.tokens[0]).toUpperCase() === "BYE")
      throw new StoreUnavailableError(`IMAP server refused: ${hello.text}`, this.retryAfter);
    this.learnCapabilities(hello.code);
  }

  private attach(): void {
    this.reader = this.socket.readable.getReader();
    this.writer = this.socket.writable.getWriter();
    this.greeting = new Promise((r) => (this.resolveGreeting = r));
    void this.pump();
  }

  private async login(c: ImapCredentials): Promise<void> {
    if (!this.capabilities.size) await this.refreshCapabilities();
    let done: ImapResponse;
    if (this.has("AUTH=PLAIN")) {
      const ir = utf8ToBase64(`\0${c.user}\0${c.password}`);
      if (this.has("SASL-IR")) done = (await this.run("AUTHENTICATE", ["AUTHENTICATE", "PLAIN", ir])).done;
      else done = (await this.run("AUTHENTICATE", ["AUTHENTICATE", "PLAIN"], () => this.writeRaw(`${ir}\r\n`))).done;
    } else done = (await this.run("LOGIN", ["LOGIN", q(c.user), q(c.password)])).done;
    this.capabilities.clear();
    this.learnCapabilities(done.code);
    if (!this.capabilities.size) await this.refreshCapabilities();
  }

  private async refreshCapabilities(): Promise<void> {
    const r = await this.run("CAPABILITY", ["CAPABILITY"]);
    for (const u of r.untagged) if (str(u.tokens[0]).toUpperCase() === "CAPABILITY") this.addCaps(u.tokens.slice(1));
  }

  private learnCapabilities(code: Token[] | undefined): void {
    if (code && str(code[0]).toUpperCase() === "CAPABILITY") this.addCaps(code.slice(1));
  }

  private addCaps(tokens: Token[]): void {
    for (const t of tokens) this.capabilities.add(str(t).toUpperCase());
  }

  has(cap: string): boolean {
    const c = cap.toUpperCase();
    return this.capabilities.has(c) && !this.ignored.has(c);
  }

  /**
   * Runs one command; resolves on tagged OK with every untagged response received meanwhile. `each`, if given,
   * sees each untagged response as soon as it is read (the caller's work on the first overlaps the server's
   * sending of the rest); an exception in it is the caller's to keep, it does not end the session.
   */
  command(args: Arg[], each?: (r: ImapResponse) => void): Promise<CommandResult> {
    return this.run(typeof args[0] === "string" ? args[0] : "command", args, undefined, each);
  }

  private run(name: string, args: Arg[], onContinue?: () => void, each?: (r: ImapResponse) => void): Promise<CommandResult> {
    const go = async (): Promise<CommandResult> => {
      if (this.failed) throw this.failed;
      const tag = `A${++this.tagNo}`;
      this.stats.commands++;
      const result = new Promise<CommandResult>((resolve, reject) => {
        this.pending = { tag, name, untagged: [], resolve, reject, onContinue, each };
      });
      result.catch(() => undefined); // a failed send rejects it too; the caller gets the send's error
      await this.send(tag, args);
      return this.withTimeout(result, name);
    };
    const p = this.queue.then(go, go);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async send(tag: string, args: Arg[]): Promise<void> {
    const literalPlus = this.has("LITERAL+");
    let line = tag;
    for (const a of args) {
      if (typeof a === "string") {
        line += ` ${a}`;
        continue;
      }
      line += ` {${a.bytes.byteLength}${literalPlus ? "+" : ""}}\r\n`;
      if (!literalPlus) {
        const cont = new Promise<void>((resolve) => (this.pending!.onContinue = resolve));
        await this.writeRaw(line);
        await this.withTimeout(cont, "literal");
      } else await this.writeRaw(line);
      await this.writeBytes(a.bytes);
      line = "";
    }
    await this.writeRaw(`${line}\r\n`);
  }

  private async writeRaw(s: string): Promise<void> {
    await this.writeBytes(enc.encode(s));
  }

  /**
   * Writes in slices of 64 KiB, each within the command timeout: a server that stops reading (its window full
   * during a large APPEND) fails the session like one that stops answering, instead of holding it, and every
   * request of the mailbox queued behind it, forever; a slow but moving upload of any size still goes through.
   */
  private async writeBytes(b: Uint8Array): Promise<void> {
    try {
      for (let off = 0; off < b.byteLength || off === 0; off += WRITE_SLICE) {
        await this.withTimeout(this.writer.write(b.subarray(off, off + WRITE_SLICE)), "write");
        if (b.byteLength === 0) break;
      }
    } catch (e) {
      this.abort(e);
      throw this.failed;
    }
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await this.reader.read();
        if (done) break;
        this.stats.bytesIn += value.byteLength;
        for (const segs of this.splitter.push(value)) this.dispatch(parseResponse(segs));
      }
      this.abort(new Error("the IMAP server closed the connection"));
    } catch (e) {
      this.abort(e);
    }
  }

  private greeted = false;

  private dispatch(r: ImapResponse): void {
    if (!this.greeted && r.tag === "*") {
      this.greeted = true;
      this.resolveGreeting(r);
      return;
    }
    const p = this.pending;
    if (r.tag === "*") {
      if (str(r.tokens[0]).toUpperCase() === "BYE" && !(p && p.name === "LOGOUT")) {
        this.abort(new Error(`the IMAP server said BYE: ${r.text ?? ""}`));
        return;
      }
      if (!p) return;
      p.untagged.push(r);
      if (p.each)
        try {
          p.each(r);
        } catch {} // the caller's own error: it finds it in what it kept, the session goes on
      return;
    }
    if (r.tag === "+") {
      p?.onContinue?.();
      return;
    }
    if (!p || r.tag !== p.tag) return;
    this.pending = null;
    const status = str(r.tokens[0]).toUpperCase();
    if (status === "OK") p.resolve({ untagged: p.untagged, done: r });
    else {
      const code = (r.code ?? []).map((t) => (Array.isArray(t) ? "(…)" : str(t))).join(" ");
      // RFC 5530: the server's own trouble is an outage, not a refusal.
      if (/^(UNAVAILABLE|SERVERBUG|INUSE|LIMIT)\b/i.test(code)) {
        p.reject(new StoreUnavailableError(`IMAP ${p.name}: ${status} [${code}] ${r.text ?? ""}`, this.retryAfter));
        return;
      }
      p.reject(new ImapCommandError(status === "BAD" ? "BAD" : "NO", code, r.text ?? "", p.name));
    }
  }

  private async withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const t = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.abort(new Error(`IMAP ${what} timed out after ${this.timeoutMs} ms`));
        reject(this.failed);
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([p, t]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Marks the session dead: every waiter gets StoreUnavailableError. */
  private abort(cause: unknown): void {
    if (this.failed) return;
    if (cause instanceof StoreUnavailableError) this.failed = cause;
    else {
      const msg = cause instanceof Error ? cause.message : String(cause);
      this.failed = new StoreUnavailableError(`IMAP ${this.endpoint.host}:${this.endpoint.port} unavailable: ${msg}`, this.retryAfter);
    }
    const p = this.pending;
    this.pending = null;
    p?.reject(this.failed);
    this.resolveGreeting?.({ tag: "*", tokens: ["BYE"], text: this.failed.message });
    void closeQuietly(this.socket);
  }

  get alive(): boolean {
    return !this.failed;
  }

  /** LOGOUT (best effort, briefly) and close the socket. */
  async close(): Promise<void> {
    if (this.failed) return;
    try {
      await Promise.race([this.run("LOGOUT", ["LOGOUT"]), new Promise((r) => setTimeout(r, 1000))]);
    } catch {
      // already closing
    }
    this.abort(new Error("session closed"));
  }
}

/** Passwords never cross a network in clear: an unencrypted session is only for loopback (tests, a local relay). */
export function assertEndpointAllowed(e: ImapEndpoint): void {
  if (e.tls === "none" && !isLoopbackHost(e.host))
    throw new TypeError(`plain IMAP (tls "none") is only allowed to loopback, not ${e.host}`);
  if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) throw new TypeError(`bad IMAP port ${e.port}`);
}

/**
 * Checks an account's password against its IMAP server (how devices of a bridged mailbox authenticate).
 * true/false for accepted/refused; StoreUnavailableError when the server cannot be asked.
 */
export async function verifyImapLogin(
  endpoint: ImapEndpoint,
  credentials: ImapCredentials,
  opts: ImapSessionOptions = {},
): Promise<boolean> {
  let s: ImapSession;
  try {
    s = await ImapSession.open(endpoint, credentials, opts);
  } catch (e) {
    if (e instanceof StoreAuthError) return false;
    throw e;
  }
  await s.close();
  return true;
}

// close() has been seen to hang on some TLS servers (workerd#2060): never wait for it long.
async function closeQuietly(socket: Socket): Promise<void> {
  try {
    await Promise.race([socket.close(), new Promise((r) => setTimeout(r, 1000))]);
  } catch {
    // nothing left to close
  }
}
