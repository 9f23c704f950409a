// Cron triggers (wrangler.toml [triggers]): pending subscription-state pushes every minute, the eligibility sweep
// every 15 minutes, the daily job at 03:00. Every run writes one summary row in cron_runs (the state-push job
// only when something was due).
import { and, asc, eq, gt, isNull, or, sql } from "drizzle-orm";
import {
  eligibilityChecks,
  eligibilityResults,
  eligibilitySweeps,
  mailboxes,
  subscriptions,
  cronRuns,
  type EligibilityCondition,
} from "../db/schema";
import { makeDeps, newId, type ServiceDeps } from "./deps";
import { checkDomainConditions, pruneOkChecks, runEligibilityCheck, type ConditionResult } from "./eligibility";
import { removeStaleMailboxDevices } from "./mailbox-link";
import { pruneTraces, traceRetentionDays } from "./trace-retention";
import { eraseEndedMailboxes, mailboxRetentionDays } from "./mailbox-lifecycle";
import { logEvent } from "../observability/log";
import { metrics } from "../observability/metrics";
import { getSubscriptionRow, pushState, tryPushState } from "./subscriptions";
import { auditRow } from "./audit";
import { duePushes, pushFailedAgain } from "./state-pushes";
import { expireLapsed, renewDueTerms, sendRenewalReminders, type PaymentGateway, type RenewalCounts } from "./renewals";

export const STATE_PUSH_CRON = "* * * * *";
export const SWEEP_CRON = "*/15 * * * *";
export const DAILY_CRON = "0 3 * * *";

export interface CronOverrides extends Partial<ServiceDeps> {
  gateway?: PaymentGateway;
}

export async function runScheduled(controller: Pick<ScheduledController, "cron" | "scheduledTime">, env: Env, over: CronOverrides = {}) {
  const d = makeDeps(env, { actor: "system:cron", ...over });
  if (controller.cron === STATE_PUSH_CRON) return runJob(d, controller.cron, "state_push", () => retryStatePushes(d), true);
  if (controller.cron === SWEEP_CRON) return runJob(d, controller.cron, "eligibility_sweep", () => eligibilitySweep(d));
  if (controller.cron === DAILY_CRON) return runJob(d, controller.cron, "daily", () => dailyJob(d, over.gateway));
  return runJob(d, controller.cron, "unknown", async () => ({ counts: {}, failures: 1, errors: [`no job for cron "${controller.cron}"`] }));
}

interface JobResult {
  counts: Record<string, number | string | boolean>;
  failures: number;
  errors: string[];
}

/** `quietWhenIdle`: a run that found nothing to do (`counts.due` 0) writes no row and no log line. */
async function runJob(d: ServiceDeps, cron: string, job: string, fn: () => Promise<JobResult>, quietWhenIdle = false) {
  const started = Date.now();
  const startedAt = d.now();
  let r: JobResult;
  try {
    r = await fn();
  } catch (e) {
    r = { counts: {}, failures: 1, errors: [String((e as Error)?.stack ?? e)] };
  }
  const durationMs = Date.now() - started;
  const row = {
    id: newId("cron"),
    cron,
    job,
    startedAt,
    finishedAt: new Date(startedAt.getTime() + durationMs),
    durationMs,
    counts: r.counts,
    failures: r.failures,
    errors: r.errors.slice(0, 50),
  };
  if (quietWhenIdle && r.counts.due === 0 && r.failures === 0) return row;
  await d.db.insert(cronRuns).values(row);
  // The row keeps the errors; the log line only counts them (an error text may quote an address).
  logEvent("cron", { cron, job, duration_ms: durationMs, failures: r.failures, counts: r.counts });
  metrics.count("cron_runs", { job, ok: r.failures ? "no" : "yes" });
  if (job === "eligibility_sweep")
    for (const outcome of ["ok", "lost", "unknown", "suspended"] as const) {
      const n = Number(r.counts[outcome] ?? 0);
      if (n) metrics.count("eligibility", { outcome }, n);
    }
  return row;
}

// ------------------------------------------------------------------- subscription-state pushes (issue 13 §5)

/** Rows one run retries at most (one RPC each); more wait for the next minute. */
export const STATE_PUSH_BATCH = 100;

/**
 * Retries every due pending push (state-pushes.ts): one attempt each with the subscription's current state (so a
 * retry never carries an older state than D1 holds, and the object ignores a copy older than its own); an
 * acknowledgement removes the row unless a newer change is pending meanwhile, a failure backs off.
 */
export async function retryStatePushes(d: ServiceDeps): Promise<JobResult> {
  const due = await duePushes(d, STATE_PUSH_BATCH);
  const counts = { due: due.length, delivered: 0, failed: 0 };
  const errors: string[] = [];
  for (const row of due) {
    try {
      const s = await getSubscriptionRow(d, row.subscriptionId);
      const error = await tryPushState(d, s);
      if (error === undefined) {
        counts.delivered++;
        await auditRow(d, "mailbox_state.pushed_after_retry", `subscription:${s.id}`, null, {
          status: s.status,
          version: s.version,
          attempts: row.attempts + 1,
        });
        continue;
      }
      counts.failed++;
      await pushFailedAgain(d, row, String((error as Error)?.message ?? error));
      errors.push(`state push ${row.subscriptionId} (attempt ${row.attempts + 1}) failed`);
    } catch (e) {
      counts.failed++;
      errors.push(`state push ${row.subscriptionId}: ${String((e as Error)?.message ?? e)}`);
    }
  }
  return { counts, failures: errors.length, errors };
}

// ------------------------------------------------------------------- eligibility sweep

const DOMAIN_ORDER: EligibilityCondition[] = ["domain_held", "provider_dns", "mx_pop3"];

/** Domain results another check of this sweep already recorded (a resumed run does not query them again). */
async function domainResultsFromSweep(d: ServiceDeps, sweepId: string, domain: string): Promise<ConditionResult[] | undefined> {
  const [chk] = await d.db
    .select({ id: eligibilityChecks.id })
    .from(eligibilityChecks)
    .where(and(eq(eligibilityChecks.sweepId, sweepId), eq(eligibilityChecks.domain, domain)))
    .limit(1);
  if (!chk) return undefined;
  const rows = await d.db.select().from(eligibilityResults).where(eq(eligibilityResults.checkId, chk.id));
  const out = DOMAIN_ORDER.map((c) => rows.find((r) => r.condition === c));
  if (out.some((r) => !r)) return undefined;
  return out.map((r) => ({
    condition: r!.condition,
    outcome: r!.outcome,
    evidence: { ...(r!.evidence as Record<string, unknown>), reusedFromCheck: chk.id },
  }));
}

/**
 * Checks every active and eligibility-suspended subscription, in batches ordered by id. The sweep's
 * cursor is saved after each batch, so a run cut short resumes where it stopped; a finished sweep is
 * closed and the next run starts a new one. Within a sweep each domain is looked up once.
 */
export async function eligibilitySweep(d: ServiceDeps): Promise<JobResult> {
  const deadline = Date.now() + d.config.sweepBudgetMs;
  let [sweep] = await d.db
    .select()
    .from(eligibilitySweeps)
    .where(isNull(eligibilitySweeps.completedAt))
    .orderBy(asc(eligibilitySweeps.startedAt))
    .limit(1);
  const resumed = !!sweep;
  if (!sweep) {
    sweep = { id: newId("swp"), cursor: null, startedAt: d.now(), completedAt: null };
    await d.db.insert(eligibilitySweeps).values(sweep);
  }
  const counts = { checked: 0, ok: 0, lost: 0, unknown: 0, suspended: 0, resumed: 0, exempt: 0, domainsQueried: 0, batches: 0 };
  const errors: string[] = [];
  const cache = new Map<string, ConditionResult[]>();
  let cursor = sweep.cursor;
  let completed = false;
  // At least one batch per run; then as many as the time budget allows.
  for (;;) {
    const eligible = or(
      eq(subscriptions.status, "active"),
      and(
        eq(subscriptions.status, "suspended"),
        sql`exists (select 1 from suspensions where suspensions.subscription_id = ${subscriptions.id} and suspensions.reason = 'eligibility' and suspensions.lifted_at is null)`,
      ),
    );
    const batch = await d.db
      .select()
      .from(subscriptions)
      .where(cursor ? and(eligible, gt(subscriptions.id, cursor)) : eligible)
      .orderBy(asc(subscriptions.id))
      .limit(d.config.sweepBatchSize);
    if (!batch.length) {
      completed = true;
      break;
    }
    counts.batches++;
    // The domains of this batch are looked up concurrently (network-bound), each once per sweep.
    const domainOf = (x: { mailboxAddress: string }) => x.mailboxAddress.split("@")[1]!;
    const fresh = [...new Set(batch.map(domainOf))].filter((dm) => !cache.has(dm) && !d.config.eligibilityExemptDomains.includes(dm));
    await Promise.all(
      fresh.map(async (dm) => {
        try {
          const known = await domainResultsFromSweep(d, sweep.id, dm);
          if (!known) counts.domainsQueried++;
          cache.set(dm, known ?? (await checkDomainConditions(d, dm)));
        } catch (e) {
          errors.push(`domain ${dm}: ${String((e as Error)?.message ?? e)}`);
        }
      }),
    );
    for (const s of batch) {
      const domain = domainOf(s);
      if (d.config.eligibilityExemptDomains.includes(domain)) {
        counts.exempt++;
        continue;
      }
      const known = cache.get(domain);
      if (!known) continue; // its lookup failed above (recorded); the next sweep retries it
      try {
        const report = await runEligibilityCheck(d, s, { trigger: "cron", sweepId: sweep.id, domainResults: known });
        counts.checked++;
        counts[report.outcome]++;
        if (report.action === "suspended") counts.suspended++;
        if (report.action === "resumed") counts.resumed++;
      } catch (e) {
        errors.push(`${s.id}: ${String((e as Error)?.message ?? e)}`);
      }
    }
    cursor = batch[batch.length - 1]!.id;
    await d.db.update(eligibilitySweeps).set({ cursor }).where(eq(eligibilitySweeps.id, sweep.id));
    if (Date.now() >= deadline) break;
  }
  if (completed) await d.db.update(eligibilitySweeps).set({ completedAt: d.now() }).where(eq(eligibilitySweeps.id, sweep.id));
  return { counts: { ...counts, sweepId: sweep.id, resumed_sweep: resumed, completed }, failures: errors.length, errors };
}

// ------------------------------------------------------------------- daily job

export async function dailyJob(d: ServiceDeps, gateway?: PaymentGateway): Promise<JobResult> {
  const c: RenewalCounts = { reminders: 0, renewed: 0, renewalFailed: 0, expired: 0, failures: 0, errors: [] };
  await sendRenewalReminders(d, c);
  await renewDueTerms(d, c, gateway);
  await expireLapsed(d, c);
  const stale = await removeStaleDevices(d);
  const resync = await resyncMailboxStates(d);
  const checksPruned = await pruneOkChecks(d, d.config.checkRetentionDays);
  const tracesPruned = await pruneTraces(d.env.BLOBS, traceRetentionDays(d.env as { TRACE_RETENTION_DAYS?: string }), d.now().getTime());
  const ended = await eraseEndedMailboxes(d, mailboxRetentionDays(d.env as { MAILBOX_RETENTION_DAYS?: string }));
  const { errors, failures, ...counts } = c;
  return {
    counts: { ...counts, ...stale.counts, statesPushed: resync.pushed, checksPruned, tracesPruned, mailboxesErased: ended.erased },
    failures: failures + stale.errors.length + resync.errors.length + ended.errors.length,
    errors: [...errors, ...stale.errors, ...resync.errors, ...ended.errors],
  };
}

/** Pushes each mailbox's latest subscription state again, repairing any push that failed after a change. */
async function resyncMailboxStates(d: ServiceDeps) {
  const rows = await d.db.select().from(subscriptions).orderBy(asc(subscriptions.mailboxAddress), asc(subscriptions.createdAt));
  const latest = new Map(rows.map((s) => [s.mailboxAddress, s]));
  let pushed = 0;
  const errors: string[] = [];
  for (const s of latest.values()) {
    if (await pushState(d, s)) pushed++;
    else errors.push(`state push ${s.id} → ${s.mailboxAddress} failed`);
  }
  return { pushed, errors };
}

/** Device partnerships unseen for STALE_DEVICE_DAYS are removed by each mailbox object. */
async function removeStaleDevices(d: ServiceDeps) {
  const olderThanMs = d.config.staleDeviceDays * 86_400_000;
  const counts = { staleDevicesRemoved: 0, staleDeviceMailboxes: 0 };
  const errors: string[] = [];
  const all = await d.db.select({ address: mailboxes.address }).from(mailboxes);
  for (const { address } of all) {
    try {
      counts.staleDevicesRemoved += await removeStaleMailboxDevices(d.env, address, olderThanMs);
      counts.staleDeviceMailboxes++;
    } catch (e) {
      errors.push(`stale devices ${address}: ${String((e as Error)?.message ?? e)}`);
    }
  }
  return { counts, errors };
}
