// The daily job's part of a subscription's life: consumer reminders, tacit renewals (§5), grace, expiries.
import { and, eq, isNotNull, isNull, lte } from "drizzle-orm";
import { customers, invoices, orders, payments, subscriptions } from "../db/schema";
import { auditRow } from "./audit";
import { newId, type ServiceDeps } from "./deps";
import { queueNotice } from "./notifications";
import {
  addYear,
  freeTerminationAfterRenewal,
  invoiceNumber,
  subject,
  transition,
  voidOpenInvoices,
  type Subscription,
} from "./subscriptions";

const DAY = 86_400_000;

/** How a renewal invoice gets paid. The default depends on RENEWAL_PAYMENT; tests inject failures. */
export interface PaymentGateway {
  /** `awaiting`: nothing was attempted (staff will record the payment); no failed payment is recorded. */
  charge(
    s: Subscription,
    invoice: { id: string; number: string; amountCents: number; currency: string },
  ): Promise<{ ok: true; reference: string } | { ok: false; reason: string; awaiting?: boolean }>;
}

export function defaultGateway(d: ServiceDeps): PaymentGateway {
  return {
    async charge(_s, inv) {
      if (d.config.renewalPayment === "auto") return { ok: true, reference: `auto-renewal:${inv.number}` };
      return { ok: false, reason: "awaiting the customer's payment (RENEWAL_PAYMENT=manual)", awaiting: true };
    },
  };
}

export interface RenewalCounts {
  reminders: number;
  renewed: number;
  renewalFailed: number;
  expired: number;
  failures: number;
  errors: string[];
}

/**
 * Code de la consommation L215-1: for a tacitly renewed contract, the professional informs the consumer
 * in writing, no earlier than three months and no later than one month before the term, of the right
 * not to renew. We send it `reminderDaysBefore` days before the term (30..90) and record when.
 */
export async function sendRenewalReminders(d: ServiceDeps, counts: RenewalCounts) {
  const now = d.now();
  const horizon = new Date(now.getTime() + d.config.reminderDaysBefore * DAY);
  const due = await d.db
    .select({ s: subscriptions, c: customers })
    .from(subscriptions)
    .innerJoin(customers, eq(customers.id, subscriptions.customerId))
    .where(
      and(
        eq(subscriptions.status, "active"),
        eq(customers.kind, "consumer"),
        isNull(subscriptions.cancelledAt),
        isNull(subscriptions.reminderSentAt),
        lte(subscriptions.termEnd, horizon),
      ),
    );
  for (const { s, c } of due) {
    try {
      if (s.termEnd!.getTime() <= now.getTime()) continue; // term over: the renewal itself handles it
      const late = s.termEnd!.getTime() - now.getTime() < 30 * DAY;
      const refuseBy = s.termEnd!.toISOString().slice(0, 10);
      await queueNotice(d, {
        to: c.email,
        kind: "renewal_reminder",
        subscriptionId: s.id,
        subject: "Mobile Sync : reconduction de votre abonnement / your subscription renews",
        body:
          `Votre abonnement Mobile Sync pour ${s.mailboxAddress} sera reconduit tacitement pour un an le ${refuseBy}. ` +
          `Vous pouvez refuser cette reconduction en nous demandant la résiliation avant cette date (article L215-1 du Code de la consommation).\n` +
          `Your Mobile Sync subscription for ${s.mailboxAddress} renews for one year on ${refuseBy} at ${(s.priceCents / 100).toFixed(2)} ${s.currency}. ` +
          `To refuse the renewal, ask us to cancel before that date (reply to this e-mail or contact support).`,
      });
      await d.db.batch([
        d.db.update(subscriptions).set({ reminderSentAt: now }).where(eq(subscriptions.id, s.id)),
        auditRow(d, "renewal_reminder.sent", subject(s.id), null, { termEnd: s.termEnd!.toISOString(), sentAt: now.toISOString(), late }),
      ]);
      counts.reminders++;
    } catch (e) {
      counts.failures++;
      counts.errors.push(`reminder ${s.id}: ${String(e)}`);
    }
  }
}

/** Renews active terms that have ended (§5, identical term); cancelled ones expire instead. */
export async function renewDueTerms(d: ServiceDeps, counts: RenewalCounts, gateway = defaultGateway(d)) {
  const now = d.now();
  const due = await d.db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.status, "active"), isNotNull(subscriptions.termEnd), lte(subscriptions.termEnd, now)));
  for (const s of due) {
    try {
      if (s.cancelledAt) {
        await transition(d, s, "expire", { endedAt: s.termEnd }, [], { why: "cancelled: not renewed" });
        counts.expired++;
        continue;
      }
      await renewOne(d, s, gateway, counts);
    } catch (e) {
      counts.failures++;
      counts.errors.push(`renewal ${s.id}: ${String(e)}`);
    }
  }
}

async function renewOne(d: ServiceDeps, s: Subscription, gateway: PaymentGateway, counts: RenewalCounts) {
  const at = d.now();
  const start = s.termEnd!;
  const end = addYear(start);
  // One renewal order per term: a rerun of the job after a crash finds it and goes on from there.
  let [order] = await d.db
    .select()
    .from(orders)
    .where(and(eq(orders.subscriptionId, s.id), eq(orders.kind, "renewal"), eq(orders.termStart, start)));
  let [inv] = order ? await d.db.select().from(invoices).where(eq(invoices.orderId, order.id)) : [];
  if (!order || !inv) {
    order = {
      id: newId("ord"),
      subscriptionId: s.id,
      customerId: s.customerId,
      kind: "renewal",
      amountCents: s.priceCents,
      currency: s.currency,
      termStart: start,
      termEnd: end,
      createdAt: at,
    };
    inv = {
      id: newId("inv"),
      number: invoiceNumber(at),
      orderId: order.id,
      subscriptionId: s.id,
      amountCents: s.priceCents,
      currency: s.currency,
      status: "open",
      issuedAt: at,
      paidAt: null,
    };
    await d.db.batch([
      d.db.insert(orders).values(order),
      d.db.insert(invoices).values(inv),
      auditRow(d, "order.created", subject(s.id), null, order),
      auditRow(d, "invoice.issued", subject(s.id), null, inv),
    ]);
  }
  const charge = await gateway.charge(s, inv);
  const payment = {
    id: newId("pay"),
    invoiceId: inv.id,
    subscriptionId: s.id,
    amountCents: inv.amountCents,
    currency: inv.currency,
    status: charge.ok ? ("confirmed" as const) : ("failed" as const),
    reference: charge.ok ? charge.reference : `failed:${inv.number}:${at.getTime()}`,
    failureReason: charge.ok ? null : charge.reason,
    recordedBy: d.actor,
    receivedAt: at,
  };
  if (charge.ok) {
    const [c] = await d.db.select({ kind: customers.kind }).from(customers).where(eq(customers.id, s.customerId));
    const free = freeTerminationAfterRenewal(s, c!.kind);
    await transition(
      d,
      s,
      "renew",
      { termStart: start, termEnd: end, reminderSentAt: null, freeTerminationSince: free },
      [
        d.db.insert(payments).values(payment),
        d.db.update(invoices).set({ status: "paid", paidAt: at }).where(eq(invoices.id, inv.id)),
        auditRow(d, "payment.confirmed", subject(s.id), null, payment),
      ],
      { invoice: inv.number },
    );
    counts.renewed++;
    return;
  }
  const graceUntil = new Date(start.getTime() + d.config.graceDays * DAY);
  const failedPayment = charge.awaiting
    ? []
    : [d.db.insert(payments).values(payment), auditRow(d, "payment.failed", subject(s.id), null, payment)];
  await transition(d, s, "renewal_failed", { graceUntil }, failedPayment, { invoice: inv.number, reason: charge.reason });
  const [c] = await d.db.select().from(customers).where(eq(customers.id, s.customerId));
  await queueNotice(d, {
    to: c!.email,
    kind: "payment_failed",
    subscriptionId: s.id,
    subject: charge.awaiting
      ? "Mobile Sync : facture de renouvellement / renewal invoice"
      : "Mobile Sync : échec du paiement / renewal payment failed",
    body: charge.awaiting
      ? `Your Mobile Sync subscription for ${s.mailboxAddress} was renewed for one year. Invoice ${inv.number}: ${(inv.amountCents / 100).toFixed(2)} ${inv.currency}, to be paid before ${graceUntil.toISOString().slice(0, 10)}.`
      : `The renewal payment of invoice ${inv.number} (${(inv.amountCents / 100).toFixed(2)} ${inv.currency}) for ${s.mailboxAddress} failed: ${charge.reason}. Service continues until ${graceUntil.toISOString().slice(0, 10)}; please pay before then.`,
  });
  counts.renewalFailed++;
}

/** Grace periods that ran out, and suspended subscriptions whose term ended, expire. */
export async function expireLapsed(d: ServiceDeps, counts: RenewalCounts) {
  const now = d.now();
  const lapsed = [
    ...(await d.db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.status, "grace"), lte(subscriptions.graceUntil, now)))),
    ...(await d.db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.status, "suspended"), lte(subscriptions.termEnd, now)))),
  ];
  for (const s of lapsed) {
    try {
      await transition(d, s, "expire", { endedAt: now }, await voidOpenInvoices(d, s.id), {
        why: s.status === "grace" ? "renewal unpaid at the end of the grace period" : "term ended while suspended",
      });
      counts.expired++;
    } catch (e) {
      counts.failures++;
      counts.errors.push(`expiry ${s.id}: ${String(e)}`);
    }
  }
}
