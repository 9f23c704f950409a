// Refuses a device of a mailbox whose subscription does not give service (suspended, expired, ended, unpaid).
// The state comes from the mailbox object's own copy: no D1 on the device path.
// A mailbox with no subscription state at all (built-in demo/test mailboxes created before any order) is
// not gated; once an order exists, the subscription's state machine decides.
import type { EasRequest, EasResponse } from "../eas/front/command";
import { commonStatusResponse } from "../eas/front/common-status";
import { servesDevices, type MailboxSubscriptionState, subscriptionStops } from "../mailbox/contract";
import { deviceState } from "./device-state";
import { toHttpResponse } from "./eas-response";
import type { Gate } from "./gate";
import { atLeast } from "../eas/protocol-version";

/** [MS-ASCMD] 2.2.2 common status code 131 AccountDisabled: "The user's account is disabled" (MS-ASCMD_R4879, MS-ASCMD_R4880). */
export const STATUS_ACCOUNT_DISABLED = 131;

/**
 * The refusal for a device request, or null to let it pass.
 * Protocol 14.0 and later: HTTP 200 with the command's response root holding Status 131 (common status
 * codes exist from 14.0). Older versions, and commands without a WBXML response (GetAttachment), get HTTP 403.
 * MeetingResponse carries its Status inside Result (the schema has no top-level Status).
 */
export function subscriptionRefusal(
  req: Pick<EasRequest, "cmd" | "protocolVersion">,
  state: MailboxSubscriptionState | null,
): EasResponse | null {
  if (!state || servesDevices(state.status)) return null;
  const headers = { "X-MS-Subscription-State": state.status };
  if (!atLeast(req.protocolVersion, "14.0")) return { kind: "http", status: 403, headers };
  return commonStatusResponse(req.cmd, STATUS_ACCOUNT_DISABLED, headers);
}

// The state rides on the per-request device touch (device-state.ts): no RPC of its own (issue 15). The touch
// records the device as seen, which the request observer did for refused requests anyway. A device with a wipe
// pending passes even while the service is off (a suspended customer's lost phone must still be wiped): it gets
// nothing else, since the provision gate answers its every command but Provision with 140 RemoteWipeRequested
// ([MS-ASPROV] 3.2.5.1), and Provision carries the wipe; once acknowledged it is refused again. The decision
// (`subscriptionStops`, the touch's `wipePending`) is the mailbox object's too (gatedSync).
export const subscriptionGate: Gate = async (req, env) => {
  const s = await deviceState(req, env);
  const refusal = subscriptionStops(s, req) ? subscriptionRefusal(req, s.subscription ?? null) : null;
  return refusal && toHttpResponse(refusal);
};
