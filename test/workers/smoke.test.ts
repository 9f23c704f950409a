import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("the worker answers and the mailbox object is reachable", async () => {
  const res = await exports.default.fetch("https://example.test/");
  expect(res.status).toBe(200);
  expect(await env.MAILBOX.getByName("demo@example.test").health()).toEqual({ ok: true });
  const tables = await env.DB.prepare("select name from sqlite_master where type='table' and name='accounts'").all();
  expect(tables.results).toHaveLength(1);
});
