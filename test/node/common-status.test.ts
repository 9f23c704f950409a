// The common-status answers the device gates give (129 blocked, 140 wipe, 142/143/144 provisioning, 131 account)
// are schema-valid responses of every command that has a WBXML response.
import { expect, it } from "vitest";
import { commonStatusResponse } from "../../src/eas/front/common-status";
import { toXml } from "../../src/wbxml/index";
import { assertValid, hasSchema } from "./validate";

const COMMANDS = [
  "Sync",
  "FolderSync",
  "FolderCreate",
  "FolderDelete",
  "FolderUpdate",
  "GetItemEstimate",
  "ItemOperations",
  "MeetingResponse",
  "MoveItems",
  "Ping",
  "ResolveRecipients",
  "Search",
  "Find",
  "SendMail",
  "SmartForward",
  "SmartReply",
  "Settings",
  "ValidateCert",
  "Provision",
];

it("MS-ASCMD_R4874, MS-ASCMD_R5279, MS-ASCMD_R4905, MS-ASCMD_R4908, MS-ASCMD_R4911: every command's common-status response validates", () => {
  const checked: string[] = [];
  for (const cmd of COMMANDS) {
    if (!hasSchema(cmd)) continue;
    // The value is an integer either way; two suffice to prove the shape.
    for (const status of [129, 142]) {
      const res = commonStatusResponse(cmd, status);
      expect(res.kind, cmd).toBe("wbxml");
      if (res.kind === "wbxml") assertValid(cmd, toXml(res.body));
    }
    checked.push(cmd);
  }
  expect(checked.length).toBeGreaterThan(15);
  expect(commonStatusResponse("GetAttachment", 129)).toEqual({ kind: "http", status: 403, headers: undefined });
}, 120_000);
