import type { EasRequest } from "../eas/command";
import { atLeast } from "../eas/protocol-version";
import type { DeviceGateState } from "../mailbox/devices";

const cache = new WeakMap<EasRequest, Promise<DeviceGateState>>();

/** One `touchDevice` RPC per request (records first/last seen, UA, version), shared by the device gates. */
export function deviceState(req: EasRequest): Promise<DeviceGateState> {
  let p = cache.get(req);
  if (!p) {
    p = req.mailbox.touchDevice({
      deviceId: req.deviceId,
      deviceType: req.deviceType,
      userAgent: req.userAgent,
      protocolVersion: req.protocolVersion,
    }) as Promise<DeviceGateState>;
    cache.set(req, p);
  }
  return p;
}

/** A wipe directive is due for this request (an account-only wipe waits for a 16.1 request, MS-ASPROV_R6906). */
export function wipeDue(s: DeviceGateState, protocolVersion: string): boolean {
  return s.wipe === "full" || (s.wipe === "account-only" && atLeast(protocolVersion, "16.1"));
}
