// The chaos harness' object-reset hook (src/admin/chaos-routes.ts) cannot be reached in production: without
// CHAOS_HOOKS = "enabled" (only the harness' own `wrangler dev` sets it) the route is an unknown admin route
// and the object refuses the call itself.
import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("POST /admin/v1/chaos/mailboxes/{address}/abort and …/outbox/flush are 404s and Mailbox.chaosAbort refuses, without CHAOS_HOOKS", async () => {
  expect((env as { CHAOS_HOOKS?: string }).CHAOS_HOOKS).toBeUndefined();
  for (const route of ["abort", "outbox/flush"]) {
    const res = await exports.default.fetch(
      new Request(`https://mail.example.test/admin/v1/chaos/mailboxes/victim%40example.test/${route}`, {
        method: "POST",
        headers: { authorization: "Bearer test-admin-token" },
      }),
    );
    expect(res.status, route).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  }
  const stub = env.MAILBOX.getByName("victim@example.test");
  expect(await stub.chaosAbort()).toBe(false);
  expect(await stub.listFolders()).not.toHaveLength(0); // the object is still there
});
