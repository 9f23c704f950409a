// A real SMTP server on loopback for the tests (Node side, `smtp-server`), plus a small HTTP control
// port so tests running inside workerd can read what arrived and switch the relay down and up.
//   GET  /messages  → [{ from, to: [...], raw (base64), at }]
//   POST /reset     → forget messages
//   POST /down      → stop listening (connections refused), POST /up → listen again on the same port
// Recipient local parts steer replies: reject…@ → 550 5.1.1, tempfail…@ → 451 4.3.0.
// Auth is accepted for user "relay" / password "relay-pw" and optional.
import http from "node:http";
import net from "node:net";
import { SMTPServer } from "smtp-server";

export interface SinkMessage {
  from: string;
  to: string[];
  raw: string;
  at: number;
}

export interface SmtpSink {
  port: number;
  controlPort: number;
  messages: SinkMessage[];
  stop(): Promise<void>;
}

export const SINK_USER = "relay";
export const SINK_PASSWORD = "relay-pw";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startSmtpSink(opts: { port?: number; controlPort?: number } = {}): Promise<SmtpSink> {
  const port = opts.port ?? (await freePort());
  const controlPort = opts.controlPort ?? (await freePort());
  const messages: SinkMessage[] = [];

  const makeServer = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      size: 60 * 1024 * 1024,
      logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === SINK_USER && auth.password === SINK_PASSWORD) cb(null, { user: auth.username });
        else cb(smtpError(535, "5.7.8 authentication failed"));
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
          messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString("base64"),
            at: Date.now(),
          });
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
    messages,
    async stop() {
      await down();
      await new Promise<void>((resolve) => control.close(() => resolve()));
    },
  };
}
