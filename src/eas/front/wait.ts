// The Worker side of a waiting request (Ping, hanging Sync): holds the device's HTTP request and one
// hibernatable WebSocket to the mailbox object, which stays free to hibernate (src/mailbox/waits.ts).
import { env } from "cloudflare:workers";
import type { EasRequest } from "./command";
import { quirkEffects } from "../quirks";
import { WAIT_HEADER, type WaitKind, type WaitMessage, type WaitRequest } from "../../mailbox/contract";
import { logError } from "../../observability/log";
import { metrics } from "../../observability/metrics";

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
  /** Bridged mailboxes with push "poll": seconds between polls (default BRIDGE_POLL_SECONDS). */
  pollSeconds?: number;
}

/** Requests parked in this isolate now (a gauge in the metrics). */
let openWaits = 0;

export type WaitingRequest = Pick<EasRequest, "mailbox" | "deviceId" | "signal" | "credentials" | "backendPush" | "notes"> &
  Partial<Pick<EasRequest, "deviceType" | "userAgent" | "protocolVersion">>;

/** How long a wait of `seconds` really lasts: a client that abandons requests early (device-quirks table, e.g.
 *  Samsung at about 90 s) gets "no changes" before it gives up. */
export function waitSeconds(req: Partial<Pick<EasRequest, "deviceType" | "userAgent" | "protocolVersion">>, seconds: number): number {
  return Math.min(seconds, quirkEffects(req).maxWaitSeconds ?? Number.POSITIVE_INFINITY);
}

/**
 * Waits until one of `collections` has something for this device, or `seconds` elapse. How long it waited,
 * what ended it and (for a wake by the object) the latency since the object answered go to `req.notes`.
 */
export async function waitForChanges(req: WaitingRequest, opts: WaitOptions): Promise<WaitOutcome> {
  const started = Date.now();
  let sentAt: number | undefined;
  metrics.gauge("waits_open", {}, ++openWaits);
  let outcome: WaitOutcome;
  try {
    outcome = await waitFor(req, opts, (at) => (sentAt = at));
  } finally {
    metrics.gauge("waits_open", {}, --openWaits);
  }
  if (req.notes) {
    const now = Date.now();
    req.notes.wait = {
      ms: now - started,
      outcome: outcome.kind,
      wakeLatencyMs: sentAt === undefined ? undefined : Math.max(0, now - sentAt),
    };
  }
  return outcome;
}

async function waitFor(req: WaitingRequest, opts: WaitOptions, sent: (at: number | undefined) => void): Promise<WaitOutcome> {
  const wait: WaitRequest = { deviceId: req.deviceId, kind: opts.kind ?? "sync", folders: opts.collections };
  const res = await req.mailbox.fetch("https://mailbox/push/wait", {
    headers: { Upgrade: "websocket", [WAIT_HEADER]: JSON.stringify(wait) },
  });
  if (res.status === 200) return outcomeOf((await res.json()) as WaitMessage);
  const ws = res.webSocket;
  if (!ws) throw new Error(`mailbox refused the wait: HTTP ${res.status}`);
  ws.accept();
  const stopPolling = startBridgePolling(req, opts.pollSeconds ?? bridgePollSeconds());

  return new Promise<WaitOutcome>((resolve) => {
    let done = false;
    const finish = (outcome: WaitOutcome) => {
      if (done) return;
      done = true;
      stopPolling();
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
    const timer = setTimeout(() => finish({ kind: "timeout" }), waitSeconds(req, opts.seconds) * 1000);
    ws.addEventListener("message", (e) => {
      try {
        const msg = JSON.parse(String(e.data)) as WaitMessage;
        sent(msg.at);
        finish(outcomeOf(msg));
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

export const DEFAULT_BRIDGE_POLL_SECONDS = 60;

/** The wrangler var BRIDGE_POLL_SECONDS (whole seconds, at least 1), default 60. */
export function bridgePollSeconds(vars: { BRIDGE_POLL_SECONDS?: string } = env as never): number {
  const n = Number(vars.BRIDGE_POLL_SECONDS);
  return vars.BRIDGE_POLL_SECONDS && Number.isInteger(n) && n >= 1 ? n : DEFAULT_BRIDGE_POLL_SECONDS;
}

/**
 * A bridged mailbox whose server announces nothing (push "poll"): while the device waits, ask its object to
 * re-read the server every `seconds`. The object cannot poll by alarm (it would need the password at rest),
 * so the waiting request drives it and polling stops with the wait. A poll that fails (server down, login
 * refused) is logged and retried at the next tick: it never ends the wait with an error. Returns the stop.
 */
export function startBridgePolling(req: WaitingRequest, seconds: number): () => void {
  const credentials = req.credentials;
  if (!credentials || req.backendPush !== "poll") return () => {};
  const mailbox = req.mailbox;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return; // a slow server: never stack polls
    busy = true;
    mailbox
      .poll(credentials)
      .catch((err: unknown) => logError("bridge poll", err, {}, "warn"))
      .finally(() => (busy = false));
  }, seconds * 1000);
  return () => clearInterval(timer);
}
