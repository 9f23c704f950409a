// FolderUpdate ([MS-ASCMD] 2.2.1.6): rename or move a folder.
import { childText } from "../../wbxml/index";
import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import { folderOpBody, folderOpReply } from "./folder-op";

export const FolderUpdateCommand: EasCommand = {
  name: "FolderUpdate",
  async handle(req: EasRequest): Promise<EasResponse> {
    const b = folderOpBody(req, "FolderUpdate");
    const syncKey = childText(b, "SyncKey");
    const serverId = childText(b, "ServerId");
    const parentId = childText(b, "ParentId");
    const name = childText(b, "DisplayName");
    // [MS-ASCMD] 2.2.3.177.6 Status 10: incorrectly formatted request.
    if (!syncKey || !serverId || parentId === undefined || !name) return folderOpReply("FolderUpdate", { status: 10 });
    const r = await req.mailbox.folderUpdate(req.deviceId, syncKey, serverId, parentId, name);
    return folderOpReply("FolderUpdate", { status: r.status, syncKey: r.syncKey });
  },
};
