// FolderUpdate ([MS-ASCMD] 2.2.1.6): rename or move a folder.
import { childText, el } from "../../wbxml/index";
import type { EasCommand, EasRequest, EasResponse } from "../command";

export const FolderUpdateCommand: EasCommand = {
  name: "FolderUpdate",
  async handle(req: EasRequest): Promise<EasResponse> {
    const b = req.body?.name === "FolderUpdate" ? req.body : undefined;
    const syncKey = childText(b, "SyncKey");
    const serverId = childText(b, "ServerId");
    const parentId = childText(b, "ParentId");
    const name = childText(b, "DisplayName");
    const out = (status: number, syncKey?: string) => ({
      kind: "wbxml" as const,
      body: el("FolderHierarchy", "FolderUpdate", el("FolderHierarchy", "Status", status), syncKey && el("FolderHierarchy", "SyncKey", syncKey)),
    });
    // [MS-ASCMD] 2.2.3.177.6 Status 10: incorrectly formatted request.
    if (!syncKey || !serverId || parentId === undefined || !name) return out(10);
    const r = await req.mailbox.folderUpdate(req.deviceId, syncKey, serverId, parentId, name);
    return out(r.status, r.syncKey);
  },
};
