import { EasHttpError } from "../eas/front/command";
import { isTransientFailure } from "../eas/front/transient";
import { isStoreError, StoreUnavailableError } from "../store/types";
import { unauthorized } from "./basic-auth";
import { HttpProblem } from "./http-problem";
import { logError } from "../observability/log";

export const DEFAULT_RETRY_AFTER_SECONDS = 30;

/** Headers every EAS answer carries (errors included). */
export const BASE_HEADERS: Record<string, string> = { "Cache-Control": "private" };

/** A plain-text answer with no detail beyond the status line's reason (never a stack). */
export function plainStatus(status: number, message: string, headers: Record<string, string> = {}): Response {
  const h = new Headers({ ...BASE_HEADERS, ...headers });
  if (status === 503 && !h.has("Retry-After")) h.set("Retry-After", String(DEFAULT_RETRY_AFTER_SECONDS));
  if (status === 204 || status === 304) return new Response(null, { status, headers: h });
  h.set("Content-Type", "text/plain; charset=utf-8");
  return new Response(message + "\n", { status, headers: h });
}

/**
 * A store error thrown inside the mailbox object reaches the Worker through RPC, which may hand over a plain
 * Error carrying the name and own properties rather than the class: match either.
 */
function storeUnavailable(err: unknown): { retryAfter: number } | null {
  if (err instanceof StoreUnavailableError) return { retryAfter: err.retryAfterSeconds };
  if (isStoreError(err, "StoreUnavailableError")) {
    const r: unknown = err.retryAfterSeconds;
    return { retryAfter: typeof r === "number" && r > 0 ? r : DEFAULT_RETRY_AFTER_SECONDS };
  }
  return null;
}

/** The Retry-After for an outage: the store's own hint when it gave one. */
export function retryAfterOf(err: unknown): number {
  return storeUnavailable(err)?.retryAfter ?? DEFAULT_RETRY_AFTER_SECONDS;
}

/**
 * A bridged mailbox's server refused the account's login (its password changed there). Matched by name too:
 * across the mailbox object's RPC the error arrives as a plain Error carrying the name (checked by
 * test/workers/bridge-front-auth.test.ts).
 */
export function isStoreAuthError(err: unknown): boolean {
  return isStoreError(err, "StoreAuthError");
}

/**
 * Maps anything thrown while serving a request to a protocol-correct HTTP answer.
 * Backend outages become 503 + Retry-After (MS-ASHTTP_R273, MS-ASHTTP_R287, MS-ASHTTP_R288): a 500 makes
 * phones drop their sync state, a 503 makes them wait and retry. Anything else is our bug: 500, logged, no details.
 */
export function errorResponse(err: unknown): Response {
  if (err instanceof HttpProblem) return plainStatus(err.status, err.message, err.headers);
  if (err instanceof EasHttpError) return plainStatus(err.status, statusText(err.status), err.headers);
  if (isStoreAuthError(err)) {
    // MS-ASHTTP_R178: 401 with the challenge, so the device asks its user for the (new) password.
    const challenge = unauthorized();
    return plainStatus(challenge.status, challenge.message, challenge.headers);
  }
  const store = storeUnavailable(err);
  if (store) {
    logError("backend unavailable", err, {}, "warn");
    return plainStatus(503, "Service Unavailable", { "Retry-After": String(store.retryAfter) });
  }
  // A Durable Object reset or lost connection (`retryable`), a full queue (`overloaded`): try again soon.
  if (isTransientFailure(err)) {
    logError("mailbox object unavailable", err, {}, "warn");
    return plainStatus(503, "Service Unavailable", { "Retry-After": String(DEFAULT_RETRY_AFTER_SECONDS) });
  }
  logError("ActiveSync request", err);
  return plainStatus(500, "Internal Server Error");
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  413: "Payload Too Large",
  449: "Retry With",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  507: "Insufficient Disk Space",
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? "Error";
}
