// §4: if the provider's liability is established, compensation is capped at the total the customer paid in
// the six months before the damage was established (and within CGS art. 12.4, not modelled here).
import { and, eq, gte, lt } from "drizzle-orm";
import { payments, refunds, subscriptions } from "../db/schema";
import type { ServiceDeps } from "./deps";
import { getSubscriptionRow } from "./subscriptions";

export interface LiabilityCap {
  customerId: string;
  from: string;
  to: string;
  paidCents: number;
  refundedCents: number;
  capCents: number;
  currency: string;
}

/** Six calendar months before `at`, same day (UTC). */
export function sixMonthsBefore(at: Date): Date {
  const d = new Date(at.getTime());
  d.setUTCMonth(d.getUTCMonth() - 6);
  return d;
}

/** The cap for the customer of a subscription, across all of that customer's Mobile Sync subscriptions. */
export async function liabilityCap(d: ServiceDeps, subscriptionId: string, at: Date): Promise<LiabilityCap> {
  const s = await getSubscriptionRow(d, subscriptionId);
  const from = sixMonthsBefore(at);
  const paid = await d.db
    .select({ amount: payments.amountCents })
    .from(payments)
    .innerJoin(subscriptions, eq(subscriptions.id, payments.subscriptionId))
    .where(
      and(
        eq(subscriptions.customerId, s.customerId),
        eq(payments.status, "confirmed"),
        gte(payments.receivedAt, from),
        lt(payments.receivedAt, at),
      ),
    );
  const refunded = await d.db
    .select({ amount: refunds.amountCents })
    .from(refunds)
    .innerJoin(subscriptions, eq(subscriptions.id, refunds.subscriptionId))
    .where(and(eq(subscriptions.customerId, s.customerId), gte(refunds.createdAt, from), lt(refunds.createdAt, at)));
  const paidCents = paid.reduce((n, p) => n + p.amount, 0);
  const refundedCents = refunded.reduce((n, r) => n + r.amount, 0);
  return {
    customerId: s.customerId,
    from: from.toISOString(),
    to: at.toISOString(),
    paidCents,
    refundedCents,
    capCents: Math.max(0, paidCents - refundedCents),
    currency: s.currency,
  };
}
