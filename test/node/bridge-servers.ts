// The provider's servers a bridged mailbox (issue 8) lives on, on loopback: Dovecot (IMAP + LMTP, logins named
// by address, push_notification's OX driver posting to the Worker's /notify/ox with the per-server secret), a
// submission SMTP server that requires AUTH with the account's own login, and optionally a Radicale.
// Started by the node project's bridge-setup.ts, by bench/imap-e2e.bench.ts and by scripts/try/bridge.ts,
// always before the Worker: Dovecot must know where to post.
import { readFileSync } from "node:fs";
import path from "node:path";
import { startDovecot } from "../servers/dovecot";
import { startRadicale } from "../servers/radicale";
import { startSmtpSink } from "../smtp-sink";
import { oxPushUrl } from "./bridge-ox";

export interface BridgeServers {
  /** The bridged accounts' IMAP endpoint (tls "none": plain connections are allowed to loopback). */
  imap: { host: string; port: number };
  /** The same Dovecot over implicit TLS (certificate for 127.0.0.1 signed by the run's test CA). */
  imapsPort: number;
  lmtpPort: number;
  /** Dovecot's folder: its passwd-file (`users`) takes new logins while it runs; maildirs under mail/<address>. */
  dovecotDir: string;
  /** Where Dovecot's push driver posts. */
  pushUrl: string;
  /** Submission server: AUTH required, with a login Dovecot knows. */
  smtp: { host: string; port: number; controlUrl: string };
  radicale?: { url: string; controlUrl: string; dir: string };
}

export async function startBridgeServers(opts: {
  workerPort: number;
  notifySecret: string;
  radicale?: boolean;
}): Promise<BridgeServers & { stop(): Promise<void> }> {
  const host = "127.0.0.1";
  const pushUrl = oxPushUrl(opts.notifySecret, host, opts.workerPort);
  const [dovecot, radicale] = await Promise.all([
    startDovecot({ users: [{ user: "postmaster@bridge.test", password: "postmaster secret" }], pushUrl }),
    opts.radicale === false ? undefined : startRadicale(),
  ]);
  const usersFile = path.join(dovecot.dir, "users");
  const smtp = await startSmtpSink({
    authRequired: true,
    accounts: (user, password) => readFileSync(usersFile, "utf8").split("\n").includes(`${user}:{PLAIN}${password}::::::`),
  });
  return {
    imap: { host, port: dovecot.imapPort },
    imapsPort: dovecot.imapsPort,
    lmtpPort: dovecot.lmtpPort,
    dovecotDir: dovecot.dir,
    pushUrl,
    smtp: { host, port: smtp.port, controlUrl: `http://${host}:${smtp.controlPort}` },
    ...(radicale ? { radicale: { url: radicale.url, controlUrl: radicale.controlUrl, dir: radicale.dir } } : {}),
    async stop() {
      await Promise.all([dovecot.stop(), radicale?.stop(), smtp.stop()]);
    },
  };
}
