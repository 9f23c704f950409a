// A TCP relay in front of a test server, for "the server goes away" in end-to-end tests: a bridged mailbox is
// pointed at the relay, which can refuse every connection (server down), cut a session at the moment the
// client sends a chosen command (server gone in the middle of a request) or instead of delivering a chosen
// answer (the server did the work, the answer is lost), then let traffic through again.
import net from "node:net";

export interface TcpProxy {
  port: number;
  /** New connections are cut at once and open ones are dropped (the server is down). */
  down(): void;
  /** Traffic flows again. */
  up(): void;
  /** The next session whose client bytes match `pattern` is dropped right after sending them; resolves when it happened. */
  cutOn(pattern: RegExp): Promise<void>;
  /**
   * The next IMAP command matching `pattern` is not forwarded: the relay answers it itself with
   * `<tag> <answer>` (e.g. "NO [UNAVAILABLE] …", a server's temporary failure, RFC 5530). Resolves when it did.
   */
  answerOn(pattern: RegExp, answer: string): Promise<void>;
  /**
   * The next server bytes matching `pattern` are not delivered: the session is dropped instead (the server did
   * the work, its answer is lost, e.g. an APPEND's `OK [APPENDUID …]`). Resolves when it happened.
   */
  cutAnswerOn(pattern: RegExp): Promise<void>;
  /** Forgets every cut and answer armed and not yet done (their promises stay pending). */
  disarm(): void;
  /** Sessions opened so far. */
  readonly sessions: number;
  stop(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let isDown = false;
  let sessions = 0;
  let cut: { pattern: RegExp; done: () => void } | null = null;
  let answer: { pattern: RegExp; text: string; done: () => void } | null = null;
  let cutAnswer: { pattern: RegExp; done: () => void } | null = null;
  const server = net.createServer((client) => {
    sessions++;
    client.on("error", () => undefined);
    if (isDown) return void client.destroy();
    const upstream = net.connect(target.port, target.host);
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    open.add(client).add(upstream);
    client.on("close", () => open.delete(client));
    upstream.on("close", () => open.delete(upstream));
    upstream.on("data", (d: Buffer) => {
      if (cutAnswer?.pattern.test(d.toString("latin1"))) {
        const done = cutAnswer.done;
        cutAnswer = null;
        client.destroy();
        upstream.destroy();
        done();
        return;
      }
      client.write(d);
    });
    client.on("data", (d: Buffer) => {
      const line = d.toString("latin1");
      if (answer?.pattern.test(line)) {
        const { text, done } = answer;
        answer = null;
        client.write(`${line.split(" ")[0]} ${text}\r\n`);
        done();
        return;
      }
      if (cut?.pattern.test(line)) {
        const done = cut.done;
        cut = null;
        client.destroy();
        upstream.destroy();
        done();
        return;
      }
      upstream.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    down() {
      isDown = true;
      for (const s of open) s.destroy();
    },
    up() {
      isDown = false;
    },
    cutOn(pattern) {
      return new Promise<void>((done) => (cut = { pattern, done }));
    },
    disarm() {
      cut = answer = cutAnswer = null;
    },
    cutAnswerOn(pattern) {
      return new Promise<void>((done) => (cutAnswer = { pattern, done }));
    },
    answerOn(pattern, text) {
      return new Promise<void>((done) => (answer = { pattern, text, done }));
    },
    get sessions() {
      return sessions;
    },
    async stop() {
      for (const s of open) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
