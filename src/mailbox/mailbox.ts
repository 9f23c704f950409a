import { DurableObject } from "cloudflare:workers";
import { BuiltinStore } from "../store/builtin";
import type { StoreFolder } from "../store/types";
import { blobPrefix, type Delivered, deliverInto } from "./delivery";

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

  /** Admin import: like deliver, but the message keeps its Date header as arrival time (not in the future). */
  async importMessage(raw: Uint8Array, folderType?: number): Promise<Delivered> {
    const delivered = await deliverInto(this.store, raw, folderType, "date-header");
    await this.changed([delivered.folderId], "import");
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
}
