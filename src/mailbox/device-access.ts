/** Allow / block / quarantine rules for devices, evaluated on every request (cheap: a handful of rules). */

export type AccessState = "allowed" | "blocked" | "quarantined";
export type RuleKind = "device-id" | "device-type" | "user-agent";

export interface AccessRule {
  id: string;
  kind: RuleKind;
  /** Exact DeviceId / DeviceType (case-insensitive), or a user-agent pattern where `*` matches anything. */
  pattern: string;
  access: AccessState;
  note?: string | null;
  createdAt: number;
}

export interface AccessDecision {
  access: AccessState;
  /** "rule:<id>" or "default". */
  by: string;
}

/** Precedence (as Exchange: personal exemptions, then device rules, then the default):
 *  DeviceId rules, then DeviceType, then user-agent patterns, then the default. Within one kind the strictest wins. */
export function decideAccess(
  rules: readonly AccessRule[],
  device: { deviceId: string; deviceType: string; userAgent?: string | null },
  fallback: AccessState,
): AccessDecision {
  const order: RuleKind[] = ["device-id", "device-type", "user-agent"];
  for (const kind of order) {
    const hits = rules.filter((r) => r.kind === kind && matches(r, device));
    if (hits.length === 0) continue;
    const strictest = hits.sort((a, b) => severity(b.access) - severity(a.access))[0]!;
    return { access: strictest.access, by: `rule:${strictest.id}` };
  }
  return { access: fallback, by: "default" };
}

function severity(a: AccessState): number {
  return a === "blocked" ? 2 : a === "quarantined" ? 1 : 0;
}

function matches(rule: AccessRule, d: { deviceId: string; deviceType: string; userAgent?: string | null }): boolean {
  switch (rule.kind) {
    case "device-id":
      return rule.pattern.toLowerCase() === d.deviceId.toLowerCase();
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
