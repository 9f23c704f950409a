// FolderCreate ([MS-ASCMD] 2.2.1.3).
import { childText, el } from "../../wbxml/index";
import type { EasCommand, EasRequest, EasResponse } from "../command";

export const FolderCreateCommand: EasCommand = {
  name: "FolderCreate",
  async handle(req: EasRequest): Promise<EasResponse> {
    const b = req.body?.name === "FolderCreate" ? req.body : undefined;
    const syncKey = childText(b, "SyncKey");
    const parentId = childText(b, "ParentId");
    const name = childText(b, "DisplayName");
    const type = childText(b, "Type");
    const out = (status: number, syncKey?: string, serverId?: string) => ({
      kind: "wbxml" as const,
      body: el(
        "FolderHierarchy",
        "FolderCreate",
        el("FolderHierarchy", "Status", status),
        syncKey && el("FolderHierarchy", "SyncKey", syncKey),
        serverId && el("FolderHierarchy", "ServerId", serverId),
      ),
    });
    // [MS-ASCMD] 2.2.3.177.3 Status 10: incorrectly formatted request.
    if (!syncKey || parentId === undefined || !name || !type || !/^[0-9]{1,2}$/.test(type)) return out(10);
    const r = await req.mailbox.folderCreate(req.deviceId, syncKey, parentId, name, Number(type));
    return out(r.status, r.syncKey, r.serverId);
  },
};
