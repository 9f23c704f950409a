// Mailbox lifecycle for operators (issue 17 §6): does a mailbox exist, list and search, change a built-in
// account's password, delete a mailbox. The D1 side lives here (admin routes only call these functions).
//
// Deleting erases the mailbox object's storage and R2 objects (Mailbox.eraseEverything) and these D1 rows:
// the login (`accounts`), the bridge settings (`mailbox_backends`) and the `mailboxes` row unless billing
// records point at it. Kept, because the law requires it (README, "Deleting a mailbox"): subscriptions,
// orders, invoices, payments, refunds, customers, suspensions and eligibility evidence, third-party notices
// and the notifications sent to the customer, and the audit log (which records the deletion).
import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { accounts, mailboxBackends, mailboxes, subscriptions } from "../db/schema";
import type { Mailbox } from "../mailbox/contract";
import { logEvent } from "../observability/log";
import { auditRow } from "./audit";
import { runBatch, type ServiceDeps } from "./deps";
import { DirectoryError, setPassword } from "./directory";
import { notFound, ServiceError } from "./errors";
import { finalStatuses } from "./subscription-states";

/** True when the address has a login (built-in account) or a mailbox record (ordered or bridged). */
export async function mailboxExists(d: ServiceDeps, address: string): Promise<boolean> {
  const [acc] = await d.db.select({ a: accounts.address }).from(accounts).where(eq(accounts.address, address)).limit(1);
  if (acc) return true;
  const [mbx] = await d.db.select({ a: mailboxes.address }).from(mailboxes).where(eq(mailboxes.address, address)).limit(1);
  return Boolean(mbx);
}

export interface MailboxListItem {
  address: string;
  kind: "built-in" | "bridged" | "no-login";
  created_at: string | null;
  locked_until: string | null;
  subscription: { id: string; status: string } | null;
}

/**
 * Mailboxes by address (logins and mailbox records together), `q` a substring of the address, `cursor` the
 * last address of the previous page. Returns the page and the next cursor (null at the end).
 */
export async function listMailboxes(
  d: ServiceDeps,
  opts: { q?: string; cursor?: string; limit: number },
): Promise<{ mailboxes: MailboxListItem[]; next_cursor: string | null }> {
  const pattern = opts.q ? `%${opts.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
  const filter = (col: typeof accounts.address | typeof mailboxes.address) =>
    and(opts.cursor ? gt(col, opts.cursor) : undefined, pattern ? sql`${col} LIKE ${pattern} ESCAPE '\\'` : undefined);
  // Both lists are read in address order up to the page size, then merged: one page never scans a table.
  const [logins, records] = await Promise.all([
    d.db
      .select()
      .from(accounts)
      .where(filter(accounts.address))
      .orderBy(asc(accounts.address))
      .limit(opts.limit + 1),
    d.db
      .select()
      .from(mailboxes)
      .where(filter(mailboxes.address))
      .orderBy(asc(mailboxes.address))
      .limit(opts.limit + 1),
  ]);
  const addresses = [...new Set([...logins.map((a) => a.address), ...records.map((m) => m.address)])].sort();
  const page = addresses.slice(0, opts.limit);
  const more = addresses.length > opts.limit;
  if (page.length === 0) return { mailboxes: [], next_cursor: null };
  const [bridged, subs] = await Promise.all([
    d.db.select({ address: mailboxBackends.address }).from(mailboxBackends).where(inArray(mailboxBackends.address, page)),
    d.db
      .select({
        id: subscriptions.id,
        status: subscriptions.status,
        mailbox: subscriptions.mailboxAddress,
        createdAt: subscriptions.createdAt,
      })
      .from(subscriptions)
      .where(inArray(subscriptions.mailboxAddress, page))
      .orderBy(asc(subscriptions.createdAt)),
  ]);
  const bridgedSet = new Set(bridged.map((b) => b.address));
  const latest = new Map(subs.map((s) => [s.mailbox, s]));
  const login = new Map(logins.map((a) => [a.address, a]));
  const record = new Map(records.map((m) => [m.address, m]));
  const items = page.map((address): MailboxListItem => {
    const a = login.get(address);
    const s = latest.get(address);
    const created = a?.createdAt ?? record.get(address)?.createdAt ?? null;
    return {
      address,
      kind: bridgedSet.has(address) ? "bridged" : a ? "built-in" : "no-login",
      created_at: created ? created.toISOString() : null,
      locked_until: a?.lockedUntil && a.lockedUntil.getTime() > d.now().getTime() ? a.lockedUntil.toISOString() : null,
      subscription: s ? { id: s.id, status: s.status } : null,
    };
  });
  return { mailboxes: items, next_cursor: more ? page.at(-1)! : null };
}

/** A built-in account's new password (lifts any lock). A bridged mailbox's password lives on its IMAP server. */
export async function changeBuiltinPassword(d: ServiceDeps, address: string, password: string): Promise<void> {
  const [bridged] = await d.db.select({ a: mailboxBackends.address }).from(mailboxBackends).where(eq(mailboxBackends.address, address));
  if (bridged) throw new ServiceError(409, "Bridged mailbox", "the password of a bridged mailbox is the IMAP server's; change it there");
  try {
    await setPassword(d.env.DB, address, password);
  } catch (e) {
    if (e instanceof DirectoryError)
      throw e.status === 404 ? notFound("mailbox", address) : new ServiceError(400, "Invalid password", e.message);
    throw e;
  }
  // The audit row says that it changed and who changed it; never the password.
  await runBatch(d, [auditRow(d, "mailbox.password_changed", `mailbox:${address}`, null, { address })]);
  logEvent("admin", { action: "mailbox.password_changed", actor: d.actor });
}

export interface DeletedMailbox {
  address: string;
  r2_objects_deleted: number;
  d1_rows_deleted: { accounts: number; mailbox_backends: number; mailboxes: number };
  kept: string[];
}

/**
 * Erases a mailbox: its object's storage and R2 objects first (a retry after a failure finds the D1 rows
 * still there and erases again), then its D1 rows other than the records the law requires, and an audit
 * row. Refused (409) while a subscription still gives service: end the contract first.
 */
export async function deleteMailbox(d: ServiceDeps, address: string, reason?: string): Promise<DeletedMailbox> {
  if (!(await mailboxExists(d, address))) throw notFound("mailbox", address);
  const subs = await d.db
    .select({ id: subscriptions.id, status: subscriptions.status })
    .from(subscriptions)
    .where(eq(subscriptions.mailboxAddress, address));
  const live = subs.filter((s) => !finalStatuses.includes(s.status));
  if (live.length)
    throw new ServiceError(
      409,
      "Subscription still running",
      `end subscription ${live.map((s) => `${s.id} (${s.status})`).join(", ")} first`,
    );
  const stub = d.env.MAILBOX.getByName(address) as DurableObjectStub<Mailbox>;
  const { r2ObjectsDeleted } = await stub.eraseEverything();
  const keepRecord = subs.length > 0;
  const [acc, backend] = await Promise.all([
    d.db.select({ a: accounts.address }).from(accounts).where(eq(accounts.address, address)),
    d.db.select({ a: mailboxBackends.address }).from(mailboxBackends).where(eq(mailboxBackends.address, address)),
  ]);
  const [rec] = await d.db.select({ a: mailboxes.address }).from(mailboxes).where(eq(mailboxes.address, address));
  const deleted = {
    accounts: acc.length,
    mailbox_backends: backend.length,
    mailboxes: rec && !keepRecord ? 1 : 0,
  };
  const kept = keepRecord
    ? [
        "mailboxes row (referenced by billing records)",
        "subscriptions and their orders, invoices, payments, refunds, suspensions, eligibility evidence, notices",
        "audit log",
      ]
    : ["audit log"];
  await runBatch(d, [
    d.db.delete(accounts).where(eq(accounts.address, address)),
    d.db.delete(mailboxBackends).where(eq(mailboxBackends.address, address)),
    ...(deleted.mailboxes ? [d.db.delete(mailboxes).where(eq(mailboxes.address, address))] : []),
    auditRow(d, "mailbox.deleted", `mailbox:${address}`, null, {
      address,
      reason: reason ?? null,
      r2_objects_deleted: r2ObjectsDeleted,
      d1_rows_deleted: deleted,
      kept,
    }),
  ]);
  logEvent("admin", { action: "mailbox.deleted", actor: d.actor, r2_objects_deleted: r2ObjectsDeleted });
  return { address, r2_objects_deleted: r2ObjectsDeleted, d1_rows_deleted: deleted, kept };
}

export const DEFAULT_MAILBOX_RETENTION_DAYS = 30;

export function mailboxRetentionDays(env: { MAILBOX_RETENTION_DAYS?: string }): number {
  const n = Number(env.MAILBOX_RETENTION_DAYS);
  return env.MAILBOX_RETENTION_DAYS && Number.isFinite(n) && n >= 0 ? n : DEFAULT_MAILBOX_RETENTION_DAYS;
}

/**
 * The end of a contract (daily job): a mailbox whose subscriptions have all ended more than `retentionDays`
 * ago (time for the customer to take their data elsewhere) is erased like an admin deletion. Only mailboxes
 * that still hold a login or bridge settings are picked, so each is erased once. At most `batch` per run.
 */
export async function eraseEndedMailboxes(
  d: ServiceDeps,
  retentionDays: number,
  batch = 50,
): Promise<{ erased: number; errors: string[] }> {
  const cutoff = d.now().getTime() - retentionDays * 86_400_000;
  const finals = sql.join(
    finalStatuses.map((s) => sql`${s}`),
    sql`, `,
  );
  const due = await d.db.all<{ address: string }>(sql`
    SELECT m.address AS address FROM mailboxes m
    WHERE (EXISTS (SELECT 1 FROM accounts a WHERE a.address = m.address)
           OR EXISTS (SELECT 1 FROM mailbox_backends b WHERE b.address = m.address))
      AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.mailbox_address = m.address)
      AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.mailbox_address = m.address
                      AND (s.status NOT IN (${finals}) OR s.ended_at IS NULL OR s.ended_at > ${cutoff}))
    ORDER BY m.address LIMIT ${batch}`);
  let erased = 0;
  const errors: string[] = [];
  for (const { address } of due) {
    try {
      await deleteMailbox(d, address, `contract ended more than ${retentionDays} days ago`);
      erased++;
    } catch (e) {
      errors.push(`erasing an ended mailbox failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { erased, errors };
}
