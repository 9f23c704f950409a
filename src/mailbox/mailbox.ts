import { DurableObject } from "cloudflare:workers";

/** One Durable Object per mailbox: devices, sync state, waits. */
export class Mailbox extends DurableObject<Env> {
  async health(): Promise<{ ok: true }> {
    return { ok: true };
  }
}
