import type { ImportOutcome } from "./contract";
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
 * Admin bulk import (issue 15): a batch of messages into the default folder of `folderType`, with their Date
 * headers as arrival times; the store writes them in one transaction where it can (importMessages). An empty
 * message is skipped; every other message is stored, parseable or not (issue 13: store first).
 */
export async function importInto(store: MailStore, raws: Uint8Array[], folderType: number = FolderType.Inbox): Promise<ImportOutcome[]> {
  const folder = await defaultFolder(store, folderType as FolderTypeValue);
  if (folder?.itemClass !== "Email") throw new StoreFolderError("invalid", `no mail folder of type ${folderType}`);
  const wanted = raws.map((r, i) => ({ r, i })).filter(({ r }) => r.byteLength > 0);
  const out: ImportOutcome[] = raws.map(() => ({ status: "skipped", reason: "empty message" }));
  const results = store.importMessages
    ? await store.importMessages(
        folder.id,
        wanted.map((w) => w.r),
      )
    : await Promise.all(wanted.map(async (w) => ({ status: "imported" as const, itemId: await store.importMessage(folder.id, w.r) })));
  for (const [k, w] of wanted.entries()) {
    const r = results[k];
    out[w.i] = r.status === "skipped" ? r : { status: r.status, folderId: folder.id, itemId: r.itemId };
  }
  store.pruneTombstones(Date.now() - TOMBSTONE_RETENTION_MS);
  return out;
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
