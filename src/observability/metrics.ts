// Metrics (issue 17 §4): counters and latency histograms kept per minute for the last hour in this isolate's
// memory (what `GET /admin/v1/metrics` shows, so `npm start` has them too), and written as data points to
// Workers Analytics Engine when the optional METRICS binding is configured (the provider's dashboards query
// it with SQL across all isolates). Per isolate means: in production each isolate reports its own share.

/** Latency bucket upper bounds in ms (the last bucket is everything above). */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000, 3_600_000];
const WINDOW_MINUTES = 60;
const MAX_GAUGES = 2000;

/** Counter or histogram names; labels complete them (command, status, outcome…). */
export type MetricName =
  | "requests"
  | "request_ms"
  | "waits_parked"
  | "waits_open"
  | "wait_ms"
  | "push_wake_ms"
  | "smtp_sends"
  | "smtp_resent_in_doubt"
  | "outbox_length"
  | "outbox_oldest_s"
  | "eligibility"
  | "cron_runs";

interface Histogram {
  counts: number[];
  sum: number;
  n: number;
  max: number;
}

interface Minute {
  minute: number;
  counters: Map<string, number>;
  histograms: Map<string, Histogram>;
}

/** The optional Analytics Engine binding (wrangler.toml `[[analytics_engine_datasets]]`, binding METRICS). */
export interface MetricsSink {
  writeDataPoint(p: { blobs?: string[]; doubles?: number[]; indexes?: string[] }): void;
}

const keyOf = (name: MetricName, labels: Record<string, string | number | undefined>) =>
  `${name}${Object.keys(labels)
    .filter((k) => labels[k] !== undefined)
    .sort()
    .map((k) => `|${k}=${labels[k]}`)
    .join("")}`;

export class MetricsRegistry {
  #minutes: Minute[] = [];
  /** Gauges: last value per key (e.g. outbox length per mailbox), with when it was set. */
  #gauges = new Map<string, { value: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  #minute(): Minute {
    const m = Math.floor(this.now() / 60_000);
    let cur = this.#minutes.at(-1);
    if (!cur || cur.minute !== m) {
      cur = { minute: m, counters: new Map(), histograms: new Map() };
      this.#minutes.push(cur);
      while (this.#minutes.length && this.#minutes[0].minute <= m - WINDOW_MINUTES) this.#minutes.shift();
    }
    return cur;
  }

  count(name: MetricName, labels: Record<string, string | number | undefined> = {}, by = 1): void {
    const c = this.#minute().counters;
    const k = keyOf(name, labels);
    c.set(k, (c.get(k) ?? 0) + by);
  }

  observe(name: MetricName, labels: Record<string, string | number | undefined>, ms: number): void {
    const h = this.#minute().histograms;
    const k = keyOf(name, labels);
    let e = h.get(k);
    if (!e) {
      e = emptyHistogram();
      h.set(k, e);
    }
    let i = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
    if (i < 0) i = LATENCY_BUCKETS_MS.length;
    e.counts[i]++;
    e.sum += ms;
    e.n++;
    e.max = Math.max(e.max, ms);
  }

  gauge(name: MetricName, labels: Record<string, string | number | undefined>, value: number): void {
    const k = keyOf(name, labels);
    this.#gauges.delete(k); // re-inserted last: the map stays in order of last update
    this.#gauges.set(k, { value, at: this.now() });
    // Per-object gauges (outbox) must not grow without bound in a long-lived isolate: keep the freshest.
    while (this.#gauges.size > MAX_GAUGES) this.#gauges.delete(this.#gauges.keys().next().value!);
  }

  /** Everything of the last hour: counters summed, histograms merged with p50/p90/p99 estimates, gauges. */
  snapshot() {
    const since = Math.floor(this.now() / 60_000) - WINDOW_MINUTES;
    const counters: Record<string, number> = {};
    const merged = new Map<string, Histogram>();
    for (const m of this.#minutes) {
      if (m.minute <= since) continue;
      for (const [k, v] of m.counters) counters[k] = (counters[k] ?? 0) + v;
      for (const [k, h] of m.histograms) {
        let e = merged.get(k);
        if (!e) {
          e = emptyHistogram();
          merged.set(k, e);
        }
        for (let i = 0; i < h.counts.length; i++) e.counts[i] += h.counts[i];
        e.sum += h.sum;
        e.n += h.n;
        e.max = Math.max(e.max, h.max);
      }
    }
    const histograms: Record<
      string,
      { count: number; sum_ms: number; max_ms: number; p50_ms: number; p90_ms: number; p99_ms: number; buckets: Record<string, number> }
    > = {};
    for (const [k, h] of merged) {
      const buckets: Record<string, number> = {};
      h.counts.forEach((c, i) => {
        if (c) buckets[i < LATENCY_BUCKETS_MS.length ? `le_${LATENCY_BUCKETS_MS[i]}` : "inf"] = c;
      });
      histograms[k] = {
        count: h.n,
        sum_ms: Math.round(h.sum * 10) / 10,
        max_ms: Math.round(h.max * 10) / 10,
        p50_ms: quantile(h, 0.5),
        p90_ms: quantile(h, 0.9),
        p99_ms: quantile(h, 0.99),
        buckets,
      };
    }
    const gauges: Record<string, { value: number; at: string }> = {};
    for (const [k, g] of this.#gauges)
      if (g.at > this.now() - WINDOW_MINUTES * 60_000) gauges[k] = { value: g.value, at: new Date(g.at).toISOString() };
    return { window_minutes: WINDOW_MINUTES, since: new Date((since + 1) * 60_000).toISOString(), counters, histograms, gauges };
  }
}

function emptyHistogram(): Histogram {
  return { counts: new Array(LATENCY_BUCKETS_MS.length + 1).fill(0), sum: 0, n: 0, max: 0 };
}

/** The bucket's upper bound where the quantile falls (the max for the open bucket). */
function quantile(h: Histogram, q: number): number {
  const want = q * h.n;
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    seen += h.counts[i];
    if (seen >= want && h.counts[i] > 0) return i < LATENCY_BUCKETS_MS.length ? Math.min(LATENCY_BUCKETS_MS[i], h.max) : h.max;
  }
  return 0;
}

/** This isolate's registry. */
export const metrics = new MetricsRegistry();

/** One Analytics Engine data point when the binding exists; never throws (metrics must not fail a request). */
export function writePoint(env: { METRICS?: MetricsSink }, kind: string, blobs: (string | number | undefined)[], doubles: number[]): void {
  try {
    env.METRICS?.writeDataPoint({ indexes: [kind], blobs: [kind, ...blobs.map((b) => (b === undefined ? "" : String(b)))], doubles });
  } catch {
    // best effort
  }
}
