// EAS ids built from store ids. ServerId "folder:item" like Exchange's "5:10"; FileReference adds the part.

export function serverIdOf(folderId: string, itemId: string): string {
  return `${folderId}:${itemId}`;
}

/** Parses a ServerId; undefined for anything malformed. */
export function parseServerId(serverId: string): { folderId: string; itemId: string } | undefined {
  const i = serverId.indexOf(":");
  if (i <= 0 || i === serverId.length - 1) return undefined;
  return { folderId: serverId.slice(0, i), itemId: serverId.slice(i + 1) };
}

export function fileReferenceOf(folderId: string, itemId: string, partId: string): string {
  return [folderId, itemId, partId].map(encodeURIComponent).join(":");
}

export function parseFileReference(ref: string): { folderId: string; itemId: string; partId: string } | undefined {
  const parts = ref.split(":");
  if (parts.length !== 3 || parts.some((p) => p === "")) return undefined;
  try {
    const [folderId, itemId, partId] = parts.map(decodeURIComponent);
    return { folderId, itemId, partId };
  } catch {
    return undefined;
  }
}
