// What the Sync engine needs from one class of collection (mail now; calendar, contacts, tasks and notes
// plug in the same way): IMAP-like stamps to page and diff, and conversions to and from what the device
// sees. The engine owns keys, the device image, replay and ClientIds; a source owns its items.
import type { ClientAdd, ClientMailChange, ItemOptions, ItemPayload, ChangePayload } from "../eas/sync-types";
import type { FolderStatus, ListOptions, StoreChange } from "../store/types";

/** An item's identity and change counter; `received` is the FilterType key (arrival for mail). */
export interface ItemStamp {
  itemId: string;
  modseq: number;
  received: number;
}

export interface CollectionSource<S extends ItemStamp = ItemStamp> {
  status(folderId: string): Promise<FolderStatus>;
  /** Newest first along a keyset cursor, `since` = FilterType window start. */
  list(folderId: string, opts: ListOptions): Promise<S[]>;
  changesSince(folderId: string, modseq: number, limit: number): Promise<StoreChange[]>;
  /** The item's current stamp, or null when it is gone. */
  stamp(folderId: string, itemId: string): Promise<S | null>;
  count(folderId: string, since?: number): Promise<number>;
  /** A hint before `items` are rendered one by one: a source may read what they need together. Optional. */
  prefetch?(folderId: string, items: S[]): Promise<void>;
  /**
   * A hint after a response: the device will ask for this listing next (MoreAvailable, or its first page after a
   * SyncKey 0). A source may prepare it in the background; the call returns at once and never fails. Optional.
   */
  ahead?(folderId: string, opts: ListOptions): void;
  /** Everything the device gets in an Add or Fetch. */
  render(item: S, opts: ItemOptions): Promise<ItemPayload>;
  /** What a Change carries for an item the device already has (PIM classes send the whole item). */
  renderChange(item: S, opts: ItemOptions): Promise<ChangePayload>;
  /**
   * A device Change; false when the data cannot be converted (Status 6); "conflict" when the backend
   * refused it because the item changed there meanwhile: the server's version is kept and goes down to the
   * device ([MS-ASCMD] 2.2.3.34 Conflict default; Sync Status 7).
   */
  applyChange(item: S, change: ClientMailChange): Promise<boolean | "conflict">;
  /** A device Add; returns the new item id. */
  add(folderId: string, add: ClientAdd, owner: string): Promise<string>;
  /** The FileReference of each attachment a device Add carried, by its ClientId (16.x drafts); absent: none. */
  addedAttachments?(item: S, add: ClientAdd): { clientId: string; fileReference: string }[];
  /** The email2:ConversationId of an item a device added (a 16.x draft, [MS-ASEMAIL] 2.2.2.21); absent: none. */
  addedConversationId?(item: S): Uint8Array;
  /** A device Delete: moved to `trashFolderId` when given (DeletesAsMoves), else removed. */
  remove(item: S, folderId: string, trashFolderId: string | null): Promise<void>;
}
