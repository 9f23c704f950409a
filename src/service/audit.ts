import { auditLog } from "../db/schema";
import type { ServiceDeps } from "./deps";

/** The audit row for one change; `before`/`after` are whatever snapshot makes the change readable. */
export function auditRow(d: ServiceDeps, action: string, subject: string, before: unknown, after: unknown) {
  return d.db.insert(auditLog).values({ at: d.now(), actor: d.actor, action, subject, before: before ?? null, after: after ?? null });
}

export async function audit(d: ServiceDeps, action: string, subject: string, before: unknown, after: unknown) {
  await auditRow(d, action, subject, before, after);
}
