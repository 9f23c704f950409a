// The waiting part of a hanging Sync ([MS-ASCMD] 3.1.5.4, 2.2.3.198 Wait, 2.2.3.88.2 HeartbeatInterval).
// The Sync command (sync engine) calls `parseSyncWait` on the request and, when its response would be
// empty, `hangSync` before answering.
import { child, childText, el, type WbxmlElement } from "../../wbxml";
import type { EasResponse } from "./command";
import { pushBounds } from "./push-config";
import type { PingBounds } from "../../mailbox/contract";
import { waitForChanges, type WaitingRequest } from "./wait";

export type SyncWait =
  /** No Wait / HeartbeatInterval: answer at once. */
  | { ok: true; seconds: null }
  | { ok: true; seconds: number }
  /** Answer this response instead of syncing. */
  | { ok: false; response: EasResponse };

/**
 * Wait (minutes) or HeartbeatInterval (seconds) of a Sync request. Both → Status 4 (MS-ASCMD_R4747,
 * R4748, R3161, R3162); out of range → Status 14 with Limit, the closest allowed value (R4746, R3160,
 * R3226, R4460, R4461); Limit and Collections are exclusive (R4561).
 */
export function parseSyncWait(sync: WbxmlElement, bounds: PingBounds = pushBounds()): SyncWait {
  const wait = child(sync, "Wait", "AirSync");
  const hb = child(sync, "HeartbeatInterval", "AirSync");
  if (wait && hb) return { ok: false, response: syncStatus(4) };
  if (!wait && !hb) return { ok: true, seconds: null };
  const s = ((wait ? childText(sync, "Wait", "AirSync") : childText(sync, "HeartbeatInterval", "AirSync")) ?? "").trim();
  if (!/^-?\d{1,9}$/.test(s)) return { ok: false, response: syncStatus(4) };
  const n = Number(s);
  if (wait) {
    // Wait is in minutes: 1 to 59 in the spec (R4745), capped by our heartbeat maximum.
    const min = Math.max(1, Math.ceil(bounds.minHeartbeat / 60));
    const max = Math.min(59, Math.floor(bounds.maxHeartbeat / 60));
    if (n < min) return { ok: false, response: syncStatus(14, min) };
    if (n > max) return { ok: false, response: syncStatus(14, max) };
    return { ok: true, seconds: n * 60 };
  }
  if (n < bounds.minHeartbeat) return { ok: false, response: syncStatus(14, bounds.minHeartbeat) };
  if (n > bounds.maxHeartbeat) return { ok: false, response: syncStatus(14, bounds.maxHeartbeat) };
  return { ok: true, seconds: n };
}

export function syncStatus(status: number, limit?: number): EasResponse {
  return {
    kind: "wbxml",
    body: el("AirSync", "Sync", el("AirSync", "Status", status), limit !== undefined ? el("AirSync", "Limit", limit) : null),
  };
}

/**
 * Holds a Sync that has nothing to send until one of `collections` changes for this device or `seconds`
 * elapse. "changes": build the Sync response now; "hierarchy": answer Sync Status 12; "none": answer the
 * empty Sync response (HTTP 200, no body, R679) — also when a newer Ping or hanging Sync of the device
 * took over, the socket closed, or the mailbox ended its waits.
 */
export async function hangSync(req: WaitingRequest, collections: string[], seconds: number): Promise<"changes" | "hierarchy" | "none"> {
  try {
    const outcome = await waitForChanges(req, { collections, seconds, kind: "sync" });
    if (outcome.kind === "changes") return "changes";
    if (outcome.kind === "hierarchy") return "hierarchy";
    return "none";
  } catch {
    return "none";
  }
}
