// Health (issue 17 §7): /healthz says only ok; the admin report checks D1, R2, DoH, RDAP, the SMTP relay and
// shows the last cron runs.
import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { runScheduled } from "../../src/service/cron";
import { makeDeps } from "../../src/service/deps";
import { healthReport } from "../../src/service/health";

const dohRdap: typeof fetch = async (input) => {
  const url = String(input instanceof Request ? input.url : input);
  if (url.includes("dns-query")) return Response.json({ Status: 0, Answer: [] });
  return new Response("not found", { status: 404 });
};

it("/healthz answers without credentials and without detail", async () => {
  const res = await exports.default.fetch(new Request("https://sync.example.test/healthz"));
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("ok\n");
  expect(res.headers.get("cache-control")).toBe("no-store");
});

it("the admin report: every dependency reachable, then the last run of each cron job", async () => {
  await runScheduled({ cron: "0 3 * * *", scheduledTime: Date.now() }, env, { fetcher: dohRdap });
  const r = await healthReport(makeDeps(env, { fetcher: dohRdap }));
  expect(r.checks.d1.ok).toBe(true);
  expect(r.checks.r2.ok).toBe(true);
  expect(r.checks.doh).toMatchObject({ ok: true, detail: "https://cloudflare-dns.com/dns-query" });
  expect(r.checks.rdap.ok).toBe(true);
  expect(r.checks.smtp).toMatchObject({ ok: true, detail: `127.0.0.1:${env.SMTP_PORT} (none)` });
  expect(r.cron).toEqual([expect.objectContaining({ job: "daily", cron: "0 3 * * *", ok: true })]);
  expect(r.status).toBe("ok");
});

it("a dependency down makes the report degraded and says which, within the timeout", async () => {
  const down: typeof fetch = async () => new Response("oops", { status: 502 });
  const noSmtp = { ...env, SMTP_PORT: "1" } as Env;
  const t0 = Date.now();
  const r = await healthReport(makeDeps(noSmtp, { fetcher: down }), 1000);
  expect(Date.now() - t0).toBeLessThan(3000);
  expect(r.status).toBe("degraded");
  expect(r.checks.doh).toMatchObject({ ok: false, detail: "DoH answered HTTP 502" });
  expect(r.checks.rdap).toMatchObject({ ok: false, detail: "RDAP answered HTTP 502" });
  expect(r.checks.smtp.ok).toBe(false);
  expect(r.checks.d1.ok).toBe(true);
});

it("GET /admin/v1/health needs the bearer token and is in the OpenAPI document", async () => {
  expect((await exports.default.fetch(new Request("https://sync.example.test/admin/v1/health"))).status).toBe(401);
  const doc = (await (await exports.default.fetch(new Request("https://sync.example.test/admin/v1/openapi.json"))).json()) as {
    paths: Record<string, unknown>;
  };
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/health", "/metrics", "/mailboxes/{address}/password"]));
});
