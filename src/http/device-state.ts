import type { EasRequest } from "../eas/front/command";
import { atLeast } from "../eas/protocol-version";
import type { AccessRule, AccessState, GlobalAccess } from "../mailbox/contract";
import type { DeviceGateState } from "../mailbox/contract";

/** The mailbox object whose own access rules and default are the service-wide ones (no address starts with "@"). */
export const GLOBAL_RULES_OBJECT = "@device-rules";
const GLOBAL_TTL_MS = 30_000;

const cache = new WeakMap<EasRequest, Promise<DeviceGateState>>();
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

/** One `touchDevice` RPC per request (records first/last seen, UA, version), shared by the device gates. */
export function deviceState(req: EasRequest, env: Env): Promise<DeviceGateState> {
  let p = cache.get(req);
  if (!p) {
    p = globalAccess(env).then(
      (g) =>
        req.mailbox.touchDevice(
          { deviceId: req.deviceId, deviceType: req.deviceType, userAgent: req.userAgent, protocolVersion: req.protocolVersion },
          g,
        ) as Promise<DeviceGateState>,
    );
    cache.set(req, p);
  }
  return p;
}

/** A wipe directive is due for this request (an account-only wipe waits for a 16.1 request, MS-ASPROV_R6906). */
export function wipeDue(s: DeviceGateState, protocolVersion: string): boolean {
  return s.wipe === "full" || (s.wipe === "account-only" && atLeast(protocolVersion, "16.1"));
}
