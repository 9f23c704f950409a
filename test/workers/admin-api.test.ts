// The admin API (/admin/v1): bearer token, zod validation, problem+json, OpenAPI, the subscription and
// mailbox endpoints, through the Worker's real routing.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { makeAdminApp } from "../../src/admin";
import { FakeZone } from "./helpers/fake-zone";
import { testEnv } from "./helpers/subs";

const TOKEN = "test-admin-token"; // vitest.config.ts binding
const BASE = "https://mail.example.test/admin/v1";
const DAY = 86_400_000;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await exports.default.fetch(
    new Request(BASE + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    json: text ? JSON.parse(text) : undefined,
    headers: res.headers,
  };
}

let n = 0;
const unique = (p = "adm") => `${p}${++n}-${crypto.randomUUID().slice(0, 6)}`;

async function newSubscription(kind: "consumer" | "business" = "consumer", extra: Record<string, unknown> = {}) {
  const domain = `${unique()}.test`;
  const mailbox = `owner@${domain}`;
  expect((await api("POST", "/mailboxes", { address: mailbox, password: "secret-pw" })).status).toBe(201);
  const r = await api("POST", "/subscriptions", { mailbox, customer: { kind, name: "Chloé Durand", email: `chloe@${domain}` }, ...extra });
  expect(r.status).toBe(201);
  return { mailbox, domain, sub: r.json };
}

describe("authentication and errors", () => {
  it("needs the bearer token (compared in constant time); errors are application/problem+json", async () => {
    const none = await exports.default.fetch(new Request(BASE + "/subscriptions"));
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toBe("application/problem+json");
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await api("GET", "/subscriptions", undefined, { authorization: "Bearer wrong" })).status).toBe(401);
    expect((await api("GET", "/subscriptions", undefined, { authorization: `Basic ${TOKEN}` })).status).toBe(401);
    const missing = await api("GET", "/subscriptions/sub_nope");
    expect(missing).toMatchObject({ status: 404, type: "application/problem+json" });
    expect(missing.json).toMatchObject({ status: 404, title: "Not found", detail: "subscription sub_nope does not exist" });
    const closed = await makeAdminApp().request("/subscriptions", { headers: { authorization: "Bearer x" } }, {
      ...env,
      ADMIN_TOKEN: undefined,
    } as unknown as Env);
    expect(closed.status).toBe(503);
  });

  it("wrong Bearer tokens have a budget per client address (the console's): the 11th is 429, then even the right token; only failures are written", async () => {
    const ip = "198.51.100.31";
    const rows = async (client: string) =>
      (
        await env.DB.prepare("SELECT failures FROM login_client_failures WHERE client = ?")
          .bind(`console:${client}`)
          .first<{ failures: number }>()
      )?.failures ?? 0;
    // Successes touch no D1 row: an automation polling the API all day never writes.
    for (let i = 0; i < 3; i++) expect((await api("GET", "/subscriptions", undefined, { "cf-connecting-ip": ip })).status).toBe(200);
    expect(await rows(ip)).toBe(0);
    for (let i = 0; i < 10; i++)
      expect((await api("GET", "/subscriptions", undefined, { authorization: `Bearer guess-${i}`, "cf-connecting-ip": ip })).status).toBe(
        401,
      );
    expect(await rows(ip)).toBe(10);
    for (const token of ["guess-10", TOKEN]) {
      const locked = await api("GET", "/subscriptions", undefined, { authorization: `Bearer ${token}`, "cf-connecting-ip": ip });
      expect(locked.status, token).toBe(429);
      expect(locked.type).toBe("application/problem+json");
      expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    // One secret, one budget: the console's sign-in from that address is refused too.
    const consoleSignIn = await exports.default.fetch(
      new Request("https://mail.example.test/admin/login", {
        method: "POST",
        body: new URLSearchParams({ token: TOKEN }),
        headers: { "cf-connecting-ip": ip, origin: "https://mail.example.test", "content-type": "application/x-www-form-urlencoded" },
      }),
    );
    await consoleSignIn.arrayBuffer();
    expect(consoleSignIn.status).toBe(429);
    // Another address is not affected; no header at all is not a guess and is not counted.
    expect((await api("GET", "/subscriptions", undefined, { "cf-connecting-ip": "198.51.100.32" })).status).toBe(200);
    for (let i = 0; i < 12; i++)
      expect(
        (await exports.default.fetch(new Request(BASE + "/subscriptions", { headers: { "cf-connecting-ip": "198.51.100.33" } }))).status,
      ).toBe(401);
    expect(await rows("198.51.100.33")).toBe(0);
  });

  it("invalid input is a 400 problem naming the fields; bad JSON too", async () => {
    const r = await api("POST", "/subscriptions", { mailbox: "not-an-address", customer: { kind: "robot", name: "", email: "x" } });
    expect(r).toMatchObject({ status: 400, type: "application/problem+json" });
    expect(r.json.detail).toMatch(/mailbox/);
    expect(r.json.issues.map((i: { path: string }) => i.path)).toEqual(
      expect.arrayContaining(["mailbox", "customer.kind", "customer.email"]),
    );
    expect((await api("POST", "/subscriptions", "{not json")).status).toBe(400);
  });

  it("only the OpenAPI document itself skips the token (an exact path, not any path ending in /openapi.json)", async () => {
    for (const path of ["/subscriptions/openapi.json", "/mailboxes/victim%40example.test/openapi.json", "/x/openapi.json"]) {
      const res = await exports.default.fetch(new Request(BASE + path));
      expect(res.status, path).toBe(401);
      await res.arrayBuffer();
    }
  });

  it("serves its OpenAPI document without a token", async () => {
    const res = await exports.default.fetch(new Request(BASE + "/openapi.json"));
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    for (const p of [
      "/subscriptions",
      "/subscriptions/{id}",
      "/subscriptions/{id}/payments",
      "/subscriptions/{id}/eligibility-check",
      "/subscriptions/{id}/suspend",
      "/subscriptions/{id}/resume",
      "/subscriptions/{id}/withdraw",
      "/subscriptions/{id}/cancel",
      "/audit",
      "/mailboxes",
      "/mailboxes/{address}",
      "/mailboxes/{address}/messages",
    ])
      expect(Object.keys(doc.paths)).toContain(p);
  });
});

describe("mailboxes (issue 3)", () => {
  it("creates a login once (409 after), shows it, and imports a message/rfc822 into it", async () => {
    const address = `${unique("box")}@example.test`;
    expect((await api("POST", "/mailboxes", { address, password: "pw" })).status).toBe(201);
    expect((await api("POST", "/mailboxes", { address, password: "pw" })).json).toMatchObject({ status: 409, title: "Mailbox exists" });
    const got = await api("GET", `/mailboxes/${encodeURIComponent(address)}`);
    expect(got.json).toMatchObject({ address, subscription: null, device_gate_state: null });
    expect((await api("GET", "/mailboxes/nobody%40example.test")).status).toBe(404);
    const raw = `From: a@example.test\r\nTo: ${address}\r\nSubject: welcome\r\nMessage-ID: <w@example.test>\r\n\r\nhello\r\n`;
    const res = await exports.default.fetch(
      new Request(`${BASE}/mailboxes/${encodeURIComponent(address)}/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "message/rfc822" },
        body: raw,
      }),
    );
    expect(res.status).toBe(201);
    // Wall time of the D1 lookup and of the mailbox object's delivery, read by bench/push.mjs.
    expect(res.headers.get("server-timing")).toMatch(/^d1;dur=\d+, mailbox;dur=\d+$/);
    expect(((await res.json()) as { delivered: { folderId: string } }).delivered.folderId).toBeTruthy();
  });
});

describe("subscriptions", () => {
  it("order → pending_payment with its invoice; payment → active for a year; visible in lists and on the mailbox", async () => {
    const { mailbox, sub } = await newSubscription();
    expect(sub).toMatchObject({ status: "pending_payment", mailbox, price: { amount: 2400, currency: "EUR" }, eligibility: null });
    expect(sub.invoices).toHaveLength(1);
    expect(sub.invoices[0]).toMatchObject({ status: "open", amount: 2400 });
    const wrong = await api("POST", `/subscriptions/${sub.id}/payments`, { amount: 1000, currency: "EUR", reference: "x" });
    expect(wrong.status).toBe(422);
    const paid = await api("POST", `/subscriptions/${sub.id}/payments`, { amount: 2400, currency: "EUR", reference: "bank-123" });
    expect(paid.status).toBe(200);
    expect(paid.json.status).toBe("active");
    expect(Date.parse(paid.json.term_end) - Date.parse(paid.json.term_start)).toBeGreaterThanOrEqual(365 * DAY);
    const list = await api("GET", "/subscriptions?status=active");
    expect(list.json.subscriptions.map((s: { id: string }) => s.id)).toContain(sub.id);
    const open = await api("GET", `/invoices?status=paid&subscription=${sub.id}`);
    expect(open.json.invoices).toHaveLength(1);
    expect((await api("GET", `/customers/${sub.customer.id}`)).json).toMatchObject({
      kind: "consumer",
      subscriptions: [{ id: sub.id, status: "active" }],
    });
    const box = await api("GET", `/mailboxes/${encodeURIComponent(mailbox)}`);
    expect(box.json.device_gate_state).toMatchObject({ subscriptionId: sub.id, status: "active" });
  });

  it("eligibility-check returns one entry per condition, then GET shows them", async () => {
    const { sub, domain } = await newSubscription("business");
    await api("POST", `/subscriptions/${sub.id}/payments`, { amount: 2400, currency: "EUR", reference: "b-1" });
    const zone = new FakeZone().compliant(domain);
    const app = makeAdminApp({ fetcher: zone.fetch });
    const res = await app.request(
      `/subscriptions/${sub.id}/eligibility-check`,
      { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } },
      testEnv(),
    );
    expect(res.status).toBe(200);
    const check = (await res.json()) as {
      outcome: string;
      conditions: Record<string, { status: string; evidence: unknown; checked_at: string }>;
    };
    expect(check.outcome).toBe("ok");
    expect(Object.keys(check.conditions).sort()).toEqual(["address_exists", "domain_held", "mx_pop3", "provider_dns"]);
    const got = await api("GET", `/subscriptions/${sub.id}`);
    for (const c of ["domain_held", "address_exists", "provider_dns", "mx_pop3"]) {
      expect(got.json.eligibility[c].status).toBe("ok");
      expect(got.json.eligibility[c].evidence).toBeTruthy();
      expect(got.json.eligibility[c].checked_at).toBeTruthy();
    }
  });

  it("suspend / resume / cancel through the API, 409 problem for what the state machine refuses; all audited with the actor", async () => {
    const { sub } = await newSubscription();
    const early = await api("POST", `/subscriptions/${sub.id}/suspend`, { reason: "other", evidence: "x" });
    expect(early.status).toBe(409);
    expect(early.type).toBe("application/problem+json");
    expect(early.json.detail).toBe("cannot suspend a subscription that is pending_payment; allowed from: active, suspended");
    await api("POST", `/subscriptions/${sub.id}/payments`, { amount: 2400, currency: "EUR", reference: "c-1" });
    const s1 = await api(
      "POST",
      `/subscriptions/${sub.id}/suspend`,
      { reason: "other", evidence: { ticket: 42 } },
      { "x-admin-actor": "marie" },
    );
    expect(s1.json.status).toBe("suspended");
    expect(s1.json.suspensions[0]).toMatchObject({ reason: "other", suspended_by: "admin:marie", lifted_at: null });
    expect((await api("POST", `/subscriptions/${sub.id}/resume`, { reason: "bogus" })).json).toMatchObject({
      status: 400,
      title: "Invalid request",
    });
    const r1 = await api("POST", `/subscriptions/${sub.id}/resume`, { why: "ticket 42 solved" });
    expect(r1.json.status).toBe("active");
    expect(r1.json.suspensions[0]).toMatchObject({ lift_reason: "ticket 42 solved" });
    expect((await api("POST", `/subscriptions/${sub.id}/resume`)).status).toBe(409);
    const c = await api("POST", `/subscriptions/${sub.id}/cancel`);
    expect(c.json).toMatchObject({ status: "active", renews: false });
    expect((await api("POST", `/subscriptions/${sub.id}/cancel`)).status).toBe(409);
    const audit = await api("GET", `/audit?subject=${encodeURIComponent(`subscription:${sub.id}`)}`);
    const actions = audit.json.entries.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        "subscription.created",
        "subscription.pay",
        "subscription.suspend",
        "subscription.resume",
        "subscription.cancel",
        "suspension.opened",
        "suspension.lifted",
      ]),
    );
    expect(audit.json.entries.find((e: { action: string }) => e.action === "subscription.suspend")).toMatchObject({
      actor: "admin:marie",
      before: { status: "active" },
      after: { status: "suspended" },
    });
  });

  it("withdraw on day 3 (order entered with its real date): refund recorded; terminate refused afterwards", async () => {
    const ordered = new Date(Date.now() - 3 * DAY).toISOString();
    const { sub } = await newSubscription("consumer", { ordered_at: ordered, start_before_withdrawal_end: true });
    await api("POST", `/subscriptions/${sub.id}/payments`, { amount: 2400, currency: "EUR", reference: "w-1", received_at: ordered });
    const w = await api("POST", `/subscriptions/${sub.id}/withdraw`);
    expect(w.status).toBe(200);
    expect(w.json.status).toBe("withdrawn");
    expect(w.json.refunds).toHaveLength(1);
    const used = w.json.refunds[0].computation.usedCents;
    expect(used).toBeGreaterThanOrEqual(19);
    expect(used).toBeLessThanOrEqual(20);
    expect(w.json.refunds[0].amount).toBe(2400 - used);
    expect((await api("POST", `/subscriptions/${sub.id}/terminate`, { reason: "x" })).status).toBe(409);
  });

  it("a third party's notice suspends (illicit_use); the customer's answer is recorded; staff lift it", async () => {
    const { sub } = await newSubscription("business");
    await api("POST", `/subscriptions/${sub.id}/payments`, { amount: 2400, currency: "EUR", reference: "n-1" });
    const n1 = await api("POST", `/subscriptions/${sub.id}/notices`, {
      from: { name: "CERT", email: "abuse@cert.test" },
      description: "spam relay",
      evidence: "logs",
    });
    expect(n1.status).toBe(201);
    expect(n1.json.subscription.status).toBe("suspended");
    const a = await api("POST", `/notices/${n1.json.notice_id}/answers`, {
      answer: "fixed",
      compliance_documentation: "report.pdf summary",
    });
    expect(a.status).toBe(201);
    const notices = await api("GET", `/subscriptions/${sub.id}/notices`);
    expect(notices.json.notices[0].answers[0]).toMatchObject({ answer: "fixed", compliance_documentation: "report.pdf summary" });
    expect((await api("POST", `/subscriptions/${sub.id}/resume`, { reason: "illicit_use", why: "compliant" })).json.status).toBe("active");
  });

  it("jobs can be run now; their summaries, queued e-mails and domain records are readable", async () => {
    const { sub, domain } = await newSubscription();
    const run = await api("POST", "/jobs/daily");
    expect(run.status).toBe(200);
    expect(run.json).toMatchObject({ job: "daily", failures: 0 });
    expect((await api("GET", "/cron-runs")).json.runs[0].job).toBe("daily");
    await api("POST", `/subscriptions/${sub.id}/payments`, { amount: 2400, currency: "EUR", reference: "j-1" });
    await api("POST", `/subscriptions/${sub.id}/suspend`, { reason: "other", evidence: null });
    expect((await api("GET", `/subscriptions/${sub.id}/liability-cap`)).json).toMatchObject({
      paidCents: 2400,
      capCents: 2400,
      currency: "EUR",
    });
    const mails = await api("GET", `/notifications?state=queued&subscription=${sub.id}`);
    expect(mails.json.notifications[0]).toMatchObject({ kind: "suspension", sentAt: null });
    const d = await api("PATCH", `/domains/${domain}`, { status: "transferred_out" });
    expect(d.json).toMatchObject({ name: domain, status: "transferred_out" });
    expect((await api("GET", `/audit?subject=domain:${domain}`)).json.entries[0].action).toBe("domain.updated");
  });
});
