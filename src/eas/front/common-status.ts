import type { EasResponse } from "./command";
import { el } from "../../wbxml/tree";

/** The response root (code page, element) of each command, where a common status goes ([MS-ASCMD] 2.2.2). */
const ROOTS: Record<string, [ns: string, name: string]> = {
  Sync: ["AirSync", "Sync"],
  FolderSync: ["FolderHierarchy", "FolderSync"],
  FolderCreate: ["FolderHierarchy", "FolderCreate"],
  FolderDelete: ["FolderHierarchy", "FolderDelete"],
  FolderUpdate: ["FolderHierarchy", "FolderUpdate"],
  GetItemEstimate: ["GetItemEstimate", "GetItemEstimate"],
  ItemOperations: ["ItemOperations", "ItemOperations"],
  MoveItems: ["Move", "MoveItems"],
  Ping: ["Ping", "Ping"],
  ResolveRecipients: ["ResolveRecipients", "ResolveRecipients"],
  Search: ["Search", "Search"],
  Find: ["Find", "Find"],
  SendMail: ["ComposeMail", "SendMail"],
  SmartForward: ["ComposeMail", "SmartForward"],
  SmartReply: ["ComposeMail", "SmartReply"],
  Settings: ["Settings", "Settings"],
  ValidateCert: ["ValidateCert", "ValidateCert"],
  Provision: ["Provision", "Provision"],
};

/**
 * A common status for a 14.0+ request: `<Command><Status>n</Status></Command>` in the command's code page.
 * MeetingResponse carries it inside Result (its schema has no top-level Status). Commands without a WBXML
 * response (GetAttachment) get HTTP 403.
 */
export function commonStatusResponse(cmd: string, status: number, headers?: Record<string, string>): EasResponse {
  if (cmd === "MeetingResponse") {
    const ns = "MeetingResponse";
    return { kind: "wbxml", headers, body: el(ns, "MeetingResponse", el(ns, "Result", el(ns, "Status", status))) };
  }
  const root = ROOTS[cmd];
  if (!root) return { kind: "http", status: 403, headers };
  return { kind: "wbxml", headers, body: el(root[0], root[1], el(root[0], "Status", status)) };
}
