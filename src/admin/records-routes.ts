// Read-only records for support and billing staff: audit log, cron runs, queued e-mails; domain records.
import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, desc, eq, isNotNull, isNull, lt, type SQL } from "drizzle-orm";
import { auditLog, cronRuns, customers, domains, invoices, notifications, subscriptions } from "../db/schema";
import { audit } from "../service/audit";
import { summaryView } from "../service/views";
import { notFound } from "../service/errors";
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
  async (c) => {
    const q = c.req.valid("query");
    const conds: SQL[] = [];
    if (q.subject) conds.push(eq(auditLog.subject, q.subject));
    if (q.before) conds.push(lt(auditLog.id, q.before));
    const rows = await c
      .get("deps")
      .db.select()
      .from(auditLog)
      .where(conds.length ? and(...conds) : undefined)
      .orderBy(desc(auditLog.id))
      .limit(q.limit);
    return c.json(
      {
        entries: rows.map((e) => ({
          id: e.id,
          at: e.at.toISOString(),
          actor: e.actor,
          action: e.action,
          subject: e.subject,
          before: e.before,
          after: e.after,
        })),
        next_before: rows.length === q.limit ? rows[rows.length - 1]!.id : null,
      },
      200,
    );
  },
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
  async (c) => {
    const rows = await c.get("deps").db.select().from(cronRuns).orderBy(desc(cronRuns.startedAt)).limit(c.req.valid("query").limit);
    return c.json({ runs: rows.map((x) => ({ ...x, startedAt: x.startedAt.toISOString(), finishedAt: x.finishedAt.toISOString() })) }, 200);
  },
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
  async (c) => {
    const q = c.req.valid("query");
    const conds: SQL[] = [];
    if (q.state === "queued") conds.push(isNull(notifications.sentAt));
    if (q.state === "sent") conds.push(isNotNull(notifications.sentAt));
    if (q.subscription) conds.push(eq(notifications.subscriptionId, q.subscription));
    const rows = await c
      .get("deps")
      .db.select()
      .from(notifications)
      .where(conds.length ? and(...conds) : undefined)
      .orderBy(desc(notifications.queuedAt))
      .limit(200);
    return c.json(
      { notifications: rows.map((n) => ({ ...n, queuedAt: n.queuedAt.toISOString(), sentAt: n.sentAt?.toISOString() ?? null })) },
      200,
    );
  },
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
const domainView = (x: typeof domains.$inferSelect) => ({
  name: x.name,
  customer_id: x.customerId,
  status: x.status,
  expires_at: x.expiresAt?.toISOString() ?? null,
  updated_at: x.updatedAt.toISOString(),
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
  async (c) => {
    const { name } = c.req.valid("param");
    const [x] = await c.get("deps").db.select().from(domains).where(eq(domains.name, name));
    if (!x) throw notFound("domain", name);
    return c.json(domainView(x), 200);
  },
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
    const { name } = c.req.valid("param");
    const b = c.req.valid("json");
    const d = c.get("deps");
    const [x] = await d.db.select().from(domains).where(eq(domains.name, name));
    if (!x) throw notFound("domain", name);
    const [y] = await d.db
      .update(domains)
      .set({
        ...(b.status ? { status: b.status } : {}),
        ...(b.expires_at !== undefined ? { expiresAt: b.expires_at ? new Date(b.expires_at) : null } : {}),
        updatedAt: d.now(),
      })
      .where(eq(domains.name, name))
      .returning();
    await audit(d, "domain.updated", `domain:${name}`, domainView(x), domainView(y!));
    return c.json(domainView(y!), 200);
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
  async (c) => {
    const { id } = c.req.valid("param");
    const d = c.get("deps");
    const [cu] = await d.db.select().from(customers).where(eq(customers.id, id));
    if (!cu) throw notFound("customer", id);
    const subs = await d.db.select().from(subscriptions).where(eq(subscriptions.customerId, id)).orderBy(asc(subscriptions.createdAt));
    return c.json(
      {
        id: cu.id,
        kind: cu.kind,
        name: cu.name,
        email: cu.email,
        created_at: cu.createdAt.toISOString(),
        subscriptions: subs.map(summaryView),
      },
      200,
    );
  },
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
  async (c) => {
    const q = c.req.valid("query");
    const conds: SQL[] = [];
    if (q.status) conds.push(eq(invoices.status, q.status));
    if (q.subscription) conds.push(eq(invoices.subscriptionId, q.subscription));
    const rows = await c
      .get("deps")
      .db.select()
      .from(invoices)
      .where(conds.length ? and(...conds) : undefined)
      .orderBy(desc(invoices.issuedAt))
      .limit(q.limit);
    return c.json(
      {
        invoices: rows.map((i) => ({
          id: i.id,
          number: i.number,
          subscription_id: i.subscriptionId,
          amount: i.amountCents,
          currency: i.currency,
          status: i.status,
          issued_at: i.issuedAt.toISOString(),
          paid_at: i.paidAt?.toISOString() ?? null,
        })),
      },
      200,
    );
  },
);
