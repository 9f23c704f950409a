// vitest globalSetup (workers and node projects): one Dovecot on loopback for the run. Its certificate is
// signed by the run's test CA, which workerd trusts through NODE_EXTRA_CA_CERTS (see test-ca.ts).
import type { TestProject } from "vitest/node";
import { type DovecotInfo, startDovecot } from "./dovecot";
import { startFlakyImap } from "./flaky-imap";

export default async function setup(project: TestProject) {
  const dovecot = await startDovecot({
    users: ["alice", "bob", "carol", "dave", "erin"].map((user) => ({ user, password: `${user} secret` })),
  });
  const drop = await startFlakyImap("drop");
  const silent = await startFlakyImap("silent");
  const stop = async () => {
    await Promise.all([dovecot.stop(), drop.stop(), silent.stop()]);
  };
  const onExit = () => {
    void stop();
  };
  process.once("exit", onExit);
  const { stop: _stop, ...info } = dovecot;
  project.provide("dovecot", info);
  project.provide("flakyImap", { drop: drop.port, silent: silent.port });
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
  }
}
