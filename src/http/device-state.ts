import type { EasRequest } from "../eas/front/command";
import type { DeviceGateState, GatedCall } from "../mailbox/contract";
import { globalAccess } from "../service/global-device-rules";

export { wipeDue } from "../mailbox/contract";

const cache = new WeakMap<EasRequest, Promise<DeviceGateState>>();

/** The per-request touch's arguments and the gates' facts, for the object's gated RPCs (gatedSync). */
export async function gatedCall(req: EasRequest, env: Env): Promise<GatedCall> {
  return {
    seen: { deviceId: req.deviceId, deviceType: req.deviceType, userAgent: req.userAgent, protocolVersion: req.protocolVersion },
    global: await globalAccess(env),
    request: { cmd: req.cmd, protocolVersion: req.protocolVersion, policyKey: req.policyKey },
  };
}

/**
 * One touch per request (records first/last seen, UA, version), shared by the device gates and the request
 * observer: the `touchDevice` RPC, unless the command's own gated RPC already made the touch (`knownDeviceState`).
 */
export function deviceState(req: EasRequest, env: Env): Promise<DeviceGateState> {
  let p = cache.get(req);
  if (!p) {
    p = gatedCall(req, env).then((c) => req.mailbox.touchDevice(c.seen, c.global) as Promise<DeviceGateState>);
    cache.set(req, p);
  }
  return p;
}

/** The state a gated RPC's touch returned for this request: the gates and the observer read it, no touch of their own. */
export function knownDeviceState(req: EasRequest, state: DeviceGateState): void {
  cache.set(req, Promise.resolve(state));
}
