// The one hook around every ActiveSync request (issue 17): once the answer is built it writes the request's
// log line, counts it in the metrics and, when an admin traces the device, stores the exchange (trace.ts).
// That work runs after the answer has left (the request's waitUntil, issue 15): the phone never waits for it.
// activesync-route.ts calls `observed` once and fills `Exchange.req` when it knows the device; nothing else in
// the request path knows about logs, metrics or traces.
import type { EasRequest, RequestNotes } from "../eas/front/command";
import { logError, logEvent, mailboxLogId } from "../observability/log";
import { metrics, writePoint, type MetricsSink } from "../observability/metrics";
import { deviceState } from "./device-state";
import { type ResponseFacts, responseFacts } from "./eas-response";
import { type AnswerHead, storeTrace } from "./trace";

export interface Exchange {
  requestId: string;
  started: number;
  request: Request;
  /** Set once the request is authenticated and parsed. */
  req?: EasRequest;
  notes: RequestNotes;
  /**
   * Server-Timing entries of the front door's own hops (`auth`, `gate`), in order (issue 15). Each is the wall
   * time across that hop's I/O: workerd's clock stands still during CPU-only work, so decoding and encoding never
   * show here (bench/sync-profile.ts reads the processes' CPU from /proc for those).
   */
  timings: string[];
}

/** The request's own `waitUntil` (Hono's `c.executionCtx`): work that may outlive the answer. */
export interface AfterAnswer {
  waitUntil(promise: Promise<unknown>): void;
}

/** Reports started and not yet finished (`observersSettled`). */
const inFlight = new Set<Promise<void>>();

/**
 * `run` answers the request; the observer never changes that answer and never throws. With `after` the report
 * runs behind the answer (a timer's turn later, so the runtime writes the response first); without one (a
 * caller with no request context) it runs before `observed` returns, as it must when nothing would keep it alive.
 */
export async function observed(
  request: Request,
  env: Env,
  run: (x: Exchange) => Promise<Response>,
  after?: AfterAnswer,
): Promise<Response> {
  const x: Exchange = {
    // Cloudflare's ray id ties the line to the edge's own logs; a fresh id where there is none (wrangler dev).
    requestId: request.headers.get("cf-ray") ?? crypto.randomUUID(),
    started: performance.now(),
    request,
    notes: {},
    timings: [],
  };
  const res = await run(x);
  // Everything the report reads of the answer, taken now: once returned, the response is the runtime's.
  const seen = answerOf(x, res);
  const work = () =>
    report(x, seen, env).catch((err: unknown) => {
      logError("request observer", err);
    });
  if (!after) {
    await work();
    return res;
  }
  const later = new Promise<void>((resolve) => setTimeout(resolve, 0)).then(work);
  inFlight.add(later);
  void later.finally(() => inFlight.delete(later));
  try {
    after.waitUntil(later);
  } catch (err) {
    // No waitUntil after all: the report still runs, unkept (it is a timer's turn away).
    logError("request observer", err, {}, "warn");
  }
  return res;
}

/** How many reports are started and not yet finished: what `observersSettled` would wait for (a test's stall report). */
export function observersInFlight(): number {
  return inFlight.size;
}

/**
 * Resolves once every report started so far has run (the ones started meanwhile too). For callers in the same
 * isolate that read what a request reported right after it: tests of the log line, the metrics, the traces.
 * It looks at the set on its own timer instead of awaiting the reports: each report is a promise of another
 * request's context (that request's waitUntil), and workerd runs a continuation settled from another context as a
 * queued cross-context action, which waits for the awaiting context's next real event (workerd PRs 2719, 7004) —
 * the cause that fits ops-logs' stalls (session 8: every step done, no report in flight, the test's continuation
 * never run again, the watchdog's own rejection lost behind it).
 */
export async function observersSettled(): Promise<void> {
  while (inFlight.size > 0) await new Promise<void>((resolve) => setTimeout(resolve, 2));
}

/** What the report needs of the answer, read before it leaves. */
interface Answer {
  ms: number;
  head: AnswerHead;
  facts: ResponseFacts;
  bytesOut: number;
}

function answerOf(x: Exchange, res: Response): Answer {
  return {
    ms: performance.now() - x.started,
    // A copy of the headers: a trace shows them as they went out, whatever runs after this hook.
    head: { at: Date.now(), status: res.status, statusText: res.statusText, headers: new Headers(res.headers) },
    facts: responseFacts(res),
    bytesOut: Number(res.headers.get("Content-Length")) || 0,
  };
}

async function report(x: Exchange, answer: Answer, env: Env): Promise<void> {
  const { ms, facts, bytesOut } = answer;
  const res = answer.head;
  const req = x.req;
  // Only authenticated requests are traced: the device state (and its trace directive) is asked of the
  // mailbox object with the per-request touch the gates already made (cached), so tracing costs no extra
  // round trip unless a gate stopped the request before the device gates ran.
  const trace = req && res.status !== 401 ? (await deviceState(req, env).catch(() => undefined))?.trace : undefined;
  // Metric labels must stay few: a command we serve, else the method (a hostile Cmd= never becomes a label).
  const cmd = req?.cmd ?? (x.request.method.toUpperCase() === "POST" ? "(unparsed)" : x.request.method.toUpperCase().slice(0, 10));
  const queryCmd = req
    ? undefined
    : new URL(x.request.url).searchParams
        .get("Cmd")
        ?.replace(/[^A-Za-z]/g, "")
        .slice(0, 32) || undefined;
  const bytesIn = req?.rawBody.length ?? (Number(x.request.headers.get("Content-Length")) || 0);
  const w = x.notes.wait;
  logEvent("request", {
    request_id: x.requestId,
    mailbox: req ? (trace ? req.user : await mailboxLogId(env, req.user)) : undefined,
    traced: trace ? true : undefined,
    device_id: req?.deviceId,
    device_type: req?.deviceType,
    cmd,
    query_cmd: queryCmd,
    protocol_version: req?.protocolVersion,
    http_status: res.status,
    eas_status: facts.easStatus,
    duration_ms: Math.round(ms * 10) / 10,
    bytes_in: bytesIn,
    bytes_out: bytesOut,
    wait_s: w ? Math.round(w.ms / 100) / 10 : undefined,
    wake: w?.outcome,
    wake_latency_ms: w?.wakeLatencyMs,
  });
  const labels = { cmd, http: res.status, eas: facts.easStatus };
  metrics.count("requests", labels);
  // Parked requests measure how long the device waited, not how fast we were: their own histogram.
  if (w) {
    metrics.count("waits_parked", { cmd, outcome: w.outcome });
    metrics.observe("wait_ms", { cmd, outcome: w.outcome }, w.ms);
    if (w.wakeLatencyMs !== undefined) metrics.observe("push_wake_ms", { cmd }, w.wakeLatencyMs);
    metrics.observe("request_ms", { cmd, http: res.status }, Math.max(0, ms - w.ms));
  } else metrics.observe("request_ms", { cmd, http: res.status }, ms);
  writePoint(
    env as { METRICS?: MetricsSink },
    "request",
    [cmd, res.status, facts.easStatus, req?.protocolVersion, w?.outcome],
    [ms, bytesIn, bytesOut, w?.ms ?? 0],
  );
  if (req && trace) await storeTrace(x, req, res, facts, trace);
}
