// Plain JSON views of a subscription for the admin API (snake_case, ISO dates, money in cents).
import { and, asc, eq, gt, inArray, type SQL } from "drizzle-orm";
import {
  customers,
  invoices,
  noticeAnswers,
  payments,
  refunds,
  subscriptions,
  suspensions,
  thirdPartyNotices,
  type SubscriptionStatus,
} from "../db/schema";
import type { ServiceDeps } from "./deps";
import { latestEligibility } from "./eligibility";
import { getSubscriptionRow, type Subscription } from "./subscriptions";

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function summaryView(s: Subscription) {
  return {
    id: s.id,
    mailbox: s.mailboxAddress,
    status: s.status,
    price: { amount: s.priceCents, currency: s.currency },
    ordered_at: s.orderedAt.toISOString(),
    activated_at: iso(s.activatedAt),
    term_start: iso(s.termStart),
    term_end: iso(s.termEnd),
    renews: !s.cancelledAt && (s.status === "active" || s.status === "suspended" || s.status === "pending_payment"),
    cancelled_at: iso(s.cancelledAt),
    grace_until: iso(s.graceUntil),
    reminder_sent_at: iso(s.reminderSentAt),
    ended_at: iso(s.endedAt),
    free_termination_since: iso(s.freeTerminationSince),
    start_before_withdrawal_end: s.startBeforeWithdrawalEnd,
  };
}

export async function subscriptionView(d: ServiceDeps, id: string) {
  const s = await getSubscriptionRow(d, id);
  const [c] = await d.db.select().from(customers).where(eq(customers.id, s.customerId));
  const elig = await latestEligibility(d, id);
  const invs = await d.db.select().from(invoices).where(eq(invoices.subscriptionId, id)).orderBy(asc(invoices.issuedAt));
  const pays = await d.db.select().from(payments).where(eq(payments.subscriptionId, id)).orderBy(asc(payments.receivedAt));
  const refs = await d.db.select().from(refunds).where(eq(refunds.subscriptionId, id));
  const susp = await d.db.select().from(suspensions).where(eq(suspensions.subscriptionId, id)).orderBy(asc(suspensions.suspendedAt));
  return {
    ...summaryView(s),
    customer: { id: c!.id, kind: c!.kind, name: c!.name, email: c!.email },
    eligibility: elig?.conditions ?? null,
    eligibility_check: elig ? { id: elig.checkId, outcome: elig.outcome, checked_at: elig.checkedAt } : null,
    suspensions: susp.map((x) => ({
      id: x.id,
      reason: x.reason,
      evidence: x.evidence,
      notice_id: x.noticeId,
      suspended_by: x.suspendedBy,
      suspended_at: iso(x.suspendedAt),
      lifted_at: iso(x.liftedAt),
      lifted_by: x.liftedBy,
      lift_reason: x.liftReason,
    })),
    invoices: invs.map((i) => ({
      id: i.id,
      number: i.number,
      amount: i.amountCents,
      currency: i.currency,
      status: i.status,
      issued_at: iso(i.issuedAt),
      paid_at: iso(i.paidAt),
    })),
    payments: pays.map((p) => ({
      id: p.id,
      invoice_id: p.invoiceId,
      amount: p.amountCents,
      currency: p.currency,
      status: p.status,
      reference: p.reference,
      failure_reason: p.failureReason,
      received_at: iso(p.receivedAt),
    })),
    refunds: refs.map((r) => ({
      id: r.id,
      amount: r.amountCents,
      currency: r.currency,
      reason: r.reason,
      computation: r.computation,
      created_at: iso(r.createdAt),
    })),
  };
}

export async function noticesView(d: ServiceDeps, subscriptionId: string) {
  const ns = await d.db
    .select()
    .from(thirdPartyNotices)
    .where(eq(thirdPartyNotices.subscriptionId, subscriptionId))
    .orderBy(asc(thirdPartyNotices.receivedAt));
  const answers = ns.length
    ? await d.db
        .select()
        .from(noticeAnswers)
        .where(
          inArray(
            noticeAnswers.noticeId,
            ns.map((n) => n.id),
          ),
        )
    : [];
  return ns.map((n) => ({
    id: n.id,
    from: { name: n.fromName, email: n.fromEmail },
    description: n.description,
    evidence: n.evidence,
    received_at: iso(n.receivedAt),
    recorded_by: n.recordedBy,
    answers: answers
      .filter((a) => a.noticeId === n.id)
      .map((a) => ({
        id: a.id,
        answer: a.answer,
        compliance_documentation: a.complianceDocumentation,
        received_at: iso(a.receivedAt),
        recorded_by: a.recordedBy,
      })),
  }));
}

export async function listSubscriptions(
  d: ServiceDeps,
  q: { status?: SubscriptionStatus; mailbox?: string; after?: string; limit: number },
) {
  const conds: SQL[] = [];
  if (q.status) conds.push(eq(subscriptions.status, q.status));
  if (q.mailbox) conds.push(eq(subscriptions.mailboxAddress, q.mailbox));
  if (q.after) conds.push(gt(subscriptions.id, q.after));
  const rows = await d.db
    .select()
    .from(subscriptions)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(asc(subscriptions.id))
    .limit(q.limit);
  return { subscriptions: rows.map(summaryView), next_after: rows.length === q.limit ? rows[rows.length - 1]!.id : null };
}
