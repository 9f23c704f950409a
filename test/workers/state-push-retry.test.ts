// Issue 13 §5: a subscription change reaches its mailbox object even when the object cannot be reached at the
// moment of the change. The change writes a pending push in its own D1 batch; the state-push cron (every
// minute) retries it until the object acknowledges; a retry never puts an older state over a newer one.
import { applyD1Migrations, createExecutionContext, createScheduledController, reset, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, cronRuns, statePushes } from "../../src/db/schema";
import worker from "../../src/index";
import type { MailboxSubscriptionState } from "../../src/mailbox/contract";
import { STATE_PUSH_CRON, retryStatePushes } from "../../src/service/cron";
import { pushBackoffMs } from "../../src/service/state-pushes";
import { createSubscription, recordPayment, resumeSubscription, suspendSubscription } from "../../src/service/subscriptions";
import { FakeZone } from "./helpers/fake-zone";
import { Clock, compliantMailbox, deps, testEnv } from "./helpers/subs";

const db = drizzle(env.DB);

beforeEach(async () => {
  await reset();
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

type Stub = { setSubscriptionState(s: MailboxSubscriptionState): Promise<unknown>; endAllWaits(reason: string): Promise<number> };

/** The real env, except that `setSubscriptionState` on a mailbox object runs `intercept` (the service's calls: mailbox-link.ts). */
function envWith(intercept: (real: Stub, s: MailboxSubscriptionState) => Promise<unknown>): Env {
  const e = testEnv();
  const MAILBOX = {
    getByName: (name: string): Stub => {
      const real = e.MAILBOX.getByName(name);
      return { setSubscriptionState: (s) => intercept(real, s), endAllWaits: (reason) => real.endAllWaits(reason) };
    },
  };
  return { ...e, MAILBOX } as unknown as Env;
}
const unreachable = envWith(async () => {
  throw new Error("Network connection lost.");
});

async function activeSubscription(clock: Clock) {
  const zone = new FakeZone();
  const d = deps(zone, clock, { pushWaits: [0, 5] });
  const m = await compliantMailbox(zone);
  const s = await createSubscription(d, { mailbox: m.address, customer: { kind: "business", name: "Push Co", email: `it@${m.domain}` } });
  const a = await recordPayment(d, s.id, { amountCents: 2400, currency: "EUR", reference: "pay-1" });
  expect(await db.select().from(statePushes)).toEqual([]); // acknowledged pushes leave no row
  return { zone, d, m, a };
}
const objectState = (address: string) => env.MAILBOX.getByName(address).getSubscriptionState();

async function runCron() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: STATE_PUSH_CRON, scheduledTime: new Date() }), testEnv(), ctx);
  await waitOnExecutionContext(ctx);
}

describe("a subscription state the mailbox object could not take", () => {
  it("stays pending in D1 and arrives with the next state-push cron run once the object answers", async () => {
    const clock = new Clock(Date.now());
    const { zone, d, m, a } = await activeSubscription(clock);
    const down = { ...d, env: unreachable };
    const s = await suspendSubscription(down, a.id, { reason: "illicit_use", evidence: { notice: "n-1" } });
    expect(s.status).toBe("suspended");
    // The object still holds the old state; D1 holds the push to do.
    expect(await objectState(m.address)).toMatchObject({ status: "active", version: a.version });
    const [pending] = await db.select().from(statePushes);
    expect(pending).toMatchObject({ subscriptionId: a.id, mailboxAddress: m.address, version: s.version, attempts: 0 });
    expect(pending!.lastError).toMatch(/Network connection lost/);

    // Still unreachable when the cron runs: the row backs off (1 minute after the first cron failure).
    expect((await retryStatePushes({ ...down, now: clock.now })).counts).toMatchObject({ due: 1, failed: 1 });
    const [after] = await db.select().from(statePushes);
    expect(after).toMatchObject({ attempts: 1 });
    expect(after!.nextAttemptAt.getTime()).toBe(clock.t + pushBackoffMs(1));
    expect((await retryStatePushes({ ...down, now: clock.now })).counts).toMatchObject({ due: 0 }); // not due yet

    // The object answers again; the scheduled handler (every minute in wrangler.toml) delivers the state.
    await db.update(statePushes).set({ nextAttemptAt: new Date(Date.now() - 1) });
    await runCron();
    expect(await objectState(m.address)).toMatchObject({
      subscriptionId: a.id,
      status: "suspended",
      reason: "illicit_use",
      version: s.version,
    });
    expect(await db.select().from(statePushes)).toEqual([]);
    const [run] = await db.select().from(cronRuns).where(eq(cronRuns.job, "state_push"));
    expect(run).toMatchObject({ cron: STATE_PUSH_CRON, failures: 0, counts: { due: 1, delivered: 1, failed: 0 } });
    const actions = (await db.select().from(auditLog)).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(["mailbox_state.push_failed", "mailbox_state.pushed_after_retry"]));
    void zone;
  });

  it("a run with nothing due writes no cron_runs row", async () => {
    await runCron();
    expect(await db.select().from(cronRuns)).toEqual([]);
  });

  it("the pending row is written with the change itself, before any push is tried", async () => {
    const clock = new Clock(Date.now());
    const { d, a } = await activeSubscription(clock);
    // The push never answers (the request dies before it is acknowledged): the row is already there.
    let seen: unknown[] = [];
    const hangs = envWith(async () => {
      seen = await db.select().from(statePushes);
      throw new Error("request cancelled");
    });
    await suspendSubscription({ ...d, env: hangs, pushWaits: [0] }, a.id, { reason: "other", evidence: {} });
    expect(seen).toMatchObject([{ subscriptionId: a.id, version: a.version + 1 }]);
  });
});

describe("an older retry never overwrites a newer state", () => {
  it("a newer change made while a retry of an older state is in flight wins, in the object and in D1", async () => {
    const clock = new Clock(Date.now());
    const { d, m, a } = await activeSubscription(clock);
    const suspended = await suspendSubscription({ ...d, env: unreachable }, a.id, { reason: "illicit_use", evidence: {} });
    let resumedVersion = 0;
    // The cron reads the suspended state (version v); before its push arrives, staff resume the subscription
    // (version v+1, pushed and acknowledged at once); then the older push reaches the object.
    const racing = envWith(async (real, s) => {
      if (resumedVersion === 0) {
        const r = await resumeSubscription(d, a.id, { why: "notice answered" });
        resumedVersion = r.version;
      }
      return real.setSubscriptionState(s);
    });
    const run = await retryStatePushes({ ...d, env: racing });
    expect(run.counts).toMatchObject({ due: 1, delivered: 1 });
    expect(resumedVersion).toBe(suspended.version + 1);
    expect(await objectState(m.address)).toMatchObject({ status: "active", version: resumedVersion });
    expect(await db.select().from(statePushes)).toEqual([]);
  });

  it("acknowledging an older version keeps the row of a newer change still pending", async () => {
    const clock = new Clock(Date.now());
    const { d, m, a } = await activeSubscription(clock);
    await suspendSubscription({ ...d, env: unreachable }, a.id, { reason: "illicit_use", evidence: {} });
    let resumed = 0;
    // While the retry of the suspension is in flight, the resumption is made but its own push fails too.
    const racing = envWith(async (real, s) => {
      if (resumed === 0) resumed = (await resumeSubscription({ ...d, env: unreachable }, a.id, { why: "notice answered" })).version;
      return real.setSubscriptionState(s);
    });
    await retryStatePushes({ ...d, env: racing });
    // The suspended state (older) was acknowledged; the resumption's row stays, and the next run delivers it.
    expect(await db.select().from(statePushes)).toMatchObject([{ subscriptionId: a.id, version: resumed }]);
    expect(await objectState(m.address)).toMatchObject({ status: "suspended" });
    await runCron();
    expect(await objectState(m.address)).toMatchObject({ status: "active", version: resumed });
    expect(await db.select().from(statePushes)).toEqual([]);
  });
});
