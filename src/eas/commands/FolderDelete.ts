// FolderDelete ([MS-ASCMD] 2.2.1.4).
import { childText } from "../../wbxml/index";
import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import { folderOpBody, folderOpReply } from "./folder-op";

export const FolderDeleteCommand: EasCommand = {
  name: "FolderDelete",
  async handle(req: EasRequest): Promise<EasResponse> {
    const b = folderOpBody(req, "FolderDelete");
    const syncKey = childText(b, "SyncKey");
    const serverId = childText(b, "ServerId");
    // [MS-ASCMD] 2.2.3.177.4 Status 10: incorrectly formatted request.
    if (!syncKey || !serverId) return folderOpReply("FolderDelete", { status: 10 });
    const r = await req.mailbox.folderDelete(req.deviceId, syncKey, serverId);
    return folderOpReply("FolderDelete", { status: r.status, syncKey: r.syncKey });
  },
};
