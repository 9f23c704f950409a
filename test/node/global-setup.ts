import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../../scripts/dev-server.mjs";

export const TEST_ADMIN_TOKEN = "e2e-admin-token";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** One Worker under `wrangler dev` for the whole Node project, with fresh state. */
export default async function setup(project: TestProject) {
  const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-e2e-"));
  const server = await startDevServer({
    port: await freePort(),
    persistTo,
    vars: { ADMIN_TOKEN: TEST_ADMIN_TOKEN, NOTIFY_SECRET: "e2e-notify-secret", DEMO_SEED: "false" },
  });
  project.provide("workerUrl", server.url);
  project.provide("adminToken", TEST_ADMIN_TOKEN);
  return async () => {
    await server.stop();
    rmSync(persistTo, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    workerUrl: string;
    adminToken: string;
  }
}
