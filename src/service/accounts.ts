// Which mailboxes exist, and of which kind: a built-in one has a login in D1 `accounts`, a bridged one a row in
// `mailbox_backends` (issue 8). The one place the Worker side looks a mailbox up (admin routes, eligibility,
// inbound mail, the mailbox object's recipient routing); passwords and lockout are the directory's (directory.ts).
import { and, eq, notInArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { accounts, domains, mailboxBackends, mailboxes, subscriptions } from "../db/schema";
import type { Mailbox, RecipientAccounts } from "../mailbox/contract";
import { auditRow } from "./audit";
import { type Db, runBatch, type ServiceDeps } from "./deps";
import { createAccount, DirectoryError } from "./directory";
import { notFound, ServiceError } from "./errors";
import type { MailboxBackendRow } from "./mailbox-backends";
import { finalStatuses } from "./subscription-states";
import type { Subscription } from "./subscriptions";

/** Whether `address` (canonical, lower case) has a built-in login. */
export async function hasBuiltinAccount(db: Db, address: string): Promise<boolean> {
  const [acc] = await db.select({ address: accounts.address }).from(accounts).where(eq(accounts.address, address));
  return acc !== undefined;
}

/** Whether `address` has a mailbox here: a built-in login or a mailbox record (every bridged mailbox has one). */
export async function hasMailbox(db: Db, address: string): Promise<boolean> {
  const [[acc], [mbx]] = await db.batch([
    db.select({ address: accounts.address }).from(accounts).where(eq(accounts.address, address)).limit(1),
    db.select({ address: mailboxes.address }).from(mailboxes).where(eq(mailboxes.address, address)).limit(1),
  ]);
  return acc !== undefined || mbx !== undefined;
}

/** Whether `address` is a bridged mailbox (its mail on the provider's servers). */
export async function isBridged(db: Db, address: string): Promise<boolean> {
  const [row] = await db.select({ address: mailboxBackends.address }).from(mailboxBackends).where(eq(mailboxBackends.address, address));
  return row !== undefined;
}

/** The mailbox object of an existing built-in login; 404 otherwise (never creates an object for a typo). */
export async function builtinMailbox(d: ServiceDeps, address: string): Promise<DurableObjectStub<Mailbox>> {
  if (!(await hasBuiltinAccount(d.db, address))) throw notFound("mailbox", address);
  return d.env.MAILBOX.getByName(address);
}

/**
 * An envelope address as mail carries it (`<User@Example.TEST>`): trimmed, without angle brackets, in lower
 * case. Not a login check: address.ts's normaliseAddress validates what a device sends (and punycodes IDN).
 */
export function envelopeAddress(address: string): string {
  return address.trim().replace(/^<|>$/g, "").trim().toLowerCase();
}

/** The built-in account a recipient's mail goes to: exact address first, then without a "+tag" subaddress. */
export async function recipientAccount(db: Db, recipient: string): Promise<string | null> {
  const address = envelopeAddress(recipient);
  const candidates = [address];
  const plus = /^([^@+]+)\+[^@]*(@.+)$/.exec(address);
  if (plus) candidates.push(plus[1] + plus[2]);
  for (const candidate of candidates) {
    const [row] = await db.select({ address: accounts.address }).from(accounts).where(eq(accounts.address, candidate));
    if (row) return row.address;
  }
  return null;
}

/** The lookup the mailbox object routes its outgoing mail with (src/index.ts hands it to the object). */
export function d1RecipientAccounts(d1: D1Database | undefined): RecipientAccounts {
  const db = d1 ? drizzle(d1) : undefined;
  return { accountFor: async (recipient) => (db ? recipientAccount(db, recipient) : null) };
}

/** Creates a built-in mailbox: its login, its domain and mailbox records, an audit row. 409 when it exists. */
export async function createBuiltinMailbox(d: ServiceDeps, address: string, password: string): Promise<void> {
  try {
    await createAccount(d.env.DB, address, password);
  } catch (e) {
    if (e instanceof DirectoryError)
      throw new ServiceError(e.status, e.code === "exists" ? "Mailbox exists" : "Invalid mailbox", e.message);
    throw e;
  }
  const at = d.now();
  const domain = address.split("@")[1]!;
  await runBatch(d, [
    d.db.insert(domains).values({ name: domain, status: "active", createdAt: at, updatedAt: at }).onConflictDoNothing(),
    d.db.insert(mailboxes).values({ address, domain, createdAt: at }).onConflictDoNothing(),
    auditRow(d, "mailbox.created", `mailbox:${address}`, null, { address }),
  ]);
}

/** What D1 knows of one mailbox: its login, its mailbox record, its bridge, its current subscription. */
export interface MailboxRecords {
  account: { createdAt: Date; lockedUntil: Date | null } | null;
  mailbox: { domain: string; customerId: string | null } | null;
  bridged: MailboxBackendRow | null;
  subscription: Subscription | null;
}

/** The D1 records of `address`; 404 when it has neither a login nor a mailbox record. */
export async function mailboxRecords(d: ServiceDeps, address: string): Promise<MailboxRecords> {
  const [acc] = await d.db
    .select({ createdAt: accounts.createdAt, lockedUntil: accounts.lockedUntil })
    .from(accounts)
    .where(eq(accounts.address, address));
  const [mbx] = await d.db.select().from(mailboxes).where(eq(mailboxes.address, address));
  const [bridged] = await d.db.select().from(mailboxBackends).where(eq(mailboxBackends.address, address));
  if (!acc && !mbx) throw notFound("mailbox", address);
  const [sub] = await d.db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.mailboxAddress, address), notInArray(subscriptions.status, [...finalStatuses])));
  return { account: acc ?? null, mailbox: mbx ?? null, bridged: bridged ?? null, subscription: sub ?? null };
}
