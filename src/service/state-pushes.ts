// Pending subscription-state pushes (issue 13 §5): the durable record that a mailbox object has not yet
// acknowledged a state. A change writes its row in the same D1 batch as the change itself, so a request that
// dies between the batch and the push still leaves the push to do; an acknowledgement removes it; the
// state-push cron (cron.ts, every minute) retries what is due, backing off while the object stays unreachable.
import { and, asc, eq, lte, sql } from "drizzle-orm";
import { statePushes } from "../db/schema";
import type { ServiceDeps } from "./deps";

export type StatePush = typeof statePushes.$inferSelect;

/** How long the request that made the change keeps trying itself before the cron's retries are due. */
export const INLINE_PUSH_WINDOW_MS = 5_000;
/** The longest wait between two cron attempts for one mailbox. */
export const MAX_PUSH_BACKOFF_MS = 30 * 60_000;

/** Wait after the n-th failed cron attempt (n ≥ 1): 1, 2, 4, 8, 16, 30, 30… minutes. */
export function pushBackoffMs(attempts: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), MAX_PUSH_BACKOFF_MS);
}

interface Versioned {
  id: string;
  mailboxAddress: string;
  version: number;
}

/**
 * The statement recording that version `s.version` of the subscription must reach its mailbox object: put it in
 * the batch that makes the change. A row already pending keeps the highest version and starts its backoff anew.
 */
export function pendingPushRow(d: ServiceDeps, s: Versioned, dueAt = new Date(d.now().getTime() + INLINE_PUSH_WINDOW_MS)) {
  return d.db
    .insert(statePushes)
    .values({
      subscriptionId: s.id,
      mailboxAddress: s.mailboxAddress,
      version: s.version,
      attempts: 0,
      nextAttemptAt: dueAt,
      createdAt: d.now(),
    })
    .onConflictDoUpdate({
      target: statePushes.subscriptionId,
      set: { version: sql.raw('max("version", excluded."version")'), attempts: 0, nextAttemptAt: dueAt },
    });
}

/** The object acknowledged version `version` (applied or found older than its copy): nothing older is left to push. */
export async function acknowledgePush(d: ServiceDeps, subscriptionId: string, version: number): Promise<void> {
  await d.db.delete(statePushes).where(and(eq(statePushes.subscriptionId, subscriptionId), lte(statePushes.version, version)));
}

/** The request's own attempts failed: the row (written again if the change's batch had none) is due at once. */
export async function pushFailedInline(d: ServiceDeps, s: Versioned, error: string): Promise<void> {
  await pendingPushRow(d, s, d.now());
  await d.db
    .update(statePushes)
    .set({ lastError: error.slice(0, 300) })
    .where(eq(statePushes.subscriptionId, s.id));
}

/** A cron attempt failed: the next one waits longer. */
export async function pushFailedAgain(d: ServiceDeps, row: StatePush, error: string): Promise<void> {
  const attempts = row.attempts + 1;
  await d.db
    .update(statePushes)
    .set({ attempts, nextAttemptAt: new Date(d.now().getTime() + pushBackoffMs(attempts)), lastError: error.slice(0, 300) })
    .where(eq(statePushes.subscriptionId, row.subscriptionId));
}

/** Rows whose next attempt is due, oldest first. */
export async function duePushes(d: ServiceDeps, limit: number): Promise<StatePush[]> {
  return d.db
    .select()
    .from(statePushes)
    .where(lte(statePushes.nextAttemptAt, d.now()))
    .orderBy(asc(statePushes.nextAttemptAt))
    .limit(limit);
}
