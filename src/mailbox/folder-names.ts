// Folder names as mail servers give them (push notifications, webhooks) → this mailbox's folder ids.
import { FolderType, type StoreFolder } from "../store/types";

/**
 * IMAP name → folder ids: "INBOX" is the Inbox; otherwise the full path ("/" or "." separated, the Inbox
 * spelt INBOX in any case as in an "INBOX."-prefixed namespace: "INBOX.Archive"), else the id itself.
 */
export function folderIdsForName(folders: StoreFolder[], name: string): string[] {
  if (name.toUpperCase() === "INBOX") return folders.filter((f) => f.type === FolderType.Inbox).map((f) => f.id);
  const byId = new Map(folders.map((f) => [f.id, f]));
  const label = (f: StoreFolder) => (f.type === FolderType.Inbox ? "INBOX" : f.name);
  const path = (f: StoreFolder): string[] => {
    const parts = [label(f)];
    for (let p = byId.get(f.parentId); p && parts.length < 64; p = byId.get(p.parentId)) parts.unshift(label(p));
    return parts;
  };
  const wanted = name.replace(/^inbox(?=[./])/i, "INBOX");
  const hits = folders.filter((f) => path(f).join("/") === wanted || path(f).join(".") === wanted);
  if (hits.length) return hits.map((f) => f.id);
  return byId.has(name) ? [name] : [];
}
