// §3 eligibility: four cumulative conditions, checked and recorded separately, against a fake zone (DoH JSON)
// and a fake RDAP server; loss → immediate suspension, devices refused, waiting Pings ended; back → lifted.
import {
  applyD1Migrations,
  createExecutionContext,
  createScheduledController,
  reset,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, cronRuns, domains, eligibilityChecks, eligibilityResults, notifications, suspensions } from "../../src/db/schema";
import worker from "../../src/index";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { dailyJob, runScheduled, SWEEP_CRON } from "../../src/service/cron";
import { runEligibilityCheck } from "../../src/service/eligibility";
import { recordNoticeAnswer, recordThirdPartyNotice } from "../../src/service/notices";
import { createSubscription, getSubscriptionRow, recordPayment, resumeSubscription } from "../../src/service/subscriptions";
import { childText, decodeWbxml, encodeWbxml } from "../../src/wbxml";
import { FakeZone } from "./helpers/fake-zone";
import { basic, plainQuery, post } from "./helpers/eas-client";
import { Clock, compliantMailbox, deps, testEnv } from "./helpers/subs";
import { pingBody, waitsOpen, within } from "./push-helpers";

const db = drizzle(env.DB);
const START = Date.parse("2026-03-01T10:00:00Z");

beforeEach(async () => {
  await reset();
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

async function activeSubscription(zone: FakeZone, clock: Clock, vars: Record<string, string> = {}, prefix = "user") {
  const d = deps(zone, clock, {}, vars);
  const m = await compliantMailbox(zone, prefix);
  const s = await createSubscription(d, { mailbox: m.address, customer: { kind: "consumer", name: "Bea", email: `bea@${m.domain}` } });
  await recordPayment(d, s.id, { amountCents: 2400, currency: "EUR", reference: `p-${s.id}` });
  return { d, m, s, password: "pw-" + m.domain };
}

const sweep = (zone: FakeZone, clock: Clock, vars: Record<string, string> = {}) =>
  runScheduled({ cron: SWEEP_CRON, scheduledTime: clock.t }, testEnv(vars), { fetcher: zone.fetch, now: clock.now });

const byCondition = (r: { conditions: { condition: string; outcome: string }[] }) =>
  Object.fromEntries(r.conditions.map((c) => [c.condition, c.outcome]));

describe("the four conditions, each recorded with its evidence", () => {
  it("a compliant domain: four ok, one row per condition with what was seen", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const { d, s } = await activeSubscription(zone, clock);
    const r = await runEligibilityCheck(d, s, { trigger: "test" });
    expect(byCondition(r)).toEqual({ domain_held: "ok", address_exists: "ok", provider_dns: "ok", mx_pop3: "ok" });
    const rows = await db.select().from(eligibilityResults).where(eq(eligibilityResults.checkId, r.checkId));
    expect(rows).toHaveLength(4);
    const ev = Object.fromEntries(rows.map((x) => [x.condition, x.evidence as Record<string, any>]));
    expect(ev.provider_dns.ns).toEqual(["ns1.provider.test", "ns2.provider.test"]);
    expect(ev.mx_pop3.mx.hosts).toEqual(["mx1.provider.test", "mx2.provider.test"]);
    expect(ev.mx_pop3.pop3.cname).toBe("pop3.provider.test");
    expect(ev.domain_held.rdap).toMatchObject({
      expiresAt: "2030-01-01T00:00:00Z",
      registrar: { ianaId: "4242", name: "Provider Registrar SAS" },
    });
    expect(r.action).toBeNull();
  });

  it("(i) not renewed / pending delete / registry says no such domain / provider record expired → domain_held lost", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const { d, s, m } = await activeSubscription(zone, clock);
    zone.rdap.set(m.domain, {
      status: ["pending delete"],
      expiresAt: "2026-02-01T00:00:00Z",
      registrar: { name: "Provider Registrar SAS", ianaId: "4242" },
    });
    const r1 = await runEligibilityCheck(d, s, { trigger: "test" });
    expect(byCondition(r1).domain_held).toBe("lost");
    expect((r1.conditions[0]!.evidence.lost as string[]).join(" ")).toMatch(/pending delete.*expiration/);
    zone.rdap.delete(m.domain);
    expect(byCondition(await runEligibilityCheck(d, await getSubscriptionRow(d, s.id), { trigger: "test" })).domain_held).toBe("lost");
  });

  it("(ii) transferred to another registrar → domain_held lost; the registrar may be named instead of its IANA id", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const { d, s, m } = await activeSubscription(zone, clock);
    zone.rdap.set(m.domain, { expiresAt: "2030-01-01T00:00:00Z", registrar: { name: "Other Registrar Inc.", ianaId: "1111" } });
    const r = await runEligibilityCheck(d, s, { trigger: "test" });
    expect(byCondition(r).domain_held).toBe("lost");
    expect(String(r.conditions[0]!.evidence.lost)).toMatch(/Other Registrar Inc\. \(IANA 1111\), not 4242/);
    const byName = deps(zone, clock, {}, { PROVIDER_REGISTRAR: "other registrar inc." });
    const d2 = await runEligibilityCheck(byName, await getSubscriptionRow(d, s.id), { trigger: "test" });
    expect(byCondition(d2).domain_held).toBe("ok");
  });

  it("the provider's own domain record counts too", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const { d, s, m } = await activeSubscription(zone, clock);
    await db.update(domains).set({ status: "transferred_out" }).where(eq(domains.name, m.domain));
    expect(byCondition(await runEligibilityCheck(d, s, { trigger: "test" })).domain_held).toBe("lost");
  });

  it("no account for the address → address_exists lost", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const { d, s, m } = await activeSubscription(zone, clock);
    await env.DB.prepare("delete from accounts where address = ?").bind(m.address).run();
    expect(byCondition(await runEligibilityCheck(d, s, { trigger: "test" })).address_exists).toBe("lost");
  });

  it("(iii) a foreign nameserver → provider_dns lost, with the foreign host in the evidence", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const { d, s, m } = await activeSubscription(zone, clock);
    zone.set(m.domain, "NS", ["ns1.provider.test.", "ns.elsewhere.test."]);
    const r = await runEligibilityCheck(d, s, { trigger: "test" });
    expect(byCondition(r).provider_dns).toBe("lost");
    expect(r.conditions[2]!.evidence.foreign).toEqual(["ns.elsewhere.test"]);
  });

  it("(iv) MX elsewhere, or pop3 CNAME/A elsewhere → mx_pop3 lost; an A record with the provider's address is fine", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const { d, s, m } = await activeSubscription(zone, clock);
    const check = async () => byCondition(await runEligibilityCheck(d, await getSubscriptionRow(d, s.id), { trigger: "test" })).mx_pop3;
    zone.set(m.domain, "MX", ["10 mx.gmail.test."]);
    expect(await check()).toBe("lost");
    zone.compliant(m.domain);
    zone.records.set(`pop3.${m.domain}`, { A: ["192.0.2.110"] });
    expect(await check()).toBe("ok");
    zone.records.set(`pop3.${m.domain}`, { A: ["198.51.100.7"] });
    expect(await check()).toBe("lost");
    zone.records.set(`pop3.${m.domain}`, { CNAME: ["pop.other.test."] });
    expect(await check()).toBe("lost");
    zone.records.set(`pop3.${m.domain}`, { CNAME: ["alias.provider.test."] });
    zone.records.set("alias.provider.test", { CNAME: ["pop3.provider.test."] });
    expect(await check()).toBe("ok"); // a chain that reaches the provider's host
    zone.records.delete(`pop3.${m.domain}`);
    expect(await check()).toBe("lost"); // NXDOMAIN: a definite answer that the record is gone
  });
});

describe("unknown is never a reason to suspend", () => {
  it("SERVFAIL, a network failure or an RDAP outage → unknown, recorded, no suspension", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const { d, s, m } = await activeSubscription(zone, clock);
    zone.servfail.add(m.domain);
    const r1 = await runEligibilityCheck(d, s, { trigger: "test" });
    expect(byCondition(r1)).toMatchObject({ provider_dns: "unknown", mx_pop3: "unknown" });
    expect(r1.outcome).toBe("unknown");
    expect(String(r1.conditions[2]!.evidence.error)).toMatch(/SERVFAIL/);
    zone.servfail.clear();
    zone.rdap.set(m.domain, "down");
    expect(byCondition(await runEligibilityCheck(d, s, { trigger: "test" })).domain_held).toBe("unknown");
    zone.networkDown = true;
    const r3 = await runEligibilityCheck(d, s, { trigger: "test" });
    expect(r3.outcome).toBe("unknown");
    expect(r3.conditions.filter((c) => c.outcome === "unknown").map((c) => c.condition)).toEqual([
      "domain_held",
      "provider_dns",
      "mx_pop3",
    ]);
    expect((await getSubscriptionRow(d, s.id)).status).toBe("active");
    expect(await db.select().from(suspensions).where(eq(suspensions.subscriptionId, s.id))).toHaveLength(0);
  });

  it("a DoH endpoint that never answers times out → unknown", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const { s } = await activeSubscription(zone, clock);
    const hang: typeof fetch = (input, init) =>
      new URL(String(input instanceof Request ? input.url : input)).pathname.startsWith("/dns-query")
        ? new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)))
        : zone.fetch(input, init);
    const d = deps(zone, clock, { fetcher: hang }, { LOOKUP_TIMEOUT_MS: "50" });
    const r = await runEligibilityCheck(d, s, { trigger: "test" });
    expect(byCondition(r).provider_dns).toBe("unknown");
    expect(String(r.conditions[2]!.evidence.error)).toMatch(/timeout/);
    expect(r.action).toBeNull();
  });

  it("the real scheduled handler with unreachable DoH/RDAP endpoints suspends nothing and writes its summary", async () => {
    const zone = new FakeZone();
    const clock = new Clock(Date.now());
    const { s } = await activeSubscription(zone, clock);
    const ctrl = createScheduledController({ cron: SWEEP_CRON, scheduledTime: new Date() });
    const ctx = createExecutionContext();
    const unreachable = {
      ...env,
      ...testEnv(),
      DOH_URL: "http://127.0.0.1:9/dns-query",
      RDAP_URL: "http://127.0.0.1:9",
      LOOKUP_TIMEOUT_MS: "2000",
    } as unknown as Env;
    await worker.scheduled(ctrl, unreachable, ctx);
    await waitOnExecutionContext(ctx);
    const [run] = await db.select().from(cronRuns);
    expect(run).toMatchObject({ cron: SWEEP_CRON, job: "eligibility_sweep" });
    expect(run!.counts).toMatchObject({ checked: 1, unknown: 1, suspended: 0 });
    expect((await db.select().from(eligibilityChecks).where(eq(eligibilityChecks.subscriptionId, s.id)))[0]!.outcome).toBe("unknown");
    expect((await getSubscriptionRow(deps(zone, clock), s.id)).status).toBe("active");
  });
});

describe("loss → immediate suspension; devices refused at once; restored → lifted", () => {
  it("MX changed: the sweep suspends with evidence, e-mails the customer, ends the waiting Ping, refuses the next request; MX restored: lifted", async () => {
    const zone = new FakeZone();
    const clock = new Clock(Date.now());
    const { s, m, password } = await activeSubscription(zone, clock);
    const auth = basic(m.address, password);
    const wb = { "Content-Type": "application/vnd.ms-sync.wbxml" };

    const parked = post(plainQuery("Ping", "", "phone1"), { auth, headers: wb, body: encodeWbxml(pingBody(600, [["1", "Email"]])) });
    await waitsOpen(m.address, 1);
    expect(await within(parked, 30)).toBe("pending");

    zone.set(m.domain, "MX", ["10 mx.elsewhere.test."]);
    const run = await sweep(zone, clock);
    expect(run.counts).toMatchObject({ checked: 1, lost: 1, suspended: 1 });

    // The waiting Ping ended at once ("no changes"), and the next request is refused with 131 AccountDisabled.
    const ended = await within(parked, 2000);
    expect(ended).not.toBe("pending");
    expect((ended as Response).status).toBe(200);
    const refused = await post(plainQuery("Ping", "", "phone1"), { auth, headers: wb, body: encodeWbxml(pingBody(600, [["1", "Email"]])) });
    expect(refused.status).toBe(200);
    const body = decodeWbxml(new Uint8Array(await refused.arrayBuffer()));
    expect(body).toMatchObject({ ns: "Ping", name: "Ping" });
    expect(childText(body, "Status")).toBe("131"); // MS-ASCMD_R4879, R4880
    const old = await post(plainQuery("Ping", "", "phone1"), {
      auth,
      headers: { ...wb, "MS-ASProtocolVersion": "12.1" },
      body: encodeWbxml(pingBody(600, [["1", "Email"]])),
    });
    expect(old.status).toBe(403);

    const sub = await getSubscriptionRow(deps(zone, clock), s.id);
    expect(sub.status).toBe("suspended");
    const [susp] = await db.select().from(suspensions).where(eq(suspensions.subscriptionId, s.id));
    expect(susp).toMatchObject({ reason: "eligibility", suspendedBy: "system:cron", liftedAt: null });
    expect(JSON.stringify(susp!.evidence)).toContain("mx.elsewhere.test");
    const mails = await db.select().from(notifications).where(eq(notifications.subscriptionId, s.id));
    expect(mails.find((n) => n.kind === "suspension")).toMatchObject({ to: `bea@${m.domain}`, sentAt: null });

    // A further sweep while still lost changes nothing.
    clock.t += 15 * 60_000;
    expect((await sweep(zone, clock)).counts).toMatchObject({ checked: 1, lost: 1, suspended: 0 });

    zone.compliant(m.domain);
    clock.t += 15 * 60_000;
    expect((await sweep(zone, clock)).counts).toMatchObject({ checked: 1, ok: 1, resumed: 1 });
    const back = await getSubscriptionRow(deps(zone, clock), s.id);
    expect(back.status).toBe("active");
    const [lifted] = await db.select().from(suspensions).where(eq(suspensions.subscriptionId, s.id));
    expect(lifted!.liftedBy).toBe("system:cron");
    expect(lifted!.liftReason).toMatch(/every condition of §3 holds again/);
    const again = post(plainQuery("Ping", "", "phone1"), { auth, headers: wb, body: encodeWbxml(pingBody(600, [["1", "Email"]])) });
    await waitsOpen(m.address, 1); // the device waits again: service is back
    await env.MAILBOX.getByName(m.address).endAllWaits("test over");
    expect(childText(decodeWbxml(new Uint8Array(await (await again).arrayBuffer())), "Status")).toBe("1");
  });

  it("with ELIGIBILITY_AUTO_LIFT=false the suspension stays until staff lift it", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const vars = { ELIGIBILITY_AUTO_LIFT: "false" };
    const { s, m } = await activeSubscription(zone, clock, vars);
    zone.set(m.domain, "NS", ["ns.elsewhere.test."]);
    await sweep(zone, clock, vars);
    zone.compliant(m.domain);
    clock.t += 900_000;
    expect((await sweep(zone, clock, vars)).counts).toMatchObject({ ok: 1, resumed: 0 });
    expect((await getSubscriptionRow(deps(zone, clock), s.id)).status).toBe("suspended");
  });
});

describe("the sweep: batches, cursor, one lookup per domain", () => {
  it("resumes where a run stopped, checks each subscription once per sweep, queries each domain once", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const vars = { SWEEP_BATCH_SIZE: "2", SWEEP_BUDGET_MS: "0" }; // one batch per run
    const subs = [];
    for (let i = 0; i < 3; i++) subs.push(await activeSubscription(zone, clock, vars, `u${i}`));
    // a fourth mailbox on the first one's domain
    const d = subs[0]!.d;
    const extra = `second@${subs[0]!.m.domain}`;
    await env.DB.prepare("insert into accounts (address, password_hash, salt, iterations, created_at) values (?, 'x', 'x', 1, 0)")
      .bind(extra)
      .run();
    const s4 = await createSubscription(d, { mailbox: extra, customer: { kind: "business", name: "B", email: `b@${subs[0]!.m.domain}` } });
    await recordPayment(d, s4.id, { amountCents: 2400, currency: "EUR", reference: "p4" });
    zone.log = [];

    const r1 = await sweep(zone, clock, vars);
    expect(r1.counts).toMatchObject({ checked: 2, completed: false, resumed_sweep: false });
    const r2 = await sweep(zone, clock, vars);
    expect(r2.counts).toMatchObject({ checked: 2, completed: false, resumed_sweep: true, sweepId: r1.counts.sweepId });
    const r3 = await sweep(zone, clock, vars);
    expect(r3.counts).toMatchObject({ checked: 0, completed: true, sweepId: r1.counts.sweepId });
    const checks = await db
      .select()
      .from(eligibilityChecks)
      .where(eq(eligibilityChecks.sweepId, String(r1.counts.sweepId)));
    expect(checks.map((c) => c.subscriptionId).sort()).toEqual([...subs.map((x) => x.s.id), s4.id].sort());
    // 3 distinct domains: one NS query each, whatever run or batch they fell in
    expect(zone.log.filter((q) => q.startsWith("NS ")).length).toBe(3);
    expect(zone.log.filter((q) => q.startsWith("RDAP ")).length).toBe(3);
    const r4 = await sweep(zone, clock, vars);
    expect(r4.counts.sweepId).not.toBe(r1.counts.sweepId); // a new pass starts
    expect(await db.select().from(cronRuns)).toHaveLength(4);
  });
});

describe("records", () => {
  it("every check is stored; the audit log only gets changes of outcome from the sweep", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const { s, m } = await activeSubscription(zone, clock);
    for (let i = 0; i < 3; i++) {
      await sweep(zone, clock);
      clock.t += 900_000;
    }
    zone.servfail.add(m.domain);
    await sweep(zone, clock);
    expect(await db.select().from(eligibilityChecks).where(eq(eligibilityChecks.subscriptionId, s.id))).toHaveLength(4);
    const audited = (
      await db
        .select()
        .from(auditLog)
        .where(eq(auditLog.subject, `subscription:${s.id}`))
    ).filter((a) => a.action === "eligibility.checked");
    expect(audited.map((a) => (a.after as { outcome: string }).outcome)).toEqual(["ok", "unknown"]);
  });

  it("the daily job prunes old all-ok checks, keeping the latest and every lost or unknown one", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const { s, m } = await activeSubscription(zone, clock);
    const d = deps(zone, clock);
    await runEligibilityCheck(d, s, { trigger: "test" }); // ok, old
    zone.servfail.add(m.domain);
    await runEligibilityCheck(d, s, { trigger: "test" }); // unknown, old: kept
    zone.servfail.clear();
    await runEligibilityCheck(d, s, { trigger: "test" }); // ok, old but the latest: kept
    clock.advanceDays(91);
    const run = await dailyJob(d);
    expect(run.counts.checksPruned).toBe(1);
    const left = await db.select().from(eligibilityChecks).where(eq(eligibilityChecks.subscriptionId, s.id));
    expect(left.map((c) => c.outcome).sort()).toEqual(["ok", "unknown"]);
    expect(await db.select().from(eligibilityResults)).toHaveLength(8);
  });
});

describe("the provider's own domains", () => {
  it("ELIGIBILITY_EXEMPT_DOMAINS are skipped by the sweep and never suspended by a check", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const { s, m } = await activeSubscription(zone, clock);
    const vars = { ELIGIBILITY_EXEMPT_DOMAINS: `other.test, ${m.domain.toUpperCase()}` };
    zone.records.clear(); // NXDOMAIN everywhere: would be "lost"
    zone.log = [];
    expect((await sweep(zone, clock, vars)).counts).toMatchObject({ checked: 0, exempt: 1 });
    expect(zone.log).toEqual([]);
    const r = await runEligibilityCheck(deps(zone, clock, {}, vars), s, { trigger: "admin" });
    expect(r.outcome).toBe("lost");
    expect(r.action).toBeNull();
    expect((await getSubscriptionRow(deps(zone, clock), s.id)).status).toBe("active");
  });
});

describe("illicit use (§4)", () => {
  it("a third party's notice suspends; the answer and documentation are recorded; only staff lift it; nothing is deleted", async () => {
    const zone = new FakeZone();
    const clock = new Clock(START);
    const { d, s, m } = await activeSubscription(zone, clock);
    const delivered = await env.MAILBOX.getByName(m.address).deliver(
      new TextEncoder().encode(`From: x@example.test\r\nTo: ${m.address}\r\nSubject: keep me\r\n\r\nbody\r\n`),
    );
    const { notice, subscription } = await recordThirdPartyNotice({ ...d, actor: "admin:legal" }, s.id, {
      from: { name: "Rights Holder", email: "legal@rights.test" },
      description: "phishing sent through the service",
      evidence: "headers attached",
    });
    expect(subscription.status).toBe("suspended");
    const [susp] = await db.select().from(suspensions).where(eq(suspensions.subscriptionId, s.id));
    expect(susp).toMatchObject({ reason: "illicit_use", noticeId: notice.id, suspendedBy: "admin:legal" });
    await recordNoticeAnswer(d, notice.id, { answer: "compromised password, changed", complianceDocumentation: "audit report v1" });
    // an eligibility sweep with everything ok does not lift an illicit-use suspension
    await sweep(zone, clock);
    expect((await getSubscriptionRow(d, s.id)).status).toBe("suspended");
    await resumeSubscription({ ...d, actor: "admin:legal" }, s.id, { reason: "illicit_use", why: "compliance documented" });
    expect((await getSubscriptionRow(d, s.id)).status).toBe("active");
    // the mailbox data went through suspension and resumption untouched
    const kept = await runInDurableObject(env.MAILBOX.getByName(m.address), (box: Mailbox) => box.store.countItems(delivered.folderId));
    expect(kept).toBe(1);
  });
});
