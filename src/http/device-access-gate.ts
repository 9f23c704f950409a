import type { EasRequest, EasResponse } from "../eas/front/command";
import { commonStatusResponse } from "../eas/front/common-status";
import { atLeast } from "../eas/protocol-version";
import { accessStops } from "../mailbox/contract";
import { toHttpResponse } from "./eas-response";
import type { Gate } from "./gate";
import { deviceState } from "./device-state";

/**
 * Refuses blocked and quarantined devices: common status 129 DeviceIsBlockedForThisUser for 14.0+
 * (MS-ASCMD_R4874..MS-ASCMD_R4876), HTTP 403 for 12.1 and older. A quarantined device may still Provision and send
 * Settings (so the admin sees what it is before allowing it). A device with a wipe pending is let through so
 * the provision gate can deliver the wipe. The decision (`accessStops`) is the mailbox object's too (gatedSync).
 */
export const deviceAccessGate: Gate = async (req, env) => {
  const stop = await decide(req, env);
  return stop && toHttpResponse(stop);
};

async function decide(req: EasRequest, env: Env): Promise<EasResponse | null> {
  if (!accessStops(await deviceState(req, env), req)) return null;
  if (!atLeast(req.protocolVersion, "14.0")) return { kind: "http", status: 403 };
  return commonStatusResponse(req.cmd, 129);
}
