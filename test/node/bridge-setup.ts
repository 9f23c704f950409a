// globalSetup of the node project: the bridge's servers (bridge-servers.ts) for the bridge*.e2e tests, started
// before global-setup.ts runs `wrangler dev` on the port chosen here. Their own Radicale: the harness tests
// kill and restart the shared one. Tests read inject("bridge") through bridge-env.ts.
import type { TestProject } from "vitest/node";
import { type BridgeServers, startBridgeServers } from "./bridge-servers";
import { E2E_NOTIFY_SECRET, e2eWorkerPort } from "./e2e-env";

export default async function setup(project: TestProject) {
  const servers = await startBridgeServers({ workerPort: await e2eWorkerPort(), notifySecret: E2E_NOTIFY_SECRET });
  const onExit = () => void servers.stop();
  process.once("exit", onExit);
  const { stop, ...info } = servers;
  project.provide("bridge", info);
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
