// The service-wide device access rules (issue 5): kept in a mailbox object of their own, read by the device
// gates (http/device-state.ts) through a per-isolate cache, changed by the admin API (admin/devices.ts).
import type { AccessRule, AccessState, GlobalAccess } from "../mailbox/contract";

/** The mailbox object whose own access rules and default are the service-wide ones (no address starts with "@"). */
export const GLOBAL_RULES_OBJECT = "@device-rules";
const GLOBAL_TTL_MS = 30_000;

/** The last settled read. Never a promise: see `globalAccess`. */
let cached: { at: number; value: GlobalAccess } | undefined;
/** Bumped by `forgetGlobalAccess`: a read started before an admin change does not refill the cache. */
let generation = 0;

/**
 * Service-wide rules, read from their object at most every 30 s per isolate (a rule change takes up to 30 s).
 * Only the settled value is shared between requests: a promise of a read in flight belongs to the request that
 * started it (workerd: "Cannot perform I/O on behalf of a different request"; a request that chained its own RPC
 * onto another's read got a 500, issue 13 §8). On a miss, each request reads the rules itself.
 */
export async function globalAccess(env: Env, now = Date.now()): Promise<GlobalAccess> {
  if (cached && now - cached.at <= GLOBAL_TTL_MS) return cached.value;
  const started = generation;
  let value: GlobalAccess;
  try {
    const r = await env.MAILBOX.getByName(GLOBAL_RULES_OBJECT).listAccessRules();
    value = { rules: r.rules as AccessRule[], defaultAccess: (r.defaultAccess ?? undefined) as AccessState | undefined };
  } catch {
    // Unreadable global rules must not lock everybody out: this request goes on under the mailbox's own rules.
    // Not cached: a burst of cold-cache requests (parked Pings after an eviction, issue 15 target 3) can overload
    // the one rules object for a moment, and that must not switch the service-wide rules off for 30 s.
    return { rules: [] };
  }
  if (started === generation) cached = { at: now, value };
  return value;
}

/** Forget the cached global rules (after an admin change in this isolate). */
export function forgetGlobalAccess(): void {
  cached = undefined;
  generation++;
}
