import { and, asc, eq, isNull } from "drizzle-orm";
import { notifications } from "../db/schema";
import { newId, type ServiceDeps } from "./deps";

export interface Notice {
  to: string;
  subject: string;
  body: string;
  /** e.g. `suspension`, `renewal_reminder`, `resumption`. */
  kind: string;
  subscriptionId?: string;
}

/**
 * Queues an e-mail to a customer. Rows stay unsent (`sent_at` null) until the service's mail path
 * (the outbox, another part of the project) picks them up with `unsentNotices` and `markNoticeSent`.
 */
export async function queueNotice(d: ServiceDeps, n: Notice): Promise<string> {
  const id = newId("ntf");
  await d.db.insert(notifications).values({ id, ...n, subscriptionId: n.subscriptionId ?? null, queuedAt: d.now() });
  return id;
}

export function unsentNotices(d: ServiceDeps, limit = 50) {
  return d.db.select().from(notifications).where(isNull(notifications.sentAt)).orderBy(asc(notifications.queuedAt)).limit(limit);
}

export async function markNoticeSent(d: ServiceDeps, id: string, error?: string) {
  if (error) await d.db.update(notifications).set({ lastError: error }).where(eq(notifications.id, id));
  else
    await d.db
      .update(notifications)
      .set({ sentAt: d.now(), lastError: null })
      .where(and(eq(notifications.id, id), isNull(notifications.sentAt)));
}
