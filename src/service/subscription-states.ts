import type { SubscriptionStatus } from "../db/schema";
import { ServiceError } from "./errors";

/** The statuses and suspension reasons as the schema defines them (for the admin API's enums). */
export { subscriptionStatuses, suspensionReasons } from "../db/schema";

/**
 * The life of a subscription (contract §3, §5, §6), as a table: event → (from → to).
 * Anything not in the table is refused with 409. Final states have no way out; a new order makes a
 * new subscription.
 *
 * - pay: the order's invoice is paid (§3: payment accepts the order) → active, term = 1 year (§5);
 *   from grace, the late renewal payment starts the new identical term.
 * - renew: the daily job renewed an active term for an identical term (§5), its payment confirmed.
 * - renewal_failed: the renewal payment failed → grace (service continues until grace_until).
 * - expire: term ended without renewal (cancelled, grace over, or suspended at term end).
 * - cancel: stops the next renewal; the current term runs to its end (status unchanged). Before
 *   payment it cancels the order; during grace it ends the subscription at once.
 * - withdraw: consumers only, within 14 days of the order (§5, CGS art. 5; Code de la consommation L221-18).
 * - suspend / resume: §3 (loss of an eligibility condition) and §4 (third party's notice of illicit use).
 * - terminate: staff end the contract.
 */
export const transitions = {
  pay: { pending_payment: "active", grace: "active" },
  renew: { active: "active" },
  renewal_failed: { active: "grace" },
  expire: { active: "expired", grace: "expired", suspended: "expired" },
  cancel: { pending_payment: "cancelled", active: "active", suspended: "suspended", grace: "expired" },
  withdraw: { pending_payment: "withdrawn", active: "withdrawn", suspended: "withdrawn", grace: "withdrawn" },
  suspend: { active: "suspended", suspended: "suspended" },
  resume: { suspended: "active" },
  terminate: { pending_payment: "terminated", active: "terminated", grace: "terminated", suspended: "terminated" },
} as const satisfies Record<string, Partial<Record<SubscriptionStatus, SubscriptionStatus>>>;

export type SubscriptionEvent = keyof typeof transitions;

export const finalStatuses: readonly SubscriptionStatus[] = ["expired", "withdrawn", "cancelled", "terminated"];

/** The state after `event`, or a 409 naming the states the event is allowed from. */
export function nextStatus(event: SubscriptionEvent, from: SubscriptionStatus): SubscriptionStatus {
  const row = transitions[event] as Partial<Record<SubscriptionStatus, SubscriptionStatus>>;
  const to = row[from];
  if (to) return to;
  const allowed = Object.keys(row).join(", ");
  throw new ServiceError(
    409,
    "Transition not allowed",
    `cannot ${event.replace("_", " ")} a subscription that is ${from}; allowed from: ${allowed}`,
    {
      event,
      status: from,
      allowedFrom: Object.keys(row),
    },
  );
}
