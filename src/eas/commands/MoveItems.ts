// MoveItems ([MS-ASCMD] 2.2.1.12).
import { childrenNamed, childText, el } from "../../wbxml/index";
import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import { commonStatusResponse } from "../front/common-status";

export const MAX_MOVES = 1000;

const mv = (name: string, ...c: Parameters<typeof el>[2][]) => el("Move", name, ...c);

export const MoveItemsCommand: EasCommand = {
  name: "MoveItems",
  async handle(req: EasRequest): Promise<EasResponse> {
    const b = req.body?.name === "MoveItems" ? req.body : undefined;
    const moves = childrenNamed(b, "Move");
    // Exchange caps MoveItems at 1000 moves ([MS-ASCMD] 3.1.5.10): InvalidXML (common 103) beyond, for 14.0+;
    // 12.x has no common statuses: the moves beyond the cap fail (Status 5) without being tried.
    const over = moves.length > MAX_MOVES;
    if (over && Number.parseFloat(req.protocolVersion) >= 14) return commonStatusResponse("MoveItems", 103);
    const out: { srcMsgId: string; status: number; dstMsgId?: string }[] = new Array(moves.length);
    const todo: { i: number; srcMsgId: string; srcFldId: string; dstFldId: string }[] = [];
    moves.forEach((m, i) => {
      const srcMsgId = childText(m, "SrcMsgId") ?? "";
      const srcFldId = childText(m, "SrcFldId");
      const dsts = childrenNamed(m, "DstFldId");
      // Status 5: more than one DstFldId (or over the cap); 1: no source; 2: no destination.
      if (dsts.length > 1 || i >= MAX_MOVES) out[i] = { srcMsgId, status: 5 };
      else if (!srcMsgId || !srcFldId) out[i] = { srcMsgId, status: 1 };
      else if (dsts.length === 0 || !childText(m, "DstFldId")) out[i] = { srcMsgId, status: 2 };
      else todo.push({ i, srcMsgId, srcFldId, dstFldId: childText(m, "DstFldId")! });
    });
    if (todo.length > 0) {
      const results = await req.mailbox.moveItems(
        req.deviceId,
        todo.map(({ i: _i, ...m }) => m),
      );
      todo.forEach((t, k) => {
        out[t.i] = results[k];
      });
    }
    return {
      kind: "wbxml",
      body: mv(
        "MoveItems",
        ...out.map((r) => mv("Response", mv("SrcMsgId", r.srcMsgId), mv("Status", r.status), r.dstMsgId && mv("DstMsgId", r.dstMsgId))),
      ),
    };
  },
};
