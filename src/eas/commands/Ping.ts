// Ping ([MS-ASCMD] 2.2.1.13, 3.1.5.8): the phone's push channel.
import { child, childrenNamed, childText, el, elements, type WbxmlElement } from "../../wbxml";
import type { EasCommand, EasRequest, EasResponse } from "../front/command";
import type { DeviceGateState, PingFolder, PingInput } from "../../mailbox/contract";
import { pushBounds } from "../front/push-config";
import { waitForChanges } from "../front/wait";
import { atLeast } from "../protocol-version";

export const Ping: EasCommand = {
  name: "Ping",
  // Nothing before the plan's RPC changes state: parsing only (a malformed Ping is answered after the gates run).
  foldsGates: true,
  async handle(req: EasRequest): Promise<EasResponse> {
    const input = parsePing(req);
    // A body that is not WBXML (e.g. text/plain): common Status 101 InvalidContent from 14.0 on (MS-ASCMD_R4813), else 4.
    if (input === "not-wbxml") return pingResponse(atLeast(req.protocolVersion, "14.0") ? 101 : 4);
    if (input === "syntax") return pingResponse(4);
    let plan: Awaited<ReturnType<typeof req.mailbox.preparePing>>;
    try {
      if (req.gate) {
        // The device gates ride on the plan's RPC (issue 15 target 3: a park makes two round trips, not three).
        const gated = await req.mailbox.gatedPreparePing(req.gate.call, req.deviceId, input, pushBounds());
        req.gate.state = gated.gate as DeviceGateState;
        if (!gated.result) return { kind: "gated" };
        plan = gated.result as typeof plan;
      } else plan = await req.mailbox.preparePing(req.deviceId, input, pushBounds());
    } catch {
      return pingResponse(8);
    }
    if (!plan.ok) {
      if (plan.status === 5) return pingResponse(5, { heartbeat: plan.heartbeat });
      if (plan.status === 6) return pingResponse(6, { maxFolders: plan.maxFolders });
      return pingResponse(plan.status);
    }
    let outcome: Awaited<ReturnType<typeof waitForChanges>>;
    try {
      outcome = await waitForChanges(req, { collections: plan.folders.map((f) => f.id), seconds: plan.heartbeat, kind: "ping" });
    } catch {
      return pingResponse(8);
    }
    switch (outcome.kind) {
      case "changes":
        return pingResponse(2, { folders: outcome.folders });
      case "hierarchy":
        return pingResponse(7);
      default:
        // timeout, superseded by a newer request of the device, closed socket, endAllWaits, device gone:
        // "the heartbeat interval expired before any changes occurred" (R4233); the device pings again.
        return pingResponse(1);
    }
  },
};

/** The request's parameters, or "syntax" for Status 4 (R4243, R6699, R323). An empty body means "use the cache" (R335, R321). */
export function parsePing(req: Pick<EasRequest, "body" | "rawBody" | "protocolVersion">): PingInput | "syntax" | "not-wbxml" {
  if (!req.body) return req.rawBody.length === 0 ? {} : "not-wbxml";
  const ping = req.body;
  if (ping.ns !== "Ping" || ping.name !== "Ping") return "syntax";
  const input: PingInput = {};
  const hb = child(ping, "HeartbeatInterval", "Ping");
  const folders = child(ping, "Folders", "Ping");
  if (!hb && !folders) return "syntax";
  if (hb) {
    const s = (childText(ping, "HeartbeatInterval", "Ping") ?? "").trim();
    if (!/^\d{1,9}$/.test(s)) return "syntax";
    input.heartbeat = Number(s);
  }
  if (folders) {
    const list: PingFolder[] = [];
    if (elements(folders).some((e) => e.name !== "Folder")) return "syntax";
    for (const f of childrenNamed(folders, "Folder", "Ping")) {
      const id = childText(f, "Id", "Ping")?.trim();
      const cls = childText(f, "Class", "Ping")?.trim();
      if (!id || !cls) return "syntax";
      // [MS-ASCMD] 2.2.3.27.4: "Notes" is not a valid Class in 2.5, 12.0 and 12.1 (MS-ASCMD_R6282).
      if (cls === "Notes" && !atLeast(req.protocolVersion, "14.0")) return "syntax";
      if (list.some((x) => x.id === id)) return "syntax"; // same Id twice → 4 (MS-ASCMD_R6699)
      list.push({ id, class: cls });
    }
    if (list.length === 0) return "syntax"; // Folder is 1...N (R1674)
    input.folders = list;
  }
  return input;
}

/** Element order per the Ping response schema: Status, Folders, MaxFolders, HeartbeatInterval. */
export function pingResponse(status: number, extra: { folders?: string[]; maxFolders?: number; heartbeat?: number } = {}): EasResponse {
  const body: WbxmlElement = el(
    "Ping",
    "Ping",
    el("Ping", "Status", status),
    extra.folders?.length ? el("Ping", "Folders", ...extra.folders.map((f) => el("Ping", "Folder", f))) : null,
    extra.maxFolders !== undefined ? el("Ping", "MaxFolders", extra.maxFolders) : null,
    extra.heartbeat !== undefined ? el("Ping", "HeartbeatInterval", extra.heartbeat) : null,
  );
  return { kind: "wbxml", body };
}
