// §3: the four cumulative conditions, each checked and recorded separately with what was seen.
// Only a definite answer that a condition is lost suspends; a failed lookup is `unknown` and retried later.
import { and, desc, eq, isNull } from "drizzle-orm";
import {
  domains,
  eligibilityChecks,
  eligibilityResults,
  suspensions,
  type EligibilityCondition,
  type EligibilityOutcome,
} from "../db/schema";
import { hasBuiltinAccount } from "./accounts";
import { auditRow } from "./audit";
import { normalizeHost } from "./config";
import { newId, runBatch, type ServiceDeps } from "./deps";
import { DohJsonClient, type DnsRecord } from "./doh";
import { lookupDomain } from "./rdap";
import { getSubscriptionRow, resumeSubscription, subject, suspendSubscription, type Subscription } from "./subscriptions";

export interface ConditionResult {
  condition: EligibilityCondition;
  outcome: EligibilityOutcome;
  evidence: Record<string, unknown>;
}

export interface CheckReport {
  checkId: string;
  subscriptionId: string;
  domain: string;
  outcome: EligibilityOutcome;
  checkedAt: string;
  conditions: ConditionResult[];
  /** What the check changed: `suspended`, `resumed` or nothing. */
  action: "suspended" | "resumed" | null;
}

function combine(outcomes: EligibilityOutcome[]): EligibilityOutcome {
  if (outcomes.includes("lost")) return "lost";
  if (outcomes.includes("unknown")) return "unknown";
  return "ok";
}

// RFC 8056 / RFC 9083 status values that mean the registration is going away.
const DYING_STATUSES = ["pending delete", "redemption period"];

/** (i) the domain is not renewed, (ii) it is transferred to another registrar (§3). */
export async function checkDomainHeld(d: ServiceDeps, domain: string): Promise<ConditionResult> {
  const now = d.now();
  const lost: string[] = [];
  const unknown: string[] = [];
  const [own] = await d.db.select().from(domains).where(eq(domains.name, domain));
  if (!own) lost.push("the domain is not in the provider's domain records");
  else if (own.status !== "active") lost.push(`the provider's domain record says ${own.status}`);
  else if (own.expiresAt && own.expiresAt.getTime() <= now.getTime())
    lost.push(`the provider's domain record expired on ${own.expiresAt.toISOString()}`);

  const rdap = await lookupDomain(d.config.rdapUrl, domain, d.fetcher, d.config.lookupTimeoutMs);
  if (rdap.kind === "not_found") lost.push("RDAP: the registry has no such domain");
  else if (rdap.kind === "unknown") unknown.push(`RDAP lookup failed: ${rdap.error}`);
  else {
    const f = rdap.facts;
    const dying = f.status.filter((s) => DYING_STATUSES.includes(s));
    if (dying.length) lost.push(`RDAP status: ${dying.join(", ")}`);
    if (f.expiresAt && Date.parse(f.expiresAt) <= now.getTime()) lost.push(`RDAP expiration ${f.expiresAt} has passed`);
    const want = d.config.providerRegistrar.toLowerCase();
    if (!want) unknown.push("PROVIDER_REGISTRAR is not configured");
    else if (!f.registrar) unknown.push("RDAP: no registrar entity");
    else if (f.registrar.ianaId?.toLowerCase() !== want && f.registrar.name?.toLowerCase() !== want)
      lost.push(`RDAP registrar is ${f.registrar.name ?? "?"} (IANA ${f.registrar.ianaId ?? "?"}), not ${d.config.providerRegistrar}`);
  }
  return {
    condition: "domain_held",
    outcome: lost.length ? "lost" : unknown.length ? "unknown" : "ok",
    evidence: {
      ownRecord: own ? { status: own.status, expiresAt: own.expiresAt?.toISOString() ?? null } : null,
      rdap: rdap.kind === "found" ? rdap.facts : rdap.kind === "not_found" ? { notFound: true } : { error: rdap.error },
      expectedRegistrar: d.config.providerRegistrar,
      lost,
      unknown,
    },
  };
}

/** The mailbox's address exists in the directory, on that domain. */
export async function checkAddressExists(d: ServiceDeps, address: string, domain: string): Promise<ConditionResult> {
  const onDomain = address.endsWith(`@${domain}`);
  const acc = await hasBuiltinAccount(d.db, address);
  return {
    condition: "address_exists",
    outcome: acc && onDomain ? "ok" : "lost",
    evidence: { address, domain, account: acc ? "present" : "absent", onDomain },
  };
}

/** (iii) the domain uses the provider's DNS servers: every NS record is a provider nameserver. */
export async function checkProviderDns(d: ServiceDeps, dns: DohJsonClient, domain: string): Promise<ConditionResult> {
  const r = await dns.query(domain, "NS");
  const expected = d.config.providerNameservers;
  if (r.kind === "unknown") return { condition: "provider_dns", outcome: "unknown", evidence: { error: r.error, expected } };
  const ns = r.records.filter((x) => x.type === "NS").map((x) => normalizeHost(x.data));
  const foreign = ns.filter((h) => !expected.includes(h));
  const outcome = ns.length && !foreign.length ? "ok" : "lost";
  return {
    condition: "provider_dns",
    outcome,
    evidence: { rcode: r.rcode, ns, expected, foreign, ...(ns.length ? {} : { lost: "no NS records" }) },
  };
}

const mxHost = (rec: DnsRecord) => normalizeHost(rec.data.trim().split(/\s+/).pop() ?? "");

/** (iv) MX hosts are the provider's; `pop3.<domain>` is a CNAME to, or has the addresses of, the provider's POP3 host. */
export async function checkMxPop3(d: ServiceDeps, dns: DohJsonClient, domain: string): Promise<ConditionResult> {
  const cfg = d.config;
  const parts: EligibilityOutcome[] = [];
  const evidence: Record<string, unknown> = { expectedMx: cfg.providerMxHosts, expectedPop3: cfg.providerPop3Host };

  const mx = await dns.query(domain, "MX");
  if (mx.kind === "unknown") {
    parts.push("unknown");
    evidence.mx = { error: mx.error };
  } else {
    const hosts = mx.records.filter((x) => x.type === "MX").map(mxHost);
    const foreign = hosts.filter((h) => !cfg.providerMxHosts.includes(h));
    parts.push(hosts.length && !foreign.length ? "ok" : "lost");
    evidence.mx = { hosts, foreign, records: mx.records.filter((x) => x.type === "MX").map((x) => x.data) };
  }

  const pop3Name = `pop3.${domain}`;
  const pop = await dns.query(pop3Name, "A");
  if (pop.kind === "unknown") {
    parts.push("unknown");
    evidence.pop3 = { name: pop3Name, error: pop.error };
  } else {
    const cname = pop.records.find((x) => x.type === "CNAME" && normalizeHost(x.name) === pop3Name);
    if (cname) {
      // The resolver returns the whole chain: pop3.<domain> → … → the provider's host is fine at any step.
      const chain = pop.records.filter((x) => x.type === "CNAME").map((x) => normalizeHost(x.data));
      parts.push(chain.includes(cfg.providerPop3Host) ? "ok" : "lost");
      evidence.pop3 = { name: pop3Name, cname: normalizeHost(cname.data), chain };
    } else {
      const ips = pop.records.filter((x) => x.type === "A").map((x) => x.data.trim());
      if (!ips.length) {
        parts.push("lost");
        evidence.pop3 = { name: pop3Name, rcode: pop.rcode, lost: "no CNAME or A record" };
      } else {
        const prov = await dns.query(cfg.providerPop3Host, "A");
        if (prov.kind === "unknown") {
          parts.push("unknown");
          evidence.pop3 = { name: pop3Name, a: ips, providerError: prov.error };
        } else {
          const provIps = prov.records.filter((x) => x.type === "A").map((x) => x.data.trim());
          parts.push(ips.every((ip) => provIps.includes(ip)) ? "ok" : "lost");
          evidence.pop3 = { name: pop3Name, a: ips, providerA: provIps };
        }
      }
    }
  }
  return { condition: "mx_pop3", outcome: combine(parts), evidence };
}

/** The three conditions that depend on the domain only (one lookup per domain per sweep). */
export async function checkDomainConditions(d: ServiceDeps, domain: string): Promise<ConditionResult[]> {
  const dns = new DohJsonClient(d.config.dohUrl, d.fetcher, d.config.lookupTimeoutMs);
  return Promise.all([checkDomainHeld(d, domain), checkProviderDns(d, dns, domain), checkMxPop3(d, dns, domain)]);
}

export interface CheckOptions {
  trigger: string;
  sweepId?: string;
  /** Domain results already computed in this sweep (no domain queried twice per run). */
  domainResults?: ConditionResult[];
}

export async function runEligibilityCheck(
  d: ServiceDeps,
  s: Subscription,
  opts: CheckOptions,
): Promise<CheckReport & { domainResults: ConditionResult[] }> {
  const domain = s.mailboxAddress.split("@")[1]!;
  const domainResults = opts.domainResults ?? (await checkDomainConditions(d, domain));
  const address = await checkAddressExists(d, s.mailboxAddress, domain);
  const conditions = [domainResults[0]!, address, domainResults[1]!, domainResults[2]!];
  const outcome = combine(conditions.map((c) => c.outcome));
  const at = d.now();
  const checkId = newId("chk");
  const [previous] = await d.db
    .select({ outcome: eligibilityChecks.outcome })
    .from(eligibilityChecks)
    .where(eq(eligibilityChecks.subscriptionId, s.id))
    .orderBy(desc(eligibilityChecks.checkedAt))
    .limit(1);
  const outcomes = Object.fromEntries(conditions.map((c) => [c.condition, c.outcome]));
  await runBatch(d, [
    d.db
      .insert(eligibilityChecks)
      .values({ id: checkId, subscriptionId: s.id, domain, sweepId: opts.sweepId ?? null, trigger: opts.trigger, outcome, checkedAt: at }),
    ...conditions.map((c) =>
      d.db
        .insert(eligibilityResults)
        .values({ id: newId("elr"), checkId, condition: c.condition, outcome: c.outcome, evidence: c.evidence, checkedAt: at }),
    ),
    // Every check is in eligibility_checks; the audit log gets the changes of outcome and checks staff asked for.
    ...(previous?.outcome !== outcome || opts.trigger !== "cron"
      ? [
          auditRow(d, "eligibility.checked", subject(s.id), previous ? { outcome: previous.outcome } : null, {
            checkId,
            outcome,
            conditions: outcomes,
          }),
        ]
      : []),
  ]);
  const action = d.config.eligibilityExemptDomains.includes(domain) ? null : await actOnCheck(d, s.id, checkId, outcome, conditions);
  return { checkId, subscriptionId: s.id, domain, outcome, checkedAt: at.toISOString(), conditions, action, domainResults };
}

/** §3: loss of a single condition → immediate suspension; all conditions back → automatic lift (if configured). */
async function actOnCheck(d: ServiceDeps, id: string, checkId: string, outcome: EligibilityOutcome, conditions: ConditionResult[]) {
  const s = await getSubscriptionRow(d, id);
  const [openElig] = await d.db
    .select()
    .from(suspensions)
    .where(and(eq(suspensions.subscriptionId, id), eq(suspensions.reason, "eligibility"), isNull(suspensions.liftedAt)));
  if (outcome === "lost" && !openElig && (s.status === "active" || s.status === "suspended")) {
    const lost = conditions.filter((c) => c.outcome === "lost");
    await suspendSubscription(d, id, {
      reason: "eligibility",
      evidence: { checkId, lost: lost.map((c) => ({ condition: c.condition, evidence: c.evidence })) },
    });
    return "suspended" as const;
  }
  if (outcome === "ok" && openElig && s.status === "suspended" && d.config.autoLiftEligibility) {
    await resumeSubscription(d, id, { reason: "eligibility", why: `every condition of §3 holds again (check ${checkId})` });
    return "resumed" as const;
  }
  return null;
}

/** The latest check of a subscription, one entry per condition. */
export async function latestEligibility(d: ServiceDeps, id: string) {
  const [check] = await d.db
    .select()
    .from(eligibilityChecks)
    .where(eq(eligibilityChecks.subscriptionId, id))
    .orderBy(desc(eligibilityChecks.checkedAt))
    .limit(1);
  if (!check) return null;
  const results = await d.db.select().from(eligibilityResults).where(eq(eligibilityResults.checkId, check.id));
  return {
    checkId: check.id,
    outcome: check.outcome,
    checkedAt: check.checkedAt.toISOString(),
    conditions: Object.fromEntries(
      results.map((r) => [r.condition, { status: r.outcome, evidence: r.evidence, checked_at: r.checkedAt.toISOString() }]),
    ),
  };
}

/**
 * Retention: checks whose every condition was ok, older than `olderThanDays`, are removed, except each
 * subscription's latest check. Checks with a lost or unknown condition (the evidence of a suspension or
 * of an outage) are kept.
 */
export async function pruneOkChecks(d: ServiceDeps, olderThanDays: number): Promise<number> {
  const before = d.now().getTime() - olderThanDays * 86_400_000;
  const old = `select c.id from eligibility_checks c where c.outcome = 'ok' and c.checked_at < ?1
    and c.id <> (select l.id from eligibility_checks l where l.subscription_id = c.subscription_id order by l.checked_at desc limit 1)`;
  const [, r2] = await d.env.DB.batch([
    d.env.DB.prepare(`delete from eligibility_results where check_id in (${old})`).bind(before),
    d.env.DB.prepare(`delete from eligibility_checks where id in (${old})`).bind(before),
  ]);
  return r2?.meta.changes ?? 0;
}
