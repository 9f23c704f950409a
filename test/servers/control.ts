// A small HTTP server in Node for workerd tests, which cannot open listening sockets or speak LMTP from
// their side conveniently: it records what Dovecot's push_notification OX driver sends (PUT with HTTP Basic
// from the driver URL, JSON body) and delivers mail into Dovecot by LMTP on request.
//   PUT|POST /notify/...      recorded (method, path, authorization, body)
//   GET /notifications        the recorded calls, oldest first
//   POST /lmtp?to=USER        body = raw message, delivered by LMTP
import http from "node:http";
import type net from "node:net";
import { deliverLmtp, type DovecotInfo } from "./dovecot";

export interface RecordedNotification {
  method: string;
  path: string;
  authorization: string;
  body: string;
  at: number;
}

export async function startControl(): Promise<{
  url: string;
  setDovecot(d: Pick<DovecotInfo, "host" | "lmtpPort">): void;
  stop(): Promise<void>;
}> {
  const recorded: RecordedNotification[] = [];
  let dovecot: Pick<DovecotInfo, "host" | "lmtpPort"> | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", "http://control");
      const body = Buffer.concat(chunks).toString("utf8");
      try {
        if (url.pathname.startsWith("/notify/")) {
          recorded.push({
            method: req.method ?? "",
            path: url.pathname,
            authorization: req.headers.authorization ?? "",
            body,
            at: Date.now(),
          });
          res.writeHead(200).end("ok");
        } else if (url.pathname === "/notifications" && req.method === "GET") {
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(recorded));
        } else if (url.pathname === "/lmtp" && req.method === "POST" && dovecot) {
          await deliverLmtp(dovecot, url.searchParams.get("to") ?? "", body);
          res.writeHead(204).end();
        } else res.writeHead(404).end();
      } catch (e) {
        res.writeHead(500).end(String(e));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    setDovecot(d) {
      dovecot = d;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
