import type { EasRequest, EasResponse } from "../eas/front/command";
import { commonStatusResponse } from "../eas/front/common-status";
import { atLeast } from "../eas/protocol-version";
import { provisionStatus } from "../mailbox/contract";
import { toHttpResponse } from "./eas-response";
import type { Gate } from "./gate";
import { deviceState } from "./device-state";

/**
 * Signals "provisioning required" before a command runs ([MS-ASPROV] 3.2.5.1, MS-ASPROV_R483):
 * 140 RemoteWipeRequested, 142 DeviceNotProvisioned (no key), 144 InvalidPolicyKey (not the key we issued),
 * 143 PolicyRefresh (right key, policy edited since) for 14.0+ (MS-ASCMD_R5279, MS-ASCMD_R4905/MS-ASCMD_R4906, MS-ASCMD_R4911/MS-ASCMD_R4912, MS-ASCMD_R4908);
 * HTTP 449 for 12.1 and older (MS-ASCMD_R7561..MS-ASCMD_R7566). With the default policy nothing is enforced, so only a
 * pending wipe is ever signalled: plain phones sync without provisioning, and Provision still answers them.
 * The decision (`provisionStatus`) is the mailbox object's too (gatedSync).
 */
export const provisionGate: Gate = async (req, env) => {
  const stop = await decide(req, env);
  return stop && toHttpResponse(stop);
};

async function decide(req: EasRequest, env: Env): Promise<EasResponse | null> {
  if (req.cmd === "Provision") return null;
  const status = provisionStatus(await deviceState(req, env), req);
  if (status === null) return null;
  if (!atLeast(req.protocolVersion, "14.0")) return { kind: "http", status: 449 };
  return commonStatusResponse(req.cmd, status);
}
