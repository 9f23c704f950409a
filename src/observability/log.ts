// Structured logs (issue 17 §3): one JSON object per line on stdout, which Workers Logs (wrangler.toml
// [observability]) indexes field by field. A line carries ids, counts, durations and outcomes only: never a
// password, token, message body or subject. Mailboxes appear as a keyed hash (`mailboxLogId`) unless an admin
// is tracing them. This room imports nothing of the project, so every other room may log through it.

export type LogKind = "request" | "cron" | "smtp" | "admin" | "error" | "push";
export type LogLevel = "info" | "warn" | "error";

/** Fields of one line; values are plain data (strings, numbers, booleans, null, arrays/objects of those). */
export type LogFields = Record<string, unknown>;

type Sink = (line: string, level: LogLevel) => void;

/** Where lines go (console.log / warn / error, which Workers Logs records with their level); tests swap it. */
export let logSink: Sink = (line, level) =>
  level === "error" ? console.error(line) : level === "warn" ? console.warn(line) : console.log(line);

export function setLogSink(sink: Sink): () => void {
  const before = logSink;
  logSink = sink;
  return () => {
    logSink = before;
  };
}

/** Writes one line: `{"ts":…,"kind":…, …fields}`. Undefined fields are left out. Never throws. */
export function logEvent(kind: LogKind, fields: LogFields, level: LogLevel = "info"): void {
  try {
    logSink(JSON.stringify({ ts: new Date().toISOString(), kind, ...(level === "info" ? {} : { level }), ...fields }), level);
  } catch {
    // A log line must never break the work it describes.
  }
}

/**
 * A failure, as one line: where it happened and the error's name and message (no stack: a stack may carry
 * data of the request). Callers never put an address, password or message content in `where` or `fields`.
 */
export function logError(where: string, err: unknown, fields: LogFields = {}, level: "warn" | "error" = "error"): void {
  const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  logEvent("error", { where, error: error.slice(0, 300), ...fields }, level);
}

let keyFor: { secret: string; key: Promise<CryptoKey> } | undefined;
const hashes = new Map<string, string>();

/**
 * A mailbox address as a keyed hash (HMAC-SHA256, 16 hex digits): lines of one mailbox can be grouped and a
 * known address looked up (`npm run` … or the admin API's mailbox view), but the log alone names nobody.
 * The key is LOG_HASH_KEY, else derived from ADMIN_TOKEN; without either the hash is unkeyed (development).
 */
export async function mailboxLogId(bindings: object, address: string): Promise<string> {
  const env = bindings as { LOG_HASH_KEY?: string; ADMIN_TOKEN?: string };
  const secret = env.LOG_HASH_KEY || (env.ADMIN_TOKEN ? `log-hash:${env.ADMIN_TOKEN}` : "mobile-sync-dev");
  if (keyFor?.secret !== secret) {
    hashes.clear();
    keyFor = {
      secret,
      key: crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
    };
  }
  const known = hashes.get(address);
  if (known) return known;
  const mac = await crypto.subtle.sign("HMAC", await keyFor.key, new TextEncoder().encode(address.toLowerCase()));
  const id = `h:${[...new Uint8Array(mac, 0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  // A few hundred active mailboxes per isolate at most: keep the last ones, no HMAC per request.
  if (hashes.size >= 1000) hashes.delete(hashes.keys().next().value!);
  hashes.set(address, id);
  return id;
}
