// The subscription gate's refusal for every command, encoded, decoded and checked against the XSDs
// with ../shared/conformance/validate ([MS-ASCMD] 2.2.2 common status 131, MS-ASCMD_R4879, R4880).
import { describe, expect, it } from "vitest";
import { subscriptionRefusal } from "../../src/http/subscription-gate";
import { childText, decodeWbxml, encodeWbxml, toXml, type WbxmlElement } from "../../src/wbxml";
import type { MailboxSubscriptionState } from "../../src/mailbox/contract";
import { runValidate } from "./validate";

// validate's output when it exits 0 ("valid"); throws with what it printed otherwise
const validate = (cmd: string, xml: string) => {
  const r = runValidate(cmd, xml);
  if (r.status !== 0) throw new Error(`validate ${cmd} exited ${r.status}:\n${r.output}`);
  return r.output.trim();
};

const state = (status: MailboxSubscriptionState["status"]): MailboxSubscriptionState => ({
  subscriptionId: "sub_1",
  status,
  reason: "eligibility",
  version: 3,
  updatedAt: 0,
});

const COMMANDS = [
  "Sync",
  "FolderSync",
  "FolderCreate",
  "FolderDelete",
  "FolderUpdate",
  "GetItemEstimate",
  "MoveItems",
  "Ping",
  "Provision",
  "ItemOperations",
  "Search",
  "Settings",
  "SendMail",
  "SmartReply",
  "SmartForward",
  "ResolveRecipients",
  "ValidateCert",
  "Find",
  "MeetingResponse",
];

describe("refusal of a suspended, expired or ended subscription", () => {
  for (const cmd of COMMANDS) {
    it(`${cmd} 14.1: HTTP 200, valid ${cmd} response with Status 131 AccountDisabled`, () => {
      const r = subscriptionRefusal({ cmd, protocolVersion: "14.1" }, state("suspended"));
      expect(r?.kind).toBe("wbxml");
      const tree = decodeWbxml(encodeWbxml((r as { body: WbxmlElement }).body));
      const statusHolder = cmd === "MeetingResponse" ? (tree.children[0] as WbxmlElement) : tree;
      expect(childText(statusHolder, "Status")).toBe("131");
      expect(validate(cmd, toXml(tree))).toBe("valid");
    });
  }

  it("MS-ASHTTP_R180: protocol 12.1 and 2.5: HTTP 403 (user not enabled for ActiveSync); commands without a WBXML answer (GetAttachment): 403", () => {
    expect(subscriptionRefusal({ cmd: "Sync", protocolVersion: "12.1" }, state("expired"))).toMatchObject({ kind: "http", status: 403 });
    expect(subscriptionRefusal({ cmd: "FolderSync", protocolVersion: "2.5" }, state("terminated"))).toMatchObject({
      kind: "http",
      status: 403,
    });
    expect(subscriptionRefusal({ cmd: "GetAttachment", protocolVersion: "14.1" }, state("suspended"))).toMatchObject({
      kind: "http",
      status: 403,
    });
  });

  it("lets active and grace through, and mailboxes without any subscription state", () => {
    expect(subscriptionRefusal({ cmd: "Sync", protocolVersion: "16.1" }, state("active"))).toBeNull();
    expect(subscriptionRefusal({ cmd: "Sync", protocolVersion: "16.1" }, state("grace"))).toBeNull();
    expect(subscriptionRefusal({ cmd: "Sync", protocolVersion: "16.1" }, null)).toBeNull();
    for (const s of ["pending_payment", "suspended", "expired", "withdrawn", "cancelled", "terminated"] as const)
      expect(subscriptionRefusal({ cmd: "Sync", protocolVersion: "16.1" }, state(s))).not.toBeNull();
  });
});
