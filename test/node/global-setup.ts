import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../../scripts/dev-server.mjs";
import { SINK_PASSWORD, SINK_USER, startSmtpSink } from "../smtp-sink";

import { insertAccount } from "./accounts";
import { E2E_BRIDGE_POLL_SECONDS, E2E_BRIDGE_SAFETY_POLL_SECONDS, E2E_NOTIFY_SECRET, e2eWorkerPort } from "./e2e-env";

export const TEST_ADMIN_TOKEN = "e2e-admin-token";
/** A login every end-to-end test may use (tests that lock or change accounts create their own with insertAccount). */
export const E2E_ACCOUNT = { address: "phone@example.test", password: "e2e phone password" };

/** One Worker under `wrangler dev` for the whole Node project, with fresh state. */
export default async function setup(project: TestProject) {
  const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-e2e-"));
  // The outside world's mail server: a real SMTP server on loopback that the outbox relays to.
  const sink = await startSmtpSink();
  const smtpVars = {
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: String(sink.port),
    SMTP_TLS: "none",
    SMTP_USER: SINK_USER,
    SMTP_PASSWORD: SINK_PASSWORD,
    LOCAL_DOMAINS: "example.test",
  };
  const server = await startDevServer({
    port: await e2eWorkerPort(),
    persistTo,
    vars: {
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      NOTIFY_SECRET: E2E_NOTIFY_SECRET,
      DEMO_SEED: "false",
      BRIDGE_POLL_SECONDS: E2E_BRIDGE_POLL_SECONDS,
      BRIDGE_SAFETY_POLL_SECONDS: E2E_BRIDGE_SAFETY_POLL_SECONDS,
      ...smtpVars,
    },
  }).catch(async (err: unknown) => {
    await sink.stop();
    throw err;
  });
  project.provide("smtpSinkUrl", `http://127.0.0.1:${sink.controlPort}`);
  project.provide("workerUrl", server.url);
  project.provide("adminToken", TEST_ADMIN_TOKEN);
  project.provide("persistTo", persistTo);
  try {
    await insertAccount(persistTo, E2E_ACCOUNT.address, E2E_ACCOUNT.password);
  } catch (err) {
    await server.stop();
    await sink.stop();
    throw err;
  }
  project.provide("account", E2E_ACCOUNT);
  return async () => {
    await server.stop();
    await sink.stop();
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
    /** Control URL of the loopback SMTP sink (test/smtp-sink.ts): GET /messages, POST /reset|/down|/up. */
    smtpSinkUrl: string;
  }
}
