// Meeting invitations in the mailbox: an iMIP message delivered to the Inbox is filed in the calendar
// (tentative until answered); MeetingResponse answers it once per request and queues the iMIP reply.
import { createMimeMessage } from "mimetext/browser";
import { PimConversionError } from "../formats/errors";
import { answerMeeting, applyItip, readItip, senderAddress, type UserResponse } from "../formats/invitation";
import { parseEasDate } from "../formats/eas-dates";
import { eventToEas } from "../eas/pim/calendar";
import type { PimStore } from "../store/pim-types";
import { FolderType, type MailStore, type MailSummary } from "../store/types";
import { parseServerId, serverIdOf } from "./ids";
import { ItipRefusals } from "./itip-refusals";
import { createIfMissing, hasTable } from "../store/ddl";
import { utf8ToBase64 } from "../formats/base64";

export interface MeetingAnswerRequest {
  requestId: string;
  collectionId: string;
  userResponse: number;
  /** 14.1+: one occurrence (its original start, [MS-ASCMD] 2.2.3.87). */
  instanceId?: string;
  /** 16.x SendResponse: false = update the calendar, tell nobody. */
  sendResponse: boolean;
  /** 16.1 ProposedStartTime/ProposedEndTime (Compact DateTime): a new time proposal to the organizer. */
  proposedStart?: string;
  proposedEnd?: string;
}

export interface MeetingAnswerResult {
  requestId: string;
  /** [MS-ASCMD] 2.2.3.177.11: 1 success, 2 invalid meeting request, 3 mailbox error. */
  status: number;
  calendarId?: string;
}

/** An iMIP reply waiting for the outbox (the lead wires it to branch `send`'s Outbox.enqueue). */
export interface QueuedReply {
  id: number;
  key: string;
  recipient: string;
  raw: Uint8Array;
}

async function invitationText(store: MailStore, s: MailSummary): Promise<string | null> {
  const part = s.attachments.find((a) => a.contentType.toLowerCase().startsWith("text/calendar"));
  if (!part) return null;
  const att = await store.getAttachment(s.folderId, s.itemId, part.partId);
  return att ? new TextDecoder().decode(att.data) : null;
}

/** The answers given and the iMIP replies not yet handed to the outbox: made by the first answer, the queue last. */
export const ANSWER_TABLES = `CREATE TABLE IF NOT EXISTS pim_meeting_answers (key TEXT PRIMARY KEY, calendar_id TEXT, at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS pim_reply_queue (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, recipient TEXT NOT NULL, raw BLOB NOT NULL, created INTEGER NOT NULL)`;

export class Invitations {
  private readonly refusals: ItipRefusals;

  /** `stores` is read at each use: the mailbox object's stores are built on first need, not here. */
  constructor(
    private readonly stores: () => { mail: MailStore; pim: PimStore },
    private readonly storage: DurableObjectStorage,
    private readonly owner: () => string,
  ) {
    this.refusals = new ItipRefusals(storage.sql);
  }

  /**
   * Whether iMIP replies wait to be handed to the outbox, as an expression a caller may read with others: 0 when
   * no meeting was ever answered (no table: the answers and the reply queue are made by the first answer, issue 15
   * target 3; ddl.ts hasTable).
   */
  static queued(sql: SqlStorage): string {
    return hasTable(sql, "pim_reply_queue") ? "EXISTS (SELECT 1 FROM pim_reply_queue)" : "0";
  }

  /** Whether the answers and the reply queue exist (made together, the queue last). */
  private get answered(): boolean {
    return hasTable(this.storage.sql, "pim_reply_queue");
  }

  private get store(): MailStore {
    return this.stores().mail;
  }

  private get pim(): PimStore {
    return this.stores().pim;
  }

  private calendarId(): string | null {
    return this.store.folderByType(FolderType.Calendar)?.id ?? null;
  }

  /**
   * Files the iTIP content of a delivered message; returns the calendar folder id when it changed. A message
   * the calendar does not take (broken, or from someone who may not make the change: RFC 5546 3.2) stays an
   * ordinary message and is recorded in `pim_itip_refused`.
   */
  async file(folderId: string, itemId: string): Promise<string | null> {
    const s = await this.store.getSummary(folderId, itemId);
    if (!s?.calendarMethod) return null; // most mail: the calendar is not looked up
    const cal = this.calendarId();
    if (!cal) return null;
    const text = await invitationText(this.store, s);
    if (!text) return null;
    const sender = senderAddress(s.from);
    try {
      const { uid } = readItip(text);
      const prev = await this.pim.getByUid(cal, uid);
      const next = applyItip(text, prev?.data, this.owner(), sender);
      if (!next) return null;
      // An event no phone could be shown stays out of the calendar: the message is the only copy.
      readable(next, this.owner());
      await this.pim.put(cal, next, prev ? { itemId: prev.itemId } : {});
      return cal;
    } catch (e) {
      if (!(e instanceof PimConversionError)) throw e;
      this.refused(`${folderId}:${itemId}`, sender, s.calendarMethod, e.message);
      return null;
    }
  }

  /** Records an iTIP message left as ordinary mail. */
  refused(item: string, sender: string, method: string, reason: string): void {
    this.refusals.record(item, sender, method, reason);
  }

  /** MeetingResponse: each request answered once; a retried request sends no second reply. */
  async answer(requests: MeetingAnswerRequest[]): Promise<MeetingAnswerResult[]> {
    const out: MeetingAnswerResult[] = [];
    for (const r of requests) out.push(await this.answerOne(r));
    return out;
  }

  private async answerOne(r: MeetingAnswerRequest): Promise<MeetingAnswerResult> {
    const fail = (status: number): MeetingAnswerResult => ({ requestId: r.requestId, status });
    if (r.userResponse !== 1 && r.userResponse !== 2 && r.userResponse !== 3) return fail(2);
    const key = `${r.collectionId}|${r.requestId}|${r.instanceId ?? ""}|${r.userResponse}`;
    const done = this.answered
      ? this.storage.sql.exec<{ calendar_id: string | null }>(`SELECT calendar_id FROM pim_meeting_answers WHERE key = ?`, key).toArray()[0]
      : undefined;
    if (done) return { requestId: r.requestId, status: 1, ...(done.calendar_id ? { calendarId: done.calendar_id } : {}) };

    const cal = this.calendarId();
    const id = parseServerId(r.requestId);
    if (!cal || !id) return fail(2);
    let item = null;
    try {
      if (id.folderId === cal) item = await this.pim.get(cal, id.itemId);
      else {
        const s = await this.store.getSummary(id.folderId, id.itemId);
        const text = s ? await invitationText(this.store, s) : null;
        if (!text) return fail(2);
        const { uid } = readItip(text);
        item = await this.pim.getByUid(cal, uid);
        if (!item) {
          await this.file(id.folderId, id.itemId);
          item = await this.pim.getByUid(cal, uid);
        }
      }
    } catch (e) {
      if (e instanceof PimConversionError) return fail(2);
      throw e;
    }
    if (!item) return fail(2);
    let answer: ReturnType<typeof answerMeeting>;
    try {
      const proposed =
        r.proposedStart && r.proposedEnd ? { start: parseEasDate(r.proposedStart), end: parseEasDate(r.proposedEnd) } : undefined;
      answer = answerMeeting(
        item.data,
        this.owner(),
        r.userResponse as UserResponse,
        r.instanceId ? parseEasDate(r.instanceId) : undefined,
        proposed,
      );
    } catch (e) {
      if (e instanceof PimConversionError) return fail(2);
      throw e;
    }
    await this.pim.put(cal, answer.stored, { itemId: item.itemId });
    // [MS-ASCMD] 2.2.3.18 CalendarId: returned unless the meeting was declined.
    const calendarId = r.userResponse === 3 ? null : serverIdOf(cal, item.itemId);
    this.storage.transactionSync(() => {
      // Made by the first answer, in its transaction: a rolled-back answer leaves no table (hasTable asks again).
      createIfMissing(this.storage.sql, ANSWER_TABLES);
      this.storage.sql.exec(`INSERT INTO pim_meeting_answers (key, calendar_id, at) VALUES (?, ?, ?)`, key, calendarId, Date.now());
      if (answer.reply && r.sendResponse) {
        const raw = replyMime(this.owner(), answer.reply.organizer, answer.reply.summary, r.userResponse as UserResponse, answer.reply.ics);
        this.storage.sql.exec(
          `INSERT INTO pim_reply_queue (key, recipient, raw, created) VALUES (?, ?, ?, ?)`,
          key,
          answer.reply.organizer,
          raw,
          Date.now(),
        );
      }
    });
    return { requestId: r.requestId, status: 1, ...(calendarId ? { calendarId } : {}) };
  }

  /** Replies not yet handed to the outbox, oldest first. */
  queuedReplies(limit = 50): QueuedReply[] {
    if (!this.answered) return [];
    return this.storage.sql
      .exec<{ id: number; key: string; recipient: string; raw: ArrayBuffer }>(
        `SELECT id, key, recipient, raw FROM pim_reply_queue ORDER BY id LIMIT ?`,
        limit,
      )
      .toArray()
      .map((r) => ({ id: r.id, key: r.key, recipient: r.recipient, raw: new Uint8Array(r.raw) }));
  }

  /** The outbox took it (durably): forget it here. */
  replyHandedOver(id: number): void {
    if (!this.answered) return;
    this.storage.sql.exec(`DELETE FROM pim_reply_queue WHERE id = ?`, id);
  }

  /**
   * Hands every queued reply to `send` (the durable outbox: branch `send`'s Sending.queue), oldest first;
   * each is forgotten once `send` resolved, so a crash in between resends it at most once more.
   */
  async flushReplies(send: (reply: QueuedReply) => Promise<unknown>): Promise<number> {
    let n = 0;
    for (const reply of this.queuedReplies()) {
      await send(reply);
      this.replyHandedOver(reply.id);
      n++;
    }
    return n;
  }
}

/** Converts the event once as a phone would get it; PimConversionError when that fails in any way. */
function readable(ics: string, owner: string): void {
  try {
    eventToEas(ics, { version: 16.1, defaultZone: "UTC", userEmail: owner });
    eventToEas(ics, { version: 14.1, defaultZone: "UTC", userEmail: owner });
  } catch (e) {
    throw e instanceof PimConversionError ? e : new PimConversionError(`unreadable event: ${String(e)}`);
  }
}

const VERB: Record<UserResponse, string> = { 1: "Accepted", 2: "Tentative", 3: "Declined" };

/** RFC 6047 iMIP reply: a short text part and the iTIP REPLY as text/calendar; method=REPLY. */
export function replyMime(owner: string, organizer: string, summary: string, response: UserResponse, ics: string): Uint8Array {
  const msg = createMimeMessage();
  msg.setSender(owner);
  msg.setTo(organizer);
  msg.setSubject(`${VERB[response]}: ${summary}`);
  msg.addMessage({ contentType: "text/plain", data: `${owner} has ${VERB[response].toLowerCase()} "${summary}".` });
  // mimetext takes text parts as text/plain or text/html only: the iTIP part goes as an attachment.
  msg.addAttachment({
    filename: "reply.ics",
    contentType: "text/calendar; method=REPLY; charset=utf-8",
    data: utf8ToBase64(ics),
    inline: false,
  });
  return new TextEncoder().encode(msg.asRaw());
}
