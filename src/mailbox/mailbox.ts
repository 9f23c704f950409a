import { DurableObject } from "cloudflare:workers";
import { BuiltinStore } from "../store/builtin";
import type { StoreFolder } from "../store/types";
import type { SyncRequest, SyncResult } from "../eas/sync-types";
import { blobPrefix, type Delivered, deliverInto } from "./delivery";
import type { FolderOpResult, FolderSyncResult } from "./folder-sync";
import type { EstimateRequest, EstimateResult, FetchRequest, FetchResult, MoveRequest, MoveResult } from "./item-ops";
import { SyncService } from "./sync-service";
import type { CachedSyncRequest } from "./sync-state";

/** One Durable Object per mailbox: devices, sync state, waits. */
export class Mailbox extends DurableObject<Env> {
  readonly store: BuiltinStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new BuiltinStore(ctx.storage, env.BLOBS, blobPrefix(ctx));
  }

  async health(): Promise<{ ok: true }> {
    return { ok: true };
  }

  /**
   * New mail (Email Routing, admin import): into the Inbox unless another default folder type is given.
   * `received` (ms since epoch) sets the arrival time for imports (IMAP APPEND's date); default now.
   */
  async deliver(raw: Uint8Array, folderType?: number, received?: number): Promise<Delivered> {
    const delivered = await deliverInto(this.store, raw, folderType, received);
    await this.changed([delivered.folderId], "delivery");
    return delivered;
  }

  async listFolders(): Promise<StoreFolder[]> {
    return this.store.listFolders();
  }

  /**
   * Called after every store change that did not come from a device's own Sync (delivery, import, …).
   * Seam for the push helper: wakes the Pings and hanging Syncs watching these folders.
   * `origin` names the source (e.g. "delivery", or a device id whose own change must not wake itself).
   */
  async changed(folderIds: string[], origin?: string): Promise<void> {
    void folderIds;
    void origin;
  }

  // ----- sync (FolderSync, Sync, GetItemEstimate, ItemOperations, MoveItems): logic in sync-service.ts -----

  private syncService?: SyncService;
  private get mail(): SyncService {
    this.syncService ??= new SyncService(this.ctx.storage, this.store);
    return this.syncService;
  }

  async sync(req: SyncRequest): Promise<SyncResult> {
    const result = await this.mail.engine.sync(req);
    const touched = req.collections.filter((c) => c.changes.length + c.deletes.length + c.adds.length > 0).map((c) => c.collectionId);
    if (touched.length > 0) await this.changed(touched, req.deviceId);
    return result;
  }

  async folderSync(deviceId: string, syncKey: string): Promise<FolderSyncResult> {
    return this.mail.forDevice(deviceId, () => this.mail.folders.folderSync(deviceId, syncKey));
  }

  async folderCreate(deviceId: string, syncKey: string, parentId: string, name: string, type: number): Promise<FolderOpResult> {
    return this.mail.forDevice(deviceId, () => this.mail.folders.folderCreate(deviceId, syncKey, parentId, name, type));
  }

  async folderUpdate(deviceId: string, syncKey: string, serverId: string, parentId: string, name: string): Promise<FolderOpResult> {
    return this.mail.forDevice(deviceId, () => this.mail.folders.folderUpdate(deviceId, syncKey, serverId, parentId, name));
  }

  async folderDelete(deviceId: string, syncKey: string, serverId: string): Promise<FolderOpResult> {
    return this.mail.forDevice(deviceId, () => this.mail.folders.folderDelete(deviceId, syncKey, serverId));
  }

  /** Push helper: does the device need a FolderSync (Ping Status 7)? */
  async hierarchyChangedFor(deviceId: string): Promise<boolean> {
    return this.mail.folders.hierarchyChanged(deviceId);
  }

  async getItemEstimate(deviceId: string, collections: EstimateRequest[]): Promise<EstimateResult[]> {
    return this.mail.forDevice(deviceId, () => this.mail.items.estimate(deviceId, collections));
  }

  async itemOperationsFetch(fetches: FetchRequest[]): Promise<FetchResult[]> {
    return this.mail.items.fetch(fetches);
  }

  async emptyFolderContents(deviceId: string, collectionId: string, deleteSubFolders: boolean): Promise<number> {
    const status = await this.mail.forDevice(deviceId, () => this.mail.items.emptyFolder(collectionId, deleteSubFolders));
    if (status === 1) await this.changed([collectionId], deviceId);
    return status;
  }

  async moveItems(deviceId: string, moves: MoveRequest[]): Promise<MoveResult[]> {
    const results = await this.mail.forDevice(deviceId, () => this.mail.items.move(deviceId, moves));
    const touched = moves.filter((_, i) => results[i].status === 3).flatMap((m) => [m.srcFldId, m.dstFldId]);
    if (touched.length > 0) await this.changed([...new Set(touched)], deviceId);
    return results;
  }

  /** Push helper: the collections among `collectionIds` with changes the device has not received yet. */
  async pendingChanges(deviceId: string, collectionIds: string[]): Promise<string[]> {
    return this.mail.forDevice(deviceId, () => this.mail.items.pendingChanges(deviceId, collectionIds));
  }

  /** Push helper: the device's last Sync request (collections, WindowSize, Wait/HeartbeatInterval), or null. */
  async lastSyncRequest(deviceId: string): Promise<CachedSyncRequest | null> {
    return this.mail.engine.state.lastRequest(deviceId);
  }
}
