// Test-only hook of the chaos harness (bench/chaos.ts, test/node/chaos.test.ts): resets a mailbox object the way
// the platform does ("Durable Object reset because its code was updated"), through the object's ctx.abort().
// Reachable only when the Worker runs with CHAOS_HOOKS = "enabled", which only the harness' `wrangler dev`
// sets (never wrangler.toml): everywhere else the route answers 404 like any unknown admin route, and the
// object's own check refuses the call as well. Not in the OpenAPI document on purpose.
import { newAdminRouter } from "./context";
import { problem } from "./problem";

export const chaosRoutes = newAdminRouter();

chaosRoutes.post("/chaos/mailboxes/:address/abort", async (c) => {
  if ((c.env as { CHAOS_HOOKS?: string }).CHAOS_HOOKS !== "enabled")
    return problem(c, 404, "Not found", `no admin route POST ${new URL(c.req.url).pathname}`);
  // ctx.abort() rejects the call that made it (the object is gone, which is the point), and only after the
  // runtime has torn the object down (seconds under load): answered at once, the reset lands meanwhile.
  c.executionCtx.waitUntil(
    c.env.MAILBOX.getByName(c.req.param("address"))
      .chaosAbort()
      .catch(() => {}),
  );
  return c.body(null, 202);
});

// The harness' calm phase: an outbox whose submissions met cut SMTP sessions waits minutes by its backoff
// (1, 5, 15 min…); the harness has every waiting message tried now, as an administrator's "retry now" would,
// and gets what still waits (per recipient).
chaosRoutes.post("/chaos/mailboxes/:address/outbox/flush", async (c) => {
  if ((c.env as { CHAOS_HOOKS?: string }).CHAOS_HOOKS !== "enabled")
    return problem(c, 404, "Not found", `no admin route POST ${new URL(c.req.url).pathname}`);
  return c.json({ waiting: await c.env.MAILBOX.getByName(c.req.param("address")).flushOutbox() });
});
