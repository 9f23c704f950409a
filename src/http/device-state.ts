import type { EasRequest } from "../eas/front/command";
import { atLeast } from "../eas/protocol-version";
import type { DeviceGateState } from "../mailbox/contract";
import { globalAccess } from "../service/global-device-rules";

const cache = new WeakMap<EasRequest, Promise<DeviceGateState>>();

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
