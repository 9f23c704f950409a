// The mail collection source: the MailStore seen through the Sync engine's CollectionSource.
import type { ClientAdd, ClientMailChange, ItemOptions, ItemPayload, ChangePayload, MailItemData } from "../eas/sync-types";
import { FolderType, type ListOptions, type MailStore, type MailSummary } from "../store/types";
import type { CollectionSource } from "./collection-source";
import { addedReferences, draftBcc, editedDraft, isDraftEdit, newAttachment } from "./draft-edit";
import type { ItipRefusals } from "./itip-refusals";
import { draftMime } from "./draft-mime";
import { logError } from "../observability/log";
import { changeDataOf, conversationOf, degradedMailItem, loadMailItem } from "./mail-item";

export class MailSource implements CollectionSource<MailSummary> {
  /**
   * `send` submits a draft the phone sends (16.1 email2:Send) from the mailbox owner, saved in Sent Items;
   * true when accepted into the outbox. `refusals`: iTIP messages the calendar did not take (plain mail).
   */
  constructor(
    private readonly store: MailStore,
    private readonly send?: (raw: Uint8Array) => Promise<boolean>,
    private readonly refusals?: ItipRefusals,
  ) {}

  /**
   * The Drafts folder's id as read once for the items rendered after a listing (a page): render asks for every
   * item, and a store's folderByType is a SQLite read (IMAP: every folder row). Forgotten by every other entry
   * (status, changesSince, stamp: each request and each item outside a listed page reads it again).
   */
  private pageDrafts: { id: string | undefined } | null = null;

  status(folderId: string) {
    this.pageDrafts = null;
    return this.store.folderStatus(folderId);
  }

  async list(folderId: string, opts: ListOptions) {
    this.pageDrafts = null;
    const page = await this.store.listItems(folderId, opts);
    this.pageDrafts = { id: this.store.folderByType(FolderType.Drafts)?.id };
    return page;
  }

  changesSince(folderId: string, modseq: number, limit: number) {
    this.pageDrafts = null;
    return this.store.changesSince(folderId, modseq, limit);
  }

  stamp(folderId: string, itemId: string) {
    this.pageDrafts = null;
    return this.store.getSummary(folderId, itemId);
  }

  /** Bodies of a page read together where the store can (IMAP: one FETCH instead of two per message). */
  async prefetch(folderId: string, items: MailSummary[]): Promise<void> {
    if (!this.store.prefetchBodies || items.length < 2) return;
    await this.store.prefetchBodies(folderId, items).catch((e: unknown) => {
      // Only a hint: each body is then read on its own as before; an outage still fails the request.
      if (e instanceof Error && e.name === "StoreUnavailableError") throw e;
    });
  }

  /**
   * The store's summaries of the next listing made in the background (IMAP: parsed while the device is away,
   * issue 15 target 2). Not awaited: the response goes now; whatever it could not make, the listing makes.
   */
  ahead(folderId: string, opts: ListOptions): void {
    this.store.summariseAhead?.(folderId, opts).catch((e: unknown) => logError("summaries made ahead: stopped", e, {}, "warn"));
  }

  count(folderId: string, since?: number) {
    return this.store.countItems(folderId, since);
  }

  /** Never fails for the content's sake (issue 13 §1): a message that cannot be converted goes degraded. */
  async render(s: MailSummary, opts: ItemOptions): Promise<ItemPayload> {
    let item: MailItemData;
    try {
      item = await loadMailItem(this.store, s, opts, this.refusals);
    } catch (e) {
      if (e instanceof Error && e.name === "StoreUnavailableError") throw e;
      return { mail: await degradedMailItem(this.store, s, e) };
    }
    if (this.isDrafts(s.folderId)) item.draft = { bcc: await draftBcc(this.store, s) };
    return { mail: item };
  }

  async renderChange(s: MailSummary, opts: ItemOptions): Promise<ChangePayload> {
    // A draft may have been edited on another device: the whole item goes down, not only its flags.
    if (this.isDrafts(s.folderId)) {
      const item = (await this.render(s, opts)) as { mail: MailItemData };
      return { mail: { ...changeDataOf(s), item: item.mail } };
    }
    return { mail: changeDataOf(s) };
  }

  private isDrafts(folderId: string): boolean {
    const drafts = this.pageDrafts ? this.pageDrafts.id : this.store.folderByType(FolderType.Drafts)?.id;
    return drafts === folderId;
  }

  async applyChange(s: MailSummary, ch: ClientMailChange): Promise<boolean> {
    if (ch.invalid) return false;
    if (isDraftEdit(ch.fields, ch.attachments) && this.isDrafts(s.folderId)) {
      // A backend that cannot rewrite in place keeping the id refuses the edit (Status 6), never drops it.
      if (!this.store.replaceMessage) return false;
      await this.store.replaceMessage(s.folderId, s.itemId, await editedDraft(this.store, s, ch.fields ?? {}, ch.attachments));
    }
    if (ch.send && this.isDrafts(s.folderId)) {
      // Sent: the draft leaves Drafts, so every device gets a Delete. Refused by the outbox: Status 6, kept.
      const raw = this.send ? await this.store.getMime(s.folderId, s.itemId) : null;
      if (!raw || !this.send || !(await this.send(raw))) return false;
      await this.store.deleteItem(s.folderId, s.itemId);
      return true;
    }
    const flags: { seen?: boolean; flagged?: boolean } = {};
    if (ch.read !== undefined) flags.seen = ch.read;
    if (ch.flagged !== undefined) flags.flagged = ch.flagged;
    if (Object.keys(flags).length > 0) await this.store.setFlags(s.folderId, s.itemId, flags);
    return true;
  }

  /** Mail Adds are drafts (16.x): stored as a message, already read. */
  add(folderId: string, a: ClientAdd, owner: string): Promise<string> {
    const attachments = (a.attachments?.add ?? []).map(newAttachment);
    return this.store.appendMessage(folderId, draftMime(a.fields, owner, attachments), { seen: true });
  }

  /** The FileReference of each attachment a device Add carried, by its ClientId. */
  addedAttachments(s: MailSummary, a: ClientAdd) {
    return addedReferences(s, a.attachments?.add ?? []);
  }

  /** A draft's ConversationId, the same the device will see when it syncs the message (MS-ASEMAIL_R1184). */
  addedConversationId(s: MailSummary): Uint8Array {
    return conversationOf(s).conversationId;
  }

  async remove(s: MailSummary, folderId: string, trashFolderId: string | null): Promise<void> {
    if (trashFolderId && trashFolderId !== folderId) await this.store.moveItem(folderId, s.itemId, trashFolderId);
    else await this.store.deleteItem(folderId, s.itemId);
  }
}
