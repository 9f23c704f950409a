// A real SMTP server on loopback for the tests (Node side, `smtp-server`), plus a small HTTP control
// port so tests running inside workerd can read what arrived and switch the relay down and up.
//   GET  /messages  → [{ from, to: [...], raw (base64), at }]
//   POST /reset     → forget messages
//   POST /down      → stop listening (connections refused), POST /up → listen again on the same port
// Recipient local parts steer replies: reject…@ → 550 5.1.1, tempfail…@ → 451 4.3.0; a sender
// badsender…@ gets 553 5.7.1 at MAIL FROM.
// Auth is accepted for user "relay" / password "relay-pw" and optional; each message records its user.
// With `tls`, the same sink also listens with implicit TLS and with STARTTLS on two more ports.
import http from "node:http";
import { SMTPServer } from "smtp-server";
import { freePort } from "./free-port";

export interface SinkMessage {
  /** The authenticated user, or "" without AUTH. */
  user: string;
  /** Whether the session was encrypted (implicit TLS or after STARTTLS). */
  secure: boolean;
  from: string;
  to: string[];
  raw: string;
  at: number;
}

export interface SinkTls {
  key: string;
  cert: string;
  implicitPort?: number;
  starttlsPort?: number;
}

export interface SmtpSink {
  port: number;
  controlPort: number;
  implicitPort?: number;
  starttlsPort?: number;
  messages: SinkMessage[];
  stop(): Promise<void>;
}

export const SINK_USER = "relay";
export const SINK_PASSWORD = "relay-pw";

function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startSmtpSink(
  opts: {
    port?: number;
    controlPort?: number;
    tls?: SinkTls;
    onMessage?: (m: SinkMessage) => void;
    /** Other logins the sink accepts (a provider's submission server taking its accounts' own passwords). */
    accounts?: (user: string, password: string) => boolean;
    /** AUTH required before MAIL (530 otherwise), as on a submission port. */
    authRequired?: boolean;
  } = {},
): Promise<SmtpSink> {
  const port = opts.port ?? (await freePort());
  const controlPort = opts.controlPort ?? (await freePort());
  const messages: SinkMessage[] = [];
  /**
   * "/lose-next-answer": the next message is taken (kept, as a server that committed it at the final dot) and
   * its connection dropped instead of the 250: the client cannot know it was accepted (RFC 5321 §6.1).
   */
  let loseNextAnswer = false;

  const makeServer = (mode: "plain" | "implicit" | "starttls" = "plain") =>
    new SMTPServer({
      authOptional: !opts.authRequired,
      allowInsecureAuth: true,
      secure: mode === "implicit",
      ...(mode === "plain" ? { disabledCommands: ["STARTTLS"] } : { key: opts.tls!.key, cert: opts.tls!.cert }),
      size: 60 * 1024 * 1024,
      logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === SINK_USER && auth.password === SINK_PASSWORD) cb(null, { user: auth.username });
        else if (opts.accounts?.(auth.username ?? "", auth.password ?? "")) cb(null, { user: auth.username });
        else cb(smtpError(535, "5.7.8 authentication failed"));
      },
      onMailFrom(address, _session, cb) {
        if (address.address.toLowerCase().startsWith("badsender")) return cb(smtpError(553, "5.7.1 sender not allowed"));
        cb();
      },
      onRcptTo(address, _session, cb) {
        const local = address.address.split("@")[0]!.toLowerCase();
        if (local.startsWith("reject")) return cb(smtpError(550, "5.1.1 no such user here"));
        if (local.startsWith("tempfail")) return cb(smtpError(451, "4.3.0 try again later"));
        cb();
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const m: SinkMessage = {
            user: typeof session.user === "string" ? session.user : "",
            secure: !!session.secure,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString("base64"),
            at: Date.now(),
          };
          messages.push(m);
          opts.onMessage?.(m);
          if (loseNextAnswer) {
            loseNextAnswer = false;
            const servers = [smtp, ...tlsServers] as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }[];
            for (const srv of servers) for (const c of srv?.connections ?? []) if (c.id === session.id) c._socket.destroy();
            return;
          }
          cb();
        });
      },
    });

  let smtp: SMTPServer | null = null;
  const up = () =>
    new Promise<void>((resolve, reject) => {
      if (smtp) return resolve();
      const s = makeServer();
      s.on("error", () => undefined);
      s.server.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        smtp = s;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      const s = smtp;
      smtp = null;
      if (!s) return resolve();
      s.close(() => resolve());
      // Do not wait for idle clients to say QUIT.
      setTimeout(resolve, 500).unref();
    });
  await up();

  const tlsServers: SMTPServer[] = [];
  const listen = (mode: "implicit" | "starttls", p: number) =>
    new Promise<void>((resolve, reject) => {
      const s = makeServer(mode);
      s.on("error", () => undefined);
      s.server.once("error", reject);
      s.listen(p, "127.0.0.1", () => resolve());
      tlsServers.push(s);
    });
  let implicitPort: number | undefined;
  let starttlsPort: number | undefined;
  if (opts.tls) {
    implicitPort = opts.tls.implicitPort ?? (await freePort());
    starttlsPort = opts.tls.starttlsPort ?? (await freePort());
    await listen("implicit", implicitPort);
    await listen("starttls", starttlsPort);
  }

  const control = http.createServer(async (req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method === "GET" && req.url === "/messages") return send(200, messages);
      if (req.method === "POST" && req.url === "/reset") {
        messages.length = 0;
        return send(200, { ok: true });
      }
      if (req.method === "POST" && req.url === "/lose-next-answer") {
        loseNextAnswer = true;
        return send(200, { ok: true });
      }
      if (req.method === "POST" && req.url === "/down") return send(200, await down().then(() => ({ ok: true })));
      if (req.method === "POST" && req.url === "/up") return send(200, await up().then(() => ({ ok: true })));
      send(404, { error: "unknown" });
    } catch (e) {
      send(500, { error: String(e) });
    }
  });
  await new Promise<void>((resolve) => control.listen(controlPort, "127.0.0.1", resolve));

  return {
    port,
    controlPort,
    implicitPort,
    starttlsPort,
    messages,
    async stop() {
      await down();
      await Promise.all(tlsServers.map((t) => new Promise<void>((resolve) => t.close(() => resolve()))));
      await new Promise<void>((resolve) => control.close(() => resolve()));
    },
  };
}
