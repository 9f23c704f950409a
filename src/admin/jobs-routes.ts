// Run a cron job now (support staff, and `npm start` users without waiting for the trigger).
import { createRoute, z } from "@hono/zod-openapi";
import { DAILY_CRON, runScheduled, SWEEP_CRON } from "../service/cron";
import { newAdminRouter } from "./context";
import { json, problemResponses } from "./schemas";

export const jobRoutes = newAdminRouter();

jobRoutes.openapi(
  createRoute({
    method: "post",
    path: "/jobs/{job}",
    tags: ["jobs"],
    summary: "Run the eligibility sweep or the daily job now; returns its summary row",
    request: { params: z.object({ job: z.enum(["eligibility-sweep", "daily"]).openapi({ param: { name: "job", in: "path" } }) }) },
    responses: { 200: json(z.record(z.string(), z.unknown()), "The run's summary"), ...problemResponses },
  }),
  async (c) => {
    const cron = c.req.valid("param").job === "daily" ? DAILY_CRON : SWEEP_CRON;
    const d = c.get("deps");
    const run = await runScheduled({ cron, scheduledTime: Date.now() }, c.env, { ...d, actor: d.actor });
    return c.json({ ...run, startedAt: run.startedAt.toISOString(), finishedAt: run.finishedAt.toISOString() }, 200);
  },
);
