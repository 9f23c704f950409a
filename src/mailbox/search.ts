// Search Store=Mailbox ([MS-ASCMD] 2.2.1.16) on the mailbox side: which folders are in scope, the store's
// search (an optional capability, `isSearchable`), and each hit rendered as Sync would render it.
import { isSearchable, type MailStore, type StoreFolder } from "../store/types";
import { serverIdOf } from "./ids";
import { loadMailItem } from "./mail-item";
import {
  MAX_SEARCH_RESULTS,
  type MailboxSearchHit,
  type MailboxSearchRequest,
  type MailboxSearchResult,
  SearchStoreStatus,
} from "./contract";

export async function searchMailbox(store: MailStore, req: MailboxSearchRequest): Promise<MailboxSearchResult> {
  if (!isSearchable(store)) return { status: SearchStoreStatus.ServerError, total: 0, hits: [] };
  const folders = await store.listFolders();
  const scope = folderScope(folders, req.collectionIds, req.deepTraversal);
  if (scope === null) return { status: SearchStoreStatus.InvalidRequest, total: 0, hits: [] };
  // Only mail is searched (the index holds mail; MS-ASCMD_R920 lets a phone name other classes): a search
  // limited to Calendar, Contacts, Tasks, Notes or SMS, or to folders of those classes, finds nothing — Status 1
  // with no results, never an error.
  if ((req.classes.length > 0 && !req.classes.includes("Email")) || scope.length === 0)
    return { status: SearchStoreStatus.Success, total: 0, hits: [] };

  const start = req.range.start;
  const end = Math.min(req.range.end, MAX_SEARCH_RESULTS - 1);
  const status = req.range.end > end ? SearchStoreStatus.EndOfRetrievableRange : SearchStoreStatus.Success;
  const words = req.freeText?.trim() ? [req.freeText] : [];
  const found = await store.searchMail({
    folderIds: scope,
    words,
    receivedAfter: req.receivedAfter,
    receivedBefore: req.receivedBefore,
    ...(req.conversationId !== undefined ? { conversationId: req.conversationId } : {}),
    offset: start,
    limit: end >= start ? end - start + 1 : 0,
  });
  const hits: MailboxSearchHit[] = [];
  for (const s of found.hits)
    hits.push({ collectionId: s.folderId, longId: serverIdOf(s.folderId, s.itemId), item: await loadMailItem(store, s, req.options) });
  return {
    status,
    total: found.total,
    hits,
    range: hits.length > 0 ? { start, end: start + hits.length - 1 } : undefined,
  };
}

/**
 * Mail folder ids to search, or null when a requested collection is no folder of this mailbox. A folder of
 * another class (a calendar) and its subfolders are walked but add no mail folder: such a search finds nothing.
 */
function folderScope(folders: StoreFolder[], collectionIds: string[], deep: boolean): string[] | null {
  const mail = folders.filter((f) => f.itemClass === "Email");
  if (collectionIds.length === 0) return mail.map((f) => f.id);
  const byId = new Map(folders.map((f) => [f.id, f]));
  const children = new Map<string, string[]>();
  for (const f of folders) children.set(f.parentId, [...(children.get(f.parentId) ?? []), f.id]);
  const out = new Set<string>();
  for (const id of collectionIds) {
    if (!byId.has(id)) return null;
    const todo = [id];
    while (todo.length > 0) {
      const next = todo.pop()!;
      if (out.has(next)) continue;
      out.add(next);
      if (deep) todo.push(...(children.get(next) ?? []));
    }
  }
  return [...out].filter((id) => byId.get(id)?.itemClass === "Email");
}
