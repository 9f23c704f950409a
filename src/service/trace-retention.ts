// Protocol traces (issue 17 §5) are support material, not records: the daily job deletes those older than
// TRACE_RETENTION_DAYS (default 7) from R2. In production an R2 lifecycle rule on the `trace/` prefix does the
// same without a Worker (README, Deploying); this keeps `npm start` and buckets without the rule bounded too.

export const DEFAULT_TRACE_RETENTION_DAYS = 7;
const TRACE_ROOT = "trace/";

export function traceRetentionDays(env: { TRACE_RETENTION_DAYS?: string }): number {
  const n = Number(env.TRACE_RETENTION_DAYS);
  return env.TRACE_RETENTION_DAYS && Number.isFinite(n) && n > 0 ? n : DEFAULT_TRACE_RETENTION_DAYS;
}

/** Deletes trace files uploaded before `now - days`, at most `budget` list pages per run. */
export async function pruneTraces(bucket: R2Bucket, days: number, now = Date.now(), budget = 50): Promise<number> {
  const cutoff = now - days * 86_400_000;
  let cursor: string | undefined;
  let deleted = 0;
  for (let page = 0; page < budget; page++) {
    const list = await bucket.list({ prefix: TRACE_ROOT, cursor });
    const old = list.objects.filter((o) => o.uploaded.getTime() < cutoff).map((o) => o.key);
    if (old.length) await bucket.delete(old);
    deleted += old.length;
    if (!list.truncated) break;
    cursor = list.cursor;
  }
  return deleted;
}
