// The Worker side of a waiting request (Ping, hanging Sync): holds the device's HTTP request and one
// hibernatable WebSocket to the mailbox object, which stays free to hibernate (src/mailbox/waits.ts).
import type { EasRequest } from "./command";
import { WAIT_HEADER, type WaitKind, type WaitMessage, type WaitRequest } from "../mailbox/waits";

export type WaitOutcome =
  | { kind: "changes"; folders: string[] }
  | { kind: "hierarchy" }
  /** The heartbeat elapsed with nothing to report. */
  | { kind: "timeout" }
  /** A newer Ping or hanging Sync of the same device took over. */
  | { kind: "superseded" }
  /** endAllWaits (e.g. the subscription was suspended). */
  | { kind: "ended"; reason: string }
  /** The socket closed without an answer: the object restarted, was redeployed or evicted with its sockets. */
  | { kind: "closed" }
  /** The device hung up. */
  | { kind: "aborted" };

export interface WaitOptions {
  collections: string[];
  seconds: number;
  kind?: WaitKind;
}

/** Waits until one of `collections` has something for this device, or `seconds` elapse. */
export async function waitForChanges(req: Pick<EasRequest, "mailbox" | "deviceId" | "signal">, opts: WaitOptions): Promise<WaitOutcome> {
  const wait: WaitRequest = { deviceId: req.deviceId, kind: opts.kind ?? "sync", folders: opts.collections };
  const res = await req.mailbox.fetch("https://mailbox/push/wait", {
    headers: { Upgrade: "websocket", [WAIT_HEADER]: JSON.stringify(wait) },
  });
  if (res.status === 200) return outcomeOf((await res.json()) as WaitMessage);
  const ws = res.webSocket;
  if (!ws) throw new Error(`mailbox refused the wait: HTTP ${res.status}`);
  ws.accept();

  return new Promise<WaitOutcome>((resolve) => {
    let done = false;
    const finish = (outcome: WaitOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
      try {
        ws.close(1000, outcome.kind);
      } catch {
        // already closed
      }
      resolve(outcome);
    };
    const onAbort = () => finish({ kind: "aborted" });
    const timer = setTimeout(() => finish({ kind: "timeout" }), opts.seconds * 1000);
    ws.addEventListener("message", (e) => {
      try {
        finish(outcomeOf(JSON.parse(String(e.data)) as WaitMessage));
      } catch {
        finish({ kind: "closed" });
      }
    });
    ws.addEventListener("close", () => finish({ kind: "closed" }));
    ws.addEventListener("error", () => finish({ kind: "closed" }));
    if (req.signal?.aborted) onAbort();
    else req.signal?.addEventListener("abort", onAbort);
  });
}

function outcomeOf(msg: WaitMessage): WaitOutcome {
  switch (msg.t) {
    case "changes":
      return { kind: "changes", folders: msg.folders };
    case "hierarchy":
      return { kind: "hierarchy" };
    case "superseded":
      return { kind: "superseded" };
    case "ended":
      return { kind: "ended", reason: msg.reason };
  }
}
