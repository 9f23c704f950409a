// The service-wide device access rules (issue 5): kept in a mailbox object of their own, read by the device
// gates (http/device-state.ts) through a per-isolate cache, changed by the admin API (admin/devices.ts).
import type { AccessRule, AccessState, GlobalAccess } from "../mailbox/contract";

/** The mailbox object whose own access rules and default are the service-wide ones (no address starts with "@"). */
export const GLOBAL_RULES_OBJECT = "@device-rules";
const GLOBAL_TTL_MS = 30_000;

let global: { at: number; value: Promise<GlobalAccess> } | undefined;

/** Service-wide rules, read from their object at most every 30 s per isolate (a rule change takes up to 30 s). */
export function globalAccess(env: Env, now = Date.now()): Promise<GlobalAccess> {
  if (!global || now - global.at > GLOBAL_TTL_MS) {
    const value = env.MAILBOX.getByName(GLOBAL_RULES_OBJECT)
      .listAccessRules()
      .then((r) => ({ rules: r.rules as AccessRule[], defaultAccess: (r.defaultAccess ?? undefined) as AccessState | undefined }))
      // Unreadable global rules must not lock everybody out: the mailbox's own rules still apply.
      .catch(() => ({ rules: [] }));
    global = { at: now, value };
  }
  return global.value;
}

/** Forget the cached global rules (after an admin change in this isolate). */
export function forgetGlobalAccess(): void {
  global = undefined;
}
