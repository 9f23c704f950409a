// globalSetup of the node project: the provider's servers a bridged mailbox (issue 8) lives on, on loopback,
// started before the Worker: Dovecot (IMAP + LMTP, logins named by address, push_notification's OX driver
// posting to the Worker's /notify/ox with the per-server secret), a submission SMTP server that requires AUTH
// with the account's own login, and a Radicale of its own (the harness tests kill and restart the shared one).
// Tests add their accounts with newBridgeAccount (bridge-client.ts) and read inject("bridge").
import { readFileSync } from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startDovecot } from "../servers/dovecot";
import { startRadicale } from "../servers/radicale";
import { startSmtpSink } from "../smtp-sink";
import { E2E_NOTIFY_SECRET, e2eWorkerPort } from "./e2e-env";
import { oxPushUrl } from "./bridge-ox";

export interface BridgeServers {
  /** The bridged accounts' IMAP endpoint (tls "none": plain connections are allowed to loopback). */
  imap: { host: string; port: number };
  /** The same Dovecot over implicit TLS (certificate for 127.0.0.1 signed by the run's test CA, trusted by workerd). */
  imapsPort: number;
  lmtpPort: number;
  /** Dovecot's folder: its passwd-file (`users`) takes new logins while it runs. */
  dovecotDir: string;
  /** Where Dovecot's push driver posts. */
  pushUrl: string;
  /** Submission server: AUTH required, with a login Dovecot knows. */
  smtp: { host: string; port: number; controlUrl: string };
  radicale: { url: string; controlUrl: string; dir: string };
}

export default async function setup(project: TestProject) {
  const host = "127.0.0.1";
  const pushUrl = oxPushUrl(E2E_NOTIFY_SECRET, host, await e2eWorkerPort());
  const [dovecot, radicale] = await Promise.all([startDovecot({ users: [{ user: "postmaster@bridge.test", password: "postmaster secret" }], pushUrl }), startRadicale()]);
  const usersFile = path.join(dovecot.dir, "users");
  const smtp = await startSmtpSink({
    authRequired: true,
    accounts: (user, password) => readFileSync(usersFile, "utf8").split("\n").includes(`${user}:{PLAIN}${password}::::::`),
  });
  const stop = () => Promise.all([dovecot.stop(), radicale.stop(), smtp.stop()]);
  const onExit = () => void stop();
  process.once("exit", onExit);
  project.provide("bridge", {
    imap: { host, port: dovecot.imapPort },
    imapsPort: dovecot.imapsPort,
    lmtpPort: dovecot.lmtpPort,
    dovecotDir: dovecot.dir,
    pushUrl,
    smtp: { host, port: smtp.port, controlUrl: `http://${host}:${smtp.controlPort}` },
    radicale: { url: radicale.url, controlUrl: radicale.controlUrl, dir: radicale.dir },
  });
  return async () => {
    process.off("exit", onExit);
    await stop();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    bridge: BridgeServers;
  }
}
