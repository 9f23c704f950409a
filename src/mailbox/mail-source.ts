// The mail collection source: the MailStore seen through the Sync engine's CollectionSource.
import type { ClientAdd, ClientMailChange, ItemOptions, ItemPayload, ChangePayload } from "../eas/sync-types";
import type { ListOptions, MailStore, MailSummary } from "../store/types";
import type { CollectionSource } from "./collection-source";
import type { ItipRefusals } from "./itip-refusals";
import { draftMime } from "./draft-mime";
import { changeDataOf, degradedMailItem, loadMailItem } from "./mail-item";

export class MailSource implements CollectionSource<MailSummary> {
  constructor(
    private readonly store: MailStore,
    private readonly refusals?: ItipRefusals,
  ) {}

  status(folderId: string) {
    return this.store.folderStatus(folderId);
  }

  list(folderId: string, opts: ListOptions) {
    return this.store.listItems(folderId, opts);
  }

  changesSince(folderId: string, modseq: number, limit: number) {
    return this.store.changesSince(folderId, modseq, limit);
  }

  stamp(folderId: string, itemId: string) {
    return this.store.getSummary(folderId, itemId);
  }

  count(folderId: string, since?: number) {
    return this.store.countItems(folderId, since);
  }

  /** Never fails for the content's sake (issue 13 §1): a message that cannot be converted goes degraded. */
  async render(s: MailSummary, opts: ItemOptions): Promise<ItemPayload> {
    try {
      return { mail: await loadMailItem(this.store, s, opts, this.refusals) };
    } catch (e) {
      if (e instanceof Error && e.name === "StoreUnavailableError") throw e;
      return { mail: await degradedMailItem(this.store, s, e) };
    }
  }

  async renderChange(s: MailSummary): Promise<ChangePayload> {
    return { mail: changeDataOf(s) };
  }

  async applyChange(s: MailSummary, ch: ClientMailChange): Promise<boolean> {
    if (ch.invalid) return false;
    const flags: { seen?: boolean; flagged?: boolean } = {};
    if (ch.read !== undefined) flags.seen = ch.read;
    if (ch.flagged !== undefined) flags.flagged = ch.flagged;
    if (Object.keys(flags).length > 0) await this.store.setFlags(s.folderId, s.itemId, flags);
    return true;
  }

  /** Mail Adds are drafts (16.x): stored as a message, already read. */
  add(folderId: string, a: ClientAdd, owner: string): Promise<string> {
    return this.store.appendMessage(folderId, draftMime(a.fields, owner), { seen: true });
  }

  async remove(s: MailSummary, folderId: string, trashFolderId: string | null): Promise<void> {
    if (trashFolderId && trashFolderId !== folderId) await this.store.moveItem(folderId, s.itemId, trashFolderId);
    else await this.store.deleteItem(folderId, s.itemId);
  }
}
