// The DAV side of a bridged mailbox with the account's login from memory: a DavPimStore is built for the
// login the front door last handed over (the password is never stored), and rebuilt when it changes.
// Without a login in memory every call that may reach the server throws StoreUnavailableError.
import { DavPimStore, type DavPimStoreOptions, davLocalFolders } from "../dav";
import type { PimImportResult, PimItem, PimStamp, PimStore, PimWriteOptions } from "../pim-types";
import type { FolderStatus, FolderTypeValue, StoreChange, StoreFolder } from "../types";

export interface Login {
  username: string;
  password: string;
}

export class LoginDavStore implements PimStore {
  private built?: { login: Login; store: DavPimStore };

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly url: string,
    /** The login in memory; throws StoreUnavailableError when there is none. */
    private readonly login: () => Login,
    private readonly opts: DavPimStoreOptions = {},
  ) {}

  private get dav(): DavPimStore {
    const login = this.login();
    if (!this.built || this.built.login.username !== login.username || this.built.login.password !== login.password)
      this.built = { login, store: new DavPimStore(this.storage, { url: this.url, ...login }, this.opts) };
    return this.built.store;
  }

  /** The collections as last discovered, from SQLite only (no login needed). */
  localFolders(): StoreFolder[] {
    return davLocalFolders(this.storage);
  }

  folderByType(type: FolderTypeValue): StoreFolder | null {
    return this.localFolders().find((f) => f.type === type) ?? null;
  }

  async listCollections(): Promise<StoreFolder[]> {
    return this.dav.listCollections();
  }
  async refreshCollections(): Promise<StoreFolder[]> {
    return this.dav.refreshCollections();
  }
  async status(folderId: string): Promise<FolderStatus> {
    return this.dav.status(folderId);
  }
  async list(folderId: string, opts: { afterItemId?: string; limit: number }): Promise<PimItem[]> {
    return this.dav.list(folderId, opts);
  }
  async count(folderId: string, since?: number): Promise<number> {
    return this.dav.count(folderId, since);
  }
  async stamps(
    folderId: string,
    opts: { since?: number; after?: { received: number; itemId: string }; limit: number },
  ): Promise<PimStamp[]> {
    return this.dav.stamps(folderId, opts);
  }
  async changesSince(folderId: string, modseq: number, limit: number): Promise<StoreChange[]> {
    return this.dav.changesSince(folderId, modseq, limit);
  }
  async get(folderId: string, itemId: string): Promise<PimItem | null> {
    return this.dav.get(folderId, itemId);
  }
  async getByUid(folderId: string, uid: string): Promise<PimItem | null> {
    return this.dav.getByUid(folderId, uid);
  }
  async put(folderId: string, data: string, opts?: PimWriteOptions): Promise<PimItem> {
    return this.dav.put(folderId, data, opts);
  }
  async delete(folderId: string, itemId: string, ifMatch?: string): Promise<void> {
    return this.dav.delete(folderId, itemId, ifMatch);
  }
  async replaceAll(folderId: string, objects: string[]): Promise<PimImportResult> {
    return this.dav.replaceAll(folderId, objects);
  }
}
