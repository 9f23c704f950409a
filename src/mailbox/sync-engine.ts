// The Sync engine ([MS-ASCMD] 2.2.1.21), for every item class through its CollectionSource (mail built in).
// Per device and collection it keeps a SyncKey series, the image of what the device holds and a replay
// record, so that:
// - Sync(current key): client changes applied, then new server changes (at most WindowSize), new key;
// - Sync(previous key): the response carrying the current key was lost; the same server commands are sent
//   again under a fresh key, client commands are re-applied idempotently (no duplicates, nothing lost);
// - any other key: Status 3.
// Costs are per page: the initial download walks the source's keyset cursor, later syncs read
// `changesSince(cursor)`; nothing enumerates a whole folder.
import {
  effectiveWindowSize,
  type ItemOptions,
  type ItemPayload,
  type ServerCommand,
  type SyncCollectionRequest,
  type SyncCollectionOutcome,
  type SyncOptions,
  type SyncRequest,
  type SyncResponses,
  type SyncOutcome,
  SyncStatus,
} from "../eas/sync-types";
import { FolderType, isStoreError, type ListOptions, type MailStore, type StoreFolder } from "../store/types";
import type { CollectionSource, ItemStamp } from "./collection-source";
import { parseServerId, serverIdOf } from "./ids";
import {
  type CachedSyncRequest,
  type CollectionState,
  cacheableRequest,
  formatKey,
  keyStanding,
  newSeries,
  type ReplayRecord,
  SyncStateStore,
} from "./sync-state";

const DAY = 86_400_000;
/** [MS-ASCMD] 2.2.3.70.2 FilterType for mail: 0 all, 1 one day … 5 one month (6, 7 accepted as 3 and 6 months). */
const FILTER_WINDOW: Record<number, number> = { 0: 0, 1: DAY, 2: 3 * DAY, 3: 7 * DAY, 4: 14 * DAY, 5: 31 * DAY, 6: 92 * DAY, 7: 183 * DAY };

export const DEFAULT_OPTIONS: SyncOptions = { filterType: 0, bodyPreferences: [], mimeSupport: 0, conflict: 1 };

export function filterSince(filterType: number, now: number): number {
  const w = FILTER_WINDOW[filterType] ?? 0;
  return w === 0 ? 0 : now - w;
}

/** Response budget: a Sync answer is cut with MoreAvailable rather than outlive the device's HTTP timeout. */
export interface Budget {
  deadline: number;
  bytesLeft: number;
  /** Sync-level WindowSize across collections (14.1+), or Infinity. */
  itemsLeft: number;
}

export const RESPONSE_TIME_BUDGET_MS = 15_000;
export const RESPONSE_BYTE_BUDGET = 8 * 1024 * 1024;

type Held = { modseq: number; received: number } | null;

/**
 * One item's conversion, fenced (issue 13 §1): an item that cannot be converted (a calendar object ical.js
 * cannot read, a vCard over the limits) is left out of the page with the reason logged, never a failed page.
 * Mail never gets here: MailSource renders what it cannot convert in a degraded form. An outage still fails.
 */
async function fenced<T>(folderId: string, itemId: string, render: () => Promise<T>): Promise<T | null> {
  try {
    return await render();
  } catch (e) {
    if (e instanceof Error && e.name === "StoreUnavailableError") throw e;
    console.warn(`sync: item ${folderId}:${itemId} left out: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}

/** State writes of one collection sync, applied in one transaction at the end. */
class PendingImage {
  private overlay = new Map<string, Held>();
  constructor(
    private readonly state: SyncStateStore,
    private readonly deviceId: string,
    private readonly collectionId: string,
  ) {}
  /** What was read from the device's image, by item id (null: not held). */
  private readonly known = new Map<string, Held>();
  held(itemId: string): Held {
    if (this.overlay.has(itemId)) return this.overlay.get(itemId) ?? null;
    if (this.known.has(itemId)) return this.known.get(itemId) ?? null;
    const h = this.state.heldItem(this.deviceId, this.collectionId, itemId);
    this.known.set(itemId, h);
    return h;
  }
  /** Reads what the device holds of these items in one statement (a page), instead of one per held() call. */
  preload(itemIds: string[]): void {
    const want = itemIds.filter((id) => !this.overlay.has(id) && !this.known.has(id));
    if (want.length === 0) return;
    const held = this.state.heldItems(this.deviceId, this.collectionId, want);
    for (const id of want) this.known.set(id, held.get(id) ?? null);
  }
  hold(s: { itemId: string; modseq: number; received: number }): void {
    this.overlay.set(s.itemId, { modseq: s.modseq, received: s.received });
  }
  release(itemId: string): void {
    this.overlay.set(itemId, null);
  }
  commit(): void {
    const holds: { itemId: string; modseq: number; received: number }[] = [];
    for (const [itemId, h] of this.overlay) {
      if (h) holds.push({ itemId, modseq: h.modseq, received: h.received });
      else this.state.releaseItem(this.deviceId, this.collectionId, itemId);
    }
    this.state.holdItems(this.deviceId, this.collectionId, holds);
  }
}

function emptyResponses(): SyncResponses {
  return { adds: [], changes: [], deletes: [], fetches: [] };
}

function bare(collectionId: string, syncKey: string, status: number): SyncCollectionOutcome {
  return { collectionId, syncKey, status, responses: emptyResponses(), commands: [], moreAvailable: false };
}

/** What applying one collection's client commands (Add, Change, Delete, Fetch) needs to know. */
interface ClientCommandContext {
  req: SyncRequest;
  c: SyncCollectionRequest;
  /** The collection's folder and the source that reads and writes its items. */
  folder: StoreFolder;
  src: CollectionSource;
  /** Every folder by id (a Delete may become a move to Deleted Items). */
  folders: Map<string, StoreFolder>;
  options: SyncOptions;
  itemOptions: ItemOptions;
  /** [MS-ASCMD] 2.2.3.45 DeletesAsMoves, default true. */
  deletesAsMoves: boolean;
  /** The device's image of the collection, written at the end of the sync. */
  image: PendingImage;
  /** The last response's record when the device repeats its previous SyncKey (Deletes it already applied). */
  replay: ReplayRecord | null;
  /** The device's SyncKey series of the collection (a ClientId is unique within one). */
  series: string;
}

export class SyncEngine {
  readonly state: SyncStateStore;
  private readonly locks = new Map<string, Promise<unknown>>();

  /** Sources by item class ("Email" built in; the PIM classes register theirs). */
  readonly sources = new Map<string, CollectionSource>();

  constructor(
    private readonly storage: DurableObjectStorage,
    /** Only its folder list is used: items go through the sources. */
    private readonly store: Pick<MailStore, "listFolders">,
    private readonly now: () => number = Date.now,
  ) {
    this.state = new SyncStateStore(storage.sql);
  }

  sourceFor(folder: StoreFolder | undefined): CollectionSource | undefined {
    return folder ? this.sources.get(folder.itemClass) : undefined;
  }

  /** Serialises requests of one device: two Syncs racing on the same key get one key series ([anchors] §3 #20). */
  async withDeviceLock<T>(deviceId: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(deviceId) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(deviceId, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(deviceId) === tail) this.locks.delete(deviceId);
    }
  }

  sync(req: SyncRequest): Promise<SyncOutcome> {
    return this.withDeviceLock(req.deviceId, () => this.syncLocked(req));
  }

  private async syncLocked(req: SyncRequest): Promise<SyncOutcome> {
    const resolved = this.resolveRequest(req);
    if ("status" in resolved) return { status: resolved.status, collections: [], collectionIds: [] };
    const folders = new Map((await this.store.listFolders()).map((f) => [f.id, f]));
    const budget: Budget = {
      deadline: this.now() + RESPONSE_TIME_BUDGET_MS,
      bytesLeft: RESPONSE_BYTE_BUDGET,
      itemsLeft: resolved.windowSize !== undefined ? effectiveWindowSize(resolved.windowSize) : Number.POSITIVE_INFINITY,
    };
    const out: SyncCollectionOutcome[] = [];
    for (const c of resolved.collections) {
      const r = await this.syncCollection(req, c, folders, budget);
      if (r) out.push(r);
    }
    this.state.saveLastRequest(req.deviceId, cacheableRequest(resolved));
    const waitSeconds = resolved.wait !== undefined ? resolved.wait * 60 : resolved.heartbeatInterval;
    return { status: SyncStatus.Success, collections: out, collectionIds: resolved.collections.map((c) => c.collectionId), waitSeconds };
  }

  /** Fills an empty or Partial request from the device's cached last request ([MS-ASCMD] 2.2.3.131). */
  private resolveRequest(req: SyncRequest): SyncRequest | { status: number } {
    if (!req.empty && !req.partial) {
      if (req.collections.length === 0) return { status: SyncStatus.ProtocolError };
      return req;
    }
    const cached: CachedSyncRequest | null = this.state.lastRequest(req.deviceId);
    if (!cached) return { status: SyncStatus.Incomplete };
    const given = new Map(req.collections.map((c) => [c.collectionId, c]));
    const collections: SyncCollectionRequest[] = cached.collections.map(
      (c) =>
        given.get(c.collectionId) ?? {
          collectionId: c.collectionId,
          windowSize: c.windowSize,
          deletesAsMoves: c.deletesAsMoves,
          changes: [],
          deletes: [],
          adds: [],
          fetches: [],
        },
    );
    for (const c of req.collections) if (!cached.collections.some((k) => k.collectionId === c.collectionId)) collections.push(c);
    return {
      ...req,
      collections,
      windowSize: req.windowSize ?? cached.windowSize,
      wait: req.wait ?? cached.wait,
      heartbeatInterval: req.heartbeatInterval ?? cached.heartbeatInterval,
    };
  }

  private async syncCollection(
    req: SyncRequest,
    c: SyncCollectionRequest,
    folders: Map<string, StoreFolder>,
    budget: Budget,
  ): Promise<SyncCollectionOutcome | null> {
    const dev = req.deviceId;
    const folder = folders.get(c.collectionId);
    const st0 = this.state.getCollection(dev, c.collectionId);
    const key = c.syncKey ?? (st0 ? formatKey(st0.series, st0.cur) : undefined);
    if (!folder) {
      // [MS-ASCMD] 2.2.3.177.17 Status 12: the collection is gone; the device must FolderSync.
      if (st0) this.state.dropCollection(dev, c.collectionId);
      return bare(c.collectionId, key ?? "0", SyncStatus.HierarchyChanged);
    }
    const src = this.sourceFor(folder);
    if (!src) return bare(c.collectionId, key ?? "0", SyncStatus.ProtocolError); // a class this server does not sync
    if (key === undefined) return bare(c.collectionId, "0", SyncStatus.InvalidSyncKey);
    if (key === "0") return this.bootstrap(dev, c, folder, src, st0);

    const standing = st0 ? keyStanding(key, st0.series, st0.cur, st0.prev) : null;
    if (!st0 || !standing) return bare(c.collectionId, "0", SyncStatus.InvalidSyncKey);
    const isPrevious = standing === "previous";
    const st: CollectionState = { ...st0 };
    const status = await src.status(folder.id);
    if (status.validity !== st.validity || (status.tombstoneFloor ?? 0) > st.changeCursor) {
      // Item ids no longer valid (UIDVALIDITY) or deletes forgotten: only a full resync is correct.
      this.state.dropCollection(dev, c.collectionId);
      return bare(c.collectionId, "0", SyncStatus.InvalidSyncKey);
    }
    // Options persist from request to request ([MS-ASAIRS] 2.2.2.12); WindowSize and DeletesAsMoves do
    // not: absent means 100 (MS-ASCMD_R3459) and true (MS-ASCMD_R2161). An empty or Partial request got
    // them from the cached request already.
    const options = c.options ?? st.options?.options ?? DEFAULT_OPTIONS;
    const windowSize = c.windowSize;
    const deletesAsMoves = c.deletesAsMoves ?? true;
    st.options = { ...st.options, options };
    const device = {
      deviceId: req.deviceId,
      deviceType: req.deviceType ?? "",
      userAgent: req.userAgent,
      protocolVersion: req.protocolVersion,
    };
    const itemOptions: ItemOptions = { ...options, protocolVersion: req.protocolVersion, device };
    const image = new PendingImage(this.state, dev, c.collectionId);

    const replay = isPrevious ? st.lastResponse : null;
    const { responses, clientDeletes } = await this.applyClientCommands({
      req,
      c,
      folder,
      src,
      folders,
      options,
      itemOptions,
      deletesAsMoves,
      image,
      replay,
      series: st.series,
    });
    const hadClientCommands = c.changes.length + c.deletes.length + c.adds.length + c.fetches.length > 0;

    let commands: ServerCommand[];
    let moreAvailable: boolean;
    let record: ReplayRecord;
    /** The listing the device will ask for next, when this answer says MoreAvailable of the initial download. */
    let next: ListOptions | null = null;
    if (isPrevious) {
      ({ commands, record } = await this.replayCommands(st.lastResponse, folder, src, itemOptions, image, clientDeletes));
      moreAvailable = record.moreAvailable;
      st.cur += 1; // a fresh key; the previous one stays valid for another retry
    } else {
      this.applyFilterChange(st, options.filterType);
      const getChanges = c.getChanges ?? true;
      const limit = Math.min(effectiveWindowSize(windowSize), budget.itemsLeft);
      ({ commands, moreAvailable } = getChanges
        ? await this.collectChanges(st, folder, src, itemOptions, limit, budget, image)
        : { commands: [], moreAvailable: false });
      if (commands.length === 0 && !moreAvailable && !hadClientCommands) {
        // Nothing for the device: keep its key, only remember skipped irrelevant changes and options.
        if (JSON.stringify(st) !== JSON.stringify(st0)) this.state.putCollection(st);
        return null;
      }
      // Its next page lists as collectChanges does: `limit` items and one more, after the last one walked.
      if (moreAvailable && !st.enumDone) next = { since: st.enumSince, after: st.enumAfter ?? undefined, limit: limit + 1 };
      record = {
        commands: commands.map((x) => ({ op: x.op, itemId: parseServerId(x.serverId)?.itemId ?? "" })),
        moreAvailable,
        clientDeletes,
      };
      st.prev = st.cur;
      st.cur += 1;
    }
    budget.itemsLeft -= commands.length;
    st.lastResponse = record;
    this.storage.transactionSync(() => {
      image.commit();
      this.state.putCollection(st);
    });
    if (next) src.ahead?.(folder.id, next);
    return {
      collectionId: c.collectionId,
      syncKey: formatKey(st.series, st.cur),
      status: SyncStatus.Success,
      responses,
      commands,
      moreAvailable,
    };
  }

  private async bootstrap(
    dev: string,
    c: SyncCollectionRequest,
    folder: StoreFolder,
    src: CollectionSource,
    st0: CollectionState | null,
  ): Promise<SyncCollectionOutcome> {
    // [MS-ASCMD] 2.2.3.84 (R5838): GetChanges set with SyncKey 0 is a protocol error.
    if (c.getChanges === true) return bare(c.collectionId, "0", SyncStatus.ProtocolError);
    const options = c.options ?? st0?.options?.options ?? DEFAULT_OPTIONS;
    // Supported is only read with SyncKey 0 and cached (MS-ASCMD_R4547 MS-ASCMD_R4548); later ones are ignored (MS-ASCMD_R4552).
    const supported = c.supported ?? st0?.options?.supported;
    const cachedOptions = { options, ...(supported ? { supported } : {}) };
    // A second SyncKey 0 before anything was sent (iOS does this for big folders) joins the same series —
    // only while the device holds nothing there: an item it learnt of (its own MoveItems into the folder)
    // must come again in the full resync a SyncKey 0 asks for.
    if (st0 && st0.cur === 1 && st0.prev === null && st0.lastResponse === null && this.state.heldCount(dev, c.collectionId) === 0) {
      this.state.putCollection({
        ...st0,
        options: cachedOptions,
        filterType: options.filterType,
        enumSince: filterSince(options.filterType, this.now()),
      });
      src.ahead?.(folder.id, { since: filterSince(options.filterType, this.now()), limit: effectiveWindowSize(c.windowSize) + 1 });
      return bare(c.collectionId, formatKey(st0.series, 1), SyncStatus.Success);
    }
    const status = await src.status(folder.id);
    const st: CollectionState = {
      deviceId: dev,
      collectionId: c.collectionId,
      series: newSeries(),
      cur: 1,
      prev: null,
      validity: status.validity,
      filterType: options.filterType,
      enumDone: false,
      enumAfter: null,
      enumSince: filterSince(options.filterType, this.now()),
      changeCursor: status.highestModseq,
      options: cachedOptions,
      lastResponse: null,
    };
    this.storage.transactionSync(() => {
      this.state.dropCollection(dev, c.collectionId);
      this.state.putCollection(st);
    });
    // The device's first page comes next: its listing (the window's newest, and one more) made meanwhile.
    src.ahead?.(folder.id, { since: st.enumSince, limit: effectiveWindowSize(c.windowSize) + 1 });
    return bare(c.collectionId, formatKey(st.series, 1), SyncStatus.Success);
  }

  /** A wider FilterType re-opens the walk below the old window; a narrower one soft-deletes via aging. */
  private applyFilterChange(st: CollectionState, filterType: number): void {
    if (filterType === st.filterType) return;
    const now = this.now();
    const oldSince = filterSince(st.filterType, now);
    const newSince = filterSince(filterType, now);
    if (newSince < oldSince) {
      if (st.enumDone) {
        st.enumDone = false;
        st.enumAfter = { received: oldSince, itemId: "" };
      }
      st.enumSince = newSince;
    } else {
      st.enumSince = Math.max(st.enumSince, newSince);
    }
    st.filterType = filterType;
  }

  private async collectChanges(
    st: CollectionState,
    folder: StoreFolder,
    src: CollectionSource,
    itemOptions: ItemOptions,
    limit: number,
    budget: Budget,
    image: PendingImage,
  ): Promise<{ commands: ServerCommand[]; moreAvailable: boolean }> {
    const commands: ServerCommand[] = [];
    const since = filterSince(st.filterType, this.now());
    const full = () => commands.length >= limit || this.now() > budget.deadline || budget.bytesLeft <= 0;
    const add = async (s: ItemStamp) => {
      const item = await fenced(folder.id, s.itemId, () => src.render(s, itemOptions));
      if (!item) return;
      budget.bytesLeft -= estimateBytes(item);
      commands.push({ op: "Add", serverId: serverIdOf(folder.id, s.itemId), item });
      image.hold(s);
    };

    // 1. Items that left the FilterType window (time passing, narrower filter): SoftDelete.
    if (since > 0) {
      for (const itemId of this.state.heldOlderThan(st.deviceId, st.collectionId, since, limit)) {
        if (full()) break;
        commands.push({ op: "SoftDelete", serverId: serverIdOf(folder.id, itemId) });
        image.release(itemId);
      }
    }
    // 2. The initial download: newest first along the store's keyset cursor.
    while (!st.enumDone && !full()) {
      const want = limit - commands.length;
      const page = await src.list(folder.id, { since: st.enumSince, after: st.enumAfter ?? undefined, limit: want + 1 });
      image.preload(page.map((s) => s.itemId));
      if (src.prefetch) await src.prefetch(folder.id, page.filter((s) => !image.held(s.itemId) && s.received >= since).slice(0, want));
      let walked = 0;
      for (const s of page) {
        if (full()) break;
        walked++;
        st.enumAfter = { received: s.received, itemId: s.itemId };
        if (image.held(s.itemId) || s.received < since) continue;
        await add(s);
      }
      if (walked === page.length && page.length <= want) st.enumDone = true;
    }
    // 3. Changes since the cursor: new mail, flag changes, expunges and moves (expunge + add).
    while (st.enumDone && !full()) {
      const batch = await src.changesSince(folder.id, st.changeCursor, Math.max(limit - commands.length, 32));
      if (batch.length === 0) break;
      for (const ch of batch) {
        if (full()) break;
        st.changeCursor = ch.modseq;
        const h = image.held(ch.itemId);
        if (ch.deleted) {
          if (h) {
            commands.push({ op: "Delete", serverId: serverIdOf(folder.id, ch.itemId) });
            image.release(ch.itemId);
          }
          continue;
        }
        if (h && h.modseq >= ch.modseq) continue; // the device already has this state (its own change)
        const s = await src.stamp(folder.id, ch.itemId);
        if (!s) continue; // expunged meanwhile: its tombstone comes later in the stream
        const inWindow = s.received >= since;
        if (h && inWindow) {
          const change = await fenced(folder.id, s.itemId, () => src.renderChange(s, itemOptions));
          if (change) commands.push({ op: "Change", serverId: serverIdOf(folder.id, s.itemId), change });
          image.hold(s);
        } else if (h) {
          commands.push({ op: "SoftDelete", serverId: serverIdOf(folder.id, s.itemId) });
          image.release(s.itemId);
        } else if (inWindow) {
          await add(s);
        }
      }
    }
    const moreAvailable = full() && (await this.hasMore(st, folder, src, since));
    return { commands, moreAvailable };
  }

  private async hasMore(st: CollectionState, folder: StoreFolder, src: CollectionSource, since: number): Promise<boolean> {
    if (!st.enumDone) return true;
    if (since > 0 && this.state.heldOlderThan(st.deviceId, st.collectionId, since, 1).length > 0) return true;
    return (await src.changesSince(folder.id, st.changeCursor, 1)).length > 0;
  }

  /** The lost response again: same items, current data; items expunged since are left out. */
  private async replayCommands(
    last: ReplayRecord | null,
    folder: StoreFolder,
    src: CollectionSource,
    itemOptions: ItemOptions,
    image: PendingImage,
    clientDeletes: string[],
  ): Promise<{ commands: ServerCommand[]; record: ReplayRecord }> {
    const commands: ServerCommand[] = [];
    const kept: ReplayRecord["commands"] = [];
    for (const rec of last?.commands ?? []) {
      const serverId = serverIdOf(folder.id, rec.itemId);
      if (rec.op === "Delete" || rec.op === "SoftDelete") {
        commands.push({ op: rec.op, serverId });
        kept.push(rec);
        continue;
      }
      const s = await src.stamp(folder.id, rec.itemId);
      if (!s) {
        image.release(rec.itemId);
        continue;
      }
      if (rec.op === "Add") {
        const item = await fenced(folder.id, s.itemId, () => src.render(s, itemOptions));
        if (!item) {
          image.release(rec.itemId);
          continue;
        }
        commands.push({ op: "Add", serverId, item });
      } else {
        const change = await fenced(folder.id, s.itemId, () => src.renderChange(s, itemOptions));
        if (change) commands.push({ op: "Change", serverId, change });
      }
      image.hold(s);
      kept.push(rec);
    }
    const clientDeletesAll = [...new Set([...(last?.clientDeletes ?? []), ...clientDeletes])];
    return { commands, record: { commands: kept, moreAvailable: last?.moreAvailable ?? false, clientDeletes: clientDeletesAll } };
  }

  private async applyClientCommands(ctx: ClientCommandContext): Promise<{ responses: SyncResponses; clientDeletes: string[] }> {
    const { req, c, folder, src, folders, options, itemOptions, deletesAsMoves, image, replay, series } = ctx;
    const responses = emptyResponses();
    const clientDeletes: string[] = [];
    const itemIn = (serverId: string) => {
      const id = parseServerId(serverId);
      return id && id.folderId === folder.id ? id.itemId : undefined;
    };

    const supported = this.state.getCollection(req.deviceId, c.collectionId)?.options?.supported;
    for (const ch of c.changes) {
      const itemId = itemIn(ch.serverId);
      const s = itemId ? await src.stamp(folder.id, itemId) : null;
      if (!itemId || !s) {
        responses.changes.push({ serverId: ch.serverId, status: SyncStatus.NotFound });
        continue;
      }
      const h = image.held(itemId);
      const serverNewer = h !== null && s.modseq > h.modseq;
      // [MS-ASCMD] 2.2.3.34 Conflict: 1 (default) the server object wins; its change goes down next.
      if (serverNewer && options.conflict !== 0) continue;
      let applied: Awaited<ReturnType<typeof src.applyChange>>;
      try {
        applied = await src.applyChange(s, supported ? { ...ch, supported } : ch);
      } catch (e) {
        // Gone meanwhile (another device's Delete ran while this one awaited the server): Status 8, as if the
        // look above had not found it; anything else is the store's error.
        if (!isStoreError(e, "StoreNotFoundError")) throw e;
        responses.changes.push({ serverId: ch.serverId, status: SyncStatus.NotFound });
        continue;
      }
      if (applied === "conflict") {
        // The device's image keeps the modseq it had: the server's version is newer and goes down as a Change.
        responses.changes.push({ serverId: ch.serverId, status: SyncStatus.Conflict });
        continue;
      }
      if (!applied) {
        responses.changes.push({ serverId: ch.serverId, status: SyncStatus.ConversionError });
        continue;
      }
      const after = await src.stamp(folder.id, itemId);
      // The device already shows this state: no echo. Except attachments it edited: their FileReferences are
      // new and the Sync response schema has no ApplicationData in Responses/Change, so the item goes back.
      if (after && h && !serverNewer && !ch.attachments) image.hold(after);
    }

    const trash = [...folders.values()].find((f) => f.type === FolderType.DeletedItems);
    for (const serverId of c.deletes) {
      const itemId = itemIn(serverId);
      if (itemId && replay?.clientDeletes.includes(serverId)) {
        clientDeletes.push(serverId);
        continue;
      }
      const s = itemId ? await src.stamp(folder.id, itemId) : null;
      if (!itemId || !s) {
        if (itemId && image.held(itemId)) image.release(itemId);
        else responses.deletes.push({ serverId, status: SyncStatus.NotFound });
        continue;
      }
      // DeletesAsMoves ([MS-ASCMD] 2.2.3.43) moves mail into Deleted Items; a delete there is final.
      const toTrash = deletesAsMoves && folder.itemClass === "Email" && trash && trash.id !== folder.id ? trash.id : null;
      try {
        await src.remove(s, folder.id, toTrash);
      } catch (e) {
        // Gone meanwhile (another device's Delete of it ran while this one awaited the server, chaos seed
        // 20261214): what the device asked for is done; anything else is the store's error.
        if (!isStoreError(e, "StoreNotFoundError")) throw e;
      }
      image.release(itemId);
      clientDeletes.push(serverId);
    }

    for (const a of c.adds) {
      const known = this.state.itemForClientId(req.deviceId, c.collectionId, a.clientId);
      const knownStamp = known ? await src.stamp(folder.id, known) : null;
      if (known && knownStamp) {
        if (!image.held(known)) image.hold(knownStamp); // the device has it from its own Add
        const conversationId = src.addedConversationId?.(knownStamp);
        responses.adds.push({
          clientId: a.clientId,
          serverId: serverIdOf(folder.id, known),
          status: SyncStatus.Success,
          ...(conversationId ? { conversationId } : {}),
        });
        continue;
      }
      let itemId: string;
      try {
        // The ClientId is remembered only once the store answered: a write whose answer was lost (the
        // CalDAV/CardDAV server stored it, the connection or this object went away) is repeated by the device
        // with the same ClientId, and the store finds the first object by the UID it derives from addKey.
        const addKey = [req.deviceId, c.collectionId, series, a.clientId].join("\n");
        itemId = await src.add(folder.id, { ...a, addKey }, req.user ?? "");
      } catch (e) {
        if (isStoreError(e, "StoreUnavailableError")) throw e;
        responses.adds.push({ clientId: a.clientId, status: SyncStatus.ConversionError });
        continue;
      }
      // Remembered at once, not with the rest of the state: a retry after a crash here still finds it.
      this.state.rememberClientId(req.deviceId, c.collectionId, a.clientId, itemId);
      const s = await src.stamp(folder.id, itemId);
      if (s) image.hold(s);
      const attachments = s && a.attachments?.add.length ? src.addedAttachments?.(s, a) : undefined;
      const conversationId = s ? src.addedConversationId?.(s) : undefined;
      // Added with email2:Send: sent as a draft Change with Send would be; the device then gets its Delete.
      // Refused by the outbox, it stays a draft.
      if (s && a.send) await src.applyChange(s, { serverId: serverIdOf(folder.id, itemId), send: true, device: a.device });
      responses.adds.push({
        clientId: a.clientId,
        serverId: serverIdOf(folder.id, itemId),
        status: SyncStatus.Success,
        ...(attachments?.length ? { attachments } : {}),
        ...(conversationId ? { conversationId } : {}),
      });
    }

    for (const serverId of c.fetches) {
      const itemId = itemIn(serverId);
      const s = itemId ? await src.stamp(folder.id, itemId) : null;
      const item = s ? await fenced(folder.id, s.itemId, () => src.render(s, itemOptions)) : null;
      if (!s) responses.fetches.push({ serverId, status: SyncStatus.NotFound });
      else if (!item) responses.fetches.push({ serverId, status: SyncStatus.ConversionError });
      else responses.fetches.push({ serverId, status: SyncStatus.Success, item });
    }
    return { responses, clientDeletes };
  }
}

/** Rough size of an item in the response, for the byte budget. */
function estimateBytes(item: ItemPayload): number {
  if ("data" in item) return JSON.stringify(item.data).length;
  const data = item.mail.body?.data;
  return 256 + (data === undefined ? 0 : typeof data === "string" ? data.length : data.byteLength);
}
