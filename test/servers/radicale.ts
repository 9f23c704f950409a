// A real Radicale (Debian package `radicale`) on loopback for the tests, with its own config, htpasswd
// file and storage in a temporary folder. Node side only. A small HTTP control port lets tests running
// inside workerd stop and restart the server (workerd cannot spawn or signal processes):
//   POST /freeze → SIGSTOP (connections are accepted by the kernel and hang)
//   POST /kill   → SIGKILL (hanging requests are cut), POST /start → start again on the same port and storage
//   GET  /health → 200 "up" / 503 "down"
// The same port also plays two broken DAV servers for the client's error paths:
//   any method on /broken/stall/…   → 207 headers, then the body never comes
//   any method on /broken/garbage/… → 207 with an HTML body
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../free-port";

export const RADICALE_USER = "alice";
export const RADICALE_PASSWORD = "dav-secret";
/** A second account (same password) for tests that must not see alice's collections. */
export const RADICALE_OTHER_USER = "bob";
/**
 * Accounts of the bridged-mailbox tests: the same login as on the test Dovecot (the address, whose local
 * part Dovecot keeps, and "<user> secret"), as a provider's IMAP and DAV servers share one account.
 */
export const RADICALE_BRIDGE_USERS = ["grace", "heidi", "ivan", "judy", "kim", "mia"].map((u) => ({
  user: `${u}@bridge.test`,
  password: `${u} secret`,
}));
/** The DAV store's run of the store contract (test/workers/store-contract/dav.test.ts). */
export const RADICALE_CONTRACT_USER = { user: "contract@dav.test", password: "contract secret" };

export interface RadicaleServer {
  url: string;
  port: number;
  controlUrl: string;
  dir: string;
  stop(): Promise<void>;
}

/** The packaged entry point runs with Debian's python3, not whichever python3 is first on PATH. */
function radicaleCommand(config: string): [string, string[]] {
  if (existsSync("/usr/bin/radicale")) return ["/usr/bin/radicale", ["--config", config]];
  return ["python3", ["-m", "radicale", "--config", config]];
}

/** Adds a login to a running Radicale (htpasswd is read at each login). */
export function addRadicaleUser(server: Pick<RadicaleServer, "dir">, user: string, password: string): void {
  if (/[:\n]/.test(user + password)) throw new Error(`no ':' or newline in a test login: ${user}`);
  appendFileSync(path.join(server.dir, "users"), `${user}:${password}\n`);
}

export async function startRadicale(opts: { port?: number; controlPort?: number } = {}): Promise<RadicaleServer> {
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(path.join(tmpdir(), "radicale-"));
  const config = path.join(dir, "config");
  writeFileSync(
    path.join(dir, "users"),
    `${RADICALE_USER}:${RADICALE_PASSWORD}\n${RADICALE_OTHER_USER}:${RADICALE_PASSWORD}\n` +
      [...RADICALE_BRIDGE_USERS, RADICALE_CONTRACT_USER].map((u) => `${u.user}:${u.password}\n`).join(""),
  );
  writeFileSync(
    config,
    [
      "[server]",
      `hosts = 127.0.0.1:${port}`,
      "[auth]",
      "type = htpasswd",
      `htpasswd_filename = ${path.join(dir, "users")}`,
      "htpasswd_encryption = plain",
      "delay = 0",
      "[rights]",
      "type = owner_only",
      "[storage]",
      `filesystem_folder = ${path.join(dir, "collections")}`,
      "[web]",
      "type = none",
      "[logging]",
      "level = warning",
      "",
    ].join("\n"),
  );
  const url = `http://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  let log = "";

  async function start() {
    const [cmd, args] = radicaleCommand(config);
    proc = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    proc.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    const exited = new Promise<never>((_, reject) => proc!.once("exit", (code) => reject(new Error(`radicale exited (${code}): ${log}`))));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const up = await Promise.race([answers(url), exited]);
      if (up) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`radicale did not answer on ${url}: ${log}`);
  }

  async function kill() {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once("exit", r));
    p.kill("SIGKILL");
    await gone;
  }

  await start();
  const control = http.createServer(async (req, res) => {
    try {
      if (req.url?.startsWith("/broken/stall/")) {
        res.writeHead(207, { "Content-Type": "application/xml" });
        res.write("<?xml version='1.0'?><multistatus xmlns=\"DAV:\">");
        return; // never ends; closed when the control server stops
      }
      if (req.url?.startsWith("/broken/garbage/")) {
        res.writeHead(207, { "Content-Type": "application/xml" }).end("<html><body>Service temporarily moved</body></html>");
        return;
      }
      if (req.method === "POST" && req.url === "/freeze") proc?.kill("SIGSTOP");
      else if (req.method === "POST" && req.url === "/kill") await kill();
      else if (req.method === "POST" && req.url === "/start") {
        if (!proc) await start();
      } else if (req.method === "GET" && req.url === "/health") {
        const up = await answers(url);
        res.writeHead(up ? 200 : 503).end(up ? "up" : "down");
        return;
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200).end("ok");
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  });
  const controlPort = opts.controlPort ?? (await freePort());
  await new Promise<void>((r) => control.listen(controlPort, "127.0.0.1", r));

  return {
    url,
    port,
    controlUrl: `http://127.0.0.1:${controlPort}`,
    dir,
    async stop() {
      control.closeAllConnections();
      await new Promise((r) => control.close(r));
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Radicale answers any request once it listens (401 without credentials). */
async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url + "/", { method: "OPTIONS", signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.status < 500;
  } catch {
    return false;
  }
}
