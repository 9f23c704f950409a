// FolderCreate ([MS-ASCMD] 2.2.1.3).
import { childText } from "../../wbxml/index";
import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import { folderOpBody, folderOpReply } from "./folder-op";

export const FolderCreateCommand: EasCommand = {
  name: "FolderCreate",
  async handle(req: EasRequest): Promise<EasResponse> {
    const b = folderOpBody(req, "FolderCreate");
    const syncKey = childText(b, "SyncKey");
    const parentId = childText(b, "ParentId");
    const name = childText(b, "DisplayName");
    const type = childText(b, "Type");
    // [MS-ASCMD] 2.2.3.177.3 Status 10: incorrectly formatted request.
    if (!syncKey || parentId === undefined || !name || !type || !/^[0-9]{1,2}$/.test(type))
      return folderOpReply("FolderCreate", { status: 10 });
    return folderOpReply("FolderCreate", await req.mailbox.folderCreate(req.deviceId, syncKey, parentId, name, Number(type)));
  },
};
