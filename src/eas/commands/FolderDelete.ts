// FolderDelete ([MS-ASCMD] 2.2.1.4).
import { childText, el } from "../../wbxml/index";
import type { EasCommand, EasRequest, EasResponse } from "../command";

export const FolderDeleteCommand: EasCommand = {
  name: "FolderDelete",
  async handle(req: EasRequest): Promise<EasResponse> {
    const b = req.body?.name === "FolderDelete" ? req.body : undefined;
    const syncKey = childText(b, "SyncKey");
    const serverId = childText(b, "ServerId");
    const out = (status: number, syncKey?: string) => ({
      kind: "wbxml" as const,
      body: el("FolderHierarchy", "FolderDelete", el("FolderHierarchy", "Status", status), syncKey && el("FolderHierarchy", "SyncKey", syncKey)),
    });
    // [MS-ASCMD] 2.2.3.177.4 Status 10: incorrectly formatted request.
    if (!syncKey || !serverId) return out(10);
    const r = await req.mailbox.folderDelete(req.deviceId, syncKey, serverId);
    return out(r.status, r.syncKey);
  },
};
