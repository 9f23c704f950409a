// What a bridged mailbox object does besides reading its stores (stores.ts): submission through the
// provider's SMTP server with the account's login, and push from Dovecot turned on once per account.
import { assertEndpointAllowed } from "../store/imap";
import type { BridgeMailStore } from "../store/bridge";
import { folderIdsForName } from "./folder-names";
import { type SmtpConfig, smtpConfigFromEnv } from "./smtp-client";
import { logError, logEvent } from "../observability/log";
import type { BackendCredentials, BridgeBackend } from "./contract";

/** The outbox relay: the provider's submission server for a bridged mailbox, else SMTP_* from env. */
export function relayFor(backend: BridgeBackend | null, login: BackendCredentials | undefined, env: Env): SmtpConfig | null | "no-login" {
  return backend ? bridgeSmtpConfig(backend, login, env) : smtpConfigFromEnv(env as unknown as Record<string, unknown>);
}

/** A server mailbox name (UTF-8 or modified UTF-7, any namespace) → folder ids, from SQLite only. */
export function bridgeFolderIds(store: BridgeMailStore, name: string): string[] {
  const id = store.imap.folderIdForServerName(name);
  return id ? [id] : folderIdsForName(store.localFolders(), name);
}

/**
 * The submission server of a bridged mailbox: AUTH with the account's own login unless the backend says
 * the server relays without ("none"); "no-login" while the login is not in memory (the message waits).
 */
export function bridgeSmtpConfig(backend: BridgeBackend, login: BackendCredentials | undefined, env: Env): SmtpConfig | "no-login" {
  const { host, port, tls, auth } = backend.smtp;
  assertEndpointAllowed({ host, port, tls }); // plain connections only to loopback, as for IMAP
  const vars = env as unknown as Record<string, string | undefined>;
  const base = { host, port, tls, helo: vars.SMTP_HELO || "mobile-sync.localhost", timeoutMs: Number(vars.SMTP_TIMEOUT_MS || 60_000) };
  if (auth === "none") return base;
  if (!login) return "no-login";
  return { ...base, user: login.username, password: login.password };
}

const TABLE = `CREATE TABLE IF NOT EXISTS bridge_push (k INTEGER PRIMARY KEY CHECK (k = 1), enabled_for TEXT NOT NULL)`;

/**
 * Dovecot's push_notification OX driver calls only for accounts carrying our METADATA entry
 * (ImapStore.enablePush): set once per account and server, remembered here, set again when the backend
 * or the login changes. Never fails the device request that brought the login.
 */
export async function ensurePush(
  sql: SqlStorage,
  backend: BridgeBackend,
  store: BridgeMailStore,
  login: BackendCredentials,
  address: string,
): Promise<boolean> {
  if (backend.push !== "notify") return false;
  sql.exec(TABLE);
  const key = JSON.stringify([backend.imap.host.toLowerCase(), backend.imap.port, login.username.toLowerCase(), address]);
  if (sql.exec<{ enabled_for: string }>(`SELECT enabled_for FROM bridge_push WHERE k = 1`).toArray()[0]?.enabled_for === key) return false;
  try {
    const enabled = await store.imap.enablePush(address);
    // Remembered either way: a server without METADATA is not asked again at every request.
    sql.exec(`INSERT OR REPLACE INTO bridge_push (k, enabled_for) VALUES (1, ?)`, key);
    if (!enabled) logEvent("push", { event: "no-metadata", imap_host: backend.imap.host }, "warn");
    return enabled;
  } catch (e) {
    logError("bridge: enabling push (retried with the next login)", e);
    return false;
  }
}
