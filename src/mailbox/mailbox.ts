import { DurableObject } from "cloudflare:workers";
import type { Policy } from "../eas/policy";
import { quarantineNotice } from "./device-notice";
import { DeviceRegistry, type DeviceSeen } from "./devices";
import { TraceSessions } from "./traces";
import { upgradeSchema } from "./schema-version";
import { forgetSchema } from "../store/ddl";
import { OofStore } from "./oof";
import { autoReplyFor } from "./oof-reply";
import { alarmEarliest, AlarmMux } from "./alarms";
import { blobPrefix, type Delivered, deleteR2Prefix, deliverInto, importInto, tracePrefix } from "./delivery";
import { hasOutbox, outboxNextDue, type OutboxEntry } from "./outbox";
import { OUTBOX_ALARM, Sending } from "./sending";
import type { ImportOutcome, SubmitRequest, SubmitResult } from "./contract";
import { FolderType, isSearchable, type MailStore, type StoreFolder } from "../store/types";
import type { SyncRequest, SyncResult } from "../eas/sync-types";
import { renderSyncResult } from "../eas/sync-render";
import { PimConversionError } from "../formats/errors";
import type { PimStore } from "../store/pim-types";
import { exportCollection, importCollection, type PimCollection } from "./pim-collections";
import { DeviceZones } from "./pim-device-zones";
import { PimSource, type PimSettings } from "./pim-source";
import { Invitations, type MeetingAnswerRequest, type MeetingAnswerResult, type QueuedReply } from "./invitations";
import type { FolderOpResult, FolderSyncResult } from "./folder-sync";
import { SyncService } from "./sync-service";
import type { CachedSyncRequest } from "./sync-state";
import { NotifyNonces } from "./notify-nonces";
import { PingParams, type PingPlan } from "./ping-params";
import { SubscriptionStateStore } from "./subscription-state";

/** Subscription states after which nothing of the owner's is ever sent: queued mail is bounced. */
const ENDED = new Set<MailboxSubscriptionStatus>(["expired", "withdrawn", "cancelled", "terminated"]);
import { Waits, type WaitOracle } from "./waits";
import { BackendConfigStore } from "./backend";
import { buildStores, changeBackend, type MailboxStores } from "./stores";
import { folderIdsForName } from "./folder-names";
import { bridgeFolderIds, relayFor } from "./bridge";
import { DeliveryLog } from "./delivery-log";
import { BridgePush, safetyPollSeconds } from "./bridge-push";
import { logError, logEvent } from "../observability/log";
import { metrics, writePoint, type MetricsSink } from "../observability/metrics";
import { searchMailbox } from "./search";
import { applyConversationRule, applyRulesToNewMail, ConversationMoveStatus, ConversationRules, moveConversation } from "./conversations";
import { calendarFreeBusy } from "./free-busy";
import { findContacts } from "./contact-search";
import type {
  AccessRule,
  AccessState,
  BackendCredentials,
  BridgeBackend,
  DeviceGateState,
  DeviceInformation,
  EstimateRequest,
  EstimateResult,
  FetchRequest,
  FetchResult,
  GatedCall,
  GatedResult,
  GlobalAccess,
  MailboxSearchRequest,
  MailboxSearchResult,
  MailboxSubscriptionState,
  MoveRequest,
  MoveResult,
  OofSettings,
  PingBounds,
  PingInput,
  ProvisionInput,
  MailboxSubscriptionStatus,
  RecipientAccounts,
  TraceEntry,
} from "./contract";
import { CHAOS_RESET_REASON, deviceGatesPass, servesDevices } from "./contract";
import { forgetDeviceSyncState } from "./sync-state";

/**
 * One Durable Object per mailbox: devices, sync state, waits. The class the runtime constructs is src/index.ts's,
 * which hands this one the account lookup of the Worker side (`accounts`, D1): the object never queries D1.
 */
export class Mailbox extends DurableObject<Env> {
  alarms!: AlarmMux;
  sending!: Sending;

  private waits!: Waits;
  private pingCache?: PingParams;
  private nonces?: NotifyNonces;
  #subscription?: SubscriptionStateStore;
  #stores?: MailboxStores;

  /** The Worker side's account lookup (D1), handed in by the exported subclass; kept for #build. */
  #accounts!: RecipientAccounts;

  constructor(ctx: DurableObjectState, env: Env, accounts: RecipientAccounts) {
    super(ctx, env);
    // One line per construction: the push benchmark counts evictions with it (PUSH_TRACE=1 only).
    if (env.PUSH_TRACE === "1") logEvent("push", { event: `[push] mailbox-constructed ${ctx.id.toString()}` });
    // Before any module opens its tables: an object written by older code upgrades once (schema-version.ts).
    upgradeSchema(ctx.storage);
    this.#accounts = accounts;
    this.#build();
    void ctx.blockConcurrencyWhile(async () => {
      // What a start may have to resume, in one read: the outbox's next attempt, the modules' timers, iMIP
      // replies not yet handed to the outbox. Most starts (a delivery, a Ping) find nothing and do nothing more;
      // a mailbox that never sent, set a timer nor answered a meeting has none of those tables: no read at all.
      const sql = ctx.storage.sql;
      const parts = [outboxNextDue(sql), alarmEarliest(sql), Invitations.queued(sql)];
      const w = parts.every((p) => p === "NULL" || p === "0")
        ? { outbox: null, alarm: null, replies: 0 }
        : sql
            .exec<{ outbox: number | null; alarm: number | null; replies: number }>(
              `SELECT ${parts[0]} AS outbox, ${parts[1]} AS alarm, ${parts[2]} AS replies`,
            )
            .one();
      await this.sending.recover({ outboxDue: w.outbox, alarmDue: w.alarm });
      if (w.replies) await this.sendMeetingReplies();
    });
  }

  /** The modules over this object's storage; built again (empty) after `eraseEverything`. */
  #build(): void {
    const ctx = this.ctx;
    const env = this.env;
    const stores = () => this.stores;
    this.pingCache = undefined;
    this.nonces = undefined;
    this.#subscription = undefined;
    this.#stores = undefined;
    this.#deviceRegistry = undefined;
    this.#oofStore = undefined;
    this.#traceSessions = undefined;
    this.#backendConfig = undefined;
    this.#invitations = undefined;
    this.#conversationRules = undefined;
    this.syncService = undefined;
    this.credentials = undefined;
    this.waits = new Waits(ctx, this.waitOracle());
    this.alarms = new AlarmMux(ctx.storage);
    this.sending = new Sending({
      storage: ctx.storage,
      env,
      accounts: this.#accounts,
      get store() {
        return stores().mail;
      },
      relay: () => relayFor(this.backendConfig.get(), this.credentials, env),
      relayAll: () => this.stores.bridge !== null,
      alarms: this.alarms,
      deliver: (raw, id) => this.deliverOnce(raw, id),
      changed: async (ids, origin) => {
        await this.changed(ids, origin);
      },
      sendGate: (from) => this.sendGate(from),
    });
  }

  /** The single storage alarm, shared by modules through AlarmMux (one slot each). */
  async alarm(): Promise<void> {
    await this.alarms.run({ [OUTBOX_ALARM]: (now) => this.sending.runDue(now) });
    this.#reportOutbox();
  }

  /** Outbox length and oldest message's age after each run (metrics: per object, no address). */
  #reportOutbox(): void {
    const row = hasOutbox(this.ctx.storage.sql)
      ? this.ctx.storage.sql.exec<{ n: number; oldest: number | null }>("SELECT count(*) AS n, min(created) AS oldest FROM outbox").one()
      : { n: 0, oldest: null };
    const ageS = row.oldest == null ? 0 : Math.round((Date.now() - Number(row.oldest)) / 1000);
    const object = this.ctx.id.toString().slice(0, 16);
    metrics.gauge("outbox_length", { object }, Number(row.n));
    metrics.gauge("outbox_oldest_s", { object }, ageS);
    writePoint(this.env as { METRICS?: MetricsSink }, "outbox", [object], [Number(row.n), ageS]);
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

  // ---- Devices, provisioning, access, out-of-office (logic in devices.ts, oof.ts) ----
  #deviceRegistry?: DeviceRegistry;
  #oofStore?: OofStore;
  get #devices() {
    return (this.#deviceRegistry ??= new DeviceRegistry(this.ctx.storage.sql));
  }
  get #oof() {
    return (this.#oofStore ??= new OofStore(this.ctx.storage.sql));
  }
  async touchDevice(seen: DeviceSeen, global?: GlobalAccess) {
    const state: DeviceGateState = this.#devices.touch(seen, global);
    const trace = this.#traces.directive(seen.deviceId);
    if (trace) state.trace = trace;
    state.subscription = await this.getSubscriptionState();
    const mailbox = this.ctx.id.name;
    if (state.quarantineNotice && mailbox) await this.deliver(quarantineNotice({ mailbox, ...seen, now: new Date() }));
    return state;
  }
  provision(deviceId: string, input: ProvisionInput) {
    return this.#devices.provision(deviceId, input);
  }
  setDeviceInformation(deviceId: string, info: DeviceInformation) {
    this.#devices.setDeviceInformation(deviceId, info);
  }
  recordDevicePassword(deviceId: string, password: string) {
    this.#devices.recordDevicePassword(deviceId, password);
  }
  deviceRecoveryPassword(deviceId: string) {
    return this.#devices.recoveryPassword(deviceId);
  }
  listDevices() {
    return this.#devices.list();
  }
  getDevice(deviceId: string) {
    return this.#devices.get(deviceId) ?? null;
  }
  requestWipe(deviceId: string, accountOnly: boolean) {
    return this.#devices.requestWipe(deviceId, accountOnly);
  }
  cancelWipe(deviceId: string) {
    return this.#devices.cancelWipe(deviceId);
  }
  removeDevice(deviceId: string) {
    return this.#devices.remove(deviceId);
  }
  /** Removes the partnerships of devices unseen for `olderThanMs`, with their sync state, Ping cache and zone. */
  removeStaleDevices(olderThanMs: number) {
    const deviceIds = this.ctx.storage.transactionSync(() => {
      const ids = this.#devices.removeStale(olderThanMs);
      this.pingCache ??= new PingParams(this.ctx.storage.sql);
      for (const id of ids) {
        forgetDeviceSyncState(this.ctx.storage.sql, id);
        this.pingCache.forget(id);
        this.zones.forget(id);
      }
      return ids;
    });
    return { removed: deviceIds.length, deviceIds };
  }
  getPolicy() {
    return this.#devices.settings.policy();
  }
  setPolicy(policy: Policy) {
    return this.#devices.settings.setPolicy(policy);
  }
  listAccessRules() {
    return { rules: this.#devices.rules(), defaultAccess: this.#devices.defaultAccess() ?? null };
  }
  addAccessRule(rule: Omit<AccessRule, "id" | "createdAt">) {
    return this.#devices.addRule(rule);
  }
  removeAccessRule(id: string) {
    return this.#devices.removeRule(id);
  }
  setDefaultAccess(access: AccessState | null) {
    this.#devices.setDefaultAccess(access);
  }
  getOof() {
    return this.#oof.get().settings;
  }
  setOof(settings: OofSettings) {
    this.#oof.set(settings);
  }

  // ---- Protocol traces for support (traces.ts) ----
  #traceSessions?: TraceSessions;
  get #traces() {
    return (this.#traceSessions ??= new TraceSessions(this.ctx.storage.sql, this.env.BLOBS, tracePrefix(this.ctx)));
  }
  /** Admin: trace one device (or "*", every device) for `minutes`; restarting resets the byte count. */
  startTrace(target: string, minutes: number, fullBodies: boolean, maxBytes: number) {
    return this.#traces.start(target, minutes, fullBodies, maxBytes);
  }
  stopTrace(target: string) {
    return this.#traces.stop(target) ?? null;
  }
  traceSessions() {
    return this.#traces.list();
  }
  /** Front door: one traced exchange (stored only while a session covers the device, within its cap). */
  appendTrace(entry: TraceEntry) {
    return this.#traces.append(entry);
  }
  traceFiles(deviceId?: string) {
    return this.#traces.files(deviceId);
  }
  readTraceFile(key: string) {
    return this.#traces.read(key);
  }

  // ---- Deleting the mailbox (issue 17 §6) ----
  /**
   * Erases everything this object holds: its waits end, its R2 objects (mail blobs and protocol traces) and its
   * whole storage (SQLite, alarm) are deleted, then the object resets so the next call starts from nothing.
   * The caller (src/service/mailbox-lifecycle.ts) deletes the D1 rows and writes the audit record.
   */
  async eraseEverything(): Promise<{ r2ObjectsDeleted: number }> {
    this.waits.endAll("mailbox deleted");
    let r2ObjectsDeleted = 0;
    for (const prefix of [blobPrefix(this.ctx), tracePrefix(this.ctx)])
      r2ObjectsDeleted += await deleteR2Prefix(this.env.BLOBS, `${prefix}/`);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    // Every in-memory module held tables that are gone: start again from an empty storage.
    forgetSchema(this.ctx.storage.sql);
    upgradeSchema(this.ctx.storage);
    this.#build();
    return { r2ObjectsDeleted };
  }

  // ---- Backend: built-in store or the provider's servers (backend.ts) ----
  #backendConfig?: BackendConfigStore;
  /** The account's verified login, memory only: handed over by the front door with each device request. */
  protected credentials?: BackendCredentials;
  private get backendConfig() {
    return (this.#backendConfig ??= new BackendConfigStore(this.ctx.storage.sql));
  }
  /**
   * Set by the admin API when a mailbox is created or re-pointed; null = built-in store. One object never
   * mixes stores: bridging a mailbox that holds built-in mail, PIM items or own folders is refused (export
   * and delete it first); pointing at other servers (or back to built-in) makes every device resynchronise.
   */
  async setBackend(backend: BridgeBackend | null): Promise<void> {
    const change = changeBackend(this.ctx.storage, this.backendConfig, backend);
    // Re-pointed (even to the same servers: a rebuilt Dovecot): push is registered again with the next login.
    this.bridgePush.forget();
    if (change === "same") return;
    this.#stores = undefined;
    this.syncService = undefined;
    this.#invitations = undefined;
    if (change === "moved") await this.waits.hierarchyChanged();
  }
  async getBackend(): Promise<BridgeBackend | null> {
    return this.backendConfig.get();
  }
  /**
   * Front door, before a bridged mailbox's command: the login it just verified against the IMAP server.
   * With it the object can turn on push from Dovecot (once) and send what waited for the login.
   */
  async useCredentials(credentials: BackendCredentials): Promise<void> {
    this.credentials = credentials;
    const backend = this.backendConfig.get();
    const bridge = this.stores.bridge;
    if (!backend || !bridge) return;
    await this.bridgePush.ensure(backend, bridge, credentials, this.owner());
    if (this.sending.outbox.loginArrived() > 0) await this.alarms.schedule(OUTBOX_ALARM, Date.now());
  }

  #bridgePush?: BridgePush;
  private get bridgePush(): BridgePush {
    return (this.#bridgePush ??= new BridgePush(this.ctx.storage.sql));
  }

  /**
   * The Worker holding a waiting Ping or hanging Sync of a bridged mailbox calls this with the device's login:
   * push "poll" every BRIDGE_POLL_SECONDS (re-reads the folders devices wait on, answers those with changes);
   * push "notify" at the start of the wait and every BRIDGE_SAFETY_POLL_SECONDS, where it re-reads only when
   * the server announced nothing for that long and no other wait polled meanwhile (bridge-push.ts), and
   * verifies the push registration when that finds mail nobody announced. Returns how many waits it answered.
   */
  async poll(credentials: BackendCredentials): Promise<number> {
    const backend = this.backendConfig.get();
    if (!backend) return 0;
    await this.useCredentials(credentials);
    if (backend.push !== "notify") return this.waits.recheck();
    if (!this.bridgePush.claimSafetyPoll(safetyPollSeconds(this.env) * 1000)) return 0;
    const answered = await this.waits.recheck();
    const bridge = this.stores.bridge;
    if (answered > 0 && bridge) await this.bridgePush.ensure(backend, bridge, credentials, this.owner(), true);
    return answered;
  }

  /**
   * Test-only (the chaos harness, src/admin/chaos-routes.ts): resets this object as the platform does when it
   * redeploys or evicts it mid-request. Refused unless the Worker runs with CHAOS_HOOKS = "enabled".
   */
  async chaosAbort(): Promise<boolean> {
    if ((this.env as unknown as { CHAOS_HOOKS?: string }).CHAOS_HOOKS !== "enabled") return false;
    this.ctx.abort(CHAOS_RESET_REASON);
    return true; // never reached: abort() throws
  }

  /** Pushed by src/service on every subscription change. */
  async setSubscriptionState(state: MailboxSubscriptionState): Promise<{ applied: boolean }> {
    const applied = (this.#subscription ??= new SubscriptionStateStore(this.ctx.storage.sql)).set(state);
    if (applied) await this.sending.subscriptionChanged();
    return { applied };
  }

  /**
   * Issue 13 §5: the owner's mail (sent, out-of-office, iMIP replies) leaves only while the subscription serves;
   * suspended it is held, ended it is bounced. Service notices (another envelope sender) always go.
   */
  private sendGate(envelopeFrom: string): "send" | "hold" | "bounce" {
    const owner = this.ctx.id.name?.toLowerCase();
    if (!owner || envelopeFrom.toLowerCase() !== owner) return "send";
    const state = (this.#subscription ??= new SubscriptionStateStore(this.ctx.storage.sql)).get();
    if (!state || servesDevices(state.status)) return "send";
    return ENDED.has(state.status) ? "bounce" : "hold";
  }

  /** Read by the subscription gate on the device path; null = no order yet (not gated). */
  async getSubscriptionState(): Promise<MailboxSubscriptionState | null> {
    return (this.#subscription ??= new SubscriptionStateStore(this.ctx.storage.sql)).get();
  }

  /**
   * New mail (Email Routing, admin import): into the Inbox unless another default folder type is given.
   * `received` (ms since epoch) sets the arrival time for imports (IMAP APPEND's date); default now.
   */
  async deliver(raw: Uint8Array, folderType?: number, received?: number): Promise<Delivered> {
    return this.#deliver(raw, folderType, received);
  }

  /**
   * A local delivery from a mailbox's outbox (or this one's: mail to oneself, reports), stored once per
   * `deliveryId` however often the sender tries again after losing the answer (delivery-log.ts).
   */
  async deliverOnce(raw: Uint8Array, deliveryId: string): Promise<Delivered> {
    const log = (this.#deliveryLog ??= new DeliveryLog(this.ctx.storage.sql));
    return log.get(deliveryId) ?? this.#deliver(raw, undefined, undefined, (d) => log.put(deliveryId, d));
  }
  #deliveryLog?: DeliveryLog;

  async #deliver(raw: Uint8Array, folderType?: number, received?: number, stored?: (d: Delivered) => void): Promise<Delivered> {
    const first = await deliverInto(this.store, raw, folderType, received);
    stored?.(first); // no I/O since the store's write: same implicit transaction
    // New mail of a conversation set to be always moved ([MS-ASCON] 3.2.5.3, conversations.ts) goes on to its folder.
    const delivered = folderType === undefined ? await applyConversationRule(this.store, this.conversationRules, first, Date.now()) : first;
    // An iMIP invitation, cancellation or reply also updates the calendar (issue 7 §3): best effort, after
    // the message is stored; whatever goes wrong there, the delivery stands (issue 13 §1).
    const calendar = await this.invitations.file(delivered.folderId, delivered.itemId).catch((e: unknown) => {
      this.invitations.refused(`${delivered.folderId}:${delivered.itemId}`, "", "?", `filing failed: ${String(e)}`);
      return null;
    });
    await this.changed(calendar ? [delivered.folderId, calendar] : [delivered.folderId], "delivery");
    // Out-of-office only for new mail into the Inbox, not for imports of old mail (which carry `received`).
    if (folderType === undefined && received === undefined) await this.#autoReply(raw);
    return delivered;
  }

  /** Out-of-office ([MS-ASCMD] Oof, decision in oof.ts): queued through the outbox; never fails a delivery. */
  async #autoReply(raw: Uint8Array): Promise<void> {
    const address = this.ctx.id.name;
    if (!address) return;
    try {
      const reply = await autoReplyFor(this.#oof, address, raw);
      if (reply) await this.sending.queue(new TextEncoder().encode(reply), { from: address });
    } catch (e) {
      logError("out-of-office reply", e);
    }
  }

  /** Admin import: like deliver, but the message keeps its Date header as arrival time (not in the future). */
  async importMessage(raw: Uint8Array, folderType?: number): Promise<Delivered> {
    const delivered = await deliverInto(this.store, raw, folderType, "date-header");
    await this.changed([delivered.folderId], "import");
    return delivered;
  }

  /**
   * Admin bulk import (issue 15): a batch of messages (contract.ts IMPORT_BATCH_*) into one default folder, one
   * transaction, one change notification; per-message outcomes. No out-of-office, no invitation filing: this is
   * old mail being moved in, not new mail arriving.
   */
  async importBatch(raws: Uint8Array[], folderType?: number): Promise<ImportOutcome[]> {
    const outcomes = await importInto(this.store, raws, folderType);
    const folders = new Set(outcomes.flatMap((o) => (o.status === "imported" ? [o.folderId] : [])));
    if (folders.size > 0) await this.changed([...folders], "import");
    return outcomes;
  }

  /** The stores of this object's backend (stores.ts), built once per instance and after each setBackend. */
  private get stores(): MailboxStores {
    return (this.#stores ??= buildStores(this.ctx, this.env, this.backendConfig.get(), () => this.credentials));
  }

  /** Mail: the built-in store, or the provider's IMAP server (+ DAV collections) when bridged. */
  get store(): MailStore {
    return this.stores.mail;
  }

  /** Calendars, address books, tasks and notes: built-in, or the provider's CalDAV/CardDAV server. */
  get pim(): PimStore {
    return this.stores.pim;
  }

  #invitations?: Invitations;
  private get invitations(): Invitations {
    return (this.#invitations ??= new Invitations(
      () => this.stores,
      this.ctx.storage,
      () => this.owner(),
    ));
  }

  /** The mailbox address: this object's name (getByName). */
  private owner(): string {
    return (this.ctx.id as { name?: string }).name ?? "";
  }

  /** MeetingResponse: the calendar is updated and one iMIP reply per request is queued for the outbox. */
  async meetingResponse(requests: MeetingAnswerRequest[]): Promise<MeetingAnswerResult[]> {
    const results = await this.invitations.answer(requests);
    const calendar = this.store.folderByType(FolderType.Calendar);
    if (calendar && results.some((r) => r.status === 1)) await this.changed([calendar.id], "meeting-response");
    await this.sendMeetingReplies();
    return results;
  }

  /** iMIP replies not yet handed to the outbox (a crash between answer and hand-over leaves them here). */
  async queuedMeetingReplies(): Promise<QueuedReply[]> {
    return this.invitations.queuedReplies();
  }

  private sendMeetingReplies(): Promise<number> {
    return this.invitations.flushReplies((r) => this.sending.queue(r.raw, { from: this.owner() }));
  }

  /** Admin export of a default PIM collection as one .ics or .vcf text. */
  async exportPim(kind: PimCollection): Promise<string> {
    return exportCollection(this.store, this.pim, kind);
  }

  /**
   * Admin import: replaces a default PIM collection. Bad input comes back as `{ error }` (an RPC error
   * would lose its class), never half-applied: the replace is one transaction.
   */
  async importPim(
    kind: PimCollection,
    text: string,
  ): Promise<{ added: number; updated: number; unchanged: number; deleted: number; skipped: number } | { error: string }> {
    try {
      const r = await importCollection(this.store, this.pim, kind, text);
      await this.changed([r.folderId], "import");
      return { added: r.added, updated: r.updated, unchanged: r.unchanged, deleted: r.deleted, skipped: r.skipped };
    } catch (e) {
      if (e instanceof PimConversionError) return { error: e.message };
      throw e;
    }
  }

  async listFolders(): Promise<StoreFolder[]> {
    return this.store.listFolders();
  }

  /**
   * Called after every store change that did not come from a device's own Sync (delivery, import, …),
   * and by the sync engine with origin = the device whose Sync made the change (that device is not woken).
   * Wakes the Pings and hanging Syncs watching these folders; returns how many were answered.
   */
  async changed(folderIds: string[], origin?: string): Promise<number> {
    return this.waits.changed(folderIds, origin);
  }

  /** A folder was created, renamed, moved or deleted: waiting devices get Ping Status 7 / Sync Status 12. */
  async hierarchyChanged(origin?: string): Promise<number> {
    return this.waits.hierarchyChanged(origin);
  }

  /** Ends every waiting request of this mailbox now (subscription suspended): each answers "no changes". */
  async endAllWaits(reason: string): Promise<number> {
    return this.waits.endAll(reason);
  }

  async waitCount(): Promise<number> {
    return this.waits.count();
  }

  /** Worker → object WebSocket for a waiting request (src/eas/front/wait.ts). */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/push/wait") return this.waits.accept(request);
    return new Response("not found", { status: 404 });
  }

  /** Ping parameters: merge with the device's cache, check bounds, check the folders still exist. */
  async preparePing(deviceId: string, input: PingInput, bounds: PingBounds): Promise<PingPlan> {
    const known = new Set((await this.store.listFolders()).map((f) => f.id));
    this.pingCache ??= new PingParams(this.ctx.storage.sql);
    return this.pingCache.plan(deviceId, input, bounds, known);
  }

  /**
   * Ping behind the device gates in one round trip (issue 15 target 3), as `gatedSync`: the request's touch, the
   * gates' decision, and the Ping's plan only when they all pass (a refused Ping caches none of its parameters).
   * A park then makes two round trips to this object (this, the wait's upgrade), not three.
   */
  async gatedPreparePing(call: GatedCall, deviceId: string, input: PingInput, bounds: PingBounds): Promise<GatedResult<PingPlan>> {
    const gate = await this.touchDevice(call.seen, call.global);
    if (!deviceGatesPass(gate, call.request)) return { gate, result: null };
    return { gate, result: await this.preparePing(deviceId, input, bounds) };
  }

  /** Replay protection for the notify webhook: false when this signature was already used. */
  async acceptNotifyNonce(nonce: string, timestamp: number, windowSeconds: number): Promise<boolean> {
    this.nonces ??= new NotifyNonces(this.ctx.storage.sql);
    return this.nonces.accept(nonce, timestamp, windowSeconds);
  }

  /** A change announced by the mail server (webhook); `folder` is an IMAP mailbox name or a folder id. */
  async externalChange(folder: string | undefined, event: string): Promise<number> {
    if (this.backendConfig.get()?.push === "notify") this.bridgePush.heard();
    if (event === "MailboxCreate" || event === "MailboxDelete" || event === "MailboxRename") return this.waits.hierarchyChanged();
    if (folder === undefined) return 0;
    const ids = await this.folderIdsFor(folder);
    return ids.length ? this.waits.changed(ids) : this.waits.hierarchyChanged(); // a folder we do not know: hierarchy out of date
  }

  /** A server mailbox name → folder ids; for a bridged mailbox from SQLite only (the push comes without a login). */
  private async folderIdsFor(name: string): Promise<string[]> {
    const bridge = this.stores.bridge;
    return bridge ? bridgeFolderIds(bridge, name) : folderIdsForName(await this.store.listFolders(), name);
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

  // ----- sync (FolderSync, Sync, GetItemEstimate, ItemOperations, MoveItems): logic in sync-service.ts -----

  private syncService?: SyncService;
  private deviceZones?: DeviceZones;
  private get zones(): DeviceZones {
    this.deviceZones ??= new DeviceZones(this.ctx.storage.sql);
    return this.deviceZones;
  }
  private get mail(): SyncService {
    if (!this.syncService) {
      this.syncService = new SyncService(this.ctx.storage, this.store, Date.now, async (raw) => {
        const sent = await this.sending.submit({ user: this.owner(), mime: raw, saveInSent: true });
        if (!sent.ok) console.warn(`draft send refused: ${sent.message}`);
        return sent.ok;
      });
      const settings = (): PimSettings => ({
        owner: this.owner(),
        defaultZone: (this.env as unknown as { DEFAULT_TIME_ZONE?: string }).DEFAULT_TIME_ZONE || "Etc/UTC",
      });
      for (const cls of ["Calendar", "Contacts", "Tasks", "Notes"] as const)
        this.syncService.register(cls, new PimSource(this.pim, cls, settings, this.zones));
    }
    return this.syncService;
  }

  /**
   * Sync behind the device gates in one round trip (issue 15): the request's touch (as `touchDevice`), the gates'
   * decision (contract.ts `deviceGatesPass`, the same functions the front door answers with), and the sync only
   * when they all pass. Refused, nothing of the request is applied; the front door answers from `gate`.
   */
  async gatedSync(call: GatedCall, req: SyncRequest): Promise<GatedResult<SyncResult>> {
    const gate = await this.touchDevice(call.seen, call.global);
    if (!deviceGatesPass(gate, call.request)) return { gate, result: null };
    return { gate, result: await this.sync(req) };
  }

  /**
   * A Sync: the engine's typed outcome rendered here for the request's protocol version (eas/sync-render.ts), so
   * the page crosses the RPC as WBXML bytes (issue 15).
   */
  async sync(req: SyncRequest): Promise<SyncResult> {
    await this.#bridgedConversationRules(req);
    const outcome = await this.mail.engine.sync(req);
    const touched = req.collections.filter((c) => c.changes.length + c.deletes.length + c.adds.length > 0).map((c) => c.collectionId);
    // Deletes land in Deleted Items (DeletesAsMoves): devices watching it have something new too.
    const trash = req.collections.some((c) => c.deletes.length > 0) ? this.store.folderByType(FolderType.DeletedItems)?.id : undefined;
    if (trash) touched.push(trash);
    if (touched.length > 0) await this.changed(touched, req.deviceId);
    return renderSyncResult(outcome, req.protocolVersion);
  }

  async folderSync(deviceId: string, syncKey: string): Promise<FolderSyncResult> {
    return this.mail.forDevice(deviceId, () => this.mail.folders.folderSync(deviceId, syncKey));
  }

  async folderCreate(deviceId: string, syncKey: string, parentId: string, name: string, type: number): Promise<FolderOpResult> {
    return this.folderOp(deviceId, () => this.mail.folders.folderCreate(deviceId, syncKey, parentId, name, type));
  }

  async folderUpdate(deviceId: string, syncKey: string, serverId: string, parentId: string, name: string): Promise<FolderOpResult> {
    return this.folderOp(deviceId, () => this.mail.folders.folderUpdate(deviceId, syncKey, serverId, parentId, name));
  }

  async folderDelete(deviceId: string, syncKey: string, serverId: string): Promise<FolderOpResult> {
    return this.folderOp(deviceId, () => this.mail.folders.folderDelete(deviceId, syncKey, serverId));
  }

  /** A device's folder change: the other devices' Pings and hanging Syncs learn the hierarchy changed. */
  private async folderOp(deviceId: string, op: () => Promise<FolderOpResult>): Promise<FolderOpResult> {
    const r = await this.mail.forDevice(deviceId, op);
    if (r.status === 1) await this.hierarchyChanged(deviceId);
    return r;
  }

  /** Push helper (WaitOracle): does the device need a FolderSync (Ping Status 7, Sync Status 12)? */
  async hierarchyOutdated(deviceId: string): Promise<boolean> {
    return this.mail.folders.hierarchyChanged(deviceId);
  }

  async getItemEstimate(deviceId: string, collections: EstimateRequest[]): Promise<EstimateResult[]> {
    return this.mail.forDevice(deviceId, () => this.mail.items.estimate(deviceId, collections));
  }

  async itemOperationsFetch(fetches: FetchRequest[]): Promise<FetchResult[]> {
    return this.mail.items.fetch(fetches);
  }

  /** Search Store=Mailbox: the store's own search (search.ts); a store that cannot search answers Status 3. */
  async search(req: MailboxSearchRequest): Promise<MailboxSearchResult> {
    return searchMailbox(this.store, req);
  }

  /**
   * This mailbox's availability for another user of its domain (ResolveRecipients): MergedFreeBusy digits,
   * one per 30 minutes of [start, end), from the default calendar; null without a calendar.
   */
  async freeBusy(start: number, end: number): Promise<string | null> {
    const zone = (this.env as unknown as { DEFAULT_TIME_ZONE?: string }).DEFAULT_TIME_ZONE || "Etc/UTC";
    return calendarFreeBusy(this.pim, start, end, zone);
  }

  /** ResolveRecipients: the user's own contacts matching `query` (one entry per address), at most `limit`. */
  async findContacts(query: string, limit: number) {
    return findContacts(this.pim, query, limit);
  }

  /** Rebuilds the store's search index from the stored mail (admin; a no-op where the server searches). */
  async rebuildSearchIndex(): Promise<{ rebuilt: boolean }> {
    const store = this.store;
    if (!isSearchable(store)) return { rebuilt: false };
    await store.rebuildSearchIndex();
    return { rebuilt: true };
  }

  /**
   * A bridged mailbox's MoveAlways rules meet the Inbox's new mail when a device syncs the Inbox (conversations.ts):
   * moved before the Sync reads the Inbox, so no device gets an Add there for a message that is going elsewhere.
   */
  async #bridgedConversationRules(req: SyncRequest): Promise<void> {
    if (!this.stores.bridge || !this.conversationRules.any()) return;
    const inbox = this.store.folderByType(FolderType.Inbox);
    if (!inbox || !req.collections.some((c) => c.collectionId === inbox.id)) return;
    const touched = await applyRulesToNewMail(this.store, this.conversationRules, inbox.id, Date.now());
    if (touched.length > 0) await this.changed(touched, req.deviceId);
  }

  /** "Always move" rules of conversations (ItemOperations Move with MoveAlways), in this object's SQLite. */
  get conversationRules(): ConversationRules {
    return (this.#conversationRules ??= new ConversationRules(this.ctx.storage.sql));
  }
  #conversationRules?: ConversationRules;

  /**
   * ItemOperations Move ([MS-ASCMD] 2.2.3.117.1, [MS-ASCON] 3.2.5.3): every message of the conversation (32 hex
   * digits) into `dstFldId`, and with `always` its future mail too (a rule). The devices learn of the moves by
   * Sync (Delete in the source, Add in the destination): all their waits on those folders are woken, the
   * asking device's too. Returns the Move's Status ([MS-ASCON] 2.2.2.10).
   */
  async moveConversation(deviceId: string, conversationId: string, dstFldId: string, always: boolean): Promise<number> {
    const { status, touched } = await this.mail.forDevice(deviceId, () => moveConversation(this.store, conversationId, dstFldId));
    if (status === ConversationMoveStatus.Success && always) {
      this.conversationRules.set(conversationId, dstFldId, Date.now());
      // A bridged Inbox's new mail is looked at from here on (applyRulesToNewMail).
      const inbox = this.stores.bridge ? this.store.folderByType(FolderType.Inbox) : null;
      if (inbox && !this.conversationRules.cursor(inbox.id)) {
        const st = await this.store.folderStatus(inbox.id);
        this.conversationRules.setCursor(inbox.id, st.validity, st.highestModseq);
      }
    }
    if (touched.length > 0) await this.changed(touched);
    return status;
  }

  async emptyFolderContents(deviceId: string, collectionId: string, deleteSubFolders: boolean): Promise<number> {
    const status = await this.mail.forDevice(deviceId, () => this.mail.items.emptyFolder(collectionId, deleteSubFolders));
    if (status === 1) await this.changed([collectionId], deviceId);
    return status;
  }

  async moveItems(deviceId: string, moves: MoveRequest[]): Promise<MoveResult[]> {
    const results = await this.mail.forDevice(deviceId, () => this.mail.items.move(deviceId, moves));
    const touched = moves.filter((_, i) => results[i].status === 3).flatMap((m) => [m.srcFldId, m.dstFldId]);
    if (touched.length > 0) await this.changed([...new Set(touched)], deviceId);
    return results;
  }

  /** Push helper (WaitOracle): the collections among `collectionIds` with changes the device has not received yet. */
  async pendingChanges(deviceId: string, collectionIds: string[]): Promise<string[]> {
    return this.mail.forDevice(deviceId, () => this.mail.items.pendingChanges(deviceId, collectionIds));
  }

  /** Push helper: the device's last Sync request (collections, WindowSize, Wait/HeartbeatInterval), or null. */
  async lastSyncRequest(deviceId: string): Promise<CachedSyncRequest | null> {
    return this.mail.engine.state.lastRequest(deviceId);
  }

  /** What the wait layer asks of the sync engine: FilterType-aware pending changes, and whether the hierarchy changed. */
  private waitOracle(): WaitOracle {
    return {
      pendingChanges: (deviceId, collectionIds) => this.pendingChanges(deviceId, collectionIds),
      hierarchyOutdated: (deviceId) => this.hierarchyOutdated(deviceId),
    };
  }
}
