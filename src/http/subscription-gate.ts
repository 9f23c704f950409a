// Refuses a device of a mailbox whose subscription does not give service (suspended, expired, ended, unpaid).
// The state comes from the mailbox object's own copy: no D1 on the device path.
// A mailbox with no subscription state at all (built-in demo/test mailboxes created before any order) is
// not gated; once an order exists, the subscription's state machine decides.
import type { EasRequest, EasResponse } from "../eas/command";
import { servesDevices, type MailboxSubscriptionState } from "../mailbox/subscription-state";
import { toHttpResponse } from "./eas-response";
import type { Gate } from "./gates";

/** [MS-ASCMD] 2.2.2 common status code 131 AccountDisabled: "The user's account is disabled" (MS-ASCMD_R4879, R4880). */
export const STATUS_ACCOUNT_DISABLED = 131;

/** The root element (code page, tag) of each command's response, where the common Status goes. */
const RESPONSE_ROOTS: Record<string, { ns: string; name: string }> = {
  Sync: { ns: "AirSync", name: "Sync" },
  FolderSync: { ns: "FolderHierarchy", name: "FolderSync" },
  FolderCreate: { ns: "FolderHierarchy", name: "FolderCreate" },
  FolderDelete: { ns: "FolderHierarchy", name: "FolderDelete" },
  FolderUpdate: { ns: "FolderHierarchy", name: "FolderUpdate" },
  GetItemEstimate: { ns: "GetItemEstimate", name: "GetItemEstimate" },
  MoveItems: { ns: "Move", name: "MoveItems" },
  Ping: { ns: "Ping", name: "Ping" },
  Provision: { ns: "Provision", name: "Provision" },
  ItemOperations: { ns: "ItemOperations", name: "ItemOperations" },
  Search: { ns: "Search", name: "Search" },
  Settings: { ns: "Settings", name: "Settings" },
  SendMail: { ns: "ComposeMail", name: "SendMail" },
  SmartReply: { ns: "ComposeMail", name: "SmartReply" },
  SmartForward: { ns: "ComposeMail", name: "SmartForward" },
  ResolveRecipients: { ns: "ResolveRecipients", name: "ResolveRecipients" },
  ValidateCert: { ns: "ValidateCert", name: "ValidateCert" },
  Find: { ns: "Find", name: "Find" },
};

/**
 * The refusal for a device request, or null to let it pass.
 * Protocol 14.0 and later: HTTP 200 with the command's response root holding Status 131 (common status
 * codes exist from 14.0). Older versions, and commands without a WBXML response (GetAttachment), get HTTP 403.
 * MeetingResponse carries its Status inside Result (the schema has no top-level Status).
 */
export function subscriptionRefusal(req: Pick<EasRequest, "cmd" | "protocolVersion">, state: MailboxSubscriptionState | null): EasResponse | null {
  if (!state || servesDevices(state.status)) return null;
  const headers = { "X-MS-Subscription-State": state.status };
  if (Number.parseFloat(req.protocolVersion) < 14) return { kind: "http", status: 403, headers };
  const status = { ns: "", name: "Status", children: [String(STATUS_ACCOUNT_DISABLED)] };
  if (req.cmd === "MeetingResponse") {
    return { kind: "wbxml", headers, body: { ns: "MeetingResponse", name: "MeetingResponse", children: [{ ns: "MeetingResponse", name: "Result", children: [{ ...status, ns: "MeetingResponse" }] }] } };
  }
  const root = RESPONSE_ROOTS[req.cmd];
  if (!root) return { kind: "http", status: 403, headers };
  return { kind: "wbxml", headers, body: { ...root, children: [{ ...status, ns: root.ns }] } };
}

export const subscriptionGate: Gate = async (req) => {
  const refusal = subscriptionRefusal(req, await req.mailbox.getSubscriptionState());
  return refusal ? toHttpResponse(refusal) : null;
};
