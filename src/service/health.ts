// Health (issue 17 §7). `/healthz` is for load balancers and uptime probes: the Worker answers and D1 answers,
// nothing else said. The admin view checks each dependency with a short timeout and shows the last cron runs.
import { connect } from "cloudflare:sockets";
import { desc, eq, sql } from "drizzle-orm";
import { cronRuns } from "../db/schema";
import type { ServiceDeps } from "./deps";

export const HEALTH_TIMEOUT_MS = 3000;

export interface Check {
  ok: boolean;
  ms: number;
  /** Why it failed, or what was reached (never a credential). */
  detail?: string;
}

async function timed(fn: () => Promise<string | undefined>, timeoutMs: number): Promise<Check> {
  const t0 = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const detail = await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ms: Date.now() - t0, ...(detail ? { detail } : {}) };
  } catch (e) {
    return { ok: false, ms: Date.now() - t0, detail: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

/** The liveness probe: D1 answers a trivial query. */
export async function live(d: ServiceDeps, timeoutMs = HEALTH_TIMEOUT_MS): Promise<boolean> {
  return (await timed(async () => void (await d.db.run(sql`SELECT 1`)), timeoutMs)).ok;
}

/** Reads the SMTP relay's greeting (220) on a fresh connection and closes it; no EHLO, no login. */
async function smtpGreeting(env: Record<string, string | undefined>): Promise<string> {
  const host = env.SMTP_HOST?.trim();
  if (!host) throw new Error("SMTP_HOST not set (outside mail waits and bounces)");
  const tls = env.SMTP_TLS?.trim() || "implicit";
  const port = Number(env.SMTP_PORT) || (tls === "implicit" ? 465 : 587);
  const socket = connect(
    { hostname: host, port },
    {
      secureTransport: tls === "implicit" ? "on" : tls === "starttls" ? "starttls" : "off",
      allowHalfOpen: false,
    },
  );
  try {
    const reader = socket.readable.getReader();
    let text = "";
    while (!/\r?\n/.test(text)) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder("latin1").decode(value);
    }
    const line = text.split(/\r?\n/)[0] ?? "";
    if (!line.startsWith("220")) throw new Error(`relay ${host}:${port} greeted with "${line.slice(0, 80)}"`);
    return `${host}:${port} (${tls})`;
  } finally {
    await socket.close().catch(() => {});
  }
}

export interface HealthReport {
  status: "ok" | "degraded";
  checked_at: string;
  checks: { d1: Check; r2: Check; doh: Check; rdap: Check; smtp: Check };
  cron: { job: string; cron: string; started_at: string; duration_ms: number; failures: number; ok: boolean }[];
}

/** Every dependency in parallel, each bounded by `timeoutMs`; the last run of each cron job. */
export async function healthReport(d: ServiceDeps, timeoutMs = HEALTH_TIMEOUT_MS): Promise<HealthReport> {
  const env = d.env as unknown as Record<string, string | undefined>;
  const [d1, r2, doh, rdap, smtp] = await Promise.all([
    timed(async () => void (await d.db.run(sql`SELECT 1`)), timeoutMs),
    timed(async () => void (await d.env.BLOBS.head("health/probe")), timeoutMs),
    timed(async () => {
      const url = `${d.config.dohUrl}?name=${encodeURIComponent("example.com")}&type=NS`;
      const res = await d.fetcher(url, { headers: { accept: "application/dns-json" } });
      if (!res.ok) throw new Error(`DoH answered HTTP ${res.status}`);
      await res.json();
      return d.config.dohUrl;
    }, timeoutMs),
    timed(async () => {
      // Any HTTP answer from the RDAP service means it is reachable (404 for an unknown domain is an answer).
      const res = await d.fetcher(`${d.config.rdapUrl}/domain/example.com`, { headers: { accept: "application/rdap+json" } });
      await res.body?.cancel();
      if (res.status >= 500) throw new Error(`RDAP answered HTTP ${res.status}`);
      return d.config.rdapUrl;
    }, timeoutMs),
    timed(() => smtpGreeting(env), timeoutMs),
  ]);
  const jobs = await d.db.selectDistinct({ job: cronRuns.job }).from(cronRuns);
  const cron = [];
  for (const { job } of jobs) {
    const [last] = await d.db.select().from(cronRuns).where(eq(cronRuns.job, job)).orderBy(desc(cronRuns.startedAt)).limit(1);
    if (last)
      cron.push({
        job,
        cron: last.cron,
        started_at: last.startedAt.toISOString(),
        duration_ms: last.durationMs,
        failures: last.failures,
        ok: last.failures === 0,
      });
  }
  const checks = { d1, r2, doh, rdap, smtp };
  const status = Object.values(checks).every((c) => c.ok) && cron.every((c) => c.ok) ? "ok" : "degraded";
  return { status, checked_at: d.now().toISOString(), checks, cron };
}
