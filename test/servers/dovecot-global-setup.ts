// vitest globalSetup of the workers project: one Dovecot on loopback for the run, plus the servers around it
// (flaky-imap.ts, control.ts). Its certificate is signed by the run's test CA, which workerd trusts through
// NODE_EXTRA_CA_CERTS (see test-ca.ts). The Node e2e set-up can call startTestServers() the same way.
import type { TestProject } from "vitest/node";
import { type DovecotInfo, startDovecot } from "./dovecot";
import { startControl } from "./control";
import { startFlakyImap } from "./flaky-imap";
import { startSmtpSink } from "../smtp-sink";
import { freePort } from "../free-port";

/** Dovecot accounts named by address, for bridged mailboxes; the password of "ann@bridge.test" is "ann secret". */
export const BRIDGE_USERS = [
  "ann@bridge.test",
  "ben@bridge.test",
  "cid@bridge.test",
  "dee@bridge.test",
  "eli@bridge.test",
  "fay@bridge.test",
  "gus@bridge.test",
  "hal@bridge.test",
  "ike@bridge.test",
  "joy@bridge.test",
  "kit@bridge.test",
  "lee@bridge.test",
  // Concurrent folder-list mirrors (test/workers/bridge-concurrent-foldersync.test.ts): a fresh account per round.
  ...[1, 2, 3, 4, 5, 6].map((n) => `mir${n}@bridge.test`),
];

/** HTTP Basic credentials Dovecot's OX push driver puts on its calls (in the driver URL). */
export const PUSH_BASIC = { user: "dovecot", password: "push-secret-1" };

/**
 * Accounts of the bridged-mailbox tests (test/workers/bridge-mailbox-*.test.ts), one per test file;
 * "kim" is the bridge's run of the store contract (test/workers/store-contract/bridge.test.ts), "mia" the
 * hostile corpus through the bridge (test/workers/hostile-bridge.test.ts).
 */
export const BRIDGE_MAILBOX_USERS = ["grace", "heidi", "ivan", "judy", "kate", "kim", "mia"];

/** The IMAP store's run of the store contract (test/workers/store-contract/imap.test.ts). */
export const CONTRACT_IMAP_USER = "lou";

export interface TestServers {
  dovecot: DovecotInfo;
  flakyImap: { drop: number; silent: number };
  controlUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts the control server, the flaky IMAP servers and Dovecot. `pushUrl` overrides where Dovecot's push
 * driver posts (the Node e2e set-up points it at the Worker under `wrangler dev`); default: the control server.
 */
export async function startTestServers(opts: { pushUrl?: string } = {}): Promise<TestServers> {
  const control = await startControl();
  const drop = await startFlakyImap("drop");
  const silent = await startFlakyImap("silent");
  const pushUrl =
    opts.pushUrl ?? `${control.url.replace("//", `//${PUSH_BASIC.user}:${encodeURIComponent(PUSH_BASIC.password)}@`)}/notify/ox`;
  let dovecot: Awaited<ReturnType<typeof startDovecot>>;
  try {
    dovecot = await startDovecot({
      users: [
        ...["alice", "bob", "carol", "dave", "erin", "frank", "gina", CONTRACT_IMAP_USER, ...BRIDGE_MAILBOX_USERS].map((user) => ({
          user,
          password: `${user} secret`,
        })),
        // Bridged mailboxes log in with their address (BRIDGE.md): "ann@bridge.test" / "ann secret".
        // The bridged-mailbox tests' accounts too, as "grace@bridge.test" (test/workers/bridge-mailbox-helpers.ts).
        ...[...BRIDGE_USERS, ...BRIDGE_MAILBOX_USERS.map((u) => `${u}@bridge.test`)].map((user) => ({
          user,
          password: `${user.split("@")[0]} secret`,
        })),
      ],
      pushUrl,
    });
  } catch (e) {
    await Promise.all([drop.stop(), silent.stop(), control.stop()]);
    throw e;
  }
  control.setDovecot(dovecot);
  const { stop: stopDovecot, ...info } = dovecot;
  return {
    dovecot: info,
    flakyImap: { drop: drop.port, silent: silent.port },
    controlUrl: control.url,
    async stop() {
      await Promise.all([stopDovecot(), drop.stop(), silent.stop(), control.stop()]);
    },
  };
}

export default async function setup(project: TestProject) {
  const servers = await startTestServers();
  const onExit = () => {
    void servers.stop();
  };
  process.once("exit", onExit);
  project.provide("dovecot", servers.dovecot);
  project.provide("flakyImap", servers.flakyImap);
  project.provide("controlUrl", servers.controlUrl);
  // The submission server of the bridged-mailbox tests: AUTH required, with the accounts' own logins
  // ("<user>@<domain>" / "<user> secret", as on the test Dovecot).
  const submission = await startSmtpSink({
    port: await freePort(),
    authRequired: true,
    accounts: (user, password) => BRIDGE_MAILBOX_USERS.some((u) => user.startsWith(`${u}@`) && password === `${u} secret`),
  });
  project.provide("bridgeSubmission", { port: submission.port, controlUrl: `http://127.0.0.1:${submission.controlPort}` });
  return async () => {
    process.off("exit", onExit);
    await Promise.all([servers.stop(), submission.stop()]);
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    dovecot: DovecotInfo;
    /** Ports of IMAP servers that accept a login then drop the connection / never answer (flaky-imap.ts). */
    flakyImap: { drop: number; silent: number };
    /** test/servers/control.ts: recorded push notifications, LMTP delivery on request. */
    controlUrl: string;
    /** SMTP submission server of the bridged-mailbox tests (test/smtp-sink.ts, AUTH with the account's login). */
    bridgeSubmission: { port: number; controlUrl: string };
  }
}
