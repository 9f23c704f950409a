import { BuiltinStore } from "../store/builtin";
import { FolderType, type FolderTypeValue, StoreFolderError } from "../store/types";

export interface Delivered {
  itemId: string;
  folderId: string;
}

/** Puts a raw message into the default folder of `folderType` (Inbox unless told). */
export async function deliverInto(
  store: BuiltinStore,
  raw: Uint8Array,
  folderType: number = FolderType.Inbox,
  received: number = Date.now(),
): Promise<Delivered> {
  const folder = store.folderByType(folderType as FolderTypeValue);
  if (!folder || folder.itemClass !== "Email") throw new StoreFolderError("invalid", `no mail folder of type ${folderType}`);
  const itemId = await store.appendMessage(folder.id, raw, {}, received);
  return { itemId, folderId: folder.id };
}

/** R2 key prefix of one mailbox: its Durable Object id, stable for the life of the mailbox. */
export function blobPrefix(ctx: DurableObjectState): string {
  return `mbx/${ctx.id.toString()}`;
}
