// What a bridged mailbox object does besides reading its stores (stores.ts): submission through the
// provider's SMTP server with the account's login (push from Dovecot: bridge-push.ts).
import { assertEndpointAllowed } from "../store/imap";
import type { BridgeMailStore } from "../store/bridge";
import { folderIdsForName } from "./folder-names";
import { type SmtpConfig, smtpConfigFromEnv } from "./smtp-client";
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
