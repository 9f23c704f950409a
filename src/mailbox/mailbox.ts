import { DurableObject } from "cloudflare:workers";
import { BuiltinStore } from "../store/builtin";
import type { StoreFolder } from "../store/types";
import { AlarmMux } from "./alarms";
import { blobPrefix, type Delivered, deliverInto } from "./delivery";
import type { OutboxEntry } from "./outbox";
import { OUTBOX_ALARM, Sending } from "./sending";
import type { SubmitRequest, SubmitResult } from "./submit";

/** One Durable Object per mailbox: devices, sync state, waits. */
export class Mailbox extends DurableObject<Env> {
  readonly store: BuiltinStore;
  readonly alarms: AlarmMux;
  readonly sending: Sending;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new BuiltinStore(ctx.storage, env.BLOBS, blobPrefix(ctx));
    this.alarms = new AlarmMux(ctx.storage);
    this.sending = new Sending({
      storage: ctx.storage,
      env,
      store: this.store,
      alarms: this.alarms,
      deliver: (raw) => this.deliver(raw),
      changed: (ids, origin) => this.changed(ids, origin),
    });
    void ctx.blockConcurrencyWhile(() => this.sending.recover());
  }

  /** The single storage alarm, shared by modules through AlarmMux (one slot each). */
  async alarm(): Promise<void> {
    await this.alarms.run({ [OUTBOX_ALARM]: (now) => this.sending.runDue(now) });
  }

  /** SendMail / SmartReply / SmartForward: accepted into the durable outbox, or a ComposeMail status. */
  async submitMail(req: SubmitRequest): Promise<SubmitResult> {
    return this.sending.submit(req);
  }

  /** A message the service sends from this mailbox (notices); recipients from its headers. */
  async queueOutgoing(raw: Uint8Array, opts: { from?: string } = {}): Promise<number> {
    return this.sending.queue(raw, opts);
  }

  /** Messages still waiting in the outbox, per recipient (admin view). */
  async outboxStatus(): Promise<OutboxEntry[]> {
    return this.sending.outbox.list();
  }

  /** Retries every waiting message now (admin "retry now"). */
  async flushOutbox(): Promise<OutboxEntry[]> {
    await this.sending.flush();
    return this.sending.outbox.list();
  }

  async health(): Promise<{ ok: true }> {
    return { ok: true };
  }

  /**
   * New mail (Email Routing, admin import): into the Inbox unless another default folder type is given.
   * `received` (ms since epoch) sets the arrival time for imports (IMAP APPEND's date); default now.
   */
  async deliver(raw: Uint8Array, folderType?: number, received?: number): Promise<Delivered> {
    const delivered = await deliverInto(this.store, raw, folderType, received);
    await this.changed([delivered.folderId], "delivery");
    return delivered;
  }

  /** Admin import: like deliver, but the message keeps its Date header as arrival time (not in the future). */
  async importMessage(raw: Uint8Array, folderType?: number): Promise<Delivered> {
    const delivered = await deliverInto(this.store, raw, folderType, "date-header");
    await this.changed([delivered.folderId], "import");
    return delivered;
  }

  async listFolders(): Promise<StoreFolder[]> {
    return this.store.listFolders();
  }

  /**
   * Called after every store change that did not come from a device's own Sync (delivery, import, …).
   * Seam for the push helper: wakes the Pings and hanging Syncs watching these folders.
   * `origin` names the source (e.g. "delivery", or a device id whose own change must not wake itself).
   */
  async changed(folderIds: string[], origin?: string): Promise<void> {
    void folderIds;
    void origin;
  }
}
