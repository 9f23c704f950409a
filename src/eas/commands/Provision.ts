import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import type { ProvisionInput, ProvisionOutcome } from "../../mailbox/contract";
import type { WbxmlElement } from "../../wbxml/types";
import { child, childText, el } from "../../wbxml/tree";
import { readDeviceInformation } from "../front/device-information";
import { type Policy, policyTypeFor, provisionDoc, wapProvisioningDoc } from "../policy";
import { atLeast } from "../protocol-version";

const P = "Provision";

/** [MS-ASPROV] Provision: policy download and acknowledgement (two phases), remote wipe directives. */
export const Provision: EasCommand = {
  name: "Provision",
  async handle(req: EasRequest): Promise<EasResponse> {
    const root = req.body;
    if (root && (root.ns !== P || root.name !== "Provision")) return reply(el(P, "Provision", el(P, "Status", 2)));
    const input = readRequest(root, req.protocolVersion, req.policyKey);
    if (input === "protocol-error") return reply(el(P, "Provision", el(P, "Status", 2)));
    const outcome = await req.mailbox.provision(req.deviceId, input);
    return respond(outcome, input, req.protocolVersion);
  },
};

function readRequest(root: WbxmlElement | null, protocolVersion: string, headerKey: string | undefined): ProvisionInput | "protocol-error" {
  const input: ProvisionInput = { protocolVersion };
  if (!root) return input;
  input.deviceInformation = readDeviceInformation(child(root, "DeviceInformation", "Settings"));
  const wipe = child(root, "RemoteWipe", P);
  const accountOnlyWipe = child(root, "AccountOnlyRemoteWipe", P);
  const ack = wipe ?? accountOnlyWipe;
  if (ack) {
    const status = Number(childText(ack, "Status", P));
    if (!Number.isInteger(status)) return "protocol-error";
    input.wipeAck = { accountOnly: ack === accountOnlyWipe, status };
    return input;
  }
  const policies = child(root, "Policies", P);
  if (policies) {
    const policy = child(policies, "Policy", P);
    const policyType = childText(policy, "PolicyType", P);
    if (!policy || !policyType) return "protocol-error";
    const statusText = childText(policy, "Status", P);
    // Some old Android clients acknowledge with Status only and the temporary key in X-MS-PolicyKey (Z-Push's
    // "dw2412 Android provisioning fix", anchors §3 row 16): an acknowledgement all the same.
    const policyKey = childText(policy, "PolicyKey", P) ?? (statusText !== undefined ? headerKey : undefined);
    if (policyKey !== undefined && statusText !== undefined && !/^\d+$/.test(statusText)) return "protocol-error";
    input.policy = { policyType, policyKey, status: statusText === undefined ? undefined : Number(statusText) };
  }
  return input;
}

function respond(outcome: ProvisionOutcome, input: ProvisionInput, protocolVersion: string): EasResponse {
  // MS-ASPROV_R534: settings:DeviceInformation/Status answers a DeviceInformation sent in the request.
  const deviceInfo = input.deviceInformation ? el("Settings", "DeviceInformation", el("Settings", "Status", 1)) : null;
  switch (outcome.kind) {
    case "wipe":
      // MS-ASPROV_R493, MS-ASPROV_R666, MS-ASPROV_R66605: Status then the (empty) directive. An account-only wipe
      // is never answered with the full RemoteWipe (the registry only directs it to 16.1 requests).
      return reply(
        el(
          P,
          "Provision",
          deviceInfo,
          el(P, "Status", outcome.status),
          el(P, outcome.accountOnly ? "AccountOnlyRemoteWipe" : "RemoteWipe"),
        ),
      );
    case "policy":
      // MS-ASPROV_R310 (initial: type, status, temporary key, data), MS-ASPROV_R605/MS-ASPROV_R601 (ack: final key, no Data).
      return reply(
        el(
          P,
          "Provision",
          deviceInfo,
          el(P, "Status", 1),
          el(
            P,
            "Policies",
            el(
              P,
              "Policy",
              el(P, "PolicyType", policyTypeFor(protocolVersion)),
              el(P, "Status", 1),
              el(P, "PolicyKey", outcome.policyKey),
              outcome.phase === "initial" ? el(P, "Data", policyData(outcome.policy, protocolVersion)) : null,
            ),
          ),
        ),
      );
    case "policy-error":
      // MS-ASPROV_R380 (3: unknown PolicyType), MS-ASPROV_R382/MS-ASPROV_R658 (5: acknowledging the wrong policy key).
      return reply(
        el(
          P,
          "Provision",
          deviceInfo,
          el(P, "Status", 1),
          el(
            P,
            "Policies",
            el(
              P,
              "Policy",
              el(P, "PolicyType", input.policy?.policyType ?? policyTypeFor(protocolVersion)),
              el(P, "Status", outcome.policyStatus),
            ),
          ),
        ),
      );
    case "refused":
      // Common status codes 139/145 exist from 14.0; older clients get HTTP 403 instead (as MS-ASCMD_R7561 does for 140).
      if (!atLeast(protocolVersion, "14.0")) return { kind: "http", status: 403 };
      return reply(el(P, "Provision", deviceInfo, el(P, "Status", outcome.status)));
    case "status-only":
      return reply(el(P, "Provision", deviceInfo, el(P, "Status", 1)));
  }
}

/** 2.5: the wap-provisioningdoc as a string ([MS-ASPROV] 2.2.2.24.2); 12.0+: the EASProvisionDoc element. */
function policyData(policy: Policy, protocolVersion: string): string | WbxmlElement {
  return protocolVersion === "2.5" ? wapProvisioningDoc(policy) : provisionDoc(policy, protocolVersion);
}

function reply(body: WbxmlElement): EasResponse {
  return { kind: "wbxml", body };
}
