// Checks run after authentication and before the command, in order. A gate answers with a Response to stop
// the request (e.g. 403 subscription ended, 449 / Status 142 provisioning required) or null to let it pass.
// Each gate lives in its own file and is added to this list.
import { deviceAccessGate } from "./device-access-gate";
import { provisionGate } from "./provision-gate";
import type { Gate } from "./gate";
import { subscriptionGate } from "./subscription-gate";

// Subscription first, then device access (blocked / quarantined), then provisioning (wipe, policy key).
export const gates: readonly Gate[] = [subscriptionGate, deviceAccessGate, provisionGate];
