// A small SMTP submission client (RFC 5321, 3207 STARTTLS, 4954 AUTH, 1870 SIZE) on Workers TCP sockets.
// worker-mailer builds its own MIME from fields and reports no per-recipient replies; relaying the
// device's bytes unchanged and telling a 550 for one recipient from a 451 for the whole transaction
// needs the raw protocol, so this client speaks it directly.
import { connect } from "cloudflare:sockets";
import { utf8ToBase64 } from "../formats/base64";
import { isLoopbackHost } from "../store/loopback";

export type SmtpTls = "implicit" | "starttls" | "none";

export interface SmtpConfig {
  host: string;
  port: number;
  tls: SmtpTls;
  user?: string;
  password?: string;
  /** Name sent in EHLO. */
  helo: string;
  /** Per reply; a relay that goes silent is a temporary failure. */
  timeoutMs: number;
}

export interface SmtpReply {
  code: number;
  /** Full reply text, lines joined with a space (includes the enhanced code when the relay sends one). */
  text: string;
}

export interface RecipientResult {
  rcpt: string;
  ok: boolean;
  /** 5xx: retrying cannot help. */
  permanent: boolean;
  reply: SmtpReply;
}

export interface TransactionHooks {
  /**
   * Called (and awaited) after the message's bytes and before the final "." that commits it at the relay: from
   * there on an answer lost is a message in doubt (outbox.ts notes it durably here).
   */
  beforeFinalDot?: () => Promise<void>;
}

/** The whole transaction failed before any recipient got a final answer (connect, greeting, auth, MAIL, DATA). */
export class SmtpError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly reply?: SmtpReply,
  ) {
    super(message);
    this.name = "SmtpError";
  }
}

export function smtpConfigFromEnv(env: Record<string, unknown>): SmtpConfig | null {
  const host = str(env.SMTP_HOST);
  if (!host) return null;
  const tls = (str(env.SMTP_TLS) || "implicit") as SmtpTls;
  if (!["implicit", "starttls", "none"].includes(tls)) throw new Error(`SMTP_TLS must be implicit, starttls or none, not ${tls}`);
  // Credentials in clear text only to a relay on this machine.
  if (tls === "none" && !isLoopbackHost(host)) throw new Error("SMTP_TLS=none is only allowed for a loopback relay");
  const port = Number(str(env.SMTP_PORT) || (tls === "implicit" ? 465 : 587));
  return {
    host,
    port,
    tls,
    user: str(env.SMTP_USER) || undefined,
    password: str(env.SMTP_PASSWORD) || undefined,
    helo: str(env.SMTP_HELO) || "mobile-sync.localhost",
    timeoutMs: Number(str(env.SMTP_TIMEOUT_MS) || 60_000),
  };
}

function str(v: unknown): string {
  return typeof v === "string" ? v.trim() : v === undefined || v === null ? "" : String(v);
}

/**
 * Sends one message to many recipients in one transaction. Resolves with a result per recipient
 * (accepted ones share the DATA reply); throws SmtpError when nothing could be decided per recipient.
 */
export async function smtpSend(cfg: SmtpConfig, from: string, rcpts: string[], raw: Uint8Array): Promise<RecipientResult[]> {
  const session = await SmtpSession.open(cfg);
  try {
    return await session.transaction(from, rcpts, raw);
  } finally {
    await session.close();
  }
}

/** One connection to the relay; several transactions may follow each other on it (RFC 5321 3.3). */
export class SmtpSession {
  private buf = "";
  private reader!: ReadableStreamDefaultReader<Uint8Array>;
  private writer!: WritableStreamDefaultWriter<Uint8Array>;
  private ext = new Map<string, string>();
  private readonly dec = new TextDecoder("latin1");

  private constructor(
    private socket: Socket,
    private readonly cfg: SmtpConfig,
  ) {
    this.attach();
  }

  static async open(cfg: SmtpConfig): Promise<SmtpSession> {
    const secureTransport = cfg.tls === "implicit" ? "on" : cfg.tls === "starttls" ? "starttls" : "off";
    let socket: Socket;
    try {
      socket = connect({ hostname: cfg.host, port: cfg.port }, { secureTransport, allowHalfOpen: false });
    } catch (e) {
      throw new SmtpError(`connect ${cfg.host}:${cfg.port}: ${(e as Error).message}`, false);
    }
    const s = new SmtpSession(socket, cfg);
    try {
      await s.expect(await s.reply(), 220, "greeting");
      await s.ehlo();
      if (cfg.tls === "starttls") {
        if (!s.ext.has("STARTTLS")) throw new SmtpError("relay does not offer STARTTLS", false);
        await s.expect(await s.command("STARTTLS"), 220, "STARTTLS");
        s.reader.releaseLock();
        s.writer.releaseLock();
        s.socket = s.socket.startTls();
        s.buf = "";
        s.attach();
        await s.ehlo();
      }
      if (cfg.user) await s.auth(cfg.user, cfg.password ?? "");
      return s;
    } catch (e) {
      await s.close();
      if (e instanceof SmtpError) throw e;
      throw new SmtpError(`${cfg.host}:${cfg.port}: ${(e as Error).message}`, false);
    }
  }

  private attach() {
    this.reader = this.socket.readable.getReader();
    this.writer = this.socket.writable.getWriter();
  }

  /**
   * One message. A refusal with a reply (MAIL FROM or DATA) throws SmtpError with `reply` and leaves the
   * session ready for the next transaction; an error without a reply means the connection is gone.
   */
  async transaction(from: string, rcpts: string[], raw: Uint8Array, hooks: TransactionHooks = {}): Promise<RecipientResult[]> {
    try {
      return await this.exchange(from, rcpts, raw, hooks);
    } catch (e) {
      if (e instanceof SmtpError && e.reply) await this.command("RSET").catch(() => undefined);
      throw e;
    }
  }

  private async exchange(from: string, rcpts: string[], raw: Uint8Array, hooks: TransactionHooks): Promise<RecipientResult[]> {
    const data = dotStuff(raw);
    let mail = `MAIL FROM:<${from}>`;
    if (this.ext.has("SIZE")) mail += ` SIZE=${data.byteLength}`;
    if (this.ext.has("8BITMIME") && has8bit(raw)) mail += " BODY=8BITMIME";
    if (this.ext.has("SMTPUTF8") && /[^\x00-\x7f]/.test(from + rcpts.join(""))) mail += " SMTPUTF8";
    await this.expect(await this.command(mail), 250, "MAIL FROM");

    const results: RecipientResult[] = [];
    for (const rcpt of rcpts) {
      const r = await this.command(`RCPT TO:<${rcpt}>`);
      results.push({ rcpt, ok: r.code === 250 || r.code === 251, permanent: r.code >= 500, reply: r });
    }
    if (!results.some((r) => r.ok)) {
      await this.command("RSET").catch(() => undefined);
      return results;
    }
    await this.expect(await this.command("DATA"), 354, "DATA");
    await this.write(data);
    // From the final dot on, the relay may have taken the message whatever happens to its answer.
    await hooks.beforeFinalDot?.();
    await this.write(new TextEncoder().encode(".\r\n"));
    const end = await this.reply();
    for (const r of results) {
      if (!r.ok) continue;
      if (end.code !== 250) Object.assign(r, { ok: false, permanent: end.code >= 500, reply: end });
      else r.reply = end;
    }
    return results;
  }

  private async ehlo() {
    const r = await this.command(`EHLO ${this.cfg.helo}`);
    await this.expect(r, 250, "EHLO");
    this.ext.clear();
    for (const line of r.text.split("\n").slice(1)) {
      const [k, ...rest] = line.trim().split(/\s+/);
      if (k) this.ext.set(k.toUpperCase(), rest.join(" "));
    }
  }

  private async auth(user: string, password: string) {
    const mechs = (this.ext.get("AUTH") ?? "").toUpperCase().split(/\s+/);
    if (mechs.includes("PLAIN") || !mechs.includes("LOGIN")) {
      await this.expect(await this.command(`AUTH PLAIN ${utf8ToBase64(`\0${user}\0${password}`)}`), 235, "AUTH PLAIN");
      return;
    }
    await this.expect(await this.command("AUTH LOGIN"), 334, "AUTH LOGIN");
    await this.expect(await this.command(utf8ToBase64(user)), 334, "AUTH LOGIN user");
    await this.expect(await this.command(utf8ToBase64(password)), 235, "AUTH LOGIN password");
  }

  private async expect(r: SmtpReply, code: number, what: string) {
    if (r.code !== code) {
      // A refused AUTH is a configuration problem: keep the message and retry (an admin can fix it).
      const permanent = r.code >= 500 && !what.startsWith("AUTH") && what !== "greeting" && what !== "EHLO";
      throw new SmtpError(`${what}: ${r.code} ${r.text}`, permanent, r);
    }
  }

  private async command(line: string): Promise<SmtpReply> {
    await this.write(new TextEncoder().encode(line + "\r\n"));
    return this.reply();
  }

  /**
   * A relay that stops reading (its window full) is as silent as one that stops answering: the same timeout,
   * per slice of 64 KiB, so a slow but moving upload of a large message still goes through.
   */
  private async write(bytes: Uint8Array) {
    for (let off = 0; off < bytes.byteLength; off += WRITE_SLICE) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SmtpError(`could not send within ${this.cfg.timeoutMs} ms`, false)), this.cfg.timeoutMs);
      });
      try {
        await Promise.race([this.writer.write(bytes.subarray(off, off + WRITE_SLICE)), timeout]);
      } catch (e) {
        if (e instanceof SmtpError) throw e;
        throw new SmtpError(`write: ${(e as Error).message}`, false);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** Reads one (possibly multi-line) reply; lines of the text are joined with "\n". */
  private async reply(): Promise<SmtpReply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.line();
      const m = /^(\d{3})([ -])(.*)$/.exec(line);
      if (!m) throw new SmtpError(`malformed reply line: ${line.slice(0, 100)}`, false);
      lines.push(m[3]!);
      if (m[2] === " ") return { code: Number(m[1]), text: lines.join("\n") };
    }
  }

  private async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf("\n");
      if (i >= 0) {
        const l = this.buf.slice(0, i).replace(/\r$/, "");
        this.buf = this.buf.slice(i + 1);
        return l;
      }
      const chunk = await this.readWithTimeout();
      if (chunk.done) throw new SmtpError("connection closed by relay", false);
      this.buf += this.dec.decode(chunk.value, { stream: true });
      if (this.buf.length > 64 * 1024) throw new SmtpError("reply line too long", false);
    }
  }

  private async readWithTimeout(): Promise<ReadableStreamReadResult<Uint8Array>> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SmtpError(`no reply within ${this.cfg.timeoutMs} ms`, false)), this.cfg.timeoutMs);
    });
    try {
      return await Promise.race([this.reader.read(), timeout]);
    } catch (e) {
      if (e instanceof SmtpError) throw e;
      throw new SmtpError(`read: ${(e as Error).message}`, false);
    } finally {
      clearTimeout(timer);
    }
  }

  async close() {
    // QUIT politely but never wait long: close() has been seen to hang on the edge (worker-mailer#28).
    const quit = (async () => {
      try {
        await this.write(new TextEncoder().encode("QUIT\r\n"));
        await this.socket.close();
      } catch {}
    })();
    await Promise.race([quit, new Promise((r) => setTimeout(r, 2000))]);
  }
}

const WRITE_SLICE = 64 * 1024;

function has8bit(raw: Uint8Array): boolean {
  for (const b of raw) if (b > 0x7f) return true;
  return false;
}

/** CRLF line ends, a leading "." doubled (RFC 5321 4.5.2), and a final CRLF, ready for DATA. */
export function dotStuff(raw: Uint8Array): Uint8Array {
  let buf = new Uint8Array(raw.byteLength + Math.ceil(raw.byteLength / 16) + 8);
  let o = 0;
  const push = (b: number) => {
    if (o >= buf.length) {
      const bigger = new Uint8Array(buf.length * 2 + 16);
      bigger.set(buf);
      buf = bigger;
    }
    buf[o++] = b;
  };
  let atLineStart = true;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (atLineStart && b === 0x2e) push(0x2e);
    if (b === 0x0a && (i === 0 || raw[i - 1] !== 0x0d)) push(0x0d);
    if (b === 0x0d && raw[i + 1] !== 0x0a) {
      push(0x0d);
      push(0x0a);
      atLineStart = true;
      continue;
    }
    push(b);
    atLineStart = b === 0x0a;
  }
  if (!atLineStart) {
    push(0x0d);
    push(0x0a);
  }
  return buf.subarray(0, o);
}
