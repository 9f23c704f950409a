// vitest globalSetup (workers and node projects): one Dovecot on loopback for the run. Its certificate is
// signed by the run's test CA, which workerd trusts through NODE_EXTRA_CA_CERTS (see test-ca.ts).
import type { TestProject } from "vitest/node";
import { type DovecotInfo, startDovecot } from "./dovecot";
import { startControl } from "./control";
import { startFlakyImap } from "./flaky-imap";

/** HTTP Basic credentials Dovecot's OX push driver puts on its calls (in the driver URL). */
export const PUSH_BASIC = { user: "dovecot", password: "push-secret-1" };

export default async function setup(project: TestProject) {
  const control = await startControl();
  const pushUrl = `${control.url.replace("//", `//${PUSH_BASIC.user}:${encodeURIComponent(PUSH_BASIC.password)}@`)}/notify/ox`;
  const dovecot = await startDovecot({
    users: ["alice", "bob", "carol", "dave", "erin"].map((user) => ({ user, password: `${user} secret` })),
    pushUrl,
  });
  control.setDovecot(dovecot);
  const drop = await startFlakyImap("drop");
  const silent = await startFlakyImap("silent");
  const stop = async () => {
    await Promise.all([dovecot.stop(), drop.stop(), silent.stop(), control.stop()]);
  };
  const onExit = () => {
    void stop();
  };
  process.once("exit", onExit);
  const { stop: _stop, ...info } = dovecot;
  project.provide("dovecot", info);
  project.provide("flakyImap", { drop: drop.port, silent: silent.port });
  project.provide("controlUrl", control.url);
  return async () => {
    process.off("exit", onExit);
    await stop();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    dovecot: DovecotInfo;
    /** Ports of IMAP servers that accept a login then drop the connection / never answer (flaky-imap.ts). */
    flakyImap: { drop: number; silent: number };
    /** test/servers/control.ts: recorded push notifications, LMTP delivery on request. */
    controlUrl: string;
  }
}
