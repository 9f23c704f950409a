// The life of a subscription (contract §3, §5, §6; issue 6 item 2): every transition, valid and refused.
import {
  applyD1Migrations,
  createExecutionContext,
  evictDurableObject,
  createScheduledController,
  reset,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import {
  auditLog,
  cronRuns,
  invoices,
  notifications,
  orders,
  payments,
  refunds,
  subscriptionStatuses,
  type SubscriptionStatus,
} from "../../src/db/schema";
import worker from "../../src/index";
import { DAILY_CRON, dailyJob } from "../../src/service/cron";
import { liabilityCap } from "../../src/service/liability";
import { ServiceError } from "../../src/service/errors";
import type { PaymentGateway } from "../../src/service/renewals";
import { nextStatus, transitions, type SubscriptionEvent } from "../../src/service/subscription-states";
import {
  addYear,
  cancelSubscription,
  createSubscription,
  getSubscriptionRow,
  recordPayment,
  resumeSubscription,
  suspendSubscription,
  terminateSubscription,
  transition,
  withdrawSubscription,
} from "../../src/service/subscriptions";
import { FakeZone } from "./helpers/fake-zone";
import { Clock, compliantMailbox, deps, testEnv } from "./helpers/subs";

const db = drizzle(env.DB);
const DAY = 86_400_000;
const START = Date.parse("2026-03-01T10:00:00Z");

// Jobs act on every subscription in D1: each test starts from empty storage.
beforeEach(async () => {
  await reset();
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

async function setup(
  kind: "consumer" | "business" = "consumer",
  opts: { startBeforeWithdrawalEnd?: boolean; vars?: Record<string, string> } = {},
) {
  const zone = new FakeZone();
  const clock = new Clock(START);
  const d = deps(zone, clock, {}, opts.vars);
  const m = await compliantMailbox(zone);
  const s = await createSubscription(d, {
    mailbox: m.address,
    customer: { kind, name: "Alice Martin", email: `alice@${m.domain}` },
    startBeforeWithdrawalEnd: opts.startBeforeWithdrawalEnd,
  });
  return { zone, clock, d, m, s };
}
const pay = (d: ReturnType<typeof deps>, id: string, reference = "pay-1", amountCents = 2400) =>
  recordPayment(d, id, { amountCents, currency: "EUR", reference });
async function conflict(p: Promise<unknown>, re: RegExp) {
  const e = await p.then(
    () => null,
    (x) => x,
  );
  expect(e).toBeInstanceOf(ServiceError);
  expect((e as ServiceError).status).toBe(409);
  expect((e as ServiceError).message).toMatch(re);
}

describe("transition table", () => {
  it("allows exactly the listed transitions and answers 409 with the allowed states otherwise", () => {
    for (const event of Object.keys(transitions) as SubscriptionEvent[]) {
      const row = transitions[event] as Partial<Record<SubscriptionStatus, SubscriptionStatus>>;
      for (const from of subscriptionStatuses) {
        if (row[from]) expect(nextStatus(event, from)).toBe(row[from]);
        else {
          const e = (() => {
            try {
              nextStatus(event, from);
            } catch (x) {
              return x as ServiceError;
            }
          })();
          expect(e?.status).toBe(409);
          expect(e?.message).toContain(`that is ${from}`);
          expect(e?.message).toContain("allowed from:");
        }
      }
    }
  });
  it("final states have no way out", () => {
    for (const from of ["expired", "withdrawn", "cancelled", "terminated"] as const)
      for (const event of Object.keys(transitions) as SubscriptionEvent[]) expect(() => nextStatus(event, from)).toThrow(ServiceError);
  });
});

describe("order (§3), invoice (§6), payment → active for one year (§5)", () => {
  it("an order is invoiced at once and waits for payment; payment activates it for one year", async () => {
    const { d, s, m, clock } = await setup();
    expect(s.status).toBe("pending_payment");
    const inv = await db.select().from(invoices).where(eq(invoices.subscriptionId, s.id));
    expect(inv).toHaveLength(1);
    expect(inv[0]!.status).toBe("open");
    expect(inv[0]!.issuedAt.getTime()).toBe(START); // §6: billed when the order is issued
    const ord = await db.select().from(orders).where(eq(orders.subscriptionId, s.id));
    expect(ord[0]!.kind).toBe("initial");
    expect((await env.MAILBOX.getByName(m.address).getSubscriptionState())?.status).toBe("pending_payment");

    clock.advanceDays(1);
    const a = await pay(d, s.id);
    expect(a.status).toBe("active");
    expect(a.activatedAt!.getTime()).toBe(START + DAY);
    expect(a.termEnd!.toISOString()).toBe("2027-03-02T10:00:00.000Z");
    expect((await db.select().from(invoices).where(eq(invoices.subscriptionId, s.id)))[0]!.status).toBe("paid");
    expect(await env.MAILBOX.getByName(m.address).getSubscriptionState()).toMatchObject({
      subscriptionId: s.id,
      status: "active",
      version: a.version,
    });
    const actions = (
      await db
        .select()
        .from(auditLog)
        .where(eq(auditLog.subject, `subscription:${s.id}`))
    ).map((x) => x.action);
    expect(actions).toEqual(
      expect.arrayContaining(["subscription.created", "order.created", "invoice.issued", "payment.confirmed", "subscription.pay"]),
    );
  });

  it("refuses a wrong amount (422), repeats nothing for the same reference, and refuses paying an active subscription (409)", async () => {
    const { d, s } = await setup();
    const e = await pay(d, s.id, "x", 100).catch((x) => x);
    expect(e.status).toBe(422);
    await pay(d, s.id, "ref-A");
    const again = await pay(d, s.id, "ref-A");
    expect(again.status).toBe("active");
    expect(await db.select().from(payments).where(eq(payments.subscriptionId, s.id))).toHaveLength(1);
    await conflict(pay(d, s.id, "ref-B"), /cannot pay a subscription that is active/);
  });

  it("one live subscription per mailbox (409); a new order is possible once the old one ended", async () => {
    const { d, s, m } = await setup();
    await conflict(
      createSubscription(d, { mailbox: m.address, customer: { kind: "consumer", name: "A", email: `alice@${m.domain}` } }),
      /already has subscription/,
    );
    await cancelSubscription(d, s.id);
    const s2 = await createSubscription(d, { mailbox: m.address, customer: { kind: "consumer", name: "A", email: `alice@${m.domain}` } });
    expect(s2.status).toBe("pending_payment");
    // the mailbox object's copy now follows the new subscription
    expect(await env.MAILBOX.getByName(m.address).getSubscriptionState()).toMatchObject({
      subscriptionId: s2.id,
      status: "pending_payment",
      version: 1,
    });
  });
});

describe("renewal for an identical term (§5), grace, expiry", () => {
  it("the daily job renews an ended term with a renewal invoice and its payment", async () => {
    const { d, s, clock } = await setup();
    const a = await pay(d, s.id);
    clock.t = a.termEnd!.getTime() + 3_600_000;
    const r = await dailyJob(d);
    expect(r.counts.renewed).toBe(1);
    const n = await getSubscriptionRow(d, s.id);
    expect(n.status).toBe("active");
    expect(n.termStart!.getTime()).toBe(a.termEnd!.getTime());
    expect(n.termEnd!.getTime()).toBe(addYear(a.termEnd!).getTime());
    const ord = await db.select().from(orders).where(eq(orders.subscriptionId, s.id));
    expect(ord.map((o) => o.kind).sort()).toEqual(["initial", "renewal"]);
    const pays = await db.select().from(payments).where(eq(payments.subscriptionId, s.id));
    expect(pays.map((p) => p.status)).toEqual(["confirmed", "confirmed"]);
    // idempotent: running the job again the same day renews nothing more
    expect((await dailyJob(d)).counts.renewed).toBe(0);
  });

  it("a failed renewal payment → grace (service continues) → expired when grace ends; devices refused", async () => {
    const { d, s, m, clock } = await setup("business", { vars: { GRACE_DAYS: "10" } });
    const a = await pay(d, s.id);
    const failing: PaymentGateway = { charge: async () => ({ ok: false, reason: "card declined" }) };
    clock.t = a.termEnd!.getTime() + 1000;
    const r = await dailyJob(d, failing);
    expect(r.counts.renewalFailed).toBe(1);
    const g = await getSubscriptionRow(d, s.id);
    expect(g.status).toBe("grace");
    expect(g.graceUntil!.getTime()).toBe(a.termEnd!.getTime() + 10 * DAY);
    expect(
      (await db.select().from(payments).where(eq(payments.subscriptionId, s.id))).find((p) => p.status === "failed")?.failureReason,
    ).toBe("card declined");
    expect((await env.MAILBOX.getByName(m.address).getSubscriptionState())?.status).toBe("grace");
    clock.advanceDays(11);
    expect((await dailyJob(d, failing)).counts.expired).toBe(1);
    const x = await getSubscriptionRow(d, s.id);
    expect(x.status).toBe("expired");
    const inv = await db.select().from(invoices).where(eq(invoices.subscriptionId, s.id));
    expect(inv.map((i) => i.status).sort()).toEqual(["paid", "void"]);
    expect((await env.MAILBOX.getByName(m.address).getSubscriptionState())?.status).toBe("expired");
  });

  it("paying the renewal invoice during grace starts the next identical term", async () => {
    const { d, s, clock } = await setup("business");
    const a = await pay(d, s.id);
    clock.t = a.termEnd!.getTime() + 1000;
    await dailyJob(d, { charge: async () => ({ ok: false, reason: "insufficient funds" }) });
    clock.advanceDays(3);
    const p = await pay(d, s.id, "late-transfer");
    expect(p.status).toBe("active");
    expect(p.termStart!.getTime()).toBe(a.termEnd!.getTime());
    expect(p.termEnd!.getTime()).toBe(addYear(a.termEnd!).getTime());
    expect(p.graceUntil).toBeNull();
  });
});

describe("the daily cron through the scheduled handler", () => {
  it("renews a term that ended yesterday and writes its summary row", async () => {
    const zone = new FakeZone();
    const yearAgo = Date.now() - 366 * DAY;
    const clock = new Clock(yearAgo);
    const d = deps(zone, clock);
    const m = await compliantMailbox(zone);
    const s = await createSubscription(d, { mailbox: m.address, customer: { kind: "business", name: "Old Co", email: `it@${m.domain}` } });
    await pay(d, s.id);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: DAILY_CRON, scheduledTime: new Date() }), testEnv(), ctx);
    await waitOnExecutionContext(ctx);
    const n = await getSubscriptionRow(d, s.id);
    expect(n.status).toBe("active");
    expect(n.termEnd!.getTime()).toBeGreaterThan(Date.now());
    const [run] = await db.select().from(cronRuns);
    expect(run).toMatchObject({ cron: DAILY_CRON, job: "daily", failures: 0 });
    expect(run!.counts).toMatchObject({ renewed: 1, statesPushed: 1 });
    expect(run!.durationMs).toBeGreaterThanOrEqual(0);
  });
});

describe("manual renewal payments (RENEWAL_PAYMENT=manual)", () => {
  it("the renewal invoice is issued and awaited in grace, without recording a failed payment", async () => {
    const { d, s, clock } = await setup("business", { vars: { RENEWAL_PAYMENT: "manual" } });
    const a = await pay(d, s.id);
    clock.t = a.termEnd!.getTime() + 1000;
    expect((await dailyJob(d)).counts.renewalFailed).toBe(1);
    expect((await getSubscriptionRow(d, s.id)).status).toBe("grace");
    expect((await db.select().from(payments).where(eq(payments.subscriptionId, s.id))).map((p) => p.status)).toEqual(["confirmed"]);
    const mail = (await db.select().from(notifications).where(eq(notifications.subscriptionId, s.id))).find(
      (n) => n.kind === "payment_failed",
    )!;
    expect(mail.subject).toMatch(/renewal invoice/);
    expect((await pay(d, s.id, "transfer-2")).status).toBe("active");
  });
});

describe("consumer renewal reminder (Code de la consommation L215-1)", () => {
  it("is sent once, between three months and one month before the term, saying how to refuse; recorded", async () => {
    const { d, s, clock } = await setup("consumer");
    const a = await pay(d, s.id);
    clock.t = a.termEnd!.getTime() - 100 * DAY;
    expect((await dailyJob(d)).counts.reminders).toBe(0); // too early: more than three months before
    clock.t = a.termEnd!.getTime() - 45 * DAY;
    expect((await dailyJob(d)).counts.reminders).toBe(1);
    const sent = await getSubscriptionRow(d, s.id);
    expect(sent.reminderSentAt!.getTime()).toBe(clock.t);
    const left = a.termEnd!.getTime() - sent.reminderSentAt!.getTime();
    expect(left).toBeGreaterThanOrEqual(30 * DAY);
    expect(left).toBeLessThanOrEqual(90 * DAY);
    const mails = await db.select().from(notifications).where(eq(notifications.subscriptionId, s.id));
    const reminder = mails.find((n) => n.kind === "renewal_reminder")!;
    expect(reminder.to).toMatch(/^alice@/);
    expect(reminder.body).toMatch(/L215-1/);
    expect(reminder.body).toMatch(/refuse|refuser/);
    expect(reminder.sentAt).toBeNull(); // queued for the mail path
    clock.advanceDays(1);
    expect((await dailyJob(d)).counts.reminders).toBe(0); // once per term
    // after the renewal the next term gets its own reminder
    clock.t = a.termEnd!.getTime() + 1000;
    await dailyJob(d);
    expect((await getSubscriptionRow(d, s.id)).reminderSentAt).toBeNull();
  });

  it("is not sent to business customers nor after a cancellation", async () => {
    const b = await setup("business");
    const ab = await pay(b.d, b.s.id);
    b.clock.t = ab.termEnd!.getTime() - 45 * DAY;
    expect((await dailyJob(b.d)).counts.reminders).toBe(0);
    const c = await setup("consumer");
    const ac = await pay(c.d, c.s.id);
    await cancelSubscription(c.d, c.s.id);
    c.clock.t = ac.termEnd!.getTime() - 45 * DAY;
    expect((await dailyJob(c.d)).counts.reminders).toBe(0);
  });
});

describe("renewed without a timely reminder (L215-1 al. 2, 3)", () => {
  it("the consumer may then end the contract at any time, free, with the unused part refunded", async () => {
    const { d, s, clock } = await setup("consumer");
    const a = await pay(d, s.id);
    clock.t = a.termEnd!.getTime() - 10 * DAY; // the job first runs ten days before the term: reminder too late
    expect((await dailyJob(d)).counts.reminders).toBe(1);
    clock.t = a.termEnd!.getTime() + 1000;
    await dailyJob(d);
    const renewed = await getSubscriptionRow(d, s.id);
    expect(renewed.freeTerminationSince!.getTime()).toBe(a.termEnd!.getTime());
    clock.t = renewed.termStart!.getTime() + 73 * DAY;
    const ended = await cancelSubscription(d, s.id);
    expect(ended.status).toBe("terminated");
    const termMs = renewed.termEnd!.getTime() - renewed.termStart!.getTime();
    const [refund] = await db.select().from(refunds).where(eq(refunds.subscriptionId, s.id));
    expect(refund!.amountCents).toBe(Math.round((2400 * (termMs - 73 * DAY)) / termMs));
    expect(refund!.reason).toBe("l215-1_termination");
  });

  it("after a timely reminder a cancellation only stops the next renewal", async () => {
    const { d, s, clock } = await setup("consumer");
    const a = await pay(d, s.id);
    clock.t = a.termEnd!.getTime() - 45 * DAY;
    await dailyJob(d);
    clock.t = a.termEnd!.getTime() + 1000;
    await dailyJob(d);
    expect((await getSubscriptionRow(d, s.id)).freeTerminationSince).toBeNull();
    clock.advanceDays(73);
    expect((await cancelSubscription(d, s.id)).status).toBe("active");
    expect(await db.select().from(refunds).where(eq(refunds.subscriptionId, s.id))).toHaveLength(0);
  });
});

describe("cancellation stops the next renewal", () => {
  it("keeps service to the term's end, then expires without renewal; a second cancel is 409", async () => {
    const { d, s, clock } = await setup();
    const a = await pay(d, s.id);
    const c = await cancelSubscription(d, s.id);
    expect(c.status).toBe("active");
    expect(c.cancelledAt).not.toBeNull();
    await conflict(cancelSubscription(d, s.id), /already|cancelled/);
    clock.t = a.termEnd!.getTime() + 1;
    const r = await dailyJob(d);
    expect(r.counts.renewed).toBe(0);
    expect(r.counts.expired).toBe(1);
    expect((await getSubscriptionRow(d, s.id)).status).toBe("expired");
    expect((await db.select().from(orders).where(eq(orders.subscriptionId, s.id))).filter((o) => o.kind === "renewal")).toHaveLength(0);
  });

  it("cancelling an unpaid order cancels it and voids its invoice", async () => {
    const { d, s } = await setup();
    expect((await cancelSubscription(d, s.id)).status).toBe("cancelled");
    expect((await db.select().from(invoices).where(eq(invoices.subscriptionId, s.id)))[0]!.status).toBe("void");
  });
});

describe("withdrawal (§5, consumers, 14 days)", () => {
  it("day 3, service started at the consumer's express request: refund pro rata, recorded", async () => {
    const { d, s, clock, m } = await setup("consumer", { startBeforeWithdrawalEnd: true });
    await pay(d, s.id); // activated on the order day, term 2026-03-01 → 2027-03-01 (365 days)
    clock.advanceDays(3);
    const { subscription, refund } = await withdrawSubscription(d, s.id);
    expect(subscription.status).toBe("withdrawn");
    expect(refund.usedCents).toBe(Math.round((2400 * 3) / 365)); // 20
    expect(refund.refundCents).toBe(2400 - 20);
    const rows = await db.select().from(refunds).where(eq(refunds.subscriptionId, s.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.amountCents).toBe(2380);
    expect(rows[0]!.computation).toMatchObject({ paidCents: 2400, usedCents: 20, refundCents: 2380 });
    expect((await db.select().from(invoices).where(eq(invoices.subscriptionId, s.id)))[0]!.status).toBe("partially_refunded");
    expect((await env.MAILBOX.getByName(m.address).getSubscriptionState())?.status).toBe("withdrawn");
    expect(
      (
        await db
          .select()
          .from(auditLog)
          .where(eq(auditLog.subject, `subscription:${s.id}`))
      ).map((x) => x.action),
    ).toContain("refund.recorded");
  });

  it("without the express request the consumer gets everything back", async () => {
    const { d, s, clock } = await setup("consumer");
    await pay(d, s.id);
    clock.advanceDays(3);
    expect((await withdrawSubscription(d, s.id)).refund.refundCents).toBe(2400);
  });

  it("after 14 days, or for a business customer, it is refused with 409", async () => {
    const late = await setup("consumer");
    await pay(late.d, late.s.id);
    late.clock.advanceDays(15);
    await conflict(withdrawSubscription(late.d, late.s.id), /withdrawal period/);
    const biz = await setup("business");
    await pay(biz.d, biz.s.id);
    await conflict(withdrawSubscription(biz.d, biz.s.id), /consumers only/);
  });
});

describe("suspension ⇄ resumption, termination", () => {
  it("suspends (devices refused, data kept), refuses a duplicate, resumes only when every suspension is lifted", async () => {
    const { d, s, m } = await setup();
    await pay(d, s.id);
    const box = env.MAILBOX.getByName(m.address);
    const x = await suspendSubscription(d, s.id, { reason: "other", evidence: { ticket: "T-1" } });
    expect(x.status).toBe("suspended");
    expect(await box.getSubscriptionState()).toMatchObject({ status: "suspended", reason: "other" });
    await conflict(suspendSubscription(d, s.id, { reason: "other", evidence: null }), /already suspended for other/);
    await suspendSubscription(d, s.id, { reason: "illicit_use", evidence: { notice: "n" } });
    const one = await resumeSubscription(d, s.id, { reason: "other", why: "ticket closed" });
    expect(one.status).toBe("suspended");
    expect((await box.getSubscriptionState())?.reason).toBe("illicit_use");
    const all = await resumeSubscription(d, s.id, { why: "compliance documented" });
    expect(all.status).toBe("active");
    expect((await box.getSubscriptionState())?.status).toBe("active");
    await conflict(resumeSubscription(d, s.id, { why: "again" }), /cannot resume a subscription that is active/);
    expect((await db.select().from(notifications).where(eq(notifications.subscriptionId, s.id))).map((n) => n.kind)).toEqual(
      expect.arrayContaining(["suspension", "resumption"]),
    );
  });

  it("§3: suspension keeps the right to the full price: nothing is voided or refunded", async () => {
    const { d, s } = await setup();
    await pay(d, s.id);
    await suspendSubscription(d, s.id, { reason: "eligibility", evidence: { lost: ["mx_pop3"] } });
    expect((await db.select().from(invoices).where(eq(invoices.subscriptionId, s.id))).map((i) => i.status)).toEqual(["paid"]);
    expect(await db.select().from(refunds).where(eq(refunds.subscriptionId, s.id))).toHaveLength(0);
  });

  it("cannot suspend an unpaid order; terminate ends it, and a second terminate is 409", async () => {
    const { d, s } = await setup();
    await conflict(
      suspendSubscription(d, s.id, { reason: "other", evidence: null }),
      /cannot suspend a subscription that is pending_payment/,
    );
    await pay(d, s.id);
    expect((await terminateSubscription(d, s.id, "contract breach")).status).toBe("terminated");
    await conflict(terminateSubscription(d, s.id, "again"), /cannot terminate a subscription that is terminated/);
  });

  it("a suspended subscription whose term ends expires at the daily job", async () => {
    const { d, s, clock } = await setup();
    const a = await pay(d, s.id);
    await suspendSubscription(d, s.id, { reason: "other", evidence: null });
    clock.t = a.termEnd!.getTime() + 1;
    expect((await dailyJob(d)).counts.expired).toBe(1);
    expect((await getSubscriptionRow(d, s.id)).status).toBe("expired");
  });
});

describe("§4 liability cap", () => {
  it("is what the customer paid in the six months before the damage was established, less refunds", async () => {
    const { d, s, clock } = await setup("business");
    await pay(d, s.id); // 2026-03-01
    const in5 = new Date(START + 150 * DAY);
    expect((await liabilityCap(d, s.id, in5)).capCents).toBe(2400);
    const in7 = new Date(START + 7 * 31 * DAY);
    expect((await liabilityCap(d, s.id, in7)).capCents).toBe(0);
    clock.t = START - DAY;
    expect((await liabilityCap(d, s.id, clock.now())).capCents).toBe(0);
  });
});

describe("concurrent changes", () => {
  it("a change computed from a stale row is refused with 409 and writes nothing (one D1 batch)", async () => {
    const { d, s } = await setup();
    const stale = await getSubscriptionRow(d, s.id);
    await pay(d, s.id);
    const before = (await db.select().from(auditLog)).length;
    await conflict(
      transition(d, stale, "cancel", { cancelledAt: new Date() }, [
        db.insert(refunds).values({
          id: "ref_x",
          subscriptionId: s.id,
          amountCents: 1,
          currency: "EUR",
          reason: "x",
          computation: {},
          createdAt: new Date(),
        }),
      ]),
      /changed while cancel/,
    );
    expect((await db.select().from(auditLog)).length).toBe(before);
    expect(await db.select().from(refunds)).toHaveLength(0);
    expect((await getSubscriptionRow(d, s.id)).status).toBe("active");
  });
});

describe("the mailbox object's copy", () => {
  it("survives the object's restart", async () => {
    const { d, s, m } = await setup();
    await pay(d, s.id);
    const box = env.MAILBOX.getByName(m.address);
    await evictDurableObject(box);
    expect((await env.MAILBOX.getByName(m.address).getSubscriptionState())?.status).toBe("active");
  });

  it("the daily job pushes every mailbox's latest state again (repairs a lost push)", async () => {
    const { d, s, m } = await setup();
    const a = await pay(d, s.id);
    const box = env.MAILBOX.getByName(m.address);
    await box.setSubscriptionState({ subscriptionId: s.id, status: "suspended", reason: "lost push", version: a.version, updatedAt: 0 });
    expect((await box.getSubscriptionState())?.status).toBe("suspended");
    const r = await dailyJob(d);
    expect(r.counts.statesPushed).toBe(1);
    expect(await box.getSubscriptionState()).toMatchObject({ status: "active", reason: null, version: a.version });
  });

  it("ignores an older copy of the same subscription (version) pushed late", async () => {
    const { d, s, m } = await setup();
    await pay(d, s.id);
    const box = env.MAILBOX.getByName(m.address);
    const cur = (await box.getSubscriptionState())!;
    expect((await box.setSubscriptionState({ ...cur, status: "pending_payment", version: cur.version - 1 })).applied).toBe(false);
    expect((await box.getSubscriptionState())?.status).toBe("active");
  });
});
