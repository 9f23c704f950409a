// vitest globalSetup (workers and node projects): one Dovecot on loopback for the run. Its certificate is
// signed by the run's test CA, which workerd trusts through NODE_EXTRA_CA_CERTS (see test-ca.ts).
import type { TestProject } from "vitest/node";
import { type DovecotInfo, startDovecot } from "./dovecot";

export default async function setup(project: TestProject) {
  const dovecot = await startDovecot();
  const stop = () => dovecot.stop();
  const onExit = () => {
    void stop();
  };
  process.once("exit", onExit);
  const { stop: _stop, ...info } = dovecot;
  project.provide("dovecot", info);
  return async () => {
    process.off("exit", onExit);
    await stop();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    dovecot: DovecotInfo;
  }
}
