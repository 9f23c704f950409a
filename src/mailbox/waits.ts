// Waiting requests (Ping, hanging Sync) seen from the mailbox object.
//
// The Worker holds the device's HTTP request and one hibernatable WebSocket to this object
// (platform notes §1). The object keeps no request, promise or timer: between events it can hibernate
// and be evicted; the sockets survive eviction and `ctx.getWebSockets()` finds them again in the next
// instance. What each device waits for lives in SQLite (`push_wait`), so it survives eviction too.
// One socket per device (newest wins), tagged `d:<deviceId>`: sockets per object stay small.
import { WAIT_HEADER, type WaitMessage, type WaitRequest } from "./contract";
import { isStoreError } from "../store/types";
import { createIfMissing } from "../store/ddl";

/** What the rest of the mailbox object knows about a device's sync state (the sync engine answers, on the Mailbox). */
export interface WaitOracle {
  /** Collections among `collectionIds` with changes the device has not received, inside its FilterType window. */
  pendingChanges(deviceId: string, collectionIds: string[]): Promise<string[]>;
  /** True when the folder hierarchy changed since the device's last FolderSync. */
  hierarchyOutdated(deviceId: string): Promise<boolean>;
}

interface Attachment {
  /** device id */
  d: string;
  /** wait id (row in push_wait) */
  w: string;
}

const deviceTag = (deviceId: string) => `d:${deviceId}`;

export class Waits {
  /**
   * Waits whose row this instance deleted when it answered them, until their socket's close event (which the
   * Worker's close after each answer brings): a few per device at most. A new instance starts empty and deletes
   * by key, which is then a no-op.
   */
  private readonly answered = new Set<string>();

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly oracle: WaitOracle,
  ) {
    // WITHOUT ROWID (issue 15 target 3): the text key is the table's own b-tree, not a second one beside it (one schema
    // object less at each start of the object); tables made before keep their rowid and index.
    createIfMissing(
      ctx.storage.sql,
      `CREATE TABLE IF NOT EXISTS push_wait (
         device_id TEXT PRIMARY KEY, wait_id TEXT NOT NULL, kind TEXT NOT NULL,
         folders TEXT NOT NULL, since INTEGER NOT NULL) WITHOUT ROWID`,
    );
  }

  /**
   * Worker → object: `Upgrade: websocket` with the wait in the `X-Mobile-Sync-Wait` header (JSON WaitRequest).
   * Answers 101 with the client end, or 200 with a WaitMessage as JSON when the wait ends at once
   * (changes already pending, hierarchy out of date).
   */
  async accept(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return new Response("expected websocket", { status: 426 });
    let wait: WaitRequest;
    try {
      wait = parseWaitRequest(request.headers.get(WAIT_HEADER));
    } catch {
      return new Response("bad wait", { status: 400 });
    }
    // Newest wins: the device's older wait (Ping or hanging Sync) ends now.
    for (const ws of this.ctx.getWebSockets(deviceTag(wait.deviceId))) this.finish(ws, { t: "superseded" });

    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const waitId = crypto.randomUUID();
    // Register before checking, so a change that lands while we check cannot be missed.
    this.ctx.acceptWebSocket(server, [deviceTag(wait.deviceId)]);
    server.serializeAttachment({ d: wait.deviceId, w: waitId } satisfies Attachment);
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO push_wait (device_id, wait_id, kind, folders, since) VALUES (?, ?, ?, ?, ?)",
      wait.deviceId,
      waitId,
      wait.kind,
      JSON.stringify(wait.folders),
      Date.now(),
    );

    const immediate = await this.evaluate(wait.deviceId, wait.folders, wait.folders, true);
    if (immediate) {
      this.finish(server, immediate, false);
      return Response.json(immediate);
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * A store change (delivery, import, webhook, another device's Sync). Wakes the waits that watch one of
   * `folderIds` and really have something to fetch; `origin` (the device whose Sync made the change) is
   * not woken. Returns how many waits were answered.
   */
  async changed(folderIds: string[], origin?: string): Promise<number> {
    let woken = 0;
    const changed = new Set(folderIds);
    for (const ws of this.ctx.getWebSockets()) {
      const att = attachmentOf(ws);
      if (!att || att.d === origin) continue;
      const row = this.row(att);
      if (!row) continue;
      const touched = row.folders.filter((f) => changed.has(f));
      const msg = await this.evaluate(att.d, row.folders, touched, false);
      if (msg && this.finish(ws, msg)) woken++;
    }
    return woken;
  }

  /**
   * The folder hierarchy may have changed (folder created, renamed, moved, deleted): every wait but
   * `origin`'s whose device now needs a FolderSync gets Status 7 (Sync: 12).
   */
  async hierarchyChanged(origin?: string): Promise<number> {
    let woken = 0;
    for (const ws of this.ctx.getWebSockets()) {
      const att = attachmentOf(ws);
      if (!att || att.d === origin) continue;
      if (!(await this.oracle.hierarchyOutdated(att.d).catch(outdatedIfUnreachable))) continue;
      if (this.finish(ws, { t: "hierarchy" })) woken++;
    }
    return woken;
  }

  /**
   * Looks again at every waiting device's folders (a bridged mailbox polled while devices wait) and
   * answers those with changes. A store that cannot be read now wakes nobody: polling is no announcement.
   */
  async recheck(): Promise<number> {
    let woken = 0;
    for (const ws of this.ctx.getWebSockets()) {
      const att = attachmentOf(ws);
      const row = att ? this.row(att) : null;
      if (!att || !row) continue;
      const msg = await this.evaluate(att.d, row.folders, row.folders, false, false);
      if (msg && this.finish(ws, msg)) woken++;
    }
    return woken;
  }

  /** Ends every waiting request of the mailbox at once (suspension, account deletion). */
  endAll(reason: string): number {
    let ended = 0;
    for (const ws of this.ctx.getWebSockets()) if (this.finish(ws, { t: "ended", reason })) ended++;
    return ended;
  }

  /** Number of open wait sockets (for tests and stats). */
  count(): number {
    return this.ctx.getWebSockets().length;
  }

  /**
   * The Worker went away (timeout, device hung up) or the socket broke: forget the wait. A wait this instance
   * answered (`finish`) has no row left: the Worker's close that follows every answer runs no statement.
   */
  closed(ws: WebSocket): void {
    const att = attachmentOf(ws);
    if (att && !this.answered.delete(att.w))
      this.ctx.storage.sql.exec("DELETE FROM push_wait WHERE device_id = ? AND wait_id = ?", att.d, att.w);
    try {
      ws.close(1000, "closed");
    } catch {
      // already closed
    }
  }

  /**
   * What a wait on `watched` should answer now, or null to keep waiting. `touched` are the watched folders
   * the triggering change concerns (all of them for the check before waiting).
   */
  private async evaluate(
    deviceId: string,
    watched: string[],
    touched: string[],
    beforeWait: boolean,
    announced = !beforeWait,
  ): Promise<WaitMessage | null> {
    // A hierarchy that changed while the device waits is announced through hierarchyChanged (folder
    // operations, webhook); checked here only before the wait starts, so item changes stay cheap.
    if (beforeWait && (await this.oracle.hierarchyOutdated(deviceId).catch(keepWaitingIfUnreachable))) return { t: "hierarchy" };
    if (touched.length === 0) return null;
    // Report every watched folder with something to fetch, not only the one that changed now.
    let pending: string[];
    try {
      pending = await this.oracle.pendingChanges(deviceId, watched);
    } catch (e) {
      // A bridged mailbox's store cannot be read now (no login in memory: the object was evicted while
      // the phone waits, the usual case; or the server is down). A change was announced for `touched`:
      // wake for those folders only rather than fail; before the wait, or when polling, nothing was announced.
      if (!unreachable(e)) throw e;
      pending = announced ? touched : [];
    }
    return pending.length > 0 ? { t: "changes", folders: pending } : null;
  }

  private row(att: Attachment): { folders: string[] } | null {
    const rows = this.ctx.storage.sql
      .exec<{ folders: string }>("SELECT folders FROM push_wait WHERE device_id = ? AND wait_id = ?", att.d, att.w)
      .toArray();
    return rows.length ? { folders: JSON.parse(rows[0].folders) as string[] } : null;
  }

  /** Sends the answer and closes; false when the socket was already gone. */
  private finish(ws: WebSocket, msg: WaitMessage, send = true): boolean {
    const att = attachmentOf(ws);
    let ok = true;
    try {
      if (send) ws.send(JSON.stringify({ ...msg, at: Date.now() }));
      ws.close(1000, msg.t);
    } catch {
      ok = false;
    }
    if (att) {
      this.ctx.storage.sql.exec("DELETE FROM push_wait WHERE device_id = ? AND wait_id = ?", att.d, att.w);
      this.answered.add(att.w);
    }
    return ok;
  }
}

/** The store behind the oracle cannot answer now (StoreUnavailableError, StoreAuthError; names survive RPC). */
function unreachable(e: unknown): boolean {
  return isStoreError(e, "StoreUnavailableError") || isStoreError(e, "StoreAuthError");
}

function outdatedIfUnreachable(e: unknown): boolean {
  if (unreachable(e)) return true;
  throw e;
}

function keepWaitingIfUnreachable(e: unknown): boolean {
  if (unreachable(e)) return false;
  throw e;
}

function attachmentOf(ws: WebSocket): Attachment | null {
  try {
    return (ws.deserializeAttachment() as Attachment | null) ?? null;
  } catch {
    return null;
  }
}

export function parseWaitRequest(header: string | null): WaitRequest {
  const v = JSON.parse(header ?? "") as Partial<WaitRequest>;
  if (typeof v.deviceId !== "string" || !v.deviceId) throw new Error("deviceId");
  if (v.kind !== "ping" && v.kind !== "sync") throw new Error("kind");
  if (!Array.isArray(v.folders) || !v.folders.every((f) => typeof f === "string")) throw new Error("folders");
  return { deviceId: v.deviceId, kind: v.kind, folders: v.folders };
}
