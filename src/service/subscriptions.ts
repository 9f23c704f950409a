// Orders, invoices, payments and every change of a subscription's state (contract §3, §5, §6).
import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import {
  customers,
  domains,
  invoices,
  mailboxes,
  orders,
  payments,
  refunds,
  subscriptions,
  suspensions,
  type SubscriptionStatus,
  type SuspensionReason,
} from "../db/schema";
import type { MailboxSubscriptionState } from "../mailbox/contract";
import { moneyText } from "../formats/money";
import { auditRow } from "./audit";
import { newId, runBatch, type ServiceDeps } from "./deps";
import { notFound, ServiceError } from "./errors";
import { pushSubscriptionState } from "./mailbox-link";
import { acknowledgePush, pendingPushRow, pushFailedInline } from "./state-pushes";
import { queueNotice } from "./notifications";
import { finalStatuses, nextStatus, type SubscriptionEvent } from "./subscription-states";
import { logError } from "../observability/log";

export type Subscription = typeof subscriptions.$inferSelect;
type Patch = Partial<Omit<Subscription, "id" | "status" | "version" | "createdAt">>;

const DAY = 86_400_000;
/** Code de la consommation L221-18: 14 days to withdraw from a distance contract. */
export const WITHDRAWAL_DAYS = 14;

/** Same day and month, one year later (§5: one-year term, renewed for an identical term). */
export function addYear(t: Date): Date {
  const d = new Date(t.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + 1);
  return d;
}

const MONTH_MS = 30 * DAY;

/**
 * Code de la consommation L215-1 al. 2: a consumer's contract tacitly renewed without the written reminder
 * sent at least one month before the term may be ended by the consumer at any time from the renewal date.
 * Returns that date for the new term, or null.
 */
export function freeTerminationAfterRenewal(s: Subscription, kind: "consumer" | "business"): Date | null {
  if (kind !== "consumer" || !s.termEnd) return null;
  const timely = s.reminderSentAt && s.termEnd.getTime() - s.reminderSentAt.getTime() >= MONTH_MS;
  return timely ? null : s.termEnd;
}

export function subject(id: string) {
  return `subscription:${id}`;
}

export async function getSubscriptionRow(d: ServiceDeps, id: string): Promise<Subscription> {
  const [s] = await d.db.select().from(subscriptions).where(eq(subscriptions.id, id));
  if (!s) throw notFound("subscription", id);
  return s;
}

async function customerOf(d: ServiceDeps, s: Subscription) {
  const [c] = await d.db.select().from(customers).where(eq(customers.id, s.customerId));
  return c!;
}

/** The copy the mailbox object keeps (no D1 on the device path). */
export function mailboxState(s: Subscription, reason: string | null): MailboxSubscriptionState {
  return { subscriptionId: s.id, status: s.status, reason, version: s.version, updatedAt: s.updatedAt.getTime() };
}

async function openSuspensions(d: ServiceDeps, id: string) {
  return d.db
    .select()
    .from(suspensions)
    .where(and(eq(suspensions.subscriptionId, id), isNull(suspensions.liftedAt)));
}

async function refusalReason(d: ServiceDeps, s: Subscription): Promise<string | null> {
  if (s.status === "suspended") return (await openSuspensions(d, s.id)).map((x) => x.reason).join(",") || "suspended";
  if (s.status === "active" || s.status === "grace") return null;
  return s.status;
}

/** Waits between the request's own attempts to push a state to the mailbox object (issue 13 §5): about 5 s in all. */
export const PUSH_RETRY_MS = [0, 250, 1000, 3500];

/** One push of the subscription's state to its mailbox object; the error when it was not acknowledged. */
export async function tryPushState(d: ServiceDeps, s: Subscription): Promise<unknown> {
  try {
    await pushSubscriptionState(d.env, s.mailboxAddress, mailboxState(s, await refusalReason(d, s)));
    await acknowledgePush(d, s.id, s.version);
    return undefined;
  } catch (e) {
    return e ?? new Error("push failed");
  }
}

/**
 * Pushes the state to the mailbox object, retried within a few seconds: a suspension must reach the device path
 * at once. The D1 change is already committed (with its pending-push row, state-pushes.ts), so a push that still
 * fails is logged and audited, not thrown; the state-push cron retries it every minute or so until the object
 * acknowledges it, and the daily job pushes every mailbox's state again (`resyncMailboxStates`).
 */
export async function pushState(
  d: ServiceDeps,
  s: Subscription,
  waits: readonly number[] = d.pushWaits ?? PUSH_RETRY_MS,
): Promise<boolean> {
  let error: unknown;
  for (const ms of waits) {
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    error = await tryPushState(d, s);
    if (error === undefined) return true;
    console.warn(`subscription ${s.id}: pushing state to mailbox ${s.mailboxAddress} failed, will retry`, error);
  }
  const message = String((error as Error)?.message ?? error);
  logError("pushing subscription state to the mailbox", error, { subscription_id: s.id });
  await pushFailedInline(d, s, message);
  await auditRow(d, "mailbox_state.push_failed", subject(s.id), null, { status: s.status, version: s.version, error: message });
  return false;
}

/**
 * Applies one event of the state machine: checks the table, updates the row (guarded by its version so
 * two concurrent changes cannot both win), writes the audit row and `extra` statements in one batch,
 * then pushes the new state to the mailbox object.
 */
export async function transition(
  d: ServiceDeps,
  s: Subscription,
  event: SubscriptionEvent,
  patch: Patch = {},
  extra: BatchItem<"sqlite">[] = [],
  auditDetail: Record<string, unknown> = {},
): Promise<Subscription> {
  const to = nextStatus(event, s.status);
  const now = d.now();
  const next: Subscription = { ...s, ...patch, status: to, version: s.version + 1, updatedAt: now };
  try {
    // One D1 batch = one transaction: the guarded update, a statement that aborts the batch when the update
    // matched no row (another change won: version moved), the audit row and the caller's statements.
    await d.db.batch([
      d.db
        .update(subscriptions)
        .set({ ...patch, status: to, version: next.version, updatedAt: now })
        .where(and(eq(subscriptions.id, s.id), eq(subscriptions.version, s.version))),
      d.db.run(sql`select json(case when changes() = 1 then '1' else 'concurrent subscription change' end)`),
      auditRow(d, `subscription.${event}`, subject(s.id), snapshot(s), { ...snapshot(next), ...auditDetail }),
      pendingPushRow(d, next),
      ...extra,
    ]);
  } catch (e) {
    if (/malformed JSON/i.test(String((e as Error)?.message ?? e)))
      throw new ServiceError(409, "Concurrent change", `subscription ${s.id} changed while ${event} was applied; retry`);
    throw e;
  }
  const updated = await getSubscriptionRow(d, s.id);
  await pushState(d, updated);
  return updated;
}

function snapshot(s: Subscription) {
  return {
    status: s.status,
    termStart: s.termStart?.toISOString() ?? null,
    termEnd: s.termEnd?.toISOString() ?? null,
    cancelledAt: s.cancelledAt?.toISOString() ?? null,
    graceUntil: s.graceUntil?.toISOString() ?? null,
    version: s.version,
  };
}

// ---------------------------------------------------------------- order (§3) and invoice (§6)

export interface NewSubscription {
  mailbox: string;
  customer: { kind: "consumer" | "business"; name: string; email: string };
  priceCents?: number;
  currency?: string;
  /** A consumer's express request to start before the withdrawal period ends (affects the refund). */
  startBeforeWithdrawalEnd?: boolean;
  /** When the order form was validated; defaults to now (staff may enter an order received earlier). */
  orderedAt?: Date;
}

export function invoiceNumber(at: Date) {
  return `MS-${at.toISOString().slice(0, 10).replaceAll("-", "")}-${crypto.randomUUID().slice(0, 8).toUpperCase()}`;
}

export async function createSubscription(d: ServiceDeps, input: NewSubscription): Promise<Subscription> {
  const address = input.mailbox.trim().toLowerCase();
  const at = d.now();
  const orderedAt = input.orderedAt ?? at;
  if (orderedAt.getTime() > at.getTime()) throw new ServiceError(422, "Invalid order date", "orderedAt is in the future");
  const domain = address.split("@")[1]!;

  const live = await d.db.select().from(subscriptions).where(eq(subscriptions.mailboxAddress, address));
  const current = live.find((s) => !finalStatuses.includes(s.status));
  if (current)
    throw new ServiceError(409, "Subscription exists", `mailbox ${address} already has subscription ${current.id} (${current.status})`, {
      subscriptionId: current.id,
    });

  const email = input.customer.email.trim().toLowerCase();
  let [customer] = await d.db.select().from(customers).where(eq(customers.email, email));
  if (customer && customer.kind !== input.customer.kind)
    throw new ServiceError(409, "Customer kind mismatch", `customer ${email} is a ${customer.kind} customer, not ${input.customer.kind}`);
  const stmts: BatchItem<"sqlite">[] = [];
  if (!customer) {
    customer = { id: newId("cus"), kind: input.customer.kind, name: input.customer.name, email, createdAt: at };
    stmts.push(d.db.insert(customers).values(customer), auditRow(d, "customer.created", `customer:${customer.id}`, null, customer));
  }
  const [dom] = await d.db.select().from(domains).where(eq(domains.name, domain));
  if (dom && !dom.customerId)
    stmts.push(d.db.update(domains).set({ customerId: customer.id, updatedAt: at }).where(eq(domains.name, domain)));
  if (!dom) {
    const row = { name: domain, customerId: customer.id, status: "active" as const, expiresAt: null, createdAt: at, updatedAt: at };
    stmts.push(d.db.insert(domains).values(row), auditRow(d, "domain.created", `domain:${domain}`, null, row));
  }
  const [mbx] = await d.db.select().from(mailboxes).where(eq(mailboxes.address, address));
  if (!mbx) stmts.push(d.db.insert(mailboxes).values({ address, domain, customerId: customer.id, createdAt: at }));
  else if (!mbx.customerId) stmts.push(d.db.update(mailboxes).set({ customerId: customer.id }).where(eq(mailboxes.address, address)));

  const sub: Subscription = {
    id: newId("sub"),
    mailboxAddress: address,
    customerId: customer.id,
    status: "pending_payment",
    priceCents: input.priceCents ?? d.config.priceCents,
    currency: (input.currency ?? d.config.currency).toUpperCase(),
    startBeforeWithdrawalEnd: input.startBeforeWithdrawalEnd ?? false,
    orderedAt,
    activatedAt: null,
    termStart: null,
    termEnd: null,
    cancelledAt: null,
    graceUntil: null,
    reminderSentAt: null,
    freeTerminationSince: null,
    endedAt: null,
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  const order = {
    id: newId("ord"),
    subscriptionId: sub.id,
    customerId: customer.id,
    kind: "initial" as const,
    amountCents: sub.priceCents,
    currency: sub.currency,
    termStart: null,
    termEnd: null,
    createdAt: orderedAt,
  };
  // §6: "facturé à l'émission du Bon de Commande": the invoice is issued with the order.
  const invoice = {
    id: newId("inv"),
    number: invoiceNumber(orderedAt),
    orderId: order.id,
    subscriptionId: sub.id,
    amountCents: order.amountCents,
    currency: order.currency,
    status: "open" as const,
    issuedAt: orderedAt,
    paidAt: null,
  };
  stmts.push(
    d.db.insert(subscriptions).values(sub),
    d.db.insert(orders).values(order),
    d.db.insert(invoices).values(invoice),
    auditRow(d, "subscription.created", subject(sub.id), null, { ...snapshot(sub), mailbox: address, customerId: customer.id }),
    auditRow(d, "order.created", subject(sub.id), null, order),
    auditRow(d, "invoice.issued", subject(sub.id), null, invoice),
    pendingPushRow(d, sub),
  );
  await runBatch(d, stmts);
  await pushState(d, sub);
  return sub;
}

// ---------------------------------------------------------------- payments

export interface PaymentInput {
  amountCents: number;
  currency: string;
  reference: string;
  receivedAt?: Date;
}

/** Records a confirmed payment of the open invoice; pending_payment → active (term = 1 year), grace → active (next term). Idempotent by reference. */
export async function recordPayment(d: ServiceDeps, id: string, p: PaymentInput): Promise<Subscription> {
  const s = await getSubscriptionRow(d, id);
  const [dup] = await d.db
    .select()
    .from(payments)
    .where(and(eq(payments.subscriptionId, id), eq(payments.reference, p.reference), eq(payments.status, "confirmed")));
  if (dup) {
    // A payment recorded by a request that died before it told the mailbox object (D1 batch done, pushState
    // not): the same payment sent again pushes the state once more, or the devices stay refused (Status 131).
    await pushState(d, s);
    return s;
  }
  nextStatus("pay", s.status);
  const [inv] = await d.db
    .select()
    .from(invoices)
    .where(and(eq(invoices.subscriptionId, id), eq(invoices.status, "open")))
    .orderBy(desc(invoices.issuedAt))
    .limit(1);
  if (!inv) throw new ServiceError(409, "Nothing to pay", `subscription ${id} has no open invoice`);
  if (p.amountCents !== inv.amountCents || p.currency.toUpperCase() !== inv.currency)
    throw new ServiceError(
      422,
      "Amount mismatch",
      `invoice ${inv.number} is ${moneyText(inv.amountCents, inv.currency)}; payment is ${moneyText(p.amountCents, p.currency)}`,
    );
  const at = p.receivedAt ?? d.now();
  const payment = {
    id: newId("pay"),
    invoiceId: inv.id,
    subscriptionId: id,
    amountCents: p.amountCents,
    currency: inv.currency,
    status: "confirmed" as const,
    reference: p.reference,
    failureReason: null,
    recordedBy: d.actor,
    receivedAt: at,
  };
  const extra = [
    d.db.insert(payments).values(payment),
    d.db.update(invoices).set({ status: "paid", paidAt: at }).where(eq(invoices.id, inv.id)),
    auditRow(d, "payment.confirmed", subject(id), null, payment),
  ];
  if (s.status === "pending_payment") {
    // §5: one year from activation.
    return transition(d, s, "pay", { activatedAt: at, termStart: at, termEnd: addYear(at) }, extra);
  }
  const start = s.termEnd!;
  const free = freeTerminationAfterRenewal(s, (await customerOf(d, s)).kind);
  return transition(
    d,
    s,
    "pay",
    { termStart: start, termEnd: addYear(start), graceUntil: null, reminderSentAt: null, freeTerminationSince: free },
    extra,
  );
}

// ---------------------------------------------------------------- cancellation, withdrawal, termination

export async function cancelSubscription(d: ServiceDeps, id: string): Promise<Subscription> {
  const s = await getSubscriptionRow(d, id);
  if (s.cancelledAt)
    throw new ServiceError(
      409,
      "Already cancelled",
      `subscription ${id} was cancelled on ${s.cancelledAt.toISOString()}; it will not renew`,
    );
  const at = d.now();
  if (s.freeTerminationSince && (s.status === "active" || s.status === "suspended")) return endRenewedTermFree(d, s, at);
  const extra = s.status === "pending_payment" || s.status === "grace" ? await voidOpenInvoices(d, id) : [];
  const patch: Patch = { cancelledAt: at };
  if (s.status === "pending_payment" || s.status === "grace") patch.endedAt = at;
  const out = await transition(d, s, "cancel", patch, extra);
  const c = await customerOf(d, s);
  await queueNotice(d, {
    to: c.email,
    kind: "cancellation",
    subscriptionId: id,
    subject: "Mobile Sync : résiliation enregistrée / cancellation recorded",
    body:
      out.status === "active" || out.status === "suspended"
        ? `Your Mobile Sync subscription for ${s.mailboxAddress} will not be renewed. Service continues until ${out.termEnd?.toISOString().slice(0, 10)}.`
        : `Your Mobile Sync subscription for ${s.mailboxAddress} is cancelled.`,
  });
  return out;
}

/**
 * L215-1 al. 2 and 3: after a renewal without a timely reminder the consumer ends the contract at once, free,
 * and what was paid for the time after the end is refunded pro rata.
 */
async function endRenewedTermFree(d: ServiceDeps, s: Subscription, at: Date): Promise<Subscription> {
  const termMs = s.termEnd!.getTime() - s.termStart!.getTime();
  const unusedMs = Math.max(0, s.termEnd!.getTime() - at.getTime());
  const [termInvoice] = await d.db
    .select()
    .from(invoices)
    .innerJoin(orders, eq(orders.id, invoices.orderId))
    .where(and(eq(invoices.subscriptionId, s.id), eq(orders.termStart, s.termStart!), eq(invoices.status, "paid")));
  const paidCents = termInvoice?.invoices.amountCents ?? 0;
  const refundCents = Math.min(paidCents, Math.round((s.priceCents * unusedMs) / termMs));
  const computation = {
    paidCents,
    unusedMs,
    termMs,
    refundCents,
    rule: "L215-1: renewed without a timely reminder; ended by the consumer, unused part refunded",
  };
  const row = {
    id: newId("ref"),
    subscriptionId: s.id,
    invoiceId: termInvoice?.invoices.id ?? null,
    amountCents: refundCents,
    currency: s.currency,
    reason: "l215-1_termination",
    computation,
    createdAt: at,
  };
  const extra: BatchItem<"sqlite">[] = [d.db.insert(refunds).values(row), auditRow(d, "refund.recorded", subject(s.id), null, row)];
  if (termInvoice)
    extra.push(
      d.db
        .update(invoices)
        .set({ status: refundCents >= paidCents ? "refunded" : "partially_refunded" })
        .where(eq(invoices.id, termInvoice.invoices.id)),
    );
  const out = await transition(d, s, "terminate", { cancelledAt: at, endedAt: at }, extra, {
    reason: "consumer ended a tacitly renewed contract (L215-1)",
    refundCents,
  });
  const c = await customerOf(d, s);
  await queueNotice(d, {
    to: c.email,
    kind: "termination",
    subscriptionId: s.id,
    subject: "Mobile Sync : résiliation enregistrée / contract ended",
    body: `Your Mobile Sync subscription for ${s.mailboxAddress} ends today. Refund of the unused period: ${(refundCents / 100).toFixed(2)} ${s.currency}.`,
  });
  return out;
}

export async function voidOpenInvoices(d: ServiceDeps, id: string) {
  const open = await d.db
    .select()
    .from(invoices)
    .where(and(eq(invoices.subscriptionId, id), eq(invoices.status, "open")));
  return open.flatMap((inv) => [
    d.db.update(invoices).set({ status: "void" }).where(eq(invoices.id, inv.id)),
    auditRow(d, "invoice.voided", subject(id), { number: inv.number, status: "open" }, { number: inv.number, status: "void" }),
  ]);
}

export interface RefundComputation {
  paidCents: number;
  startBeforeWithdrawalEnd: boolean;
  usedMs: number;
  termMs: number;
  usedCents: number;
  refundCents: number;
  rule: string;
}

/**
 * The refund on withdrawal (Code de la consommation L221-25, L221-28): everything paid, unless the
 * consumer expressly asked the service to start before the withdrawal period ended; then the service
 * used up to the withdrawal is kept, pro rata of the term.
 */
export function computeRefund(s: Subscription, paidCents: number, at: Date): RefundComputation {
  if (!s.startBeforeWithdrawalEnd || !s.activatedAt || !s.termStart || !s.termEnd) {
    return {
      paidCents,
      startBeforeWithdrawalEnd: s.startBeforeWithdrawalEnd,
      usedMs: 0,
      termMs: 0,
      usedCents: 0,
      refundCents: paidCents,
      rule: "full refund: no express request to start before the withdrawal period ended",
    };
  }
  const termMs = s.termEnd.getTime() - s.termStart.getTime();
  const usedMs = Math.max(0, Math.min(termMs, at.getTime() - s.activatedAt.getTime()));
  const usedCents = Math.round((s.priceCents * usedMs) / termMs);
  return {
    paidCents,
    startBeforeWithdrawalEnd: true,
    usedMs,
    termMs,
    usedCents,
    refundCents: Math.max(0, paidCents - usedCents),
    rule: "pro rata: service started at the consumer's express request",
  };
}

export async function withdrawSubscription(d: ServiceDeps, id: string): Promise<{ subscription: Subscription; refund: RefundComputation }> {
  const s = await getSubscriptionRow(d, id);
  const c = await customerOf(d, s);
  if (c.kind !== "consumer") throw new ServiceError(409, "Withdrawal not available", "the right of withdrawal is for consumers only (§5)");
  const at = d.now();
  const deadline = new Date(s.orderedAt.getTime() + WITHDRAWAL_DAYS * DAY);
  if (at.getTime() > deadline.getTime())
    throw new ServiceError(
      409,
      "Withdrawal period over",
      `the 14-day withdrawal period of the order of ${s.orderedAt.toISOString()} ended on ${deadline.toISOString()}`,
    );
  nextStatus("withdraw", s.status);
  const paid = await d.db
    .select()
    .from(payments)
    .where(and(eq(payments.subscriptionId, id), eq(payments.status, "confirmed")));
  const paidCents = paid.reduce((n, p) => n + p.amountCents, 0);
  const refund = computeRefund(s, paidCents, at);
  const extra: BatchItem<"sqlite">[] = await voidOpenInvoices(d, id);
  const paidInvoiceIds = [...new Set(paid.map((p) => p.invoiceId))];
  if (refund.refundCents > 0 || paid.length) {
    const row = {
      id: newId("ref"),
      subscriptionId: id,
      invoiceId: paidInvoiceIds[0] ?? null,
      amountCents: refund.refundCents,
      currency: s.currency,
      reason: "withdrawal",
      computation: refund,
      createdAt: at,
    };
    extra.push(d.db.insert(refunds).values(row), auditRow(d, "refund.recorded", subject(id), null, row));
    if (paidInvoiceIds.length)
      extra.push(
        d.db
          .update(invoices)
          .set({ status: refund.refundCents >= paidCents ? "refunded" : "partially_refunded" })
          .where(inArray(invoices.id, paidInvoiceIds)),
      );
  }
  const out = await transition(d, s, "withdraw", { endedAt: at, cancelledAt: s.cancelledAt ?? at }, extra, {
    refundCents: refund.refundCents,
  });
  await queueNotice(d, {
    to: c.email,
    kind: "withdrawal",
    subscriptionId: id,
    subject: "Mobile Sync : rétractation enregistrée / withdrawal recorded",
    body: `Your withdrawal from Mobile Sync for ${s.mailboxAddress} is recorded. Refund: ${(refund.refundCents / 100).toFixed(2)} ${s.currency} (${refund.rule}).`,
  });
  return { subscription: out, refund };
}

export async function terminateSubscription(d: ServiceDeps, id: string, reason: string): Promise<Subscription> {
  const s = await getSubscriptionRow(d, id);
  nextStatus("terminate", s.status);
  const out = await transition(d, s, "terminate", { endedAt: d.now() }, await voidOpenInvoices(d, id), { reason });
  const c = await customerOf(d, s);
  await queueNotice(d, {
    to: c.email,
    kind: "termination",
    subscriptionId: id,
    subject: "Mobile Sync : fin du service / service terminated",
    body: `Your Mobile Sync subscription for ${s.mailboxAddress} has been terminated. Reason: ${reason}`,
  });
  return out;
}

// ---------------------------------------------------------------- suspension ⇄ resumption (§3, §4)

export interface SuspendInput {
  reason: SuspensionReason;
  evidence: unknown;
  noticeId?: string;
}

/** Suspends at once (§3: "immédiatement et sans préavis"); mailbox data is untouched, devices are refused. */
export async function suspendSubscription(d: ServiceDeps, id: string, input: SuspendInput): Promise<Subscription> {
  const s = await getSubscriptionRow(d, id);
  nextStatus("suspend", s.status);
  const open = await openSuspensions(d, id);
  if (open.some((x) => x.reason === input.reason))
    throw new ServiceError(409, "Already suspended", `subscription ${id} is already suspended for ${input.reason}`);
  const at = d.now();
  const row = {
    id: newId("susp"),
    subscriptionId: id,
    reason: input.reason,
    evidence: input.evidence ?? {},
    noticeId: input.noticeId ?? null,
    suspendedBy: d.actor,
    suspendedAt: at,
    liftedAt: null,
    liftedBy: null,
    liftReason: null,
  };
  const out = await transition(
    d,
    s,
    "suspend",
    {},
    [d.db.insert(suspensions).values(row), auditRow(d, "suspension.opened", subject(id), null, row)],
    { suspensionId: row.id, reason: input.reason },
  );
  const c = await customerOf(d, s);
  await queueNotice(d, {
    to: c.email,
    kind: "suspension",
    subscriptionId: id,
    subject: "Mobile Sync : service suspendu / service suspended",
    body: suspensionBody(s.mailboxAddress, input.reason, input.evidence),
  });
  return out;
}

function suspensionBody(address: string, reason: SuspensionReason, evidence: unknown): string {
  const why =
    reason === "eligibility"
      ? "one of the conditions of §3 of the contract is no longer met (domain held with us, address on the domain, our DNS servers, standard MX and POP3 records)"
      : reason === "illicit_use"
        ? "we received a third party's notification of manifestly illicit use (§4). Please answer by e-mail and send documentation showing compliance"
        : "of a decision of our staff";
  return `Mobile Sync for ${address} is suspended because ${why}.\nYour mailbox and its data are kept intact.\nDetails: ${JSON.stringify(evidence)}`;
}

export interface ResumeInput {
  /** Lift only this suspension; default: every open suspension (or every one of `reason`). */
  suspensionId?: string;
  reason?: SuspensionReason;
  why: string;
}

/** Lifts suspensions; the subscription is active again when none is left open. */
export async function resumeSubscription(d: ServiceDeps, id: string, input: ResumeInput): Promise<Subscription> {
  const s = await getSubscriptionRow(d, id);
  nextStatus("resume", s.status);
  const open = await openSuspensions(d, id);
  const lift = open.filter((x) => (input.suspensionId ? x.id === input.suspensionId : input.reason ? x.reason === input.reason : true));
  if (!lift.length)
    throw new ServiceError(
      409,
      "Nothing to lift",
      `subscription ${id} has no open suspension${input.suspensionId ? ` ${input.suspensionId}` : input.reason ? ` for ${input.reason}` : ""}`,
    );
  const at = d.now();
  const stmts = lift.flatMap((x) => [
    d.db.update(suspensions).set({ liftedAt: at, liftedBy: d.actor, liftReason: input.why }).where(eq(suspensions.id, x.id)),
    auditRow(d, "suspension.lifted", subject(id), { suspensionId: x.id, reason: x.reason }, { liftedAt: at.toISOString(), why: input.why }),
  ]);
  const remaining = open.length - lift.length;
  if (remaining > 0) {
    // The reason the object shows changes: a new version, pushed like any change (its pending row in the batch).
    await runBatch(d, [
      ...stmts,
      d.db
        .update(subscriptions)
        .set({ version: s.version + 1, updatedAt: at })
        .where(eq(subscriptions.id, id)),
      pendingPushRow(d, { ...s, version: s.version + 1 }),
    ]);
    const row = await getSubscriptionRow(d, id);
    await pushState(d, row);
    return row;
  }
  const out = await transition(d, s, "resume", {}, stmts, { lifted: lift.map((x) => x.id), why: input.why });
  const c = await customerOf(d, s);
  await queueNotice(d, {
    to: c.email,
    kind: "resumption",
    subscriptionId: id,
    subject: "Mobile Sync : service rétabli / service restored",
    body: `Mobile Sync for ${s.mailboxAddress} works again (${input.why}).`,
  });
  return out;
}

export { openSuspensions };
export type { SubscriptionStatus };
