// Subscription service costs under `wrangler dev`: order + payment through the admin API, the eligibility
// sweep over many subscriptions against a local DoH/RDAP responder, and a refused device request.
// Run: npx tsx bench/subscriptions.bench.ts [subscriptions=100]   (prints, and appends to bench/RESULTS.md)
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../scripts/dev-server.mjs";
// @ts-expect-error plain ESM helper
import { startZoneResponder } from "../scripts/zone-responder.mjs";
import { el } from "../src/wbxml/index";
import { freePort } from "../test/free-port";
import { Phone } from "../test/node/phone";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const N = Number(process.argv[2] ?? 100);
const TOKEN = "bench-token";
const DOMAINS = Math.ceil(N / 2); // two mailboxes per domain: the sweep must look each domain up once

const zone = { records: {} as Record<string, Record<string, string[]>>, rdap: {} as Record<string, unknown> };
for (let i = 0; i < DOMAINS; i++) {
  const d = `d${i}.bench.test`;
  zone.records[d] = { NS: ["ns1.provider.test."], MX: ["10 mx1.provider.test."] };
  zone.records[`pop3.${d}`] = { CNAME: ["pop3.provider.test."] };
  zone.rdap[d] = { status: ["active"], expiresAt: "2031-01-01T00:00:00Z", registrar: { name: "R", ianaId: "4242" } };
}
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const responder = await startZoneResponder({ zone });
const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-bench-subs-"));
const server = await startDevServer({
  port: await freePort(),
  persistTo,
  vars: {
    ADMIN_TOKEN: TOKEN,
    DOH_URL: `${responder.url}/dns-query`,
    RDAP_URL: responder.url,
    SWEEP_BATCH_SIZE: "50",
    SWEEP_BUDGET_MS: "600000",
    PROVIDER_NAMESERVERS: "ns1.provider.test",
    PROVIDER_MX_HOSTS: "mx1.provider.test",
    PROVIDER_POP3_HOST: "pop3.provider.test",
    PROVIDER_REGISTRAR: "4242",
  },
});
const admin = async (method: string, route: string, body?: unknown) => {
  const r = await fetch(`${server.url}/admin/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (r.status >= 300) throw new Error(`${method} ${route}: ${r.status} ${await r.text()}`);
  return r.json() as Promise<any>;
};

try {
  const orderMs: number[] = [];
  for (let i = 0; i < N; i++) {
    const address = `u${i}@d${i % DOMAINS}.bench.test`;
    await admin("POST", "/mailboxes", { address, password: "pw" });
    const t = performance.now();
    const s = await admin("POST", "/subscriptions", {
      mailbox: address,
      customer: { kind: "business", name: `C${i}`, email: `c${i}@bench.test` },
    });
    await admin("POST", `/subscriptions/${s.id}/payments`, { amount: 2400, currency: "EUR", reference: `p${i}` });
    orderMs.push(performance.now() - t);
  }
  responder.queries.length = 0;
  const t0 = performance.now();
  const run = await admin("POST", "/jobs/eligibility-sweep");
  const sweepMs = performance.now() - t0;
  const nsQueries = responder.queries.filter((q: string) => q.startsWith("NS ")).length;

  // A suspended mailbox: every device request is refused by the gate (Status 131) without touching D1.
  const victim = `u0@d0.bench.test`;
  const list = await admin("GET", `/subscriptions?mailbox=${encodeURIComponent(victim)}`);
  await admin("POST", `/subscriptions/${list.subscriptions[0].id}/suspend`, { reason: "other", evidence: "bench" });
  const phone = new Phone({
    baseUrl: server.url,
    user: victim,
    password: "pw",
    deviceId: "bench",
    deviceType: "Bench",
    protocolVersion: "14.1",
  });
  const ping = el(
    "Ping",
    "Ping",
    el("Ping", "HeartbeatInterval", 300),
    el("Ping", "Folders", el("Ping", "Folder", el("Ping", "Id", "1"), el("Ping", "Class", "Email"))),
  );
  await phone.command("Ping", ping, { validate: false });
  const refused: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    const r = await phone.command("Ping", ping, { validate: false });
    refused.push(performance.now() - t);
    if (r.status !== 200) throw new Error(`refusal status ${r.status}`);
  }

  const rows = [
    `| order + payment through the admin API, p50 / p90 (${N} subscriptions) | ${percentile(orderMs, 50).toFixed(1)} / ${percentile(orderMs, 90).toFixed(1)} ms |`,
    `| eligibility sweep of ${N} subscriptions on ${DOMAINS} domains, one run | ${sweepMs.toFixed(0)} ms (${((run.counts.checked / sweepMs) * 1000).toFixed(0)} subscriptions/s), ${run.counts.checked} checked, ${nsQueries} NS lookups |`,
    `| refused device request (suspended: Ping → Status 131), p50 / p90 / p99 of 200 | ${percentile(refused, 50).toFixed(1)} / ${percentile(refused, 90).toFixed(1)} / ${percentile(refused, 99).toFixed(1)} ms |`,
  ];
  const section = `\n## Subscriptions (${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? "cpu"}, ${os.cpus().length} cores shared, Node ${process.version}, wrangler dev, local DoH/RDAP responder)\n\n| what | result |\n|---|---|\n${rows.join("\n")}\n`;
  console.log(section);
  appendFileSync(path.join(root, "bench/RESULTS.md"), section);
} finally {
  await server.stop();
  await responder.close();
  rmSync(persistTo, { recursive: true, force: true });
}
