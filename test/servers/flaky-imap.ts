// An IMAP server that goes away: it greets, accepts any login and ENABLE, then on the next command
// either drops the connection ("drop") or never answers ("silent"). For the outage paths of the IMAP store.
// The password "wrong" is refused as Dovecot does (NO [AUTHENTICATIONFAILED]): refusing it on the real Dovecot
// would put its per-IP auth penalty (seconds of delay) on every later login of the test run.
import net from "node:net";

export type FlakyMode = "drop" | "silent";

const CAPS = "IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ ENABLE CONDSTORE QRESYNC UIDPLUS MOVE LIST-STATUS SPECIAL-USE";

export async function startFlakyImap(mode: FlakyMode): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => undefined);
    sock.write(`* OK [CAPABILITY ${CAPS}] flaky ready\r\n`);
    let buf = "";
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      for (let i = buf.indexOf("\r\n"); i >= 0; i = buf.indexOf("\r\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const [tag, cmd = ""] = line.split(" ");
        const verb = cmd.toUpperCase();
        if (
          /\bwrong\b/.test(line) ||
          Buffer.from(line.split(" ").pop() ?? "", "base64")
            .toString("latin1")
            .endsWith("\0wrong")
        )
          sock.write(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n`);
        else if (verb === "AUTHENTICATE" || verb === "LOGIN") sock.write(`${tag} OK [CAPABILITY ${CAPS}] logged in\r\n`);
        else if (verb === "STARTTLS")
          sock.write(`${tag} NO STARTTLS not available here\r\n`); // a server without TLS
        else if (verb === "ENABLE") sock.write(`* ENABLED QRESYNC\r\n${tag} OK enabled\r\n`);
        else if (verb === "LOGOUT") sock.end(`* BYE\r\n${tag} OK bye\r\n`);
        else if (mode === "drop") sock.destroy();
        // silent: never answer
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
