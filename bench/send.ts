// Sending benchmark on a local `wrangler dev`: a phone posts 14.1 SendMail over HTTP; outside mail goes
// through the outbox and the alarm to a real SMTP server on loopback (test/smtp-sink.ts). Loopback only,
// bounded (stops by itself after at most 10 minutes); appends to bench/RESULTS.md.
//
//   npx tsx bench/send.ts            # 200 sequential + 400 with 16 in flight, 2 KB; 20 × 1 MB
//
// Measures: accept latency (POST → empty 200, i.e. the message is durable in the outbox) and delivery
// latency (POST → the relay has the message), one at a time and under concurrency.
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../scripts/dev-server.mjs";
import { hashPassword } from "../src/service/password";
import { el, encodeWbxml } from "../src/wbxml/index";
import { d1Execute } from "../test/node/accounts";
import { freePort } from "../test/free-port";
import { SINK_PASSWORD, SINK_USER, startSmtpSink } from "../test/smtp-sink";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DEADLINE = Date.now() + 10 * 60_000;
const USER = "bench-sender@example.test";
const PASSWORD = "bench-password";

const sink = await startSmtpSink();
const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-bench-send-"));
const server = await startDevServer({
  port: await freePort(),
  persistTo,
  vars: {
    ADMIN_TOKEN: "bench",
    DEMO_SEED: "false",
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: String(sink.port),
    SMTP_TLS: "none",
    SMTP_USER: SINK_USER,
    SMTP_PASSWORD: SINK_PASSWORD,
    LOCAL_DOMAINS: "example.test",
  },
});

const results: string[] = [];
try {
  const h = await hashPassword(PASSWORD, 1000); // cheap logins: this measures sending, not PBKDF2
  d1Execute(
    persistTo,
    `INSERT INTO accounts (address,password_hash,salt,iterations,created_at,failed_attempts) VALUES ('${USER}','${h.hash}','${h.salt}',1000,0,0)`,
  );
  const auth = "Basic " + Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
  let seq = 0;

  async function send(size: number): Promise<{ accept: number; delivered: number }> {
    if (Date.now() > DEADLINE) throw new Error("benchmark deadline reached");
    const n = ++seq;
    const rcpt = `r${n}@remote.test`;
    const body = "x".repeat(Math.max(0, size - 200)).replace(/.{76}/g, "$&\r\n");
    const mime = `From: ${USER}\r\nTo: ${rcpt}\r\nSubject: bench ${n}\r\n\r\n${body}\r\n`;
    const wbxml = encodeWbxml(
      el("ComposeMail", "SendMail", el("ComposeMail", "ClientId", `b${n}`), el("ComposeMail", "Mime", new TextEncoder().encode(mime))),
    );
    const t0 = performance.now();
    const res = await fetch(`${server.url}/Microsoft-Server-ActiveSync?Cmd=SendMail&User=${USER}&DeviceId=bench1&DeviceType=Bench`, {
      method: "POST",
      headers: { Authorization: auth, "MS-ASProtocolVersion": "14.1", "Content-Type": "application/vnd.ms-sync.wbxml" },
      body: wbxml,
    });
    const raw = new Uint8Array(await res.arrayBuffer());
    if (res.status !== 200 || raw.byteLength) throw new Error(`SendMail ${n}: HTTP ${res.status}, ${raw.byteLength} bytes`);
    const accept = performance.now() - t0;
    for (;;) {
      if (sink.messages.some((m) => m.to.includes(rcpt))) break;
      if (performance.now() - t0 > 60_000) throw new Error(`message ${n} not delivered within 60 s`);
      await new Promise((r) => setTimeout(r, 2));
    }
    return { accept, delivered: performance.now() - t0 };
  }

  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
  const row = (label: string, rs: { accept: number; delivered: number }[], wallMs: number) => {
    const a = rs.map((r) => r.accept);
    const d = rs.map((r) => r.delivered);
    const line = `| ${label} | ${rs.length} | ${pct(a, 50).toFixed(1)} / ${pct(a, 95).toFixed(1)} | ${pct(d, 50).toFixed(1)} / ${pct(d, 95).toFixed(1)} | ${((rs.length / wallMs) * 1000).toFixed(1)} |`;
    console.log(line);
    results.push(line);
  };

  for (let i = 0; i < 5; i++) await send(2000); // warm-up: first compile, first object
  async function sequential(n: number, size: number) {
    const rs = [];
    const t = performance.now();
    for (let i = 0; i < n; i++) rs.push(await send(size));
    return { rs, wall: performance.now() - t };
  }
  async function concurrent(n: number, size: number, inFlight: number) {
    const rs: { accept: number; delivered: number }[] = [];
    let next = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < n) {
          next++;
          rs.push(await send(size));
        }
      }),
    );
    return { rs, wall: performance.now() - t };
  }
  let r = await sequential(200, 2000);
  row("2 KB, one at a time", r.rs, r.wall);
  r = await concurrent(400, 2000, 16);
  row("2 KB, 16 in flight (one mailbox)", r.rs, r.wall);
  r = await sequential(20, 1_000_000);
  row("1 MB, one at a time", r.rs, r.wall);
} finally {
  await server.stop();
  await sink.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

const cpu = os.cpus()[0]?.model ?? "?";
appendFileSync(
  path.join(root, "bench", "RESULTS.md"),
  `\n## Sending (bench/send.ts), ${new Date().toISOString().slice(0, 16)}Z\n\n` +
    `Machine: ${os.cpus().length} × ${cpu}, shared with other jobs; \`wrangler dev\` (workerd 2026-11-17), loopback SMTP sink (smtp-server), 14.1 SendMail to an outside address.\n` +
    `Accept = POST until the empty 200 (message durable in the outbox); delivered = POST until the relay has it. Milliseconds.\n\n` +
    `| case | messages | accept p50 / p95 | delivered p50 / p95 | messages/s |\n| --- | --- | --- | --- | --- |\n` +
    results.join("\n") +
    "\n",
);
