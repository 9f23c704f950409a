// The service's only calls into mailbox objects: the subscription state copy, ending waits, stale devices.
import { Mailbox } from "../mailbox/mailbox";
import { servesDevices, type MailboxSubscriptionState } from "../mailbox/contract";

/** RPC methods other parts of the project add to `Mailbox`; called by name so this file compiles before they land. */
interface OptionalMailboxRpc {
  endAllWaits?(reason: string): Promise<unknown>;
  removeStaleDevices?(olderThanMs: number): Promise<unknown>;
}

function optionalRpc(env: Env, address: string): OptionalMailboxRpc {
  return env.MAILBOX.getByName(address) as unknown as OptionalMailboxRpc;
}

/** Whether the deployed Mailbox class has the method (calling a missing RPC method logs an uncaught error in workerd). */
const hasRpc = (name: keyof OptionalMailboxRpc) => typeof (Mailbox.prototype as unknown as Record<string, unknown>)[name] === "function";

const notImplemented = (e: unknown) => /does not implement|not a function|no such method/i.test(String((e as Error)?.message ?? e));

/** Pushes the state to the mailbox object; when service stops, its waiting Pings end at once. */
export async function pushSubscriptionState(env: Env, address: string, state: MailboxSubscriptionState): Promise<void> {
  await env.MAILBOX.getByName(address).setSubscriptionState(state);
  if (!servesDevices(state.status))
    await endMailboxWaits(env, address, `subscription ${state.status}${state.reason ? `: ${state.reason}` : ""}`);
}

/**
 * Ends every waiting Ping/Sync of the mailbox (`Mailbox.endAllWaits`, built by the push part).
 * Returns false while that method does not exist yet; the devices are then refused on their next request.
 */
export async function endMailboxWaits(env: Env, address: string, reason: string): Promise<boolean> {
  if (!hasRpc("endAllWaits")) return false;
  try {
    await optionalRpc(env, address).endAllWaits!(reason);
    return true;
  } catch (e) {
    if (notImplemented(e)) return false;
    throw e;
  }
}

/** Removes device partnerships unseen since `olderThanMs` ago (`Mailbox.removeStaleDevices`, onboarding part). Null when not available. */
export async function removeStaleMailboxDevices(env: Env, address: string, olderThanMs: number): Promise<number | null> {
  if (!hasRpc("removeStaleDevices")) return null;
  try {
    const r = await optionalRpc(env, address).removeStaleDevices!(olderThanMs);
    return typeof r === "number" ? r : typeof (r as { removed?: number })?.removed === "number" ? (r as { removed: number }).removed : 0;
  } catch (e) {
    if (notImplemented(e)) return null;
    throw e;
  }
}
