// The PIM side of a mailbox store: calendars, address books, task lists and notes as collections of
// standard objects (iCalendar for events, tasks and notes; vCard for contacts). Shaped after CalDAV and
// CardDAV so a bridge maps one to one: a collection is a folder; an item has a UID, an href (resource
// name) and an ETag; every write takes the next modseq (sync-token); deletions leave tombstones.
// Nothing here knows WBXML or EAS sync keys.
import type { FolderStatus, StoreChange, StoreFolder } from "./types";

export type PimMediaType = "text/calendar" | "text/vcard";

export interface PimItem {
  /** Stable id of the item within its folder (the EAS ServerId suffix). */
  itemId: string;
  folderId: string;
  /** iCalendar/vCard UID; unique within the folder. */
  uid: string;
  /** Resource name inside the collection, e.g. "8a1f….ics" (the DAV href's last segment). */
  href: string;
  /** Strong entity tag; changes with every write. */
  etag: string;
  modseq: number;
  mediaType: PimMediaType;
  /** One iCalendar object (a VCALENDAR with one UID) or one vCard. */
  data: string;
  /** Last write, ms since epoch. */
  updated: number;
  /**
   * Until when the item matters, ms: an event's last end (recurring without end: far future), the last
   * write for cards, tasks and notes. Sync's FilterType window keeps items whose horizon is inside it.
   */
  horizon: number;
}

/** What the sync engine pages and diffs by: id, change counter, and the horizon as its time key. */
export interface PimStamp {
  itemId: string;
  folderId: string;
  modseq: number;
  received: number;
}

export interface PimWriteOptions {
  /** Replace this item (by id). Without it, an item with the same UID is replaced, else one is created. */
  itemId?: string;
  /** Optimistic concurrency (If-Match): the write fails with PimConflictError when the ETag differs. */
  ifMatch?: string;
  /** Resource name for a new item; default `${uid}.ics` / `${uid}.vcf`. */
  href?: string;
}

export interface PimImportResult {
  added: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

export interface PimStore {
  /** Folders holding PIM items (Calendar, Contacts, Tasks, Notes and the user-created ones). */
  listCollections(): Promise<StoreFolder[]>;
  status(folderId: string): Promise<FolderStatus>;
  /** Items by ascending id, keyset-paged. */
  list(folderId: string, opts: { afterItemId?: string; limit: number }): Promise<PimItem[]>;
  /** Items, or only those with horizon >= `since`. */
  count(folderId: string, since?: number): Promise<number>;
  /** Stamps by horizon descending along a keyset cursor, only horizon >= `since`. */
  stamps(folderId: string, opts: { since?: number; after?: { received: number; itemId: string }; limit: number }): Promise<PimStamp[]>;
  /** Changes with modseq > `modseq`, ascending, at most `limit` (live items and tombstones). */
  changesSince(folderId: string, modseq: number, limit: number): Promise<StoreChange[]>;
  get(folderId: string, itemId: string): Promise<PimItem | null>;
  getByUid(folderId: string, uid: string): Promise<PimItem | null>;
  /** Creates or replaces one object. The UID is read from `data`. */
  put(folderId: string, data: string, opts?: PimWriteOptions): Promise<PimItem>;
  delete(folderId: string, itemId: string, ifMatch?: string): Promise<void>;
  /** Whole-collection replace (PUT of an .ics/.vcf): objects matched by UID, the rest deleted. */
  replaceAll(folderId: string, objects: string[]): Promise<PimImportResult>;
}

/** If-Match failed: the item changed since the caller read it. */
export class PimConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PimConflictError";
  }
}
