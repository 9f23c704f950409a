import type { EasResponse } from "./command";
import { el } from "../wbxml/tree";

/** The response root (code page, element) of each command, for answering with a common status ([MS-ASCMD] 2.2.2). */
const ROOTS: Record<string, [ns: string, name: string]> = {
  Sync: ["AirSync", "Sync"],
  FolderSync: ["FolderHierarchy", "FolderSync"],
  FolderCreate: ["FolderHierarchy", "FolderCreate"],
  FolderDelete: ["FolderHierarchy", "FolderDelete"],
  FolderUpdate: ["FolderHierarchy", "FolderUpdate"],
  GetItemEstimate: ["GetItemEstimate", "GetItemEstimate"],
  ItemOperations: ["ItemOperations", "ItemOperations"],
  MeetingResponse: ["MeetingResponse", "MeetingResponse"],
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

/** `<Command><Status>n</Status></Command>` for 14.0+; commands without a WBXML response get HTTP 403. */
export function commonStatusResponse(cmd: string, status: number): EasResponse {
  const root = ROOTS[cmd];
  if (!root) return { kind: "http", status: 403 };
  return { kind: "wbxml", body: el(root[0], root[1], el(root[0], "Status", status)) };
}
