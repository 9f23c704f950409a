import type { EasRequest, EasResponse } from "../eas/front/command";
import { commonStatusResponse } from "../eas/front/common-status";
import { atLeast } from "../eas/protocol-version";
import { toHttpResponse } from "./eas-response";
import type { Gate } from "./gate";
import { deviceState, wipeDue } from "./device-state";

/**
 * Signals "provisioning required" before a command runs ([MS-ASPROV] 3.2.5.1, MS-ASPROV_R483):
 * 140 RemoteWipeRequested, 142 DeviceNotProvisioned (no key), 144 InvalidPolicyKey (not the key we issued),
 * 143 PolicyRefresh (right key, policy edited since) for 14.0+ (MS-ASCMD_R5279, MS-ASCMD_R4905/MS-ASCMD_R4906, MS-ASCMD_R4911/MS-ASCMD_R4912, MS-ASCMD_R4908);
 * HTTP 449 for 12.1 and older (MS-ASCMD_R7561..MS-ASCMD_R7566). With the default policy nothing is enforced, so only a
 * pending wipe is ever signalled: plain phones sync without provisioning, and Provision still answers them.
 */
export const provisionGate: Gate = async (req, env) => {
  const stop = await decide(req, env);
  return stop && toHttpResponse(stop);
};

async function decide(req: EasRequest, env: Env): Promise<EasResponse | null> {
  if (req.cmd === "Provision") return null;
  const s = await deviceState(req, env);
  let status: number | null = null;
  if (wipeDue(s, req.protocolVersion)) status = 140;
  else if (s.policyEnforced) {
    // A key of "0" means "not provisioned" (sent by many clients before their first Provision).
    if (!req.policyKey || req.policyKey === "0") status = 142;
    else if (req.policyKey !== s.policyKey) status = 144;
    else if (!s.policyCurrent) status = 143;
  }
  if (status === null) return null;
  if (!atLeast(req.protocolVersion, "14.0")) return { kind: "http", status: 449 };
  return commonStatusResponse(req.cmd, status);
}
