// Read-only records for support and billing staff: audit log, cron runs, queued e-mails; domain records.
import { createRoute, z } from "@hono/zod-openapi";
import { getCustomer, getDomain, listAudit, listCronRuns, listInvoices, listNotifications, updateDomain } from "../service/records";
import { newAdminRouter } from "./context";
import { json, problemResponses } from "./schemas";

const Any = z.record(z.string(), z.unknown());
export const recordRoutes = newAdminRouter();
const r = recordRoutes;

r.openapi(
  createRoute({
    method: "get",
    path: "/audit",
    tags: ["records"],
    summary: "Audit log, newest first (subject e.g. subscription:<id>, domain:<name>)",
    request: {
      query: z.object({
        subject: z.string().optional(),
        before: z.coerce.number().int().optional().openapi({ description: "id cursor" }),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
    },
    responses: { 200: json(z.object({ entries: z.array(Any), next_before: z.number().nullable() }), "Entries"), ...problemResponses },
  }),
  async (c) => c.json(await listAudit(c.get("deps"), c.req.valid("query")), 200),
);

r.openapi(
  createRoute({
    method: "get",
    path: "/cron-runs",
    tags: ["records"],
    summary: "Summaries of the latest cron runs",
    request: { query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }) },
    responses: { 200: json(z.object({ runs: z.array(Any) }), "Runs"), ...problemResponses },
  }),
  async (c) => c.json(await listCronRuns(c.get("deps"), c.req.valid("query").limit), 200),
);

r.openapi(
  createRoute({
    method: "get",
    path: "/notifications",
    tags: ["records"],
    summary: "E-mails queued for customers",
    request: { query: z.object({ state: z.enum(["queued", "sent", "all"]).default("all"), subscription: z.string().optional() }) },
    responses: { 200: json(z.object({ notifications: z.array(Any) }), "Notifications"), ...problemResponses },
  }),
  async (c) => c.json(await listNotifications(c.get("deps"), c.req.valid("query")), 200),
);

const DomainName = z.object({
  name: z
    .string()
    .trim()
    .toLowerCase()
    .min(1)
    .openapi({ param: { name: "name", in: "path" }, example: "example.test" }),
});
const DomainPatch = z.object({
  status: z.enum(["active", "expired", "transferred_out", "deleted"]).optional(),
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
});

r.openapi(
  createRoute({
    method: "get",
    path: "/domains/{name}",
    tags: ["domains"],
    summary: "The provider's record of a domain (§3 domain_held)",
    request: { params: DomainName },
    responses: { 200: json(Any, "Domain"), ...problemResponses },
  }),
  async (c) => c.json(await getDomain(c.get("deps"), c.req.valid("param").name), 200),
);

r.openapi(
  createRoute({
    method: "patch",
    path: "/domains/{name}",
    tags: ["domains"],
    summary: "Update the provider's record (e.g. transferred_out, expired)",
    request: { params: DomainName, body: { content: { "application/json": { schema: DomainPatch } }, required: true } },
    responses: { 200: json(Any, "Domain"), ...problemResponses },
  }),
  async (c) => {
    const b = c.req.valid("json");
    return c.json(await updateDomain(c.get("deps"), c.req.valid("param").name, { status: b.status, expiresAt: b.expires_at }), 200);
  },
);

r.openapi(
  createRoute({
    method: "get",
    path: "/customers/{id}",
    tags: ["billing"],
    summary: "A customer and their subscriptions",
    request: {
      params: z.object({
        id: z
          .string()
          .min(1)
          .openapi({ param: { name: "id", in: "path" }, example: "cus_0123" }),
      }),
    },
    responses: { 200: json(Any, "Customer"), ...problemResponses },
  }),
  async (c) => c.json(await getCustomer(c.get("deps"), c.req.valid("param").id), 200),
);

r.openapi(
  createRoute({
    method: "get",
    path: "/invoices",
    tags: ["billing"],
    summary: "Invoices, newest first (e.g. status=open: what is still to be paid)",
    request: {
      query: z.object({
        status: z.enum(["open", "paid", "void", "refunded", "partially_refunded"]).optional(),
        subscription: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
    },
    responses: {
      200: json(z.object({ invoices: z.array(Any) }), "Invoices; `amount` in the currency's minor unit (cents for EUR)"),
      ...problemResponses,
    },
  }),
  async (c) => c.json(await listInvoices(c.get("deps"), c.req.valid("query")), 200),
);
