// Read-only records for support and billing staff (audit log, cron runs, queued e-mails, invoices, customers)
// and the provider's domain records, as the admin API shows them (admin/records-routes.ts).
import { and, asc, desc, eq, isNotNull, isNull, lt, type SQL } from "drizzle-orm";
import { auditLog, cronRuns, customers, domains, invoices, notifications, subscriptions } from "../db/schema";
import { audit } from "./audit";
import type { ServiceDeps } from "./deps";
import { notFound } from "./errors";
import { summaryView } from "./views";

/** Audit log entries, newest first; `before` is an id cursor. */
export async function listAudit(d: ServiceDeps, q: { subject?: string; before?: number; limit: number }) {
  const conds: SQL[] = [];
  if (q.subject) conds.push(eq(auditLog.subject, q.subject));
  if (q.before) conds.push(lt(auditLog.id, q.before));
  const rows = await d.db
    .select()
    .from(auditLog)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(q.limit);
  return {
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
  };
}

/** Summaries of the latest cron runs. */
export async function listCronRuns(d: ServiceDeps, limit: number) {
  const rows = await d.db.select().from(cronRuns).orderBy(desc(cronRuns.startedAt)).limit(limit);
  return { runs: rows.map((x) => ({ ...x, startedAt: x.startedAt.toISOString(), finishedAt: x.finishedAt.toISOString() })) };
}

/** E-mails queued for customers (at most 200, newest first). */
export async function listNotifications(d: ServiceDeps, q: { state: "queued" | "sent" | "all"; subscription?: string }) {
  const conds: SQL[] = [];
  if (q.state === "queued") conds.push(isNull(notifications.sentAt));
  if (q.state === "sent") conds.push(isNotNull(notifications.sentAt));
  if (q.subscription) conds.push(eq(notifications.subscriptionId, q.subscription));
  const rows = await d.db
    .select()
    .from(notifications)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(notifications.queuedAt))
    .limit(200);
  return { notifications: rows.map((n) => ({ ...n, queuedAt: n.queuedAt.toISOString(), sentAt: n.sentAt?.toISOString() ?? null })) };
}

const domainView = (x: typeof domains.$inferSelect) => ({
  name: x.name,
  customer_id: x.customerId,
  status: x.status,
  expires_at: x.expiresAt?.toISOString() ?? null,
  updated_at: x.updatedAt.toISOString(),
});

/** The provider's record of a domain (§3 domain_held); 404 when there is none. */
export async function getDomain(d: ServiceDeps, name: string) {
  const [x] = await d.db.select().from(domains).where(eq(domains.name, name));
  if (!x) throw notFound("domain", name);
  return domainView(x);
}

export type DomainStatus = (typeof domains.$inferSelect)["status"];

/** Updates the provider's record (e.g. transferred_out, expired), audited; `expiresAt` null clears it. */
export async function updateDomain(d: ServiceDeps, name: string, patch: { status?: DomainStatus; expiresAt?: string | null }) {
  const [x] = await d.db.select().from(domains).where(eq(domains.name, name));
  if (!x) throw notFound("domain", name);
  const [y] = await d.db
    .update(domains)
    .set({
      ...(patch.status ? { status: patch.status } : {}),
      ...(patch.expiresAt !== undefined ? { expiresAt: patch.expiresAt ? new Date(patch.expiresAt) : null } : {}),
      updatedAt: d.now(),
    })
    .where(eq(domains.name, name))
    .returning();
  await audit(d, "domain.updated", `domain:${name}`, domainView(x), domainView(y!));
  return domainView(y!);
}

/** A customer and their subscriptions; 404 when unknown. */
export async function getCustomer(d: ServiceDeps, id: string) {
  const [cu] = await d.db.select().from(customers).where(eq(customers.id, id));
  if (!cu) throw notFound("customer", id);
  const subs = await d.db.select().from(subscriptions).where(eq(subscriptions.customerId, id)).orderBy(asc(subscriptions.createdAt));
  return {
    id: cu.id,
    kind: cu.kind,
    name: cu.name,
    email: cu.email,
    created_at: cu.createdAt.toISOString(),
    subscriptions: subs.map(summaryView),
  };
}

export type InvoiceStatus = (typeof invoices.$inferSelect)["status"];

/** Invoices, newest first. */
export async function listInvoices(d: ServiceDeps, q: { status?: InvoiceStatus; subscription?: string; limit: number }) {
  const conds: SQL[] = [];
  if (q.status) conds.push(eq(invoices.status, q.status));
  if (q.subscription) conds.push(eq(invoices.subscriptionId, q.subscription));
  const rows = await d.db
    .select()
    .from(invoices)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(invoices.issuedAt))
    .limit(q.limit);
  return {
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
  };
}
