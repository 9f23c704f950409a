// globalSetup of the node project: a real Radicale for end-to-end tests of bridged mailboxes
// (test/servers/radicale.ts). Tests read inject("radicale").
import type { TestProject } from "vitest/node";
import { RADICALE_PASSWORD, RADICALE_USER, startRadicale } from "../servers/radicale";

export default async function setup(project: TestProject) {
  const server = await startRadicale();
  project.provide("radicale", { url: server.url, controlUrl: server.controlUrl, user: RADICALE_USER, password: RADICALE_PASSWORD });
  return () => server.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The loopback Radicale: its URL, its control URL (POST /freeze|/kill|/start, GET /health) and the test account. */
    radicale: { url: string; controlUrl: string; user: string; password: string };
  }
}
