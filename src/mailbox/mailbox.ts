import { DurableObject } from "cloudflare:workers";
import { PingParams, type PingBounds, type PingInput, type PingPlan } from "./ping-params";
import { Waits, type WaitOracle } from "./waits";
import { NotifyNonces } from "./notify-nonces";

/** One Durable Object per mailbox: devices, sync state, waits. */
export class Mailbox extends DurableObject<Env> {
  private readonly waits: Waits;
  private readonly pingParams: PingParams;
  private readonly notifyNonces: NotifyNonces;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // One line per construction: the push benchmark counts evictions with it (PUSH_TRACE=1 only).
    if (env.PUSH_TRACE === "1") console.log(`[push] mailbox-constructed ${ctx.id.toString()}`);
    this.waits = new Waits(ctx, this.waitOracle());
    this.pingParams = new PingParams(ctx.storage.sql);
    this.notifyNonces = new NotifyNonces(ctx.storage.sql);
  }

  async health(): Promise<{ ok: true }> {
    return { ok: true };
  }

  /** Worker → object WebSocket for a waiting request (src/eas/wait.ts). */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/push/wait") return this.waits.accept(request);
    return new Response("not found", { status: 404 });
  }

  /** Store hook: called after every change not made by a device's own Sync (origin = the device whose Sync made it). */
  async changed(folderIds: string[], origin?: string): Promise<number> {
    return this.waits.changed(folderIds, origin);
  }

  /** A folder was created, renamed, moved or deleted: waiting devices get Ping Status 7 / Sync Status 12. */
  async hierarchyChanged(origin?: string): Promise<number> {
    return this.waits.hierarchyChanged(origin);
  }

  /** Ends every waiting request of this mailbox now (subscription suspended). Returns how many ended. */
  async endAllWaits(reason: string): Promise<number> {
    return this.waits.endAll(reason);
  }

  async waitCount(): Promise<number> {
    return this.waits.count();
  }

  /** Ping parameters: merge with the device's cache, check bounds, check the folders still exist. */
  async preparePing(deviceId: string, input: PingInput, bounds: PingBounds): Promise<PingPlan> {
    const known = await this.waitOracle().folderIds?.();
    return this.pingParams.plan(deviceId, input, bounds, known ? new Set(known) : undefined);
  }

  /** Replay protection for the notify webhook: false when this signature was already used. */
  async acceptNotifyNonce(nonce: string, timestamp: number, windowSeconds: number): Promise<boolean> {
    return this.notifyNonces.accept(nonce, timestamp, windowSeconds);
  }

  /** A change announced by the mail server (webhook). `folder` is a folder id or a mailbox name. */
  async externalChange(folder: string | undefined, event: string): Promise<number> {
    const hierarchyEvents = new Set(["MailboxCreate", "MailboxDelete", "MailboxRename"]);
    if (hierarchyEvents.has(event)) return this.waits.hierarchyChanged();
    const ids = folder === undefined ? [] : ((await this.waitOracle().folderIdsByName?.(folder)) ?? [folder]);
    return this.waits.changed(ids);
  }

  async webSocketMessage(): Promise<void> {
    // The Worker never sends on a wait socket.
  }

  async webSocketClose(ws: WebSocket): Promise<void> {
    this.waits.closed(ws);
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    this.waits.closed(ws);
  }

  /**
   * What the wait layer asks of the sync engine and the store. The engine (branch sync) adds
   * `pendingChanges`; until then every change in a watched folder counts.
   */
  private waitOracle(): WaitOracle & { folderIds?(): Promise<string[]>; folderIdsByName?(name: string): Promise<string[]> } {
    const self = this as unknown as Record<string, unknown>;
    const bind = <T>(name: string) => (typeof self[name] === "function" ? ((self[name] as (...a: unknown[]) => unknown).bind(this) as T) : undefined);
    return {
      pendingChanges: bind("pendingChanges"),
      hierarchyOutdated: bind("hierarchyOutdated"),
    };
  }
}
