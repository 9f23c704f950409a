// Issue 6 "done when", tried as a new user would, against `npm start` with DOH_URL and RDAP_URL pointed at a
// local DoH + RDAP responder. This script runs that responder itself (scripts/zone-responder.mjs, on
// 127.0.0.1:8053 unless --zone-port) with a zone it edits between sweeps, so start the service with
//   DOH_URL=http://127.0.0.1:8053/dns-query RDAP_URL=http://127.0.0.1:8053 npm start
// and then run `npm run try:subscription`. It creates a subscription, pays it, sees it active with four ok
// conditions; changes the zone's MX and runs the sweep: suspended with evidence, a device's waiting Ping ends
// and its next request is refused; restores the MX and sweeps again: active, the device syncs; a consumer
// withdraws on day 3 of the order (an order dated two days ago through the admin API's `ordered_at`) and the
// refund is recorded; the audit log shows it all.
// Provider parameters default to wrangler.toml's [vars]; override with --nameservers, --mx, --pop3, --registrar.
// @ts-expect-error plain ESM script without type declarations
import { startZoneResponder } from "../zone-responder.mjs";
import { child, childrenNamed, childText, el } from "../../src/wbxml/index";
import { syncRequest } from "../../test/node/sync-requests";
import { admin, brief, check, deliver, finish, options, phone, type PhoneResponse, say, step, within } from "./lib";

const o = options();
const ZONE_PORT = Number(o.values.get("zone-port") ?? 8053);
const NS = (o.values.get("nameservers") ?? "ns1.provider.example,ns2.provider.example").split(",");
const MX = (o.values.get("mx") ?? "mx1.provider.example,mx2.provider.example").split(",");
const POP3 = o.values.get("pop3") ?? "pop3.provider.example";
const REGISTRAR = o.values.get("registrar") ?? "9999";
const run = Date.now().toString(36);
const DOMAIN = `shop-${run}.test`;
const USER = `alice@${DOMAIN}`;
const PASSWORD = "alice try password";
const DAY = 86_400_000;

type Zone = { records: Record<string, Record<string, string[]>>; rdap: Record<string, unknown>; servfail: string[] };
const zone: Zone = { records: {}, rdap: {}, servfail: [] };
function compliant(): void {
  zone.records[DOMAIN] = { NS: NS.map((n) => `${n}.`), MX: MX.map((m, i) => `${10 * (i + 1)} ${m}.`) };
  zone.records[`pop3.${DOMAIN}`] = { CNAME: [`${POP3}.`] };
  zone.records[POP3] = { A: ["192.0.2.110"] };
  zone.rdap[DOMAIN] = {
    status: ["active"],
    expiresAt: "2031-01-01T00:00:00Z",
    registrar: { name: "Provider Registrar", ianaId: REGISTRAR },
  };
}
compliant();

let responder: { url: string; queries: string[]; close: () => Promise<void> };
try {
  responder = await startZoneResponder({ port: ZONE_PORT, zone });
} catch (e) {
  console.error(
    `cannot listen on 127.0.0.1:${ZONE_PORT} (${(e as Error).message}); pass --zone-port and start npm start with DOH_URL/RDAP_URL on that port`,
  );
  process.exit(1);
}
process.on("exit", () => void responder.close());
console.log(`Subscription as a new customer: ${USER} on ${o.url}; DoH + RDAP for ${DOMAIN} answered on ${responder.url}`);

const conditions = (e: Record<string, { status: string }>) =>
  Object.entries(e ?? {})
    .map(([k, v]) => `${k}=${v.status}`)
    .join(", ");
const status = (r: PhoneResponse) => childText(r.tree, "Status");
const device = phone(o, { user: USER, password: PASSWORD, deviceId: `trySubs${run}`, deviceType: "iPhone", protocolVersion: "14.1" });
const pingBody = (folder: string) =>
  el(
    "Ping",
    "Ping",
    el("Ping", "HeartbeatInterval", 300),
    el("Ping", "Folders", el("Ping", "Folder", el("Ping", "Id", folder), el("Ping", "Class", "Email"))),
  );

async function sweep(): Promise<Record<string, unknown>> {
  const before = responder.queries.length;
  const r = await admin(o, "POST", "/jobs/eligibility-sweep");
  check(r.status === 200, `POST /admin/v1/jobs/eligibility-sweep: HTTP ${r.status} ${r.text}`);
  say(`sweep: counts ${JSON.stringify(r.json.counts)}, ${responder.queries.length - before} lookups at the responder`);
  return r.json;
}

const id = (await step("Create the mailbox and a consumer subscription (POST /admin/v1/mailboxes, /subscriptions)", async () => {
  const m = await admin(o, "POST", "/mailboxes", { address: USER, password: PASSWORD });
  check(m.status === 201, `POST /mailboxes: HTTP ${m.status} ${m.text}`);
  const s = await admin(o, "POST", "/subscriptions", {
    mailbox: USER,
    customer: { kind: "consumer", name: "Alice", email: "alice.home@example.org" },
  });
  check(
    s.status === 201 && s.json.status === "pending_payment",
    `POST /subscriptions: expected 201 pending_payment, got ${s.status} ${s.text}`,
  );
  say(`subscription ${s.json.id}: ${s.json.status}`);
  return s.json.id as string;
}))!;

await step("Pay it: active, with a one-year term", async () => {
  const p = await admin(o, "POST", `/subscriptions/${id}/payments`, { amount: 2400, currency: "EUR", reference: `card-${run}` });
  check(p.status === 200 && p.json.status === "active", `expected active, got ${p.status} ${p.text}`);
  const s = await admin(o, "GET", `/subscriptions/${id}`);
  say(`status ${s.json.status}, term ${s.json.term_start ?? s.json.termStart} → ${s.json.term_end ?? s.json.termEnd}`);
});

await step("Eligibility check now: four ok conditions", async () => {
  const c = await admin(o, "POST", `/subscriptions/${id}/eligibility-check`);
  check(c.status === 200, `HTTP ${c.status} ${c.text}`);
  say(conditions(c.json.conditions));
  const asked = responder.queries.filter((q) => q.includes(DOMAIN)).length;
  check(
    asked > 0,
    `the service never asked ${responder.url} about ${DOMAIN}: start it with DOH_URL=${responder.url}/dns-query RDAP_URL=${responder.url} npm start`,
  );
  say(`${asked} lookups for ${DOMAIN} reached the local responder`);
  for (const k of ["domain_held", "address_exists", "provider_dns", "mx_pop3"])
    check(c.json.conditions?.[k]?.status === "ok", `${k}: expected ok\n${JSON.stringify(c.json.conditions?.[k])}`);
});

const inbox = (await step("A phone syncs the new mailbox and parks a Ping on its Inbox", async () => {
  const fs = await device.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
  check(status(fs) === "1", `FolderSync: ${brief(fs)}`);
  const folder = childText(
    childrenNamed(child(fs.tree, "Changes"), "Add").find((f) => childText(f, "Type") === "2"),
    "ServerId",
  )!;
  let key = "0";
  let items = 0;
  for (;;) {
    const s = await device.command("Sync", syncRequest(folder, key));
    if (!s.tree) break;
    const c = child(child(s.tree, "Collections"), "Collection");
    check(childText(c, "Status") === "1", `Sync: ${brief(s)}`);
    items += childrenNamed(child(c, "Commands"), "Add").length;
    const bootstrap = key === "0";
    key = childText(c, "SyncKey")!;
    if (!bootstrap && !child(c, "MoreAvailable")) break;
  }
  say(`FolderSync Status 1, Inbox ${folder}, synced to the end: ${items} message(s)`);
  return folder;
}))!;

let ping = device.command("Ping", pingBody(inbox));
await step(
  "Change the zone's MX to a foreign host and run the sweep: suspended with evidence, the Ping ends, the device is refused",
  async () => {
    const early = await within(ping, 800);
    check(early === "pending", `the Ping should be waiting, it answered:\n${early !== "pending" ? brief(early) : ""}`);
    zone.records[DOMAIN].MX = ["10 mx.elsewhere.test."];
    say(`zone: ${DOMAIN} MX → 10 mx.elsewhere.test.`);
    const t0 = performance.now();
    await sweep();
    const ended = await within(ping, 5000);
    check(ended !== "pending", "the waiting Ping did not end within 5 s of the suspension");
    say(
      `waiting Ping ended ${(performance.now() - t0).toFixed(0)} ms after the sweep began: HTTP ${ended.status}, Status ${status(ended)}`,
    );
    const s = await admin(o, "GET", `/subscriptions/${id}`);
    say(`subscription: ${s.json.status}; ${conditions(s.json.eligibility)}`);
    say(`mx_pop3 evidence: ${JSON.stringify(s.json.eligibility?.mx_pop3?.evidence).slice(0, 300)}`);
    say(`suspension: ${JSON.stringify(s.json.suspensions?.[0]).slice(0, 300)}`);
    check(s.json.status === "suspended", "expected suspended");
    check(JSON.stringify(s.json.eligibility?.mx_pop3?.evidence).includes("mx.elsewhere.test"), "the evidence should show the MX seen");
    const refused = await device.command("Ping", pingBody(inbox));
    say(`the device's next request (Ping, EAS 14.1) → HTTP ${refused.status}, Status ${status(refused)}`);
    check(status(refused) === "131", "expected Status 131 (account disabled)");
    const legacy = phone(o, { ...device.config, protocolVersion: "12.1" });
    const old = await legacy.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
    say(`the same device speaking EAS 12.1 → HTTP ${old.status}`);
    check(old.status === 403, "expected HTTP 403 for 12.x");
    const n = await admin(o, "GET", `/notifications?subscription=${id}`);
    say(
      `customer notifications: ${JSON.stringify((n.json?.notifications ?? []).map((x: { kind: string; to: string; sentAt: string | null }) => `${x.kind} to ${x.to}, ${x.sentAt ? `sent ${x.sentAt}` : "queued"}`))}`,
    );
  },
);

await step("Restore the MX and run the sweep: active again, the device syncs and its Ping wakes for new mail", async () => {
  compliant();
  say(`zone: ${DOMAIN} MX → ${zone.records[DOMAIN].MX.join(", ")}`);
  await sweep();
  const s = await admin(o, "GET", `/subscriptions/${id}`);
  say(`subscription: ${s.json.status}; ${conditions(s.json.eligibility)}`);
  check(s.json.status === "active", "expected active");
  const fs = await device.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
  say(`FolderSync → Status ${status(fs)}`);
  check(status(fs) === "1", "expected FolderSync Status 1");
  ping = device.command("Ping", pingBody(inbox));
  check((await within(ping, 800)) === "pending", "the Ping should wait again");
  const t0 = performance.now();
  const d = await deliver(o, "bob@example.org", USER, `back again ${run}`);
  check(d.status === 200, `email handler: HTTP ${d.status}`);
  const woke = await within(ping, 5000);
  const wokeAt = performance.now();
  check(woke !== "pending" && status(woke) === "2", "expected the Ping to answer Status 2 after a mail");
  say(`mail through the email handler → Ping Status 2 after ${(wokeAt - t0).toFixed(0)} ms (incl. the XSD check of the answer)`);
  const k0 = childText(child(child((await device.command("Sync", syncRequest(inbox, "0"))).tree, "Collections"), "Collection"), "SyncKey")!;
  const r = await device.command("Sync", syncRequest(inbox, k0));
  const subjects = childrenNamed(child(child(child(r.tree, "Collections"), "Collection"), "Commands"), "Add").map((a) =>
    childText(child(a, "ApplicationData"), "Subject"),
  );
  say(`Sync → ${JSON.stringify(subjects)}`);
  check(subjects.includes(`back again ${run}`), "expected the new mail in the Inbox");
});

await step(
  "A consumer withdraws on day 3 (order dated 2 days ago, started before the withdrawal period ended): refund recorded",
  async () => {
    const address = `bob@${DOMAIN}`;
    check((await admin(o, "POST", "/mailboxes", { address, password: "bob try password" })).status === 201, "POST /mailboxes failed");
    const ordered = new Date(Date.now() - 2 * DAY - 3_600_000).toISOString();
    const s = await admin(o, "POST", "/subscriptions", {
      mailbox: address,
      customer: { kind: "consumer", name: "Bob", email: "bob@example.org" },
      ordered_at: ordered,
      start_before_withdrawal_end: true,
    });
    check(s.status === 201, `POST /subscriptions: ${s.status} ${s.text}`);
    const paid = await admin(o, "POST", `/subscriptions/${s.json.id}/payments`, {
      amount: 2400,
      currency: "EUR",
      reference: `card-b-${run}`,
      received_at: ordered,
    });
    check(paid.json?.status === "active", `payment: ${paid.status} ${paid.text}`);
    say(`subscription ${s.json.id} ordered and paid ${ordered}`);
    const w = await admin(o, "POST", `/subscriptions/${s.json.id}/withdraw`);
    check(w.status === 200 && w.json.status === "withdrawn", `withdraw: expected 200 withdrawn, got ${w.status} ${w.text}`);
    const refund = w.json.refunds?.[0];
    say(`withdrawn; refund ${JSON.stringify(refund)}`);
    check(refund && refund.amount > 0 && refund.amount < 2400, "expected a pro-rata refund between 0 and the price");
    const audit = await admin(o, "GET", `/audit?subject=${encodeURIComponent(`subscription:${s.json.id}`)}`);
    const actions = audit.json.entries.map((e: { action: string }) => e.action);
    say(`audit: ${actions.join(", ")}`);
    check(
      actions.includes("subscription.withdraw") && actions.includes("refund.recorded"),
      "expected subscription.withdraw and refund.recorded in the audit log",
    );
  },
);

await step("The audit log of the first subscription", async () => {
  const audit = await admin(o, "GET", `/audit?subject=${encodeURIComponent(`subscription:${id}`)}`);
  check(audit.status === 200, `HTTP ${audit.status} ${audit.text}`);
  const entries = audit.json.entries as { at: string; actor: string; action: string }[];
  for (const e of [...entries].sort((a, b) => a.at.localeCompare(b.at))) say(`${e.at}  ${String(e.actor).padEnd(20)} ${e.action}`);
  const actions = entries.map((e) => e.action);
  for (const a of ["subscription.created", "payment.confirmed", "eligibility.checked", "subscription.suspend", "subscription.resume"])
    check(actions.includes(a), `audit: ${a} missing`);
});

await responder.close();
finish();
