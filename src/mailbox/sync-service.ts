// The sync side of the mailbox object, built once per object instance: Sync engine, folder hierarchy,
// item operations. The Mailbox class exposes it through thin RPC methods.
import type { MailStore } from "../store/types";
import type { CollectionSource } from "./collection-source";
import { FolderSyncer } from "./folder-sync";
import { ItemOps } from "./item-ops";
import { ItipRefusals } from "./itip-refusals";
import { MailSource } from "./mail-source";
import { SyncEngine } from "./sync-engine";

export class SyncService {
  readonly engine: SyncEngine;
  readonly folders: FolderSyncer;
  readonly items: ItemOps;

  /** `sendDraft`: submits a draft a phone sends from Drafts (16.1 email2:Send); true when accepted. */
  constructor(
    storage: DurableObjectStorage,
    store: MailStore,
    now: () => number = Date.now,
    sendDraft?: (raw: Uint8Array) => Promise<boolean>,
  ) {
    this.engine = new SyncEngine(storage, store, now);
    const refusals = new ItipRefusals(storage.sql);
    this.engine.sources.set("Email", new MailSource(store, sendDraft, refusals));
    this.folders = new FolderSyncer(storage, store, this.engine.state);
    this.items = new ItemOps(store, this.engine, now, refusals);
  }

  /** Plugs in another item class (Calendar, Contacts, Tasks, Notes): Sync, GetItemEstimate, Ping use it. */
  register(itemClass: string, source: CollectionSource): void {
    this.engine.sources.set(itemClass, source as unknown as CollectionSource);
  }

  /** Runs `fn` after the device's other requests on this object (one request per device at a time). */
  forDevice<T>(deviceId: string, fn: () => Promise<T>): Promise<T> {
    return this.engine.withDeviceLock(deviceId, fn);
  }
}
