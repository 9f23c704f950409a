// FolderSync ([MS-ASCMD] 2.2.1.5): the device's folder hierarchy, as changes since its SyncKey.
import { childText, el } from "../../wbxml/index";
import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import { quirkEffects } from "../quirks";

const USER_PIM_TYPES = new Set([13, 14, 15, 17]);
const fh = (name: string, ...c: Parameters<typeof el>[2][]) => el("FolderHierarchy", name, ...c);

export const FolderSyncCommand: EasCommand = {
  name: "FolderSync",
  async handle(req: EasRequest): Promise<EasResponse> {
    const body = req.body;
    const syncKey = body?.name === "FolderSync" ? childText(body, "SyncKey") : undefined;
    // [MS-ASCMD] 2.2.3.177.5 Status 10: incorrectly formatted request.
    if (syncKey === undefined || syncKey.length > 64) return { kind: "wbxml", body: fh("FolderSync", fh("Status", 10)) };
    const r = await req.mailbox.folderSync(req.deviceId, syncKey.trim() || "0");
    if (r.status !== 1) return { kind: "wbxml", body: fh("FolderSync", fh("Status", r.status)) };
    // Device-quirks table "default-pim-folders-only" (Palm Treo, Pocket PC): user-created calendar, contact, task
    // and note folders ([MS-ASCMD] 2.2.3.186.3 types 13, 14, 15, 17) are not offered. Their deletes still pass
    // (a Delete carries no type); the device ignores ids it never got.
    if (quirkEffects(req).defaultPimFoldersOnly) {
      r.adds = r.adds.filter((a) => !USER_PIM_TYPES.has(a.type));
      r.updates = r.updates.filter((u) => !USER_PIM_TYPES.has(u.type));
    }
    const entry = (kind: string, e: { serverId: string; parentId: string; displayName: string; type: number }) =>
      fh(kind, fh("ServerId", e.serverId), fh("ParentId", e.parentId), fh("DisplayName", e.displayName), fh("Type", e.type));
    return {
      kind: "wbxml",
      body: fh(
        "FolderSync",
        fh("Status", 1),
        fh("SyncKey", r.syncKey),
        // Order fixed by the schema ([MS-ASCMD] 6.15): Count, Update*, Delete*, Add*.
        fh(
          "Changes",
          fh("Count", r.updates.length + r.deletes.length + r.adds.length),
          ...r.updates.map((u) => entry("Update", u)),
          ...r.deletes.map((id) => fh("Delete", fh("ServerId", id))),
          ...r.adds.map((a) => entry("Add", a)),
        ),
      ),
    };
  },
};
