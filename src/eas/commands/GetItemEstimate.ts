// GetItemEstimate ([MS-ASCMD] 2.2.1.9): how many items the next Syncs of each collection would bring.
import { child, childrenNamed, childText, el } from "../../wbxml/index";
import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import { commonStatusResponse } from "../front/common-status";

export const MAX_ESTIMATE_COLLECTIONS = 300;

const gie = (name: string, ...c: Parameters<typeof el>[2][]) => el("GetItemEstimate", name, ...c);

export const GetItemEstimateCommand: EasCommand = {
  name: "GetItemEstimate",
  async handle(req: EasRequest): Promise<EasResponse> {
    const b = req.body?.name === "GetItemEstimate" ? req.body : undefined;
    const collections = childrenNamed(child(b, "Collections"), "Collection");
    // [MS-ASCMD] 2.2.3.31.1: one to 300 Collection elements. Beyond: InvalidXML (common 103, 14.0+), else Status 2.
    if (collections.length > MAX_ESTIMATE_COLLECTIONS)
      return Number.parseFloat(req.protocolVersion) >= 14
        ? commonStatusResponse("GetItemEstimate", 103)
        : { kind: "wbxml", body: gie("GetItemEstimate", gie("Status", 2)) };
    const parsed = collections.map((c) => {
      // 14.x: airsync:SyncKey + airsync:Options/FilterType; 12.x: GetItemEstimate FilterType directly.
      const filter = childText(child(c, "Options", "AirSync"), "FilterType") ?? childText(c, "FilterType");
      return {
        collectionId: childText(c, "CollectionId") ?? "",
        syncKey: childText(c, "SyncKey") ?? "",
        filterType: filter !== undefined && /^[0-9]$/.test(filter.trim()) ? Number(filter.trim()) : undefined,
      };
    });
    // [MS-ASCMD] 2.2.3.177.7 / common Status 2: malformed request.
    if (!b || parsed.length === 0 || parsed.some((p) => !p.collectionId || !p.syncKey))
      return { kind: "wbxml", body: gie("GetItemEstimate", gie("Status", 2)) };
    const results = await req.mailbox.getItemEstimate(req.deviceId, parsed);
    return {
      kind: "wbxml",
      body: gie(
        "GetItemEstimate",
        ...results.map((r) =>
          gie(
            "Response",
            gie("Status", r.status),
            gie("Collection", gie("CollectionId", r.collectionId), r.estimate !== undefined && gie("Estimate", r.estimate)),
          ),
        ),
      ),
    };
  },
};
