/** Allow / block / quarantine rules for devices, evaluated on every request (cheap: a handful of rules). */
import type { AccessRule, AccessState, GlobalAccess, RuleKind } from "./contract";

/** What rules look at: the request's DeviceId, DeviceType and User-Agent, and the model the device reported. */
export interface DeviceFacts {
  deviceId: string;
  deviceType: string;
  userAgent?: string | null;
  model?: string | null;
}

export interface AccessDecision {
  access: AccessState;
  /** "rule:<id>" or "default". */
  by: string;
}

/** Precedence (as Exchange: personal exemptions, then organisation rules, then the default): the mailbox's
 *  DeviceId, model (from DeviceInformation), DeviceType, user-agent rules; then the same kinds among the global rules; then the mailbox's
 *  default, the global default, "allowed". Within one kind the strictest wins. */
export function decideAccess(
  rules: readonly AccessRule[],
  device: DeviceFacts,
  fallback: AccessState | undefined,
  global: GlobalAccess = { rules: [] },
): AccessDecision {
  const order: RuleKind[] = ["device-id", "device-model", "device-type", "user-agent"];
  for (const [set, prefix] of [
    [rules, "rule"],
    [global.rules, "global-rule"],
  ] as const) {
    for (const kind of order) {
      const hits = set.filter((r) => r.kind === kind && matches(r, device));
      if (hits.length === 0) continue;
      const strictest = hits.sort((a, b) => severity(b.access) - severity(a.access))[0]!;
      return { access: strictest.access, by: `${prefix}:${strictest.id}` };
    }
  }
  if (fallback) return { access: fallback, by: "default" };
  if (global.defaultAccess) return { access: global.defaultAccess, by: "global-default" };
  return { access: "allowed", by: "default" };
}

function severity(a: AccessState): number {
  return a === "blocked" ? 2 : a === "quarantined" ? 1 : 0;
}

function matches(rule: AccessRule, d: DeviceFacts): boolean {
  switch (rule.kind) {
    case "device-id":
      return rule.pattern.toLowerCase() === d.deviceId.toLowerCase();
    case "device-model":
      return d.model != null && globToRegExp(rule.pattern).test(d.model);
    case "device-type":
      return rule.pattern.toLowerCase() === d.deviceType.toLowerCase();
    case "user-agent":
      return d.userAgent != null && globToRegExp(rule.pattern).test(d.userAgent);
  }
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`, "i");
}
