import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../../scripts/dev-server.mjs";
import { insertAccount } from "./accounts";

export const TEST_ADMIN_TOKEN = "e2e-admin-token";
/** A login every end-to-end test may use (tests that lock or change accounts create their own with insertAccount). */
export const E2E_ACCOUNT = { address: "phone@example.test", password: "e2e phone password" };

export function freePort(): Promise<number> {
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
  project.provide("persistTo", persistTo);
  try {
    await insertAccount(persistTo, E2E_ACCOUNT.address, E2E_ACCOUNT.password);
  } catch (err) {
    await server.stop();
    throw err;
  }
  project.provide("account", E2E_ACCOUNT);
  return async () => {
    await server.stop();
    rmSync(persistTo, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    workerUrl: string;
    adminToken: string;
    /** The `wrangler dev --persist-to` directory: local D1 for insertAccount / d1Execute. */
    persistTo: string;
    account: { address: string; password: string };
  }
}
