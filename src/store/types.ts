// The backend interface every mailbox store implements (built-in SQLite+R2 now, IMAP and DAV later).
// Shaped after IMAP so a bridge maps one to one: stable folder ids, a per-folder validity token
// (UIDVALIDITY), per-item change counters (MODSEQ) and tombstones for expunged items (VANISHED).
// Nothing here knows WBXML or EAS sync keys.

/** [MS-ASCMD] 2.2.3.186.3 folder types. */
export const FolderType = {
  Generic: 1,
  Inbox: 2,
  Drafts: 3,
  DeletedItems: 4,
  SentItems: 5,
  Outbox: 6,
  Tasks: 7,
  Calendar: 8,
  Contacts: 9,
  Notes: 10,
  Journal: 11,
  UserMail: 12,
  UserCalendar: 13,
  UserContacts: 14,
  UserTasks: 15,
  UserJournal: 16,
  UserNotes: 17,
  Unknown: 18,
  RecipientInfoCache: 19,
} as const;
export type FolderTypeValue = (typeof FolderType)[keyof typeof FolderType];

export type ItemClass = "Email" | "Calendar" | "Contacts" | "Tasks" | "Notes";

export interface StoreFolder {
  /** Stable for the life of the folder, across renames and moves. */
  id: string;
  /** "0" for a top-level folder. */
  parentId: string;
  name: string;
  type: FolderTypeValue;
  itemClass: ItemClass;
}

export interface FolderStatus {
  /** Changes when every item id in the folder becomes invalid (IMAP UIDVALIDITY). */
  validity: string;
  /** Highest change counter in the folder; advances on every add, change or expunge. */
  highestModseq: number;
  count: number;
  /**
   * Oldest modseq from which `changesSince` is still complete: tombstones older than this were pruned.
   * A caller holding a modseq below it must resynchronise the folder from scratch. 0 = nothing pruned.
   */
  tombstoneFloor: number;
}

export interface MailFlags {
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  forwarded: boolean;
}

export interface StoreChange {
  itemId: string;
  modseq: number;
  /** true: expunged (tombstone). */
  deleted: boolean;
}

export interface AttachmentInfo {
  /** Stable within the item: used to build FileReference. */
  partId: string;
  filename: string;
  contentType: string;
  size: number;
  contentId?: string;
  inline: boolean;
}

/** What a mail list needs without the body. */
export interface MailSummary {
  itemId: string;
  folderId: string;
  modseq: number;
  /** Arrival time (INTERNALDATE), ms since epoch. */
  received: number;
  /** Date header, ms since epoch, when present and valid. */
  date?: number;
  subject: string;
  from: string;
  to: string;
  cc: string;
  replyTo: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  importance: "low" | "normal" | "high";
  flags: MailFlags;
  /** Total size of the raw message. */
  size: number;
  /** true when getBody(…, "html") has an HTML body; getBody(…, "plain") always has a plain-text rendition. */
  hasHtml: boolean;
  /** First 255 characters of the plain-text rendition (never raw HTML), whitespace collapsed: EAS Preview. */
  preview: string;
  attachments: AttachmentInfo[];
  /** Content-Class / iMIP method when the message is a meeting request (text/calendar part). */
  contentClass?: string;
  /** iTIP METHOD of the text/calendar part (REQUEST, CANCEL, REPLY…) when contentClass is a calendar message. */
  calendarMethod?: string;
  threadTopic?: string;
  /**
   * [MS-ASCON] conversation of the message (conversation.ts): its ConversationId as 32 hex digits and its
   * ConversationIndex as hex. Stores set them (the built-in store computes them once, on append); where absent the
   * caller derives them from the headers above (conversationIdOf), which gives the same value.
   */
  conversationId?: string;
  conversationIndex?: string;
  /** The Thread-Index header (base64, [MS-OXOMSG] 2.2.1.3) when the message has one: its ConversationIndex. */
  threadIndex?: string;
}

export interface BodyText {
  /** Full text of this rendition and its size in bytes before truncation. */
  data: string;
  size: number;
}

export interface ListOptions {
  /** Only items received at or after this time (FilterType window). */
  since?: number;
  /** Keyset cursor: continue after (received, itemId), newest first. */
  after?: { received: number; itemId: string };
  limit: number;
}

/** One message of a batch import (MailStore.importMessages). */
export type ImportResult = { status: "imported" | "duplicate"; itemId: string } | { status: "skipped"; reason: string };

export interface MailStore {
  listFolders(): Promise<StoreFolder[]>;
  createFolder(parentId: string, name: string, type: FolderTypeValue): Promise<StoreFolder>;
  updateFolder(id: string, name: string, parentId: string): Promise<StoreFolder>;
  deleteFolder(id: string): Promise<void>;

  folderStatus(folderId: string): Promise<FolderStatus>;
  /** Items newest first, for initial sync and estimates. */
  listItems(folderId: string, opts: ListOptions): Promise<MailSummary[]>;
  countItems(folderId: string, since?: number): Promise<number>;
  /** Changes with modseq > `modseq`, ascending by modseq, at most `limit`. */
  changesSince(folderId: string, modseq: number, limit: number): Promise<StoreChange[]>;

  getSummary(folderId: string, itemId: string): Promise<MailSummary | null>;
  /** Raw RFC 5322 message. */
  getMime(folderId: string, itemId: string): Promise<Uint8Array | null>;
  getBody(folderId: string, itemId: string, type: "plain" | "html"): Promise<BodyText | null>;
  getAttachment(folderId: string, itemId: string, partId: string): Promise<{ info: AttachmentInfo; data: Uint8Array } | null>;
  /**
   * A hint before a page of items is rendered: their bodies are about to be read (getBody, getMime), so a
   * backend where each read is a round trip (IMAP) reads them together now and keeps them for those calls, within
   * a memory bound. Never required for correctness: a body not prefetched is read as usual. Optional.
   */
  prefetchBodies?(folderId: string, items: MailSummary[]): Promise<void>;
  /**
   * A hint that a device will ask for this listing next (a page answered with MoreAvailable, a SyncKey 0): a
   * backend that parses each message on its first listing (IMAP) may make those summaries now, in the
   * background, yielding to every other call between small chunks and stopping when a listing of the folder
   * comes. Resolves when it stops; never required for correctness (what it made is a cache). Optional.
   */
  summariseAhead?(folderId: string, opts: ListOptions): Promise<unknown>;
  /**
   * An attachment as a stream of its bytes, sent on as it is read, never held in memory (a 25 MB attachment would
   * otherwise be in the object, the RPC and the response at once): the whole of it, or bytes `range.start`..
   * `range.end` (inclusive, cut at the end; none when `start` is at or past it). `total` is the attachment's exact
   * size, `length` the bytes `body` yields: an ItemOperations Fetch (by Range, [MS-ASCMD] 2.2.3.139.2, reading no
   * more than the range) or a 12.x GetAttachment. Null when there is no such attachment. Optional: where it is
   * absent the caller slices getAttachment's bytes.
   */
  openAttachment?(
    folderId: string,
    itemId: string,
    partId: string,
    range?: { start: number; end: number },
  ): Promise<{ info: AttachmentInfo; total: number; length: number; body: ReadableStream<Uint8Array> } | null>;

  /** Adds a message (delivery, APPEND). Returns its item id. */
  appendMessage(folderId: string, raw: Uint8Array, flags?: Partial<MailFlags>, received?: number): Promise<string>;
  /**
   * Puts `raw` in place of the item's message, keeping the item id, flags and arrival time; its modseq rises
   * and the change log shows one change of that id (never a delete and an add). For a phone's edits of its
   * draft. IMAP appends a new version (a new UID) and keeps the id through its own id map. Absent where a
   * backend cannot keep the id: the edit is then refused (Sync Change Status 6) rather than silently dropped.
   */
  replaceMessage?(folderId: string, itemId: string, raw: Uint8Array): Promise<void>;
  setFlags(folderId: string, itemId: string, flags: Partial<MailFlags>): Promise<void>;
  /** Moves an item; returns its id in the destination folder. */
  moveItem(folderId: string, itemId: string, destFolderId: string): Promise<string>;
  deleteItem(folderId: string, itemId: string): Promise<void>;
  /** Deletes every item of the folder (and its subfolders when asked). */
  emptyFolder(folderId: string, includeSubfolders: boolean): Promise<void>;

  /**
   * The default folder of a type (Inbox, Drafts, Deleted Items, Sent Items, Calendar…) or null.
   * Synchronous, from the object's SQLite only: callers use it mid-request and without a backend login.
   */
  folderByType(type: FolderTypeValue): StoreFolder | null;
  /**
   * Like appendMessage, with the Date header as arrival time (never in the future): admin import, and the
   * outbox's retried Sent Items copy. Every store imports a message once per folder: one whose Message-ID is
   * already there (imported or appended) returns that item's id, so an interrupted import run again, or a
   * retried copy whose first write's answer was lost, doubles nothing. Bridged mailboxes are refused imports by
   * the admin API.
   */
  importMessage(folderId: string, raw: Uint8Array, flags?: Partial<MailFlags>): Promise<string>;
  /**
   * importMessage for many messages at once (admin bulk import): parsed one by one, written in one transaction
   * (rows, full-text index, change counter), large parts to R2 before it. A message already in the folder (same
   * Message-ID, or the same bytes: a SHA-256 of them is kept per imported message) is a `duplicate` with the
   * item it is, also within the batch, so an archive posted again after a cut doubles nothing. Results are in
   * the order of `raws`. A message the store cannot write is `skipped` with the reason; the others stand.
   * Optional: where absent the caller imports one by one.
   */
  importMessages?(folderId: string, raws: Uint8Array[]): Promise<ImportResult[]>;
  /** Drops tombstones older than `olderThan` (ms) and raises the folders' tombstoneFloor; returns how many. */
  pruneTombstones(olderThan: number): number;
}

/** Thrown by a store when its backend cannot be reached; the front door answers 503 with Retry-After. */
export class StoreUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds = 30,
  ) {
    super(message);
    this.name = "StoreUnavailableError";
  }
}

/**
 * Thrown when a folder operation is refused. Codes map onto FolderCreate/FolderUpdate/FolderDelete and
 * MoveItems statuses: "exists" (a sibling has that name), "special" (default folders cannot be renamed,
 * moved or deleted), "parent-not-found", "invalid" (bad name or type, a folder moved under itself,
 * an item moved to its own folder, mail appended to a non-mail folder).
 */
export class StoreFolderError extends Error {
  constructor(
    readonly code: "exists" | "special" | "parent-not-found" | "invalid",
    message: string,
  ) {
    super(message);
    this.name = "StoreFolderError";
  }
}

/** Thrown when the backend refuses the account's credentials (IMAP AUTHENTICATIONFAILED): a 401, not an outage. */
export class StoreAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreAuthError";
  }
}

/** Thrown for an unknown folder or item id. */
export class StoreNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreNotFoundError";
  }
}

const STORE_ERRORS = { StoreUnavailableError, StoreFolderError, StoreAuthError, StoreNotFoundError };

/** The name of one of the store error classes above (each sets `name` to its class name). */
export type StoreErrorName = keyof typeof STORE_ERRORS;

/**
 * True when `e` is the store error called `name`: an instance of its class, or an Error carrying that name. The
 * second form is what crosses the mailbox object's RPC (the Worker gets a plain Error with the name and own
 * properties, not the class: test/workers/bridge-front-auth.test.ts), so properties such as `retryAfterSeconds` or
 * `code` may be missing: check them before use.
 */
export function isStoreError<N extends StoreErrorName>(e: unknown, name: N): e is InstanceType<(typeof STORE_ERRORS)[N]> {
  return e instanceof STORE_ERRORS[name] || (e instanceof Error && e.name === name);
}

/**
 * A mail search ([MS-ASCMD] 2.2.1.16 Search Store=Mailbox, 2.2.1.2 Find): every condition must hold.
 * Stores answer it as well as their backend can (full-text index, IMAP SEARCH); the caller decides which
 * folders are in scope, so a store never walks the hierarchy itself.
 */
export interface MailSearchQuery {
  /** Folders to look in (mail folders only; others are ignored). */
  folderIds: string[];
  /**
   * Words the message must contain, each as a word prefix ("Michael A." finds "Michael Alexander",
   * MS-ASCMD_R421), in the subject, the addresses or the plain-text body. Empty: no text condition.
   */
  words: string[];
  /** Arrival time strictly after this (ms since epoch): GreaterThan on DateReceived. */
  receivedAfter?: number;
  /** Arrival time strictly before this (ms since epoch): LessThan on DateReceived. */
  receivedBefore?: number;
  /**
   * Only messages of this conversation (ConversationId as 32 hex digits, conversation.ts): Search's
   * ConversationId ([MS-ASCMD] 2.2.3.35.2) and ItemOperations Move's gathering of a conversation.
   */
  conversationId?: string;
  /** Zero-based index of the first hit wanted, newest first. */
  offset: number;
  /** At most this many hits from `offset`. */
  limit: number;
}

export interface MailSearchResult {
  /** All matches (not only the page): Search's Total ("an estimate", MS-ASCMD_R3737; exact here). */
  total: number;
  /** The page, newest first (arrival time, then item id). */
  hits: MailSummary[];
}

/**
 * The optional search capability of a MailStore (as Z-Push backends implement ISearchProvider): a backend
 * that can search implements it, and the mailbox finds out with `isSearchable`. Without it Search answers
 * that the store cannot be searched.
 */
export interface SearchableMailStore extends MailStore {
  searchMail(query: MailSearchQuery): Promise<MailSearchResult>;
  /** Rebuilds whatever index the search uses from the stored mail (a no-op for servers that search themselves). */
  rebuildSearchIndex(): Promise<void>;
}

export function isSearchable(store: MailStore): store is SearchableMailStore {
  const s = store as Partial<SearchableMailStore>;
  return typeof s.searchMail === "function" && typeof s.rebuildSearchIndex === "function";
}
