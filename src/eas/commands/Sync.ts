// Sync ([MS-ASCMD] 2.2.1.21): WBXML → SyncRequest → mailbox.sync() (the items come back encoded) → WBXML, hanging
// when asked to.
import { child, childrenNamed, childText, el } from "../../wbxml/index";
import { quirkEffects } from "../quirks";
import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import { parseSyncRequest, SyncParseError } from "../front/sync-request";
import { buildSyncResponse } from "../front/sync-response";
import { type SyncRequest, type SyncResult, SyncStatus } from "../sync-types";
import type { DeviceGateState } from "../../mailbox/contract";
import { hangSync, parseSyncWait } from "../front/sync-wait";

/**
 * Device-quirks table "class-in-sync-response" (Windows Mobile 6.x and 2.5 phones below 12.1): each response
 * Collection starts with the Class its request named.
 */
function withRequestClasses(res: EasResponse, req: EasRequest): EasResponse {
  if (res.kind !== "wbxml" || !quirkEffects(req).classInSyncResponse) return res;
  const classes = new Map(
    childrenNamed(child(req.body, "Collections"), "Collection").map((c) => [childText(c, "CollectionId"), childText(c, "Class")]),
  );
  const collections = child(res.body, "Collections");
  for (const c of childrenNamed(collections, "Collection")) {
    const cls = classes.get(childText(c, "CollectionId"));
    if (cls) c.children.unshift(el("AirSync", "Class", cls));
  }
  return res;
}

export const SyncCommand: EasCommand = {
  name: "Sync",
  // The hot path of an initial sync (issue 15): the device gates ride on the Sync RPC. Nothing before it changes state.
  foldsGates: true,
  async handle(req: EasRequest): Promise<EasResponse> {
    const hang = req.body?.name === "Sync" ? parseSyncWait(req.body) : ({ ok: true, seconds: null } as const);
    if (!hang.ok) return hang.response;
    let typed: SyncRequest;
    try {
      typed = parseSyncRequest(req);
    } catch (e) {
      if (!(e instanceof SyncParseError)) throw e;
      return { kind: "wbxml", body: el("AirSync", "Sync", el("AirSync", "Status", e.status)) };
    }
    const started = performance.now();
    let result: SyncResult;
    if (req.gate) {
      const gated = await req.mailbox.gatedSync(req.gate.call, typed);
      req.gate.state = gated.gate as DeviceGateState;
      if (!gated.result) return { kind: "gated" };
      result = gated.result as SyncResult;
    } else result = await req.mailbox.sync(typed);
    let spent = performance.now() - started;
    // A hanging Sync ([MS-ASCMD] 3.1.5.4): nothing to send yet, so wait for a change in its collections
    // (the Wait or HeartbeatInterval given now, or cached from the request an empty/Partial one reuses).
    const seconds = hang.seconds ?? result.waitSeconds ?? null;
    if (result.status === SyncStatus.Success && result.collections.length === 0 && seconds) {
      const outcome = await hangSync(req, result.collectionIds, seconds);
      if (outcome === "hierarchy")
        return { kind: "wbxml", body: el("AirSync", "Sync", el("AirSync", "Status", SyncStatus.HierarchyChanged)) };
      if (outcome === "changes") {
        const again = performance.now();
        result = await req.mailbox.sync(typed);
        spent += performance.now() - again;
      }
    }
    const response = withRequestClasses(buildSyncResponse(result), req);
    // Time spent in the mailbox object (the clock advances across the RPC): for benchmarks and operators.
    response.headers = { ...response.headers, "Server-Timing": `mailbox;dur=${spent.toFixed(1)}` };
    return response;
  },
};
