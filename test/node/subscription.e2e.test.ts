// Issue 6 "done when", end to end: the Worker under `wrangler dev` with DOH_URL and RDAP_URL pointed at a
// local responder (scripts/zone-responder.mjs) on 127.0.0.1; a phone speaking ActiveSync over HTTP with
// every WBXML response validated against the XSDs; the sweep run through the real scheduled handler.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
// @ts-expect-error plain ESM helpers
import { startDevServer } from "../../scripts/dev-server.mjs";
// @ts-expect-error plain ESM helpers
import { startZoneResponder } from "../../scripts/zone-responder.mjs";
import { childText, el, type WbxmlElement } from "../../src/wbxml/index";
import { freePort } from "../free-port";
import { Phone } from "./phone";

const TOKEN = "subs-e2e-token";
const DOMAIN = "shop.test";
const USER = `alice@${DOMAIN}`;
const PASSWORD = "alice e2e password";
const DAY = 86_400_000;

type Zone = { records: Record<string, Record<string, string[]>>; rdap: Record<string, unknown>; servfail: string[] };
const zone: Zone = { records: {}, rdap: {}, servfail: [] };
function compliant() {
  zone.records[DOMAIN] = { NS: ["ns1.provider.test.", "ns2.provider.test."], MX: ["10 mx1.provider.test."] };
  zone.records[`pop3.${DOMAIN}`] = { CNAME: ["pop3.provider.test."] };
  zone.records["pop3.provider.test"] = { A: ["192.0.2.110"] };
  zone.rdap[DOMAIN] = { status: ["active"], expiresAt: "2031-01-01T00:00:00Z", registrar: { name: "Provider Registrar", ianaId: "4242" } };
}

let server: { url: string; stop: () => Promise<void> };
let responder: { url: string; queries: string[]; close: () => Promise<void> };
let persistTo: string;

beforeAll(async () => {
  compliant();
  responder = await startZoneResponder({ zone });
  persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-subs-e2e-"));
  server = await startDevServer({
    port: await freePort(),
    persistTo,
    vars: {
      ADMIN_TOKEN: TOKEN,
      DOH_URL: `${responder.url}/dns-query`,
      RDAP_URL: responder.url,
      PROVIDER_NAMESERVERS: "ns1.provider.test,ns2.provider.test",
      PROVIDER_MX_HOSTS: "mx1.provider.test,mx2.provider.test",
      PROVIDER_POP3_HOST: "pop3.provider.test",
      PROVIDER_REGISTRAR: "4242",
    },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await responder?.close();
  if (persistTo) rmSync(persistTo, { recursive: true, force: true });
});

async function admin(method: string, route: string, body?: unknown) {
  const res = await fetch(server.url + "/admin/v1" + route, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function sweep() {
  // The real scheduled handler, as the */15 trigger calls it.
  const res = await fetch(`${server.url}/cdn-cgi/handler/scheduled?${new URLSearchParams({ cron: "*/15 * * * *" })}`);
  expect(res.status).toBe(200);
  const runs = await admin("GET", "/cron-runs?limit=1");
  return runs.json.runs[0];
}

const pingBody = (): WbxmlElement =>
  el(
    "Ping",
    "Ping",
    el("Ping", "HeartbeatInterval", 300),
    el("Ping", "Folders", el("Ping", "Folder", el("Ping", "Id", "1"), el("Ping", "Class", "Email"))),
  );

async function settled<T>(p: Promise<T>, ms: number): Promise<T | "pending"> {
  let t: NodeJS.Timeout | undefined;
  const r = await Promise.race([p, new Promise<"pending">((res) => (t = setTimeout(() => res("pending"), ms)))]);
  clearTimeout(t);
  return r;
}

it("subscribe, pay, four ok; MX changed → suspended, Ping ended, device refused; MX back → active and syncing; all audited", async () => {
  expect((await admin("POST", "/mailboxes", { address: USER, password: PASSWORD })).status).toBe(201);
  const created = await admin("POST", "/subscriptions", {
    mailbox: USER,
    customer: { kind: "consumer", name: "Alice", email: "alice.home@example.org" },
  });
  expect(created.status).toBe(201);
  expect(created.json.status).toBe("pending_payment");
  const id = created.json.id as string;
  const paid = await admin("POST", `/subscriptions/${id}/payments`, { amount: 2400, currency: "EUR", reference: "card-0001" });
  expect(paid.json.status).toBe("active");
  const check = await admin("POST", `/subscriptions/${id}/eligibility-check`);
  expect(Object.fromEntries(Object.entries(check.json.conditions).map(([k, v]) => [k, (v as { status: string }).status]))).toEqual({
    domain_held: "ok",
    address_exists: "ok",
    provider_dns: "ok",
    mx_pop3: "ok",
  });

  const phone = new Phone({
    baseUrl: server.url,
    user: USER,
    password: PASSWORD,
    deviceId: "e2eSubsPhone",
    deviceType: "iPhone",
    protocolVersion: "14.1",
  });
  const parked = phone.command("Ping", pingBody());
  expect(await settled(parked, 1500)).toBe("pending");

  zone.records[DOMAIN]!.MX = ["10 mx.elsewhere.test."];
  const run1 = await sweep();
  expect(run1.counts).toMatchObject({ checked: 1, lost: 1, suspended: 1 });

  const ended = await settled(parked, 5000);
  expect(ended).not.toBe("pending");
  const refused = await phone.command("Ping", pingBody()); // validated against the Ping XSD by the phone
  expect(refused.status).toBe(200);
  expect(childText(refused.tree!, "Status")).toBe("131");
  const legacy = new Phone({ ...phone.config, protocolVersion: "12.1" });
  expect((await legacy.command("Ping", pingBody())).status).toBe(403);

  const suspended = await admin("GET", `/subscriptions/${id}`);
  expect(suspended.json.status).toBe("suspended");
  expect(suspended.json.eligibility.mx_pop3.status).toBe("lost");
  expect(JSON.stringify(suspended.json.eligibility.mx_pop3.evidence)).toContain("mx.elsewhere.test");
  expect(suspended.json.suspensions[0]).toMatchObject({ reason: "eligibility", lifted_at: null });
  expect(
    (await admin("GET", `/notifications?state=queued&subscription=${id}`)).json.notifications.map((n: { kind: string }) => n.kind),
  ).toContain("suspension");

  compliant();
  const run2 = await sweep();
  expect(run2.counts).toMatchObject({ checked: 1, ok: 1, resumed: 1 });
  expect((await admin("GET", `/subscriptions/${id}`)).json.status).toBe("active");
  const again = phone.command("Ping", pingBody());
  expect(await settled(again, 1500)).toBe("pending"); // the device waits for mail again

  const deliver = await fetch(`${server.url}/admin/v1/mailboxes/${encodeURIComponent(USER)}/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "message/rfc822" },
    body: `From: bob@example.org\r\nTo: ${USER}\r\nSubject: back\r\nMessage-ID: <back@example.org>\r\n\r\nhello again\r\n`,
  });
  expect(deliver.status).toBe(201);
  const woke = await settled(again, 5000);
  expect(woke).not.toBe("pending");
  expect(childText((woke as Awaited<typeof again>).tree!, "Status")).toBe("2");

  const audit = await admin("GET", `/audit?subject=${encodeURIComponent(`subscription:${id}`)}`);
  const actions = audit.json.entries.map((e: { action: string }) => e.action);
  expect(actions).toEqual(
    expect.arrayContaining([
      "subscription.created",
      "invoice.issued",
      "payment.confirmed",
      "subscription.pay",
      "eligibility.checked",
      "subscription.suspend",
      "suspension.lifted",
      "subscription.resume",
    ]),
  );
}, 60_000);

it("a consumer withdraws on day 3 and the refund is recorded", async () => {
  const address = `bob@${DOMAIN}`;
  expect((await admin("POST", "/mailboxes", { address, password: "bob pw" })).status).toBe(201);
  const ordered = new Date(Date.now() - 3 * DAY).toISOString();
  const s = await admin("POST", "/subscriptions", {
    mailbox: address,
    customer: { kind: "consumer", name: "Bob", email: "bob@example.org" },
    ordered_at: ordered,
    start_before_withdrawal_end: true,
  });
  await admin("POST", `/subscriptions/${s.json.id}/payments`, {
    amount: 2400,
    currency: "EUR",
    reference: "card-0002",
    received_at: ordered,
  });
  const w = await admin("POST", `/subscriptions/${s.json.id}/withdraw`);
  expect(w.status).toBe(200);
  expect(w.json.status).toBe("withdrawn");
  expect(w.json.refunds[0].amount).toBe(2400 - w.json.refunds[0].computation.usedCents);
  expect(w.json.refunds[0].computation.usedCents).toBeGreaterThan(0);
  const audit = await admin("GET", `/audit?subject=${encodeURIComponent(`subscription:${s.json.id}`)}`);
  expect(audit.json.entries.map((e: { action: string }) => e.action)).toEqual(
    expect.arrayContaining(["subscription.withdraw", "refund.recorded"]),
  );
});
