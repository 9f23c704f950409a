// Wires outgoing mail into the mailbox object: its outbox, the relay settings from env, local delivery
// to other mailbox objects, and the alarm slot "outbox".
import { FolderType, type MailStore } from "../store/types";
import type { AlarmMux } from "./alarms";
import { defaultFolder } from "./delivery";
import { AccountsDirectory } from "./directory";
import { Outbox } from "./outbox";
import { flattenAddresses, parseMime, prepareOutgoing } from "./outgoing";
import { type SmtpConfig, smtpConfigFromEnv } from "./smtp-client";
import type { RecipientAccounts, SubmitRequest, SubmitResult } from "./contract";
import { DEFAULT_MAX_SEND_BYTES, DEFAULT_RECIPIENTS_PER_DAY, submitMessage } from "./submit";

export const OUTBOX_ALARM = "outbox";

export interface SendingHost {
  storage: DurableObjectStorage;
  env: Env;
  /** Which recipients are this service's own mailboxes (delivered locally, not relayed). */
  accounts: RecipientAccounts;
  /** Read at each use: the store changes when the backend does. */
  readonly store: MailStore;
  alarms: AlarmMux;
  /** Into this mailbox's Inbox, once per delivery id (Mailbox.deliverOnce). */
  deliver(raw: Uint8Array, deliveryId: string): Promise<unknown>;
  /** The relay for this mailbox (a bridged one submits through its provider); default SMTP_* from env. */
  relay?: () => SmtpConfig | null | "no-login";
  /** Every recipient goes to the relay (a bridged mailbox: the provider delivers, oneself included). */
  relayAll?: () => boolean;
  changed(folderIds: string[], origin?: string): Promise<void>;
  /** Whether mail from this envelope sender may leave now (the subscription: Outbox `gate`). */
  sendGate?: (envelopeFrom: string) => "send" | "hold" | "bounce";
}

export class Sending {
  readonly outbox: Outbox;
  private running: Promise<number | null> | null = null;

  constructor(private readonly host: SendingHost) {
    const env = host.env;
    this.outbox = new Outbox({
      storage: host.storage,
      directory: new AccountsDirectory(host.accounts, env),
      smtp: host.relay ?? (() => smtpConfigFromEnv(env as unknown as Record<string, unknown>)),
      relayAll: host.relayAll,
      deliverSelf: async (raw, deliveryId) => {
        await host.deliver(raw, deliveryId);
      },
      deliverLocal: async (address, raw, deliveryId) => {
        await env.MAILBOX.getByName(address).deliverOnce(raw, deliveryId);
      },
      saveSent: async (raw, saved) => {
        const sent = await defaultFolder(host.store, FolderType.SentItems);
        if (!sent) return saved();
        // A retry (the request's own save failed or was not noted): an IMAP APPEND whose answer was lost may
        // have stored the copy already; importMessage stores a Message-ID once per folder on every backend.
        await host.store.importMessage(sent.id, raw, { seen: true });
        saved();
        await host.changed([sent.id], "send");
      },
      gate: host.sendGate,
      maxAttempts: Number(env.OUTBOX_MAX_ATTEMPTS || 20),
      maxAgeMs: Number(env.OUTBOX_MAX_AGE_HOURS || 48) * 3_600_000,
      reportingMta: env.SMTP_HELO || "mobile-sync.localhost",
    });
  }

  /**
   * On start: a message written to the outbox by a request that died before it woke the alarm still
   * gets an alarm, so an accepted message never waits for the next request to move.
   */
  async recover(seen?: { outboxDue: number | null; alarmDue: number | null }): Promise<void> {
    const due = seen ? seen.outboxDue : this.outbox.nextDue();
    if (due !== null) await this.host.alarms.schedule(OUTBOX_ALARM, due);
    // Nothing due anywhere (the usual start: a woken mailbox that sends nothing): no alarm to set. One left set
    // by a run cut short between its DELETE and deleteAlarm fires once, finds nothing due, and is cleared then.
    else if (!seen || seen.alarmDue !== null) await this.host.alarms.arm();
  }

  submit(req: SubmitRequest): Promise<SubmitResult> {
    return submitMessage(
      {
        store: this.host.store,
        outbox: this.outbox,
        maxBytes: Number(this.host.env.MAX_SEND_BYTES || DEFAULT_MAX_SEND_BYTES),
        recipientsPerDay: Number(this.host.env.SEND_QUOTA_PER_DAY || DEFAULT_RECIPIENTS_PER_DAY),
        wake: () => this.host.alarms.schedule(OUTBOX_ALARM, Date.now()),
        changed: (ids) => this.host.changed(ids, "send"),
      },
      req,
    );
  }

  /**
   * A message the service itself sends (notices from subscriptions): recipients from its headers,
   * envelope sender `from` ("" = null sender, no bounce report). Never saved in Sent Items.
   */
  async queue(raw: Uint8Array, opts: { from?: string } = {}): Promise<number> {
    const email = await parseMime(raw);
    const author = flattenAddresses(email.from)[0];
    const from = opts.from ?? author?.address ?? "";
    const prepared = await prepareOutgoing(raw, { address: author?.address ?? (from || "mailer-daemon@localhost"), name: author?.name });
    const id = this.outbox.enqueue({ from, recipients: prepared.recipients, raw: prepared.transmit });
    await this.host.alarms.schedule(OUTBOX_ALARM, Date.now());
    return id;
  }

  /** One delivery pass now (admin "retry now"); never two passes at once. */
  async flush(): Promise<void> {
    this.outbox.makeAllDue();
    await this.runDue();
    await this.host.alarms.schedule(OUTBOX_ALARM, this.outbox.nextDue(), { replace: true });
  }

  /** The subscription changed: held mail is due now (sent on resumption, bounced once it has ended). */
  async subscriptionChanged(): Promise<void> {
    this.outbox.makeAllDue();
    await this.host.alarms.schedule(OUTBOX_ALARM, Date.now());
  }

  /** The alarm slot's handler. */
  runDue(now = Date.now()): Promise<number | null> {
    if (!this.running) {
      this.running = this.outbox.run(now).finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }
}
