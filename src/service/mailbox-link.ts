// The service's only calls into mailbox objects: the subscription state copy, ending waits, stale devices.
import { servesDevices, type MailboxSubscriptionState } from "../mailbox/contract";

/** Pushes the state to the mailbox object; when service stops, its waiting Pings end at once. */
export async function pushSubscriptionState(env: Env, address: string, state: MailboxSubscriptionState): Promise<void> {
  await env.MAILBOX.getByName(address).setSubscriptionState(state);
  if (!servesDevices(state.status))
    await endMailboxWaits(env, address, `subscription ${state.status}${state.reason ? `: ${state.reason}` : ""}`);
}

/** Ends every waiting Ping/Sync of the mailbox (`Mailbox.endAllWaits`); returns how many ended. */
export async function endMailboxWaits(env: Env, address: string, reason: string): Promise<number> {
  return env.MAILBOX.getByName(address).endAllWaits(reason);
}

/** Removes device partnerships unseen for `olderThanMs` (`Mailbox.removeStaleDevices`); returns how many. */
export async function removeStaleMailboxDevices(env: Env, address: string, olderThanMs: number): Promise<number> {
  return (await env.MAILBOX.getByName(address).removeStaleDevices(olderThanMs)).removed;
}
