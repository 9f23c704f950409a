// What the Node project's global set-ups share: the Worker's port is chosen before any server starts, because
// the bridge's Dovecot must know where to send its push notifications (bridge-setup.ts) before `wrangler dev`
// runs (global-setup.ts). Both set-ups run in the vitest main process, in turn, so process.env carries it.
import { freePort } from "../free-port";

export const E2E_NOTIFY_SECRET = "e2e-notify-secret";
/** How often a waiting Ping of a bridged mailbox with `push: "poll"` re-reads the server (short for tests). */
export const E2E_BRIDGE_POLL_SECONDS = "2";
/** How often a waiting Ping of a bridged mailbox with `push: "notify"` may safety-poll (short for tests). */
export const E2E_BRIDGE_SAFETY_POLL_SECONDS = "3";

/** The port `wrangler dev` listens on for this run (chosen once). */
export async function e2eWorkerPort(): Promise<number> {
  process.env.E2E_WORKER_PORT ||= String(await freePort());
  return Number(process.env.E2E_WORKER_PORT);
}
