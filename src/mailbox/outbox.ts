// The durable outbox of one mailbox. A message is written here (with its ClientId) in one transaction
// before the device gets its answer, so an accepted message survives any restart; then the alarm
// delivers it: local recipients straight into their mailbox object, others through the SMTP relay,
// each recipient tracked on its own. Temporary failures retry with backoff; permanent ones (5xx,
// unknown local address, too many attempts) end in an RFC 3464 report in the sender's Inbox.
import { buildDsn, type FailedRecipient } from "./dsn";
import type { Directory } from "./directory";
import { editHeaders } from "./outgoing";
import { SmtpError, SmtpSession, type RecipientResult, type SmtpConfig } from "./smtp-client";
import { logError, logEvent } from "../observability/log";
import { metrics } from "../observability/metrics";
import { createIfMissing, hasTable } from "../store/ddl";

const CHUNK = 1 << 20; // SQLite values in a Durable Object stay below 2 MB
const BACKOFF_MIN = [1, 5, 15, 30, 60, 120, 240, 480];
const CLIENT_ID_DAYS = 30;
/** A message waiting for the account's login is looked at again this often anyway (its age still counts). */
const LOGIN_WAIT_MS = 60 * 60_000;
const NO_LOGIN = "4.7.0 waiting for the account's login (brought by the next device request)";

export interface OutboxDeps {
  storage: DurableObjectStorage;
  directory: Directory;
  /**
   * The relay for remote recipients; null: none configured; "no-login": a bridged mailbox's submission
   * server needs the account's login and none is in memory: the message waits, without using up an
   * attempt, until a device request brings the login (Outbox.loginArrived).
   */
  smtp: () => SmtpConfig | null | "no-login";
  /** Every recipient, oneself and this service's mailboxes included, goes to the relay (bridged mailbox). */
  relayAll?: () => boolean;
  /**
   * Delivers into this mailbox (Inbox): DSNs and mail to oneself. `deliveryId` is the same on every attempt
   * for one message and recipient: the recipient stores it once however often the answer is lost.
   */
  deliverSelf: (raw: Uint8Array, deliveryId: string) => Promise<void>;
  /** Delivers into another mailbox of this service, once per `deliveryId` (as deliverSelf). */
  deliverLocal: (address: string, raw: Uint8Array, deliveryId: string) => Promise<void>;
  /**
   * Saves the sender's copy in Sent Items, marked read, unless a copy with its Message-ID is there already,
   * and calls `saved` right after the store's write (no I/O between: the built-in store's write and the
   * outbox's note share one implicit transaction, so a crash cannot leave a copy the retry saves again). A
   * bridged mailbox's copy is an IMAP APPEND: a crash or a cut connection between the server storing it and
   * the note is caught by the Message-ID check on the server (MailStore.importMessage), so the retry saves
   * no second copy.
   */
  saveSent: (raw: Uint8Array, saved: () => void) => Promise<void>;
  maxAttempts: number;
  maxAgeMs: number;
  reportingMta: string;
  /**
   * Whether mail from `envelopeFrom` may leave now (issue 13 §5): "send"; "hold" while the subscription is
   * suspended (neither sent nor dropped, no attempt used, sent on resumption); "bounce" once it has ended.
   */
  gate?: (envelopeFrom: string) => "send" | "hold" | "bounce";
}

/** A held message is looked at again this often (resumption also makes it due at once). */
const HOLD_RECHECK_MS = 60 * 60_000;

export interface EnqueueInput {
  /** Envelope sender; "" = null sender (service notices): no report on failure. */
  from: string;
  recipients: string[];
  raw: Uint8Array;
  /** Bcc recipients, restored in the Sent Items copy if it has to be saved later by the alarm. */
  bcc?: string[];
  saveSent?: boolean;
  clientId?: string;
}

type OutboxRow = {
  id: number;
  created: number;
  envelope_from: string;
  attempts: number;
  next_attempt: number;
  save_sent: number;
  bcc: string;
};

/** State shared by the attempts of one delivery pass. */
interface Pass {
  relayDown: string | null;
  session: SmtpSession | null;
}

export interface OutboxEntry {
  id: number;
  created: number;
  from: string;
  attempts: number;
  nextAttempt: number;
  /**
   * Set when an attempt sent the final dot and its answer was never noted (the connection cut, the object
   * reset): the relay may have the message; the next attempt sends it again (SMTP cannot be asked).
   */
  inDoubtSince: number | null;
  recipients: { rcpt: string; state: string; lastError: string | null }[];
}

/** The outbox's tables, made by its first write (`Outbox.made`). */
const TABLES = [
  `CREATE TABLE IF NOT EXISTS outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      created INTEGER NOT NULL,
      envelope_from TEXT NOT NULL,
      size INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt INTEGER NOT NULL,
      save_sent INTEGER NOT NULL DEFAULT 0,
      bcc TEXT NOT NULL DEFAULT '')`,
  `CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt)`,
  `CREATE TABLE IF NOT EXISTS outbox_chunks (outbox_id INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (outbox_id, seq))`,
  `CREATE TABLE IF NOT EXISTS outbox_rcpt (
      outbox_id INTEGER NOT NULL,
      rcpt TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending',
      last_error TEXT,
      PRIMARY KEY (outbox_id, rcpt))`,
  // A message whose final dot went to the relay with no answer noted yet (SMTP's window, RFC 5321 §6.1).
  `CREATE TABLE IF NOT EXISTS outbox_in_doubt (outbox_id INTEGER PRIMARY KEY, since INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS sent_client_ids (client_id TEXT PRIMARY KEY, at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS send_log (at INTEGER NOT NULL, recipients INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS send_log_at ON send_log (at)`,
];

/**
 * When the outbox wants its next attempt (null: empty), as an expression a caller may read with others:
 * NULL without a statement's worth of work when the mailbox never sent anything (no outbox table).
 */
export function outboxNextDue(sql: SqlStorage): string {
  return hasOutbox(sql) ? "(SELECT min(next_attempt) FROM outbox)" : "NULL";
}

/** Whether the outbox exists (no statement unless this instance made it: ddl.ts hasTable). */
export function hasOutbox(sql: SqlStorage): boolean {
  return hasTable(sql, "outbox");
}

// Its tables (12 schema objects with their indexes and sqlite_sequence) are made by the first message queued
// (issue 15 target 3): a mailbox that never sent has none, so none is made at its first start nor parsed by
// each start after (SQLite parses the whole schema on every connection the object opens). Every reader treats
// a missing outbox as empty (ddl.ts hasTable).
export class Outbox {
  constructor(private readonly d: OutboxDeps) {}

  private get present(): boolean {
    if (!hasOutbox(this.d.storage.sql)) return false;
    // An outbox made by older code may lack a table added since (outbox_in_doubt): made here, as every start
    // used to. No statement when the instance's read of sqlite_master listed them all.
    this.made();
    return true;
  }

  /** Before a write: the tables exist. */
  private made(): void {
    createIfMissing(this.d.storage.sql, TABLES.join(";\n"));
  }

  /** Recipients this mailbox has sent to since `since` (for the send quota). */
  recipientsSince(since: number): number {
    if (!this.present) return 0;
    return this.d.storage.sql.exec<{ n: number | null }>(`SELECT sum(recipients) AS n FROM send_log WHERE at >= ?`, since).one().n ?? 0;
  }

  /** [MS-ASCMD] 2.2.2 status 118: the server remembers the ClientIds of recent messages (MS-ASCMD_R4850). */
  wasSent(clientId: string): boolean {
    if (!this.present) return false;
    return this.d.storage.sql.exec(`SELECT 1 FROM sent_client_ids WHERE client_id = ?`, clientId).toArray().length > 0;
  }

  /** Durable before it returns: message, recipients and ClientId in one transaction. */
  enqueue(m: EnqueueInput, dueAt = Date.now()): number {
    const now = Date.now();
    return this.d.storage.transactionSync(() => {
      const sql = this.d.storage.sql;
      this.made(); // in the write's transaction: a rolled-back enqueue leaves no table (hasTable asks again)
      if (m.clientId) {
        sql.exec(`DELETE FROM sent_client_ids WHERE at < ?`, now - CLIENT_ID_DAYS * 86_400_000);
        sql.exec(`INSERT INTO sent_client_ids (client_id, at) VALUES (?, ?)`, m.clientId, now);
      }
      const id = sql
        .exec<{ id: number }>(
          `INSERT INTO outbox (created, envelope_from, size, next_attempt, save_sent, bcc) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
          now,
          m.from,
          m.raw.byteLength,
          dueAt,
          m.saveSent ? 1 : 0,
          (m.bcc ?? []).join(", "),
        )
        .one().id;
      for (let seq = 0, off = 0; off < m.raw.byteLength || seq === 0; seq++, off += CHUNK) {
        sql.exec(`INSERT INTO outbox_chunks (outbox_id, seq, data) VALUES (?, ?, ?)`, id, seq, m.raw.subarray(off, off + CHUNK));
      }
      for (const r of new Set(m.recipients)) sql.exec(`INSERT OR IGNORE INTO outbox_rcpt (outbox_id, rcpt) VALUES (?, ?)`, id, r);
      sql.exec(`DELETE FROM send_log WHERE at < ?`, now - 86_400_000);
      sql.exec(`INSERT INTO send_log (at, recipients) VALUES (?, ?)`, now, new Set(m.recipients).size);
      return id;
    });
  }

  /** The Sent Items copy was saved by the request itself; the alarm need not. */
  markSentSaved(id: number) {
    this.d.storage.sql.exec(`UPDATE outbox SET save_sent = 0 WHERE id = ?`, id);
  }

  async raw(id: number): Promise<Uint8Array> {
    const chunks = this.d.storage.sql
      .exec<{ data: ArrayBuffer }>(`SELECT data FROM outbox_chunks WHERE outbox_id = ? ORDER BY seq`, id)
      .toArray();
    return new Uint8Array(await new Blob(chunks.map((c) => c.data)).arrayBuffer());
  }

  list(): OutboxEntry[] {
    if (!this.present) return [];
    const sql = this.d.storage.sql;
    return sql
      .exec<OutboxRow>(`SELECT * FROM outbox ORDER BY id`)
      .toArray()
      .map((r) => ({
        id: r.id,
        created: r.created,
        from: r.envelope_from,
        attempts: r.attempts,
        nextAttempt: r.next_attempt,
        inDoubtSince: this.inDoubtSince(r.id),
        recipients: sql
          .exec<{ rcpt: string; state: string; last_error: string | null }>(
            `SELECT rcpt, state, last_error FROM outbox_rcpt WHERE outbox_id = ?`,
            r.id,
          )
          .toArray()
          .map((x) => ({ rcpt: x.rcpt, state: x.state, lastError: x.last_error })),
      }));
  }

  private inDoubtSince(id: number): number | null {
    return (
      this.d.storage.sql.exec<{ since: number }>(`SELECT since FROM outbox_in_doubt WHERE outbox_id = ?`, id).toArray()[0]?.since ?? null
    );
  }

  makeDue(id: number, now = Date.now()) {
    if (!this.present) return;
    this.d.storage.sql.exec(`UPDATE outbox SET next_attempt = min(next_attempt, ?) WHERE id = ?`, now, id);
  }

  /** The account's login is in memory again: messages that waited for it are due now. Returns how many. */
  loginArrived(now = Date.now()): number {
    if (!this.present) return 0;
    return this.d.storage.sql
      .exec(
        `UPDATE outbox SET next_attempt = ? WHERE next_attempt > ? AND id IN (SELECT outbox_id FROM outbox_rcpt WHERE state = 'pending' AND last_error = ?) RETURNING id`,
        now,
        now,
        NO_LOGIN,
      )
      .toArray().length;
  }

  /** Makes every waiting message due now (admin "retry now", resumption, tests). */
  makeAllDue(now = Date.now()) {
    if (!this.present) return;
    this.d.storage.sql.exec(`UPDATE outbox SET next_attempt = ? WHERE next_attempt > ?`, now, now);
  }

  nextDue(): number | null {
    if (!this.present) return null;
    const row = this.d.storage.sql.exec<{ due: number | null }>(`SELECT min(next_attempt) AS due FROM outbox`).one();
    return row.due ?? null;
  }

  /** Alarm handler: one attempt for every due message. Returns when to run next. */
  async run(now = Date.now()): Promise<number | null> {
    if (!this.present) return null;
    const due = this.d.storage.sql.exec<OutboxRow>(`SELECT * FROM outbox WHERE next_attempt <= ? ORDER BY id LIMIT 50`, now).toArray();
    const pass: Pass = { relayDown: null, session: null };
    try {
      for (const row of due) await this.attempt(row, now, pass);
    } finally {
      await pass.session?.close();
    }
    return this.nextDue();
  }

  private async attempt(row: OutboxRow, now: number, pass: Pass) {
    const sql = this.d.storage.sql;
    const gate = this.d.gate?.(row.envelope_from) ?? "send";
    if (gate === "hold") {
      sql.exec(`UPDATE outbox SET next_attempt = ? WHERE id = ?`, now + HOLD_RECHECK_MS, row.id);
      return;
    }
    const raw = await this.raw(row.id);
    if (row.save_sent && gate === "send") {
      const copy = row.bcc ? editHeaders(raw, { remove: [], add: [["Bcc", row.bcc]] }) : raw;
      try {
        await this.d.saveSent(copy, () => this.markSentSaved(row.id));
      } catch (e) {
        logError("outbox: Sent Items copy (retried)", e);
      }
    }
    const pending = sql
      .exec<{ rcpt: string }>(`SELECT rcpt FROM outbox_rcpt WHERE outbox_id = ? AND state = 'pending'`, row.id)
      .toArray()
      .map((r) => r.rcpt);
    const failed: FailedRecipient[] = [];
    const temp = new Map<string, string>();
    const done = (rcpt: string) =>
      sql.exec(`UPDATE outbox_rcpt SET state = 'sent', last_error = NULL WHERE outbox_id = ? AND rcpt = ?`, row.id, rcpt);

    const remote: string[] = [];
    const relayAll = this.d.relayAll?.() ?? false;
    if (gate === "bounce") {
      for (const rcpt of pending.splice(0))
        failed.push({ rcpt, status: "5.7.1", diagnostic: "x-local; the mailbox's subscription has ended: not sent" });
      sql.exec(`UPDATE outbox SET save_sent = 0 WHERE id = ?`, row.id);
    }
    for (const rcpt of pending) {
      if (relayAll) {
        remote.push(rcpt);
        continue;
      }
      const self = row.envelope_from && rcpt.toLowerCase() === row.envelope_from.toLowerCase();
      try {
        const route = self ? null : await this.d.directory.route(rcpt);
        if (route?.kind === "remote") {
          remote.push(rcpt);
          continue;
        }
        if (route?.kind === "unknown-local") {
          failed.push({ rcpt, status: "5.1.1", diagnostic: "x-local; 550 5.1.1 no such mailbox on this service" });
          continue;
        }
        const deliveryId = `${row.envelope_from}|${row.id}|${row.created}|${rcpt.toLowerCase()}`;
        if (self || route?.mailbox === row.envelope_from.toLowerCase()) await this.d.deliverSelf(raw, deliveryId);
        else await this.d.deliverLocal(route!.mailbox, raw, deliveryId);
        done(rcpt);
      } catch (e) {
        temp.set(rcpt, `local delivery: ${(e as Error).message}`);
      }
    }

    let waitingForLogin = false;
    if (remote.length) {
      const cfg = this.d.smtp();
      if (cfg === "no-login") {
        waitingForLogin = true;
        for (const r of remote) temp.set(r, NO_LOGIN);
      } else if (!cfg) for (const r of remote) temp.set(r, "4.3.5 no SMTP relay configured (SMTP_HOST)");
      else if (pass.relayDown) for (const r of remote) temp.set(r, pass.relayDown);
      else {
        let results: RecipientResult[] | null = null;
        const started = Date.now();
        let error: string | undefined;
        // A previous attempt sent the final dot and died before noting the answer: the relay may have it.
        const resentInDoubt = this.inDoubtSince(row.id) !== null;
        let dotSent = false;
        const beforeFinalDot = async () => {
          sql.exec(`INSERT OR REPLACE INTO outbox_in_doubt (outbox_id, since) VALUES (?, ?)`, row.id, Date.now());
          // A fence as well as a note: durable before the dot leaves. A reset object's handler may run on for a
          // while as the runtime tears it down (seconds under load, chaos seed 20261212) with its sockets open
          // but its storage gone: it cannot write this, so it never sends the dot, and the relay discards the
          // message; the new instance's retry sends it once.
          await this.d.storage.sync();
          dotSent = true;
        };
        try {
          pass.session ??= await SmtpSession.open(cfg); // one connection for every message of the pass
          results = await pass.session.transaction(row.envelope_from, remote, raw, { beforeFinalDot });
          // The answer is here: noted below in this same synchronous block (one implicit transaction with done()).
          sql.exec(`DELETE FROM outbox_in_doubt WHERE outbox_id = ?`, row.id);
        } catch (e) {
          // A reply (a refusal) ends the doubt; a connection lost after the final dot leaves the message in doubt.
          if ((e instanceof SmtpError && e.reply) || !dotSent) sql.exec(`DELETE FROM outbox_in_doubt WHERE outbox_id = ?`, row.id);
          const err = e instanceof SmtpError ? e : new SmtpError((e as Error).message, false);
          error = err.reply ? `${err.reply.code}` : err.permanent ? "permanent" : "connection";
          if (!err.reply) {
            // Connection gone, relay unreachable or silent: no timeout spent on every other message of this pass.
            await pass.session?.close();
            pass.session = null;
            if (!err.permanent) pass.relayDown = err.message;
          }
          for (const r of remote) {
            if (err.permanent)
              failed.push({ rcpt: r, status: enhanced(err.reply?.text, "5.0.0"), diagnostic: `smtp; ${err.message}`, remoteMta: cfg.host });
            else temp.set(r, err.message);
          }
        }
        for (const r of results ?? []) {
          if (r.ok) done(r.rcpt);
          else if (r.permanent)
            failed.push({
              rcpt: r.rcpt,
              status: enhanced(r.reply.text, "5.0.0"),
              diagnostic: `smtp; ${r.reply.code} ${r.reply.text.replace(/\n/g, " ")}`,
              remoteMta: cfg.host,
            });
          else temp.set(r.rcpt, `${r.reply.code} ${r.reply.text.replace(/\n/g, " ")}`);
        }
        // One line per SMTP transaction: counts and reply classes, never an address or the message.
        const accepted = results?.filter((r) => r.ok).length ?? 0;
        const outcome = accepted === remote.length ? "sent" : results ? "partial" : (error ?? "failed");
        logEvent("smtp", {
          outbox_id: row.id,
          attempt: row.attempts + 1,
          relay: cfg.host,
          recipients: remote.length,
          accepted,
          outcome,
          replies: results?.filter((r) => !r.ok).map((r) => r.reply.code),
          bytes: raw.length,
          duration_ms: Date.now() - started,
          ...(resentInDoubt ? { resent_in_doubt: true } : {}),
          ...(!results && dotSent ? { in_doubt: true } : {}),
        });
        metrics.count("smtp_sends", { outcome });
        if (resentInDoubt) metrics.count("smtp_resent_in_doubt", {});
      }
    }

    // Waiting for the login alone is not a failed attempt: only the message's age can end it.
    const onlyWaiting = waitingForLogin && failed.length === 0 && [...temp.values()].every((e) => e === NO_LOGIN);
    const attempts = row.attempts + (onlyWaiting ? 0 : 1);
    // A report (null sender) waiting for the login does not age out: it is the last news of a lost message and
    // has no sender to bounce to, so dropping it would lose the bounce silently (issue 13 §6).
    const isReport = !row.envelope_from;
    const expired =
      (!onlyWaiting && attempts >= this.d.maxAttempts) || (!(isReport && onlyWaiting) && now - row.created >= this.d.maxAgeMs);
    for (const [rcpt, err] of temp) {
      if (expired) failed.push({ rcpt, status: "4.4.7", diagnostic: `x-local; gave up after ${attempts} attempts: ${err}` });
      else sql.exec(`UPDATE outbox_rcpt SET last_error = ? WHERE outbox_id = ? AND rcpt = ?`, err, row.id, rcpt);
    }
    for (const f of failed)
      sql.exec(`UPDATE outbox_rcpt SET state = 'failed', last_error = ? WHERE outbox_id = ? AND rcpt = ?`, f.diagnostic, row.id, f.rcpt);
    if (failed.length && isReport)
      // Nobody to tell: said loudly in the log, once per recipient, so an operator sees every lost report.
      for (const f of failed)
        logError("outbox: a delivery report could not be delivered and is dropped", new Error(`${f.status} ${f.diagnostic}`));
    if (failed.length && row.envelope_from) {
      const dsn = await buildDsn({
        to: row.envelope_from,
        reportingMta: this.d.reportingMta,
        arrival: row.created,
        failed,
        original: raw,
        now,
      });
      try {
        await this.d.deliverSelf(dsn, `${row.envelope_from}|${row.id}|${row.created}|dsn|${attempts}`);
      } catch (e) {
        // The Inbox cannot take it now (a bridged mailbox without a login in memory): the report waits in
        // this outbox like any message, to the sender alone, with no report of its own (issue 13 §6: a bounce
        // is never lost silently).
        logError("outbox: delivering the DSN (it waits in the outbox)", e);
        this.enqueue({ from: "", recipients: [row.envelope_from], raw: dsn }, now);
      }
    }

    const left = sql.exec<{ n: number }>(`SELECT count(*) AS n FROM outbox_rcpt WHERE outbox_id = ? AND state = 'pending'`, row.id).one().n;
    const unsaved = sql.exec<{ save_sent: number }>(`SELECT save_sent FROM outbox WHERE id = ?`, row.id).one().save_sent;
    if (left === 0 && !unsaved) {
      this.d.storage.transactionSync(() => {
        sql.exec(`DELETE FROM outbox_chunks WHERE outbox_id = ?`, row.id);
        sql.exec(`DELETE FROM outbox_rcpt WHERE outbox_id = ?`, row.id);
        sql.exec(`DELETE FROM outbox_in_doubt WHERE outbox_id = ?`, row.id);
        sql.exec(`DELETE FROM outbox WHERE id = ?`, row.id);
      });
    } else {
      const wait = onlyWaiting ? LOGIN_WAIT_MS : BACKOFF_MIN[Math.min(attempts - 1, BACKOFF_MIN.length - 1)]! * 60_000;
      sql.exec(`UPDATE outbox SET attempts = ?, next_attempt = ? WHERE id = ?`, attempts, now + wait, row.id);
    }
  }
}

/** The RFC 3463 code in a reply text ("550 5.1.1 ..."), or a default of the right class. */
function enhanced(text: string | undefined, fallback: string): string {
  return /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(text ?? "")?.[1] ?? fallback;
}
