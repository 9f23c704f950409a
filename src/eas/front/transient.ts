// Failures that mean "try again soon", seen from the Worker side of a mailbox RPC: the object was reset or its
// connection lost (Durable Object errors carry `retryable`), its queue is full (`overloaded`), or the mailbox's
// backend server is unreachable (StoreUnavailableError, matched by name: across RPC it arrives as a plain Error).
// The front door answers them 503 + Retry-After (src/http/errors.ts); commands with a Status of their own for
// it use that (SendMail: 111).
import { CHAOS_RESET_REASON } from "../../mailbox/contract";

export function isTransientFailure(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { overloaded?: unknown; retryable?: unknown; name?: unknown };
  return e.overloaded === true || e.retryable === true || e.name === "StoreUnavailableError" || isHarnessReset(err);
}

/**
 * The chaos harness' reset of a mailbox object (a test-only stand-in for the platform's): its reason reaches the
 * requests in flight as a plain Error without the `retryable` flag the platform's resets carry. Found by the
 * chaos run (bridged requests, in flight for seconds, answered 500 and SendMail 120).
 */
export function isHarnessReset(err: unknown): boolean {
  return err instanceof Error && err.message.endsWith(CHAOS_RESET_REASON);
}
