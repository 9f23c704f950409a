// Provider parameters and service knobs, read from wrangler [vars] / .dev.vars (see wrangler.toml).

export interface ServiceConfig {
  dohUrl: string;
  rdapUrl: string;
  providerNameservers: string[];
  providerMxHosts: string[];
  providerPop3Host: string;
  /** Matched against the RDAP registrar entity's IANA Registrar ID or its name. */
  providerRegistrar: string;
  lookupTimeoutMs: number;
  /** The provider's own domains (demo, staff): never checked by the sweep, never suspended for eligibility. */
  eligibilityExemptDomains: string[];
  /** Lift an eligibility suspension by itself once every condition holds again. */
  autoLiftEligibility: boolean;
  sweepBatchSize: number;
  /** Stop starting new batches after this long; the cursor lets the next run resume. */
  sweepBudgetMs: number;
  graceDays: number;
  /** Days before the term's end when the consumer's renewal reminder is sent (must be 30..90, L215-1). */
  reminderDaysBefore: number;
  staleDeviceDays: number;
  /** All-ok eligibility checks older than this are pruned by the daily job (others are kept). */
  checkRetentionDays: number;
  priceCents: number;
  currency: string;
  /** `manual` (default): the renewal invoice awaits a payment staff record; `auto`: confirmed at once, development only. */
  renewalPayment: "auto" | "manual";
}

const list = (v: string | undefined) =>
  (v ?? "")
    .split(",")
    .map((s) => normalizeHost(s))
    .filter(Boolean);

/** DNS host names compare case-insensitively and without the trailing root dot. */
export function normalizeHost(h: string): string {
  return h.trim().toLowerCase().replace(/\.$/, "");
}

function num(v: string | undefined, dflt: number): number {
  const n = Number(v);
  return v !== undefined && v !== "" && Number.isFinite(n) ? n : dflt;
}

export function readConfig(env: Env): ServiceConfig {
  const e = env as unknown as Record<string, string | undefined>;
  const reminder = num(e.RENEWAL_REMINDER_DAYS, 45);
  return {
    dohUrl: e.DOH_URL ?? "https://cloudflare-dns.com/dns-query",
    rdapUrl: (e.RDAP_URL ?? "https://rdap.org").replace(/\/+$/, ""),
    providerNameservers: list(e.PROVIDER_NAMESERVERS),
    providerMxHosts: list(e.PROVIDER_MX_HOSTS),
    providerPop3Host: normalizeHost(e.PROVIDER_POP3_HOST ?? ""),
    providerRegistrar: (e.PROVIDER_REGISTRAR ?? "").trim(),
    lookupTimeoutMs: num(e.LOOKUP_TIMEOUT_MS, 5000),
    eligibilityExemptDomains: list(e.ELIGIBILITY_EXEMPT_DOMAINS),
    autoLiftEligibility: (e.ELIGIBILITY_AUTO_LIFT ?? "true") !== "false",
    sweepBatchSize: Math.max(1, num(e.SWEEP_BATCH_SIZE, 50)),
    sweepBudgetMs: num(e.SWEEP_BUDGET_MS, 20_000),
    graceDays: num(e.GRACE_DAYS, 15),
    // Code de la consommation L215-1: the reminder goes out between 3 months and 1 month before the term.
    reminderDaysBefore: Math.min(90, Math.max(30, reminder)),
    staleDeviceDays: num(e.STALE_DEVICE_DAYS, 90),
    checkRetentionDays: num(e.CHECK_RETENTION_DAYS, 90),
    priceCents: num(e.PRICE_CENTS, 2400),
    currency: e.CURRENCY ?? "EUR",
    renewalPayment: e.RENEWAL_PAYMENT === "auto" ? "auto" : "manual",
  };
}
