// The MailStore of a bridged mailbox: the provider's IMAP server for mail, plus (when configured) its
// CalDAV/CardDAV collections, so FolderSync shows both. Folder ids do not overlap: IMAP folders are
// decimal ("3"), DAV folders "dav<n>". Folder operations go to the side that owns the id; mail operations
// on a DAV folder are refused as they are on a built-in calendar.
import type { ImapStore } from "../imap";
import {
  type AttachmentInfo,
  type BodyText,
  type FolderStatus,
  FolderType,
  type FolderTypeValue,
  type ListOptions,
  type MailFlags,
  type MailSearchQuery,
  type MailSearchResult,
  type MailSummary,
  type SearchableMailStore,
  type StoreChange,
  type StoreFolder,
  StoreFolderError,
  StoreNotFoundError,
  StoreUnavailableError,
} from "../types";
import type { LoginDavStore } from "./login-dav";

const DAV_ID = /^dav[0-9]+$/;
const PIM_TYPES = new Set<number>([
  FolderType.Calendar,
  FolderType.Contacts,
  FolderType.Tasks,
  FolderType.Notes,
  FolderType.UserCalendar,
  FolderType.UserContacts,
  FolderType.UserTasks,
  FolderType.UserNotes,
  FolderType.Journal,
  FolderType.UserJournal,
]);

export class BridgeMailStore implements SearchableMailStore {
  constructor(
    readonly imap: ImapStore,
    readonly dav: LoginDavStore | null,
  ) {}

  async listFolders(): Promise<StoreFolder[]> {
    const mail = await this.imap.listFolders();
    if (!this.dav) return mail;
    // The DAV server down must not take mail with it, nor make the collections look deleted (a phone
    // would drop its calendars): the ones last discovered stay; their own Syncs answer retryably.
    const pim = await this.dav.listCollections().catch((e: unknown) => {
      if (e instanceof StoreUnavailableError) return this.dav!.localFolders();
      throw e;
    });
    return [...mail, ...pim];
  }

  async createFolder(parentId: string, name: string, type: FolderTypeValue): Promise<StoreFolder> {
    if (PIM_TYPES.has(type) || DAV_ID.test(parentId))
      throw new StoreFolderError("invalid", "calendars, address books and task lists are created on the provider's CalDAV/CardDAV server");
    return this.imap.createFolder(parentId, name, type);
  }

  async updateFolder(id: string, name: string, parentId: string): Promise<StoreFolder> {
    if (DAV_ID.test(id)) throw new StoreFolderError("special", "CalDAV/CardDAV collections are renamed on the provider's server");
    if (DAV_ID.test(parentId)) throw new StoreFolderError("invalid", "a mail folder cannot move under a calendar or address book");
    return this.imap.updateFolder(id, name, parentId);
  }

  async deleteFolder(id: string): Promise<void> {
    if (DAV_ID.test(id)) throw new StoreFolderError("special", "CalDAV/CardDAV collections are deleted on the provider's server");
    return this.imap.deleteFolder(id);
  }

  async folderStatus(folderId: string): Promise<FolderStatus> {
    if (DAV_ID.test(folderId)) {
      if (!this.dav) throw new StoreNotFoundError(`no folder ${folderId}`);
      return this.dav.status(folderId);
    }
    return this.imap.folderStatus(folderId);
  }

  /** The IMAP store for a mail folder id; a DAV id holds no mail. */
  private mail(folderId: string): ImapStore {
    if (DAV_ID.test(folderId)) throw new StoreNotFoundError(`folder ${folderId} holds no mail`);
    return this.imap;
  }

  async listItems(folderId: string, opts: ListOptions): Promise<MailSummary[]> {
    return this.mail(folderId).listItems(folderId, opts);
  }
  async summariseAhead(folderId: string, opts: ListOptions): Promise<unknown> {
    return DAV_ID.test(folderId) ? undefined : this.imap.summariseAhead(folderId, opts);
  }
  async countItems(folderId: string, since?: number): Promise<number> {
    return this.mail(folderId).countItems(folderId, since);
  }
  async changesSince(folderId: string, modseq: number, limit: number): Promise<StoreChange[]> {
    return this.mail(folderId).changesSince(folderId, modseq, limit);
  }
  /** Mail search is the IMAP server's (UID SEARCH); DAV collections hold no mail. */
  async searchMail(query: MailSearchQuery): Promise<MailSearchResult> {
    return this.imap.searchMail({ ...query, folderIds: query.folderIds.filter((id) => !DAV_ID.test(id)) });
  }

  async rebuildSearchIndex(): Promise<void> {
    await this.imap.rebuildSearchIndex();
  }

  async getSummary(folderId: string, itemId: string): Promise<MailSummary | null> {
    return DAV_ID.test(folderId) ? null : this.imap.getSummary(folderId, itemId);
  }
  async getMime(folderId: string, itemId: string): Promise<Uint8Array | null> {
    return DAV_ID.test(folderId) ? null : this.imap.getMime(folderId, itemId);
  }
  async getBody(folderId: string, itemId: string, type: "plain" | "html"): Promise<BodyText | null> {
    return DAV_ID.test(folderId) ? null : this.imap.getBody(folderId, itemId, type);
  }
  async prefetchBodies(folderId: string, items: MailSummary[]): Promise<void> {
    if (!DAV_ID.test(folderId)) await this.imap.prefetchBodies(folderId, items);
  }
  async getAttachment(folderId: string, itemId: string, partId: string): Promise<{ info: AttachmentInfo; data: Uint8Array } | null> {
    return DAV_ID.test(folderId) ? null : this.imap.getAttachment(folderId, itemId, partId);
  }
  async appendMessage(folderId: string, raw: Uint8Array, flags?: Partial<MailFlags>, received?: number): Promise<string> {
    if (DAV_ID.test(folderId)) throw new StoreFolderError("invalid", "mail cannot be appended to a calendar or address book");
    return this.imap.appendMessage(folderId, raw, flags, received);
  }
  async importMessage(folderId: string, raw: Uint8Array, flags?: Partial<MailFlags>): Promise<string> {
    if (DAV_ID.test(folderId)) throw new StoreFolderError("invalid", "mail cannot be imported into a calendar or address book");
    return this.imap.importMessage(folderId, raw, flags);
  }
  /** A draft's edit: a new version in the IMAP folder under the same item id (ImapStore.replaceMessage). */
  async replaceMessage(folderId: string, itemId: string, raw: Uint8Array): Promise<void> {
    return this.mail(folderId).replaceMessage(folderId, itemId, raw);
  }
  async setFlags(folderId: string, itemId: string, flags: Partial<MailFlags>): Promise<void> {
    return this.mail(folderId).setFlags(folderId, itemId, flags);
  }
  async moveItem(folderId: string, itemId: string, destFolderId: string): Promise<string> {
    if (DAV_ID.test(destFolderId)) throw new StoreFolderError("invalid", "mail cannot move into a calendar or address book");
    return this.mail(folderId).moveItem(folderId, itemId, destFolderId);
  }
  async deleteItem(folderId: string, itemId: string): Promise<void> {
    return this.mail(folderId).deleteItem(folderId, itemId);
  }
  async emptyFolder(folderId: string, includeSubfolders: boolean): Promise<void> {
    if (DAV_ID.test(folderId)) throw new StoreFolderError("invalid", "CalDAV/CardDAV collections are emptied on the provider's server");
    return this.imap.emptyFolder(folderId, includeSubfolders);
  }

  folderByType(type: FolderTypeValue): StoreFolder | null {
    if (PIM_TYPES.has(type)) return this.dav?.folderByType(type) ?? null;
    return this.imap.folderByType(type);
  }

  pruneTombstones(olderThan: number): number {
    return this.imap.pruneTombstones(olderThan);
  }

  /** Every folder as last seen, from SQLite only (no login): push notifications map names with it. */
  localFolders(): StoreFolder[] {
    return [...this.imap.localFolders(), ...(this.dav?.localFolders() ?? [])];
  }
}
