import { DurableObject } from "cloudflare:workers";
import { SubscriptionStateStore, type MailboxSubscriptionState } from "./subscription-state";

/** One Durable Object per mailbox: devices, sync state, waits. */
export class Mailbox extends DurableObject<Env> {
  #subscription?: SubscriptionStateStore;

  async health(): Promise<{ ok: true }> {
    return { ok: true };
  }

  /** Pushed by src/service on every subscription change. */
  async setSubscriptionState(state: MailboxSubscriptionState): Promise<{ applied: boolean }> {
    return { applied: (this.#subscription ??= new SubscriptionStateStore(this.ctx.storage.sql)).set(state) };
  }

  /** Read by the subscription gate on the device path; null = no order yet (not gated). */
  async getSubscriptionState(): Promise<MailboxSubscriptionState | null> {
    return (this.#subscription ??= new SubscriptionStateStore(this.ctx.storage.sql)).get();
  }
}
