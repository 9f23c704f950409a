// Shared by FolderCreate, FolderUpdate and FolderDelete ([MS-ASCMD] 2.2.1.3, 2.2.1.6, 2.2.1.4).
import { el, type WbxmlElement } from "../../wbxml/index";
import type { EasRequest, EasResponse } from "../front/command";

/** The request's root when it is `name` in FolderHierarchy, else undefined (→ Status 10). */
export function folderOpBody(req: EasRequest, name: string): WbxmlElement | undefined {
  return req.body?.ns === "FolderHierarchy" && req.body.name === name ? req.body : undefined;
}

/** Status, then SyncKey and ServerId when present (the schema's order). */
export function folderOpReply(name: string, r: { status: number; syncKey?: string; serverId?: string }): EasResponse {
  return {
    kind: "wbxml",
    body: el(
      "FolderHierarchy",
      name,
      el("FolderHierarchy", "Status", r.status),
      r.syncKey && el("FolderHierarchy", "SyncKey", r.syncKey),
      r.serverId && el("FolderHierarchy", "ServerId", r.serverId),
    ),
  };
}
