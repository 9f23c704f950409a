// The admin API, mounted at /admin/v1 (src/http/app.ts). To add routes from another part of the project:
// build them on `newAdminRouter()` (src/admin/context.ts) in your own file, read `c.get("deps")` for D1,
// and add your router to `routers` below. Errors thrown as ServiceError become application/problem+json.
import { matchedRoutes } from "hono/route";
import { logEvent } from "../observability/log";
import { makeDeps, type ServiceDeps } from "../service/deps";
import { requireAdminToken } from "./auth";
import { chaosRoutes } from "./chaos-routes";
import { deviceRoutes } from "./devices";
import { galRoutes } from "./gal-routes";
import { searchRoutes } from "./search-routes";
import { newAdminRouter, type AdminApp } from "./context";
import { jobRoutes } from "./jobs-routes";
import { importRoutes } from "./import-routes";
import { mailboxRoutes } from "./mailboxes-routes";
import { pimRoutes } from "./pim-routes";
import { errorToProblem, problem } from "./problem";
import { recordRoutes } from "./records-routes";
import { subscriptionRoutes } from "./subscriptions-routes";
import { traceRoutes } from "./traces-routes";
import { opsRoutes } from "./ops-routes";
import { lifecycleRoutes } from "./lifecycle-routes";

const routers: AdminApp[] = [
  subscriptionRoutes,
  mailboxRoutes,
  importRoutes,
  pimRoutes,
  recordRoutes,
  jobRoutes,
  deviceRoutes,
  galRoutes,
  searchRoutes,
  traceRoutes,
  opsRoutes,
  lifecycleRoutes,
  chaosRoutes,
];

/** The admin API is mounted at /admin/v1 (src/index.ts); tests also mount it bare. */
function isOpenApiDocument(url: string): boolean {
  const path = new URL(url).pathname;
  return path === "/admin/v1/openapi.json" || path === "/openapi.json";
}

/** `overrides` lets tests inject the clock and the network (DoH/RDAP fetcher). */
export function makeAdminApp(overrides: Partial<ServiceDeps> = {}): AdminApp {
  const app = newAdminRouter();
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Mobile Sync admin API",
      version: "1.0.0",
      description:
        "Subscriptions (orders, payments, eligibility, suspensions), mailboxes and records. Authorization: Bearer <ADMIN_TOKEN>.",
    },
    servers: [{ url: "/admin/v1" }],
    security: [{ bearer: [] }],
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  // Only the OpenAPI document itself is public: an exact path, not any path ending in it (issue 13 §6).
  app.use("*", async (c, next) => (isOpenApiDocument(c.req.url) ? next() : requireAdminToken(c, next)));
  app.use("*", async (c, next) => {
    const who = c.req.header("x-admin-actor")?.trim().slice(0, 100);
    c.set("deps", makeDeps(c.env, { actor: `admin:${who || "token"}`, ...overrides }));
    const started = performance.now();
    await next();
    // One line per admin call: the route's pattern (an address in the path stays out), status and who.
    const routes = matchedRoutes(c).filter((r) => r.method !== "ALL");
    logEvent("admin", {
      method: c.req.method,
      route: routes.at(-1)?.path ?? "(no route)",
      status: c.res.status,
      actor: c.get("deps").actor,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
    });
  });
  for (const r of routers) app.route("/", r);
  app.onError(errorToProblem);
  app.notFound((c) => problem(c, 404, "Not found", `no admin route ${c.req.method} ${new URL(c.req.url).pathname}`));
  return app;
}

export const adminApp = makeAdminApp();
