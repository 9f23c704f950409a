// Bridged mailboxes, for the admin API (issue 8): D1 row (for the directory and the push webhook) and the
// mailbox object's own copy (for its stores), written together; the view an admin reads back.
import { eq } from "drizzle-orm";
import { accounts, domains, mailboxBackends, mailboxes } from "../db/schema";
import type { BridgeBackend } from "../mailbox/contract";
import { hasBuiltinAccount } from "./accounts";
import { auditRow } from "./audit";
import { runBatch, type ServiceDeps } from "./deps";
import { notFound, ServiceError } from "./errors";
import { publicOrigin } from "./public-origin";
import { hashPassword } from "./password";
import {
  assertBackendAllowed,
  BackendRuleError,
  backendColumns,
  backendOfRow,
  completeBackend,
  type MailboxBackendRow,
  oxDriverUrl,
  oxSecret,
} from "./mailbox-backends";

function allowed(backend: BridgeBackend): BridgeBackend {
  const b = completeBackend(backend);
  try {
    assertBackendAllowed(b);
  } catch (e) {
    if (e instanceof BackendRuleError || e instanceof TypeError) throw new ServiceError(400, "Invalid backend", e.message);
    throw e;
  }
  return b;
}

/** Creates a bridged mailbox. 409 when the address already has a login (built in or bridged). */
export async function createBridgedMailbox(d: ServiceDeps, address: string, input: BridgeBackend): Promise<BridgeBackend> {
  const backend = allowed(input);
  if (await hasBuiltinAccount(d.db, address))
    throw new ServiceError(409, "Mailbox exists", `a built-in mailbox already exists: ${address}`);
  const at = d.now();
  const domain = address.split("@")[1]!;
  const [, , inserted] = await d.db.batch([
    d.db.insert(domains).values({ name: domain, status: "active", createdAt: at, updatedAt: at }).onConflictDoNothing(),
    d.db.insert(mailboxes).values({ address, domain, createdAt: at }).onConflictDoNothing(),
    d.db
      .insert(mailboxBackends)
      .values({ address, ...backendColumns(backend), createdAt: at, updatedAt: at })
      .onConflictDoNothing()
      .returning({ address: mailboxBackends.address }),
  ]);
  if (inserted.length === 0) throw new ServiceError(409, "Mailbox exists", `a bridged mailbox already exists: ${address}`);
  try {
    await d.env.MAILBOX.getByName(address).setBackend(backend);
  } catch (e) {
    // Without its copy the object would serve the built-in store: undo, so that the admin can simply retry.
    await d.db.delete(mailboxBackends).where(eq(mailboxBackends.address, address));
    // The object refuses to bridge a mailbox that already holds built-in mail (src/mailbox/stores.ts); the
    // error crosses the RPC as a plain Error, hence the message.
    if (e instanceof Error && /cannot be bridged/.test(e.message)) throw new ServiceError(409, "Mailbox holds built-in data", e.message);
    throw e;
  }
  await runBatch(d, [auditRow(d, "mailbox.created", `mailbox:${address}`, null, { address, backend })]);
  return backend;
}

/** Re-points a bridged mailbox (new servers, push mode, DAV). 404 when it is not a bridged mailbox. */
export async function updateBridgedBackend(d: ServiceDeps, address: string, input: BridgeBackend): Promise<BridgeBackend> {
  const backend = allowed(input);
  const [before] = await d.db.select().from(mailboxBackends).where(eq(mailboxBackends.address, address));
  if (!before) throw notFound("bridged mailbox", address);
  // The object first: a failure leaves D1 (what devices authenticate against) unchanged, and a retry converges.
  await d.env.MAILBOX.getByName(address).setBackend(backend);
  await runBatch(d, [
    // updated_at is part of every cached login's binding: logins are checked against the new server at once.
    d.db
      .update(mailboxBackends)
      .set({ ...backendColumns(backend), updatedAt: d.now() })
      .where(eq(mailboxBackends.address, address)),
    auditRow(d, "mailbox.backend_changed", `mailbox:${address}`, { backend: backendOfRow(before) }, { backend }),
  ]);
  return backend;
}

/**
 * Stops bridging: the mailbox becomes a built-in one with `password` as its login. Its mail stays on the
 * provider's servers; the object forgets the bridge's state and devices resynchronise (empty built-in store).
 */
export async function unbridgeMailbox(d: ServiceDeps, address: string, password: string): Promise<void> {
  const [before] = await d.db.select().from(mailboxBackends).where(eq(mailboxBackends.address, address));
  if (!before) throw notFound("bridged mailbox", address);
  // The object first: until D1 changes, devices still log in against the IMAP server, and a retry converges.
  await d.env.MAILBOX.getByName(address).setBackend(null);
  const h = await hashPassword(password);
  const at = d.now();
  await runBatch(d, [
    d.db.delete(mailboxBackends).where(eq(mailboxBackends.address, address)),
    d.db
      .insert(accounts)
      .values({ address, passwordHash: h.hash, salt: h.salt, iterations: h.iterations, createdAt: at, failedAttempts: 0 }),
    auditRow(d, "mailbox.unbridged", `mailbox:${address}`, { backend: backendOfRow(before) }, { backend: null }),
  ]);
}

/** What GET /mailboxes/{address} shows of a bridged mailbox, with the Dovecot push driver settings for "notify". */
export async function backendView(env: Env, requestUrl: string, row: MailboxBackendRow): Promise<Record<string, unknown>> {
  const backend = backendOfRow(row);
  return {
    ...backend,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    locked_until: row.lockedUntil && row.lockedUntil.getTime() > Date.now() ? row.lockedUntil.toISOString() : null,
    push_notification: backend.push === "notify" ? await pushSettings(env, requestUrl, row.imapHost) : null,
  };
}

async function pushSettings(env: Env, requestUrl: string, server: string): Promise<Record<string, unknown>> {
  if (!env.NOTIFY_SECRET) return { error: "NOTIFY_SECRET is not set: the /notify webhooks are off (wrangler secret put NOTIFY_SECRET)" };
  const url = oxDriverUrl(publicOrigin(requestUrl, env), server, await oxSecret(env.NOTIFY_SECRET, server));
  return {
    driver_url: url,
    dovecot: `push_notification_driver = ox:url=${url} user_from_metadata`,
    note: "one URL per IMAP server (secret derived from NOTIFY_SECRET); needs mail_plugins = $mail_plugins notify push_notification and a mail_attribute_dict; the bridge sets each mailbox's METADATA itself",
  };
}
