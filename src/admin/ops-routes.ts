// Operations (issue 17 §4, §7): this isolate's metrics of the last hour, and the service's health.
import { createRoute, z } from "@hono/zod-openapi";
import { metrics } from "../observability/metrics";
import { healthReport } from "../service/health";
import { newAdminRouter } from "./context";
import { json, problemResponses } from "./schemas";

export const opsRoutes = newAdminRouter();
const r = opsRoutes;
const tags = ["operations"];

const Histogram = z.object({
  count: z.number(),
  sum_ms: z.number(),
  max_ms: z.number(),
  p50_ms: z.number(),
  p90_ms: z.number(),
  p99_ms: z.number(),
  buckets: z.record(z.string(), z.number()).openapi({ description: "le_<ms>: count in the bucket up to that bound; inf: above" }),
});
const Metrics = z
  .object({
    window_minutes: z.number(),
    since: z.string(),
    counters: z.record(z.string(), z.number()).openapi({ description: "name|label=value|…: count over the window" }),
    histograms: z.record(z.string(), Histogram),
    gauges: z.record(z.string(), z.object({ value: z.number(), at: z.string() })),
  })
  .openapi("Metrics");

r.openapi(
  createRoute({
    method: "get",
    path: "/metrics",
    tags,
    summary:
      "Requests per command and status with latency histograms, parked waits, push wake latency, SMTP, outbox, eligibility, cron: the last hour of this isolate",
    description:
      "Kept in memory per isolate (what `npm start` shows). In production the same data points go to Workers Analytics Engine when the METRICS binding is configured, to query across isolates.",
    responses: { 200: json(Metrics, "Metrics"), ...problemResponses },
  }),
  (c) => c.json(metrics.snapshot(), 200),
);

const Check = z.object({ ok: z.boolean(), ms: z.number(), detail: z.string().optional() });
const Health = z
  .object({
    status: z.enum(["ok", "degraded"]),
    checked_at: z.string(),
    checks: z.object({ d1: Check, r2: Check, doh: Check, rdap: Check, smtp: Check }),
    cron: z.array(
      z.object({
        job: z.string(),
        cron: z.string(),
        started_at: z.string(),
        duration_ms: z.number(),
        failures: z.number(),
        ok: z.boolean(),
      }),
    ),
  })
  .openapi("Health");

r.openapi(
  createRoute({
    method: "get",
    path: "/health",
    tags,
    summary: "D1, R2, DoH, RDAP and the SMTP relay reachable (each within 3 s), and the last run of each cron job",
    description:
      "`status` is `degraded` when a check fails or a job's last run had failures; the HTTP status stays 200 (this is a report).",
    responses: { 200: json(Health, "Health"), ...problemResponses },
  }),
  async (c) => c.json(await healthReport(c.get("deps")), 200),
);
