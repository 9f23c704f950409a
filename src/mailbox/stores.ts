// Which stores a mailbox object uses: the built-in store (SQLite + R2) when it has no backend row, else the
// provider's servers (issue 8 bridge): ImapStore for mail and, when `dav` is set, the CalDAV/CardDAV
// collections, with the account's login read from memory at each use. One object never mixes the two:
// setBackend refuses to bridge a mailbox holding built-in data, and a change of servers forgets what the
// devices were given (folder and item ids of one server mean nothing on another).
import { BuiltinPimStore, BuiltinStore } from "../store/builtin";
import { BridgeMailStore, LoginDavStore } from "../store/bridge";
import { ImapStore } from "../store/imap";
import type { PimImportResult, PimItem, PimStamp, PimStore } from "../store/pim-types";
import {
  type FolderStatus,
  type MailStore,
  type StoreChange,
  type StoreFolder,
  StoreNotFoundError,
  StoreUnavailableError,
} from "../store/types";
import type { BackendConfigStore } from "./backend";
import { blobPrefix } from "./delivery";
import type { BackendCredentials, BridgeBackend } from "./contract";

export interface MailboxStores {
  mail: MailStore;
  pim: PimStore;
  /** Set for a bridged mailbox. */
  bridge: BridgeMailStore | null;
}

/** Seconds a caller is told to wait when a bridged mailbox has no login in memory (the next device request brings it). */
const NO_LOGIN_RETRY_SECONDS = 30;

export function buildStores(
  ctx: DurableObjectState,
  env: Env,
  backend: BridgeBackend | null,
  login: () => BackendCredentials | undefined,
): MailboxStores {
  if (!backend) {
    const mail = new BuiltinStore(ctx.storage, env.BLOBS, blobPrefix(ctx));
    // Built now, with the mail store, so folder deletes always drop PIM items.
    return { mail, pim: new BuiltinPimStore(ctx.storage, mail), bridge: null };
  }
  const current = (): BackendCredentials => {
    const c = login();
    if (!c)
      throw new StoreUnavailableError(
        "no login in memory for this bridged mailbox yet (a device request brings it)",
        NO_LOGIN_RETRY_SECONDS,
      );
    return c;
  };
  const imap = new ImapStore(ctx.storage, {
    endpoint: backend.imap,
    credentials: () => {
      const c = current();
      return { user: c.username, password: c.password };
    },
  });
  const dav = backend.dav ? new LoginDavStore(ctx.storage, backend.dav.url, current, { minPullIntervalMs: 0 }) : null;
  const bridge = new BridgeMailStore(imap, dav);
  return { mail: bridge, pim: dav ?? NO_PIM, bridge };
}

/**
 * Records a new backend configuration. "same": nothing changed; "kept": same servers (e.g. SMTP or push
 * changed); "moved": other servers or back to built-in: every device resynchronises. Throws when a
 * mailbox holding built-in data would be bridged (one object never mixes stores).
 */
export function changeBackend(
  storage: DurableObjectStorage,
  config: BackendConfigStore,
  backend: BridgeBackend | null,
): "same" | "kept" | "moved" {
  const before = config.get();
  if (JSON.stringify(before) === JSON.stringify(backend)) return "same";
  if (!before && backend && builtinHasData(storage.sql))
    throw new Error("this mailbox holds built-in mail or PIM data: it cannot be bridged (export it and delete the mailbox first)");
  const moved = !sameData(before, backend);
  storage.transactionSync(() => {
    if (moved) forgetStoreState(storage.sql);
    config.set(backend);
  });
  return moved ? "moved" : "kept";
}

/** Whether two configurations name the same data (same IMAP account server, same DAV root). */
export function sameData(a: BridgeBackend | null, b: BridgeBackend | null): boolean {
  const key = (x: BridgeBackend | null) => (x ? JSON.stringify([x.imap.host.toLowerCase(), x.imap.port, x.dav?.url ?? null]) : "builtin");
  return key(a) === key(b);
}

/** True when the built-in store holds anything a user put there: messages, PIM items or own folders. */
export function builtinHasData(sql: SqlStorage): boolean {
  const tables = tableNames(sql);
  const any = (table: string, where = "1") =>
    tables.has(table) && sql.exec(`SELECT 1 FROM ${table} WHERE ${where} LIMIT 1`).toArray().length > 0;
  return any("items") || any("pim_items") || any("folders", "type IN (1, 12, 13, 14, 15, 16, 17)");
}

/** Forgets every device's folder and item image (they resynchronise) and the bridge caches of old servers. */
export function forgetStoreState(sql: SqlStorage): void {
  const tables = tableNames(sql);
  const device = ["sync_coll", "sync_item", "sync_client_id", "sync_watch_baseline", "hier_state", "hier_item", "push_ping"];
  const bridge = [
    "imap_folders",
    "imap_changes",
    "imap_summaries",
    "imap_order",
    "imap_meta",
    "imap_uids",
    "dav_meta",
    "dav_collections",
    "dav_folders",
    "dav_items",
    "dav_tombstones",
  ];
  // Ids keep counting up (AUTOINCREMENT): an id from before never names a new folder.
  for (const t of [...device, ...bridge]) if (tables.has(t)) sql.exec(`DELETE FROM ${t}`);
}

function tableNames(sql: SqlStorage): Set<string> {
  return new Set(
    sql
      .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`)
      .toArray()
      .map((r) => r.name),
  );
}

/** A bridged mailbox without CalDAV/CardDAV: no PIM folders. */
const NO_PIM: PimStore = {
  listCollections: async (): Promise<StoreFolder[]> => [],
  status: async (id): Promise<FolderStatus> => missing(id),
  list: async (id): Promise<PimItem[]> => missing(id),
  count: async (id): Promise<number> => missing(id),
  stamps: async (id): Promise<PimStamp[]> => missing(id),
  changesSince: async (id): Promise<StoreChange[]> => missing(id),
  get: async (id): Promise<PimItem | null> => missing(id),
  getByUid: async (id): Promise<PimItem | null> => missing(id),
  put: async (id): Promise<PimItem> => missing(id),
  delete: async (id): Promise<void> => missing(id),
  replaceAll: async (id): Promise<PimImportResult> => missing(id),
};

function missing(id: string): never {
  throw new StoreNotFoundError(`no PIM folder ${id}: this bridged mailbox has no CalDAV/CardDAV server`);
}
