import { isStoreError, type MailStore, type StoreFolder } from "../store/types";
import { parseFileReference, parseServerId, serverIdOf } from "./ids";
import type { ItipRefusals } from "./itip-refusals";
import { degradedMailItem, loadMailItem } from "./mail-item";
import type { CollectionSource } from "./collection-source";
import { filterSince, type SyncEngine } from "./sync-engine";
import { type CollectionState, keyStanding, type SyncStateStore } from "./sync-state";
import {
  type EstimateRequest,
  type EstimateResult,
  type FetchRequest,
  type FetchResult,
  type MoveRequest,
  type MoveResult,
  streamedLength,
} from "./contract";

/** Bytes of data one ItemOperations response carries at most beyond its first result (issue 13 §4). */
export const ITEMOPS_RESPONSE_BUDGET = 16 * 1024 * 1024;

/** Rough size of a fetch result in the response. */
function resultBytes(r: FetchResult): number {
  if (r.kind === "attachment") return r.body ? streamedLength(r) : (r.data?.byteLength ?? 0);
  if (r.data) return JSON.stringify(r.data).length;
  const body = r.item?.body?.data;
  return r.item ? 512 + (body === undefined ? 0 : typeof body === "string" ? body.length : body.byteLength) : 0;
}

/** An attachment (or range) larger than this goes to the phone as a stream; a smaller one as bytes. */
export const STREAM_FROM_BYTES = 4 * 1024 * 1024;

/** Upper bound on changes examined to estimate or to answer pendingChanges: costs stay per page. */
const SCAN_LIMIT = 512;

export class ItemOps {
  private readonly state: SyncStateStore;

  constructor(
    private readonly store: MailStore,
    private readonly engine: SyncEngine,
    private readonly now: () => number = Date.now,
    private readonly refusals?: ItipRefusals,
  ) {
    this.state = engine.state;
  }

  private keyMatches(st: CollectionState, key: string): boolean {
    return keyStanding(key, st.series, st.cur, st.prev) !== null;
  }

  async estimate(deviceId: string, reqs: EstimateRequest[]): Promise<EstimateResult[]> {
    const folders = new Map((await this.store.listFolders()).map((f) => [f.id, f]));
    const out: EstimateResult[] = [];
    for (const r of reqs) {
      const folder = folders.get(r.collectionId);
      const src = this.engine.sourceFor(folder);
      if (!folder || !src) {
        out.push({ collectionId: r.collectionId, status: 2 });
        continue;
      }
      const st = this.state.getCollection(deviceId, r.collectionId);
      if (r.syncKey === "0" || !st) {
        out.push({ collectionId: r.collectionId, status: 3 });
        continue;
      }
      if (!this.keyMatches(st, r.syncKey)) {
        out.push({ collectionId: r.collectionId, status: 4 });
        continue;
      }
      const filterType = r.filterType ?? st.filterType;
      out.push({ collectionId: r.collectionId, status: 1, estimate: await this.pendingCount(st, folder, src, filterType, SCAN_LIMIT) });
    }
    return out;
  }

  /** Items the next Syncs would send (capped at `cap`): not yet downloaded + relevant changes + aged out. */
  private async pendingCount(
    st: CollectionState,
    folder: StoreFolder,
    src: CollectionSource,
    filterType: number,
    cap: number,
  ): Promise<number> {
    const since = filterSince(filterType, this.now());
    let n = since > 0 ? this.state.heldOlderThan(st.deviceId, st.collectionId, since, cap).length : 0;
    if (!st.enumDone) {
      const inWindow = await src.count(folder.id, since || undefined);
      n += Math.max(0, inWindow - this.state.heldCount(st.deviceId, st.collectionId, since));
    }
    for (const ch of await src.changesSince(folder.id, st.changeCursor, cap)) {
      if (n >= cap) break;
      if (await this.isRelevant(st, folder, src, ch, since)) n++;
    }
    return Math.min(n, cap);
  }

  private async isRelevant(
    st: CollectionState,
    folder: StoreFolder,
    src: CollectionSource,
    ch: { itemId: string; modseq: number; deleted: boolean },
    since: number,
  ): Promise<boolean> {
    const h = this.state.heldItem(st.deviceId, st.collectionId, ch.itemId);
    if (ch.deleted) return h !== null;
    if (h && h.modseq >= ch.modseq) return false;
    if (h) return true;
    if (!st.enumDone) return false; // counted with the download
    const s = await src.stamp(folder.id, ch.itemId);
    return s !== null && s.received >= since;
  }

  /**
   * Collections among `collectionIds` with changes the device has not received, respecting each one's
   * cached FilterType: a change outside the window is no reason to wake a Ping ([anchors] §3 #5).
   * A collection the device never synced counts changes made after it first watched it.
   * Irrelevant changes at the head of the stream are skipped for good (the cursor moves), so they are
   * examined once, not on every Ping.
   */
  async pendingChanges(deviceId: string, collectionIds: string[]): Promise<string[]> {
    const folders = new Map((await this.store.listFolders()).map((f) => [f.id, f]));
    const out: string[] = [];
    for (const id of collectionIds) {
      const folder = folders.get(id);
      if (!folder) continue;
      const src = this.engine.sourceFor(folder);
      const st = src ? this.state.getCollection(deviceId, id) : null;
      const status = src ? await src.status(id) : await this.store.folderStatus(id);
      if (!st || !src) {
        // Never synced by this device (or not a mail collection): what it cannot know is what changed
        // since it first watched the folder, so that is what counts, once.
        const base = this.state.watchBaseline(deviceId, id);
        if (base === null || status.highestModseq > base) this.state.setWatchBaseline(deviceId, id, status.highestModseq);
        if (base !== null && status.highestModseq > base) out.push(id);
        continue;
      }
      if (status.validity !== st.validity || !st.enumDone) {
        out.push(id);
        continue;
      }
      const since = filterSince(st.filterType, this.now());
      if (since > 0 && this.state.heldOlderThan(deviceId, id, since, 1).length > 0) {
        out.push(id);
        continue;
      }
      if (status.highestModseq <= st.changeCursor) continue;
      let cursor = st.changeCursor;
      let relevant = false;
      for (const ch of await src.changesSince(id, st.changeCursor, SCAN_LIMIT)) {
        if (await this.isRelevant(st, folder, src, ch, since)) {
          relevant = true;
          break;
        }
        cursor = ch.modseq;
      }
      if (cursor !== st.changeCursor) this.state.putCollection({ ...st, changeCursor: cursor });
      if (relevant) out.push(id);
    }
    return out;
  }

  /**
   * Fetches within one response budget (issue 13 §4): the first result is served whatever its size (a phone
   * fetching one large attachment), later ones only while they fit in ITEMOPS_RESPONSE_BUDGET. What does not
   * fit gets [MS-ASCMD] 2.2.3.177.8 Status 11 ("the data size is too large"), without being loaded; the
   * phone asks for it again (alone, or by Range).
   */
  async fetch(reqs: FetchRequest[]): Promise<FetchResult[]> {
    const out: FetchResult[] = [];
    let left = ITEMOPS_RESPONSE_BUDGET;
    let served = 0;
    for (const r of reqs) {
      if (served > 0 && (left <= 0 || (r.kind === "attachment" && (await this.attachmentBytes(r)) > left))) {
        out.push(
          r.kind === "item"
            ? {
                kind: "item",
                status: 11,
                collectionId: r.collectionId,
                serverId: r.serverId,
                ...(r.longId !== undefined ? { longId: r.longId } : {}),
              }
            : { kind: "attachment", status: 11, fileReference: r.fileReference },
        );
        continue;
      }
      let res: FetchResult;
      if (r.kind === "attachment") res = await this.fetchAttachment(r);
      else {
        // A LongId (Search results, search.ts) is the item's ServerId "folder:item": its folder is the collection.
        const byLong = r.longId !== undefined ? { ...r, collectionId: parseServerId(r.longId)?.folderId ?? "", serverId: r.longId } : r;
        const result = await this.fetchItem(byLong);
        res = r.longId !== undefined && result.kind === "item" ? { ...result, longId: r.longId } : result;
      }
      const bytes = resultBytes(res);
      if (bytes > 0) served++;
      left -= bytes;
      out.push(res);
    }
    return out;
  }

  /** What an attachment fetch would put in the response, from the message's summary (nothing loaded). */
  private async attachmentBytes(r: Extract<FetchRequest, { kind: "attachment" }>): Promise<number> {
    const ref = parseFileReference(r.fileReference);
    const s = ref ? await this.store.getSummary(ref.folderId, ref.itemId).catch(() => null) : null;
    const size = s?.attachments.find((a) => a.partId === ref!.partId)?.size ?? 0;
    return r.range ? Math.max(0, Math.min(r.range.end, size - 1) - r.range.start + 1) : size;
  }

  private async fetchItem(r: Extract<FetchRequest, { kind: "item" }>): Promise<FetchResult> {
    const id = parseServerId(r.serverId);
    const folder = (await this.store.listFolders()).find((f) => f.id === r.collectionId);
    if (folder && folder.itemClass !== "Email") {
      // Calendar, Contacts, Tasks, Notes: the item as its class source renders it for Sync.
      const src = this.engine.sourceFor(folder);
      const stamp = src && id && id.folderId === r.collectionId ? await src.stamp(r.collectionId, id.itemId) : null;
      let payload: Awaited<ReturnType<NonNullable<typeof src>["render"]>> | null = null;
      try {
        payload = src && stamp ? await src.render(stamp, r.options) : null;
      } catch (e) {
        if (e instanceof Error && e.name === "StoreUnavailableError") throw e;
        // [MS-ASCMD] 2.2.3.177.8 Status 14: conversion failure (issue 13 §1: one item, never the request).
        console.warn(`ItemOperations: ${r.serverId} not converted: ${e instanceof Error ? e.message : String(e)}`);
        return { kind: "item", status: 14, collectionId: r.collectionId, serverId: r.serverId };
      }
      if (!payload || !("data" in payload)) return { kind: "item", status: 6, collectionId: r.collectionId, serverId: r.serverId };
      return {
        kind: "item",
        status: 1,
        collectionId: r.collectionId,
        serverId: r.serverId,
        itemClass: folder.itemClass,
        data: payload.data,
      };
    }
    const s = id && id.folderId === r.collectionId ? await this.store.getSummary(r.collectionId, id.itemId).catch(() => null) : null;
    // [MS-ASCMD] 2.2.3.177.8 Status 6: the object was not found.
    if (!s) return { kind: "item", status: 6, collectionId: r.collectionId, serverId: r.serverId };
    return {
      kind: "item",
      status: 1,
      collectionId: r.collectionId,
      serverId: r.serverId,
      item: await loadMailItem(this.store, s, r.options, this.refusals).catch((e: unknown) => {
        if (e instanceof Error && e.name === "StoreUnavailableError") throw e;
        return degradedMailItem(this.store, s, e);
      }),
    };
  }

  private async fetchAttachment(r: Extract<FetchRequest, { kind: "attachment" }>): Promise<FetchResult> {
    const ref = parseFileReference(r.fileReference);
    // An unreadable reference or part is Status 15; a backend outage still fails the request (503, retried).
    const orNull = (e: unknown) => {
      if (isStoreError(e, "StoreUnavailableError")) throw e;
      return null;
    };
    // A store that streams (built-in: an R2 read, ranged for a Range) sends a large attachment or range as a
    // stream: the object never holds it (issue 15). Smaller ones are read here and sent as bytes, which moves them
    // ~2× faster (RPC streams, base64 by chunks: bench/RESULTS.md).
    if (ref && this.store.openAttachment && (!r.range || r.range.start <= r.range.end)) {
      const part = await this.store.openAttachment(ref.folderId, ref.itemId, ref.partId, r.range).catch(orNull);
      if (!part) return { kind: "attachment", status: 15, fileReference: r.fileReference };
      const found = {
        kind: "attachment",
        status: 1,
        fileReference: r.fileReference,
        contentType: part.info.contentType,
        total: part.total,
      } as const;
      const range = r.range && part.length > 0 ? { range: { start: r.range.start, end: r.range.start + part.length - 1 } } : {};
      const sent = async () =>
        part.length > STREAM_FROM_BYTES ? { body: part.body } : { data: new Uint8Array(await new Response(part.body).arrayBuffer()) };
      if (!r.range || part.length > 0) return { ...found, ...range, ...(await sent()) };
      await part.body.cancel();
      // [MS-ASCMD] 2.2.3.139.2: Status 8 for a range past the end (an empty attachment answers empty, as below).
      if (part.total > 0) return { kind: "attachment", status: 8, fileReference: r.fileReference };
      return { ...found, range: { start: r.range.start, end: Math.min(r.range.end, part.total - 1) }, data: new Uint8Array(0) };
    }
    const found = ref ? await this.store.getAttachment(ref.folderId, ref.itemId, ref.partId).catch(orNull) : null;
    // Status 15: attachment or attachment id invalid.
    if (!found) return { kind: "attachment", status: 15, fileReference: r.fileReference };
    const total = found.data.length;
    if (!r.range)
      return {
        kind: "attachment",
        status: 1,
        fileReference: r.fileReference,
        contentType: found.info.contentType,
        total,
        data: found.data,
      };
    // [MS-ASCMD] 2.2.3.139.2 Range "start-end", inclusive; Status 8 when it lies outside the data.
    if (r.range.start > r.range.end || (r.range.start >= total && total > 0))
      return { kind: "attachment", status: 8, fileReference: r.fileReference };
    const end = Math.min(r.range.end, total - 1);
    return {
      kind: "attachment",
      status: 1,
      fileReference: r.fileReference,
      contentType: found.info.contentType,
      total,
      range: { start: r.range.start, end },
      data: found.data.slice(r.range.start, end + 1),
    };
  }

  /** EmptyFolderContents ([MS-ASCMD] 2.2.3.58): Status 1, or 6 for an unknown folder. */
  async emptyFolder(collectionId: string, deleteSubFolders: boolean): Promise<number> {
    const folders = await this.store.listFolders();
    if (!folders.some((f) => f.id === collectionId)) return 6;
    await this.store.emptyFolder(collectionId, deleteSubFolders);
    return 1;
  }

  /**
   * MoveItems. The moving device already shows the item in the destination under DstMsgId, so its image
   * of both collections is updated here: the next Sync of either shows no Delete/Add echo of this move.
   */
  async move(deviceId: string, moves: MoveRequest[]): Promise<MoveResult[]> {
    const folders = new Map((await this.store.listFolders()).map((f) => [f.id, f]));
    const out: MoveResult[] = [];
    for (const m of moves) {
      const src = folders.get(m.srcFldId);
      const dst = folders.get(m.dstFldId);
      const id = parseServerId(m.srcMsgId);
      if (!src || !id || id.folderId !== src.id) {
        out.push({ srcMsgId: m.srcMsgId, status: 1 });
        continue;
      }
      if (!dst) {
        out.push({ srcMsgId: m.srcMsgId, status: 2 });
        continue;
      }
      if (src.id === dst.id) {
        out.push({ srcMsgId: m.srcMsgId, status: 4 });
        continue;
      }
      if (!(await this.store.getSummary(src.id, id.itemId))) {
        out.push({ srcMsgId: m.srcMsgId, status: 1 });
        continue;
      }
      let newId: string;
      try {
        newId = await this.store.moveItem(src.id, id.itemId, dst.id);
      } catch (e) {
        if (isStoreError(e, "StoreUnavailableError")) throw e;
        out.push({ srcMsgId: m.srcMsgId, status: 5 });
        continue;
      }
      this.state.releaseItem(deviceId, src.id, id.itemId);
      if (this.state.getCollection(deviceId, dst.id)) {
        const s = await this.store.getSummary(dst.id, newId);
        if (s) this.state.holdItem(deviceId, dst.id, newId, s.modseq, s.received);
      }
      out.push({ srcMsgId: m.srcMsgId, status: 3, dstMsgId: serverIdOf(dst.id, newId) });
    }
    return out;
  }
}
