import { FolderType, type FolderTypeValue, type MailStore, type StoreFolder, StoreFolderError } from "../store/types";

export interface Delivered {
  itemId: string;
  folderId: string;
}

/**
 * How long expunge/move tombstones are kept. A device that has not synced a folder for longer gets
 * FolderStatus.tombstoneFloor above its cursor and resynchronises that folder from scratch.
 */
export const TOMBSTONE_RETENTION_MS = 30 * 86_400_000;

/**
 * Puts a raw message into the default folder of `folderType` (Inbox unless told). Delivery is also when
 * old tombstones are pruned: an indexed range delete, so mailboxes that change prune and idle ones don't need to.
 */
export async function deliverInto(
  store: MailStore,
  raw: Uint8Array,
  folderType: number = FolderType.Inbox,
  received: number | "date-header" = Date.now(),
): Promise<Delivered> {
  const folder = await defaultFolder(store, folderType as FolderTypeValue);
  if (folder?.itemClass !== "Email") throw new StoreFolderError("invalid", `no mail folder of type ${folderType}`);
  const itemId =
    received === "date-header" ? await store.importMessage(folder.id, raw) : await store.appendMessage(folder.id, raw, {}, received);
  store.pruneTombstones(Date.now() - TOMBSTONE_RETENTION_MS);
  return { itemId, folderId: folder.id };
}

/**
 * The default folder of a type. A bridged mailbox knows its server's folders from the last LIST: before the
 * first one (a new object, or right after its backend changed) the folders are listed now.
 */
export async function defaultFolder(store: MailStore, type: FolderTypeValue): Promise<StoreFolder | null> {
  const known = store.folderByType(type);
  if (known) return known;
  await store.listFolders();
  return store.folderByType(type);
}

/** R2 key prefix of one mailbox: its Durable Object id, stable for the life of the mailbox. */
export function blobPrefix(ctx: DurableObjectState): string {
  return `mbx/${ctx.id.toString()}`;
}

/** This mailbox's protocol traces in the shared bucket (traces.ts). */
export function tracePrefix(ctx: DurableObjectState): string {
  return `trace/${ctx.id.toString()}`;
}

/** Deletes every R2 object under `prefix`; returns how many. */
export async function deleteR2Prefix(bucket: R2Bucket, prefix: string): Promise<number> {
  let n = 0;
  for (;;) {
    const page = await bucket.list({ prefix, limit: 1000 });
    if (page.objects.length === 0) return n;
    await bucket.delete(page.objects.map((o) => o.key));
    n += page.objects.length;
    if (!page.truncated) return n;
  }
}
