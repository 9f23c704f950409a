// ImapStore: the MailStore face of an IMAP account (the bridge, issue 8). Each job lives in its own file and this
// class only hands calls over: sessions.ts (the one short-lived session and its selected mailbox), mirror-db.ts
// (our SQLite tables), folder-mirror.ts (LIST ⇄ folder rows, folder changes), change-tracking.ts (the per-folder
// change log), fetching.ts (listings, summaries, bodies) and item-writes.ts (append, flags, move, delete).
import type {
  AttachmentInfo,
  BodyText,
  FolderStatus,
  FolderTypeValue,
  ListOptions,
  MailFlags,
  MailSearchQuery,
  MailSearchResult,
  MailSummary,
  SearchableMailStore,
  StoreChange,
  StoreFolder,
} from "../types";
import { ChangeTracker } from "./change-tracking";
import { DraftReplacements } from "./draft-replace";
import { ItemReader } from "./fetching";
import { FolderMirror } from "./folder-mirror";
import { ItemWriter } from "./item-writes";
import { MirrorDb } from "./mirror-db";
import { enablePush, verifyPush } from "./push-registration";
import { MailSearcher } from "./searching";
import { type ImapSessionsConfig, ImapSessions } from "./sessions";

// - Folder ids are decimal keys of imap_folders, stable across renames on the server (see state.ts).
// - Item ids are "<UIDVALIDITY>-<UID>" (opaque to callers); FolderStatus.validity is the UIDVALIDITY: when it
//   changes every item id of the folder is invalid, the caller resynchronises that folder, and an old id is
//   "not found" rather than the new message that reuses its UID.
// - highestModseq/changesSince use our per-folder counter, fed from CONDSTORE/QRESYNC
//   (UID FETCH … (CHANGEDSINCE n VANISHED), RFC 7162 §3.2.6), or on servers without them from a comparison
//   of all UIDs and flags with the last look: one distinct modseq per change, ascending.
// - A move is an expunge in the source plus a new UID in the destination (UID MOVE, COPYUID).
// - A replaced message (a phone's edits of its draft) gets a new UID but keeps its item id: the id carries the
//   UID of its first version, mapped to the current one (draft-replace.ts).
// - Sessions are short: opened on first use, closed `idleMs` after the last call, never held (no IDLE):
//   an open socket keeps the mailbox object awake and billed.

export interface ImapStoreConfig extends ImapSessionsConfig {
  /** Messages bigger than this (bytes) are summarised from their first megabyte only; default 16 MiB. */
  summaryWholeLimit?: number;
}

export class ImapStore implements SearchableMailStore {
  private readonly sessions: ImapSessions;
  private readonly folders: FolderMirror;
  private readonly changes: ChangeTracker;
  private readonly reader: ItemReader;
  private readonly writer: ItemWriter;
  private readonly searcher: MailSearcher;
  /** Sessions opened, commands sent and bytes received by this store so far (tests and benchmarks). */
  readonly stats: { sessions: number; commands: number; bytesIn: number };

  constructor(storage: DurableObjectStorage, config: ImapStoreConfig) {
    const db = new MirrorDb(storage);
    this.sessions = new ImapSessions(config, (folder, uid) => db.serverUid(folder, uid));
    this.stats = this.sessions.stats;
    this.folders = new FolderMirror(db, this.sessions);
    const drafts = new DraftReplacements(db, this.sessions);
    this.changes = new ChangeTracker(db, this.sessions, drafts);
    this.reader = new ItemReader(db, this.sessions, this.changes, config);
    this.sessions.onClose = () => this.reader.forget(); // the page's kept bodies go with the session
    this.writer = new ItemWriter(db, this.sessions, this.changes, this.folders, drafts);
    this.searcher = new MailSearcher(db, this.sessions, this.changes, this.reader);
  }

  /** Closes the session now (end of a request, tests). */
  close(): Promise<void> {
    return this.sessions.close();
  }

  // ---------- folders (folder-mirror.ts) ----------

  listFolders(): Promise<StoreFolder[]> {
    return this.folders.listFolders();
  }

  /** The folders as of the last LIST, from SQLite only (no session, no login). */
  localFolders(): StoreFolder[] {
    return this.folders.localFolders();
  }

  folderByType(type: FolderTypeValue): StoreFolder | null {
    return this.folders.folderByType(type);
  }

  async createFolder(parentId: string, name: string, type: FolderTypeValue): Promise<StoreFolder> {
    const folder = await this.folders.createFolder(parentId, name, type);
    // Our first look at a folder takes what is in it as given, not as changes (ChangeTracker.refresh): take
    // it now, while it is empty, so the first message appended or moved here is a change like any other.
    await this.changes.folderStatus(folder.id);
    return folder;
  }

  updateFolder(id: string, name: string, parentId: string): Promise<StoreFolder> {
    return this.folders.updateFolder(id, name, parentId);
  }

  deleteFolder(id: string): Promise<void> {
    return this.folders.deleteFolder(id);
  }

  /** Our folder id for a mailbox name as a push notification gives it, from SQLite only. */
  folderIdForServerName(name: string): string | null {
    return this.folders.folderIdForServerName(name);
  }

  // ---------- change tracking (change-tracking.ts) ----------

  folderStatus(folderId: string): Promise<FolderStatus> {
    // A device is back for this folder (a Sync's first look, a Ping's check): summaries made ahead stop here.
    this.reader.stopAhead(folderId);
    return this.changes.folderStatus(folderId);
  }

  changesSince(folderId: string, modseq: number, limit: number): Promise<StoreChange[]> {
    return this.changes.changesSince(folderId, modseq, limit);
  }

  pruneTombstones(olderThan: number): number {
    return this.changes.pruneTombstones(olderThan);
  }

  // ---------- reading items (fetching.ts) ----------

  listItems(folderId: string, opts: ListOptions): Promise<MailSummary[]> {
    return this.reader.listItems(folderId, opts);
  }

  /** The summaries of the listing a device will ask for next, made before it asks (fetching.ts). */
  summariseAhead(folderId: string, opts: ListOptions): Promise<{ made: number; chunks: number }> {
    return this.reader.summariseAhead(folderId, opts);
  }

  countItems(folderId: string, since?: number): Promise<number> {
    return this.reader.countItems(folderId, since);
  }

  getSummary(folderId: string, itemId: string): Promise<MailSummary | null> {
    return this.reader.getSummary(folderId, itemId);
  }

  // ---------- search (searching.ts) ----------

  searchMail(query: MailSearchQuery): Promise<MailSearchResult> {
    return this.searcher.searchMail(query);
  }

  /** Nothing to rebuild: the server keeps its own index. */
  async rebuildSearchIndex(): Promise<void> {}

  getMime(folderId: string, itemId: string): Promise<Uint8Array | null> {
    return this.reader.getMime(folderId, itemId);
  }

  getBody(folderId: string, itemId: string, type: "plain" | "html"): Promise<BodyText | null> {
    return this.reader.getBody(folderId, itemId, type);
  }

  getAttachment(folderId: string, itemId: string, partId: string): Promise<{ info: AttachmentInfo; data: Uint8Array } | null> {
    return this.reader.getAttachment(folderId, itemId, partId);
  }

  prefetchBodies(folderId: string, items: MailSummary[]): Promise<void> {
    return this.reader.prefetchBodies(folderId, items);
  }

  // ---------- writing items (item-writes.ts) ----------

  appendMessage(folderId: string, raw: Uint8Array, flags: Partial<MailFlags> = {}, received?: number): Promise<string> {
    return this.writer.appendMessage(folderId, raw, flags, received);
  }

  importMessage(folderId: string, raw: Uint8Array, flags: Partial<MailFlags> = {}): Promise<string> {
    return this.writer.importMessage(folderId, raw, flags);
  }

  /** A new UID on the server, the same item id here (draft-replace.ts). */
  replaceMessage(folderId: string, itemId: string, raw: Uint8Array): Promise<void> {
    return this.writer.replaceMessage(folderId, itemId, raw);
  }

  setFlags(folderId: string, itemId: string, flags: Partial<MailFlags>): Promise<void> {
    return this.writer.setFlags(folderId, itemId, flags);
  }

  moveItem(folderId: string, itemId: string, destFolderId: string): Promise<string> {
    return this.writer.moveItem(folderId, itemId, destFolderId);
  }

  deleteItem(folderId: string, itemId: string): Promise<void> {
    return this.writer.deleteItem(folderId, itemId);
  }

  emptyFolder(folderId: string, includeSubfolders: boolean): Promise<void> {
    return this.writer.emptyFolder(folderId, includeSubfolders);
  }

  // ---------- push from the server ----------

  /**
   * Asks Dovecot to announce new mail for this account through its push_notification OX driver
   * (configured by the provider with `user_from_metadata`): the driver only calls for users carrying this
   * METADATA entry (RFC 5464), and puts its `user=` value in the JSON body, so the webhook learns which
   * mailbox object to wake. Returns false when the server has no METADATA.
   */
  async enablePush(address: string): Promise<boolean> {
    return this.sessions.use((s) => enablePush(s, address));
  }

  /**
   * Checks that our METADATA entry is still on the server (a Dovecot rebuilt or migrated may have lost its
   * attribute dictionary, and then announces nothing) and sets it again when it is gone (push-registration.ts).
   */
  async verifyPush(address: string): Promise<"present" | "restored" | "unsupported"> {
    return this.sessions.use((s) => verifyPush(s, address));
  }
}
