// Reading items: paged listings in arrival order, summaries (parsed once per UID and kept), whole messages,
// bodies (big messages part by part from their BODYSTRUCTURE) and attachments.
import { type ParsedMessage, parseMessage, previewText } from "../mime";
import type { AttachmentInfo, BodyText, ListOptions, MailSummary } from "../types";
import { rebuildText, textLeaves, textTree } from "./bodystructure";
import type { ChangeTracker } from "./change-tracking";
import type { ImapSession } from "./connection";
import { conversationIndexOf } from "../conversation";
import { ImapConversations } from "./conversations";
import { withoutDraftToken } from "./draft-replace";
import { statusOf } from "./folder-mirror";
import type { MirrorDb } from "./mirror-db";
import { attributes, type ImapResponse, str, type Token } from "./parser";
import type { ImapSessions } from "./sessions";
import type { FolderRow } from "./state";
import { boundedLimit, flagsOf, itemIdOf, kind, parseInternalDate, parseItemId, uidOf } from "./wire";

/** getBody fetches messages up to this size whole; bigger ones part by part (BODYSTRUCTURE). */
const WHOLE_BODY_BYTES = 256 * 1024;

/** Unparsed messages are fetched for their summary in batches of about this many bytes (bigger ones alone). */
const BATCH_BYTES = 1024 * 1024;

/** Messages bigger than this are summarised from their first BATCH_BYTES only (memory). */
const SUMMARY_WHOLE_LIMIT = 16 * 1024 * 1024;

/** Whole messages kept for the page being rendered (prefetchBodies): at most this many bytes. */
const PREFETCH_BYTES = 8 * 1024 * 1024;

/**
 * summariseAhead: messages per chunk (one turn of the store's one IMAP session: a device's command waits for at
 * most one chunk), bytes per chunk, and messages per run at most. Messages bigger than WHOLE_BODY_BYTES are left
 * to the listing itself.
 */
const AHEAD_CHUNK = 25;
const AHEAD_CHUNK_BYTES = 1024 * 1024;
const AHEAD_MAX = 513;
/**
 * summariseAhead starts this long after it is asked (at the end of a response): the answer goes out first. Under
 * `wrangler dev` the Worker that encodes and sends it shares the object's thread, so a run started at once
 * delayed every page it was meant to speed (issue 15 target 2, helper "first"); a device back within the pause
 * finds nothing started.
 */
const AHEAD_DELAY_MS = 20;

/** What a summary takes from parsing the message (kept per UID in imap_summaries). */
type ParsedSummary = Omit<MailSummary, "itemId" | "folderId" | "modseq" | "received" | "flags" | "size">;

export class ItemReader {
  /** ConversationIds of the summaries read, with their roots (conversations.ts). */
  readonly conversations: ImapConversations;

  constructor(
    private readonly db: MirrorDb,
    private readonly sessions: ImapSessions,
    private readonly changes: ChangeTracker,
    private readonly config: { summaryWholeLimit?: number },
  ) {
    this.conversations = new ImapConversations(db);
  }

  /**
   * Whole messages (≤ WHOLE_BODY_BYTES) of the page being rendered, by folder and server UID (keyOf), read
   * together by prefetchBodies so that each item's getBody is no round trip (issue 15: a page of 100 was 200
   * FETCH commands). A UID's content never changes (a replaced draft is a new UID under the same item id), and
   * the item id carries the UIDVALIDITY, so a kept message is never stale; the map is emptied at each page and
   * bounded in bytes.
   */
  private readonly kept = new Map<string, Uint8Array>();
  private keptBytes = 0;

  /**
   * The texts of the page being rendered (imap_bodies rows, or parsed from the messages prefetchBodies read),
   * by folder and item id, so that each item's getBody is no SQLite read (issue 15 target 2: three statements
   * per item). Valid only in the MirrorDb generation they were read in (a draft replaced, ids forgotten, UIDs
   * expunged: read again); emptied with `kept`.
   */
  private readonly pageTexts = new Map<string, { plain: string; html: string | null }>();
  private pageTextsGeneration = -1;

  private pageText(folderId: string, itemId: string): { plain: string; html: string | null } | undefined {
    if (this.pageTextsGeneration !== this.db.itemsGeneration) return undefined;
    return this.pageTexts.get(`${folderId}/${itemId}`);
  }

  private keepPageText(folderId: string, itemId: string, text: { plain: string; html: string | null }): void {
    if (this.pageTextsGeneration !== this.db.itemsGeneration) {
      this.pageTexts.clear();
      this.pageTextsGeneration = this.db.itemsGeneration;
    }
    this.pageTexts.set(`${folderId}/${itemId}`, text);
  }

  /**
   * Where an item's message is kept: "<folder>/<UID on the server>" (a replaced draft's current version,
   * MirrorDb.serverUid); undefined for an id of another UIDVALIDITY or an unknown folder.
   */
  private keyOf(folderId: string, itemId: string): { key: string; folder: number; uid: number } | undefined {
    const id = parseItemId(itemId);
    const row = this.db.all<{ id: number; uidvalidity: number }>(
      `SELECT id, uidvalidity FROM imap_folders WHERE id = ?`,
      Number(folderId),
    )[0];
    if (!id || !row || id.validity !== row.uidvalidity) return undefined;
    const uid = this.db.serverUid(row.id, id.uid);
    return { key: `${row.id}/${uid}`, folder: row.id, uid };
  }

  private keep(key: string, raw: Uint8Array): void {
    if (raw.byteLength > WHOLE_BODY_BYTES || this.keptBytes + raw.byteLength > PREFETCH_BYTES) return;
    if (this.kept.has(key)) return;
    this.kept.set(key, raw);
    this.keptBytes += raw.byteLength;
  }

  /**
   * The texts getBody gives for whole messages, kept per UID (imap_bodies): parsed once, like their summaries.
   * One statement for all (one bound JSON array: Durable Object SQLite allows at most 100 bound parameters).
   */
  private saveBodies(folder: number, bodies: { uid: number; plain: string; html: string | undefined }[]): void {
    if (!bodies.length) return;
    this.db.sql(
      `INSERT OR REPLACE INTO imap_bodies (folder, uid, plain, html)
       SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)`,
      folder,
      JSON.stringify(bodies.map((b) => [b.uid, b.plain, b.html ?? null])),
    );
  }

  /** The kept text of an item, or undefined when none is kept (an item id of another UIDVALIDITY: none). */
  private savedBody(folderId: string, itemId: string): { plain: string; html: string | null } | undefined {
    const at = this.keyOf(folderId, itemId);
    if (!at) return undefined;
    return this.db.all<{ plain: string; html: string | null }>(
      `SELECT plain, html FROM imap_bodies WHERE folder = ? AND uid = ?`,
      at.folder,
      at.uid,
    )[0];
  }

  /** Forgets the kept messages and texts (a new page; the end of a request). */
  forget(): void {
    this.kept.clear();
    this.keptBytes = 0;
    this.pageTexts.clear();
  }

  /**
   * Reads what a page's items need for their bodies together: the kept texts of all of them in one statement,
   * then the messages whose text is not kept yet with one UID FETCH (parsed, their texts kept). A few statements
   * per page, whatever its size; each item's getBody then reads nothing.
   */
  async prefetchBodies(folderId: string, items: MailSummary[]): Promise<void> {
    const row = this.db.folderRow(folderId);
    const ours = new Map<number, MailSummary>(); // by the UID of the item id
    for (const s of items) {
      const id = parseItemId(s.itemId);
      if (s.folderId === folderId && id && id.validity === row.uidvalidity && !this.pageText(folderId, s.itemId)) ours.set(id.uid, s);
    }
    if (ours.size === 0) return;
    const serverUids = this.db.serverUids(row.id, [...ours.keys()]);
    const saved = new Map(
      this.db
        .all<{ uid: number; plain: string; html: string | null }>(
          `SELECT uid, plain, html FROM imap_bodies WHERE folder = ? AND uid IN (SELECT value FROM json_each(?))`,
          row.id,
          JSON.stringify([...serverUids.values()]),
        )
        .map((r) => [r.uid, r]),
    );
    const wanted: MailSummary[] = [];
    for (const [uid, s] of ours) {
      const serverUid = serverUids.get(uid)!;
      const text = saved.get(serverUid);
      if (text) this.keepPageText(folderId, s.itemId, { plain: text.plain, html: text.html });
      else if (s.size <= WHOLE_BODY_BYTES && !this.kept.has(`${row.id}/${serverUid}`)) wanted.push(s);
    }
    if (wanted.length === 0) return;
    await this.sessions.use(async (s) => {
      const sel = await this.sessions.select(s, row, false);
      const byUid = new Map<number, MailSummary>();
      for (const it of wanted) {
        const id = parseItemId(it.itemId);
        if (id && id.validity === (sel.uidvalidity || row.uidvalidity)) byUid.set(serverUids.get(id.uid) ?? id.uid, it);
      }
      let budget = PREFETCH_BYTES - this.keptBytes;
      const batches: number[][] = [[]];
      let bytes = 0;
      for (const [uid, it] of byUid) {
        if (it.size > budget) break;
        budget -= it.size;
        if (bytes + it.size > BATCH_BYTES && batches.at(-1)!.length) {
          batches.push([]);
          bytes = 0;
        }
        batches.at(-1)!.push(uid);
        bytes += it.size;
      }
      for (const b of batches) {
        if (!b.length) continue;
        const f = await s.command(["UID", "FETCH", b.join(","), "(UID BODY.PEEK[])"]);
        const generation = this.db.itemsGeneration;
        const bodies: { uid: number; plain: string; html: string | undefined }[] = [];
        for (const u of f.untagged) {
          if (kind(u) !== "FETCH") continue;
          const a = attributes(u.tokens[2] ?? null);
          const uid = uidOf(a);
          const body = a.get("BODY[]");
          const it = uid !== null ? byUid.get(uid) : undefined;
          if (!it || !(body instanceof Uint8Array)) continue;
          this.keep(`${row.id}/${uid}`, withoutDraftToken(body));
          const parsed = await parseMessage(body);
          bodies.push({ uid: uid!, plain: parsed.plain, html: parsed.html });
          // Kept by item id only if no id moved meanwhile (this UID may no longer be that item's).
          if (generation === this.db.itemsGeneration)
            this.keepPageText(folderId, it.itemId, { plain: parsed.plain, html: parsed.html ?? null });
        }
        this.saveBodies(row.id, bodies);
      }
    });
  }

  async listItems(folderId: string, opts: ListOptions): Promise<MailSummary[]> {
    this.stopAhead(folderId); // the device is back for this folder: it takes what is kept and lists the rest
    this.forget(); // a new page: what the last one kept goes
    return this.sessions.use(async (s) => {
      const row = await this.changes.ensureOrder(s, await this.changes.refresh(s, this.db.folderRow(folderId)));
      const cursor = opts.after ? (parseItemId(opts.after.itemId)?.uid ?? 0) : 0;
      const after = opts.after ? { received: opts.after.received, uid: cursor && this.db.serverUid(row.id, cursor) } : null;
      const uids = this.window(row.id, opts.since, after, boundedLimit(opts.limit));
      await this.sessions.select(s, row, false);
      // Right after a look (refresh above): the kept flags are the server's (keepMeta).
      return this.summaries(s, row, uids, s.has("CONDSTORE") && s.has("QRESYNC"));
    });
  }

  /** The run of summariseAhead under way (one at a time): stopped by a listing of its folder or by a newer run. */
  private ahead: { folderId: string; stopped: boolean } | null = null;

  /** Stops a run of summariseAhead over this folder (or any): a device is back for it. */
  stopAhead(folderId?: string): void {
    if (this.ahead && (folderId === undefined || this.ahead.folderId === folderId)) this.ahead.stopped = true;
  }

  /**
   * Makes the summaries (and texts) of the listing a device has said it will ask for next — the `opts.limit`
   * newest messages from `opts.since`, after `opts.after` — before it asks (issue 15 target 2: a page that parses
   * its messages is 3–5× what Dovecot takes for its FETCHes, one whose summaries are kept 1–1.5×). Called after a
   * page answered with MoreAvailable and after a SyncKey 0, never on a push. The summaries are the listing's own
   * (makeSummaries, one statement per chunk): a cache per UID, so a run cut anywhere (the object evicted, an
   * outage) leaves nothing half-believed, and no look, change log or sync state is touched (only the folder's
   * arrival order, made as its first listing makes it). Works in chunks of AHEAD_CHUNK messages, each one turn of
   * the store's IMAP session, so a foreground command (a Ping's look, another Sync, a FolderSync) waits for at
   * most one chunk; starts AHEAD_DELAY_MS after it is asked; stops when the folder is looked at or listed (the
   * device is back: it takes what is kept and fetches the rest itself) or another run starts. Returns what it
   * made (tests, logs).
   */
  async summariseAhead(folderId: string, opts: ListOptions): Promise<{ made: number; chunks: number }> {
    this.stopAhead();
    const run = { folderId, stopped: false };
    this.ahead = run;
    let made = 0;
    let chunks = 0;
    // The window's UIDs without a summary and their sizes, read in the first turn.
    let todo: number[] | null = null;
    const sizes = new Map<number, number>();
    try {
      await new Promise((r) => setTimeout(r, AHEAD_DELAY_MS));
      while (!run.stopped) {
        const done = await this.sessions.use(async (s) => {
          if (run.stopped) return true;
          chunks++;
          let row = this.db.folderRow(folderId);
          if (todo === null) {
            row = await this.changes.ensureOrder(s, row);
            const cursor = opts.after ? (parseItemId(opts.after.itemId)?.uid ?? 0) : 0;
            const after = opts.after ? { received: opts.after.received, uid: cursor && this.db.serverUid(row.id, cursor) } : null;
            const window = this.window(row.id, opts.since, after, Math.min(boundedLimit(opts.limit), AHEAD_MAX));
            const missing = this.unsummarised(row.id, window);
            if (!missing.length) return true;
            const sel = await this.sessions.select(s, row, false);
            if (sel.uidvalidity !== row.uidvalidity) return true;
            const r = await s.command(["UID", "FETCH", missing.join(","), "(UID RFC822.SIZE)"]);
            for (const u of r.untagged) {
              if (kind(u) !== "FETCH") continue;
              const a = attributes(u.tokens[2] ?? null);
              const uid = uidOf(a);
              if (uid !== null) sizes.set(uid, Number(str(a.get("RFC822.SIZE"))));
            }
            todo = missing.filter((u) => (sizes.get(u) ?? Number.POSITIVE_INFINITY) <= WHOLE_BODY_BYTES);
            return todo.length === 0;
          }
          const chunk: number[] = [];
          let bytes = 0;
          while (todo.length && chunk.length < AHEAD_CHUNK && (chunk.length === 0 || bytes + sizes.get(todo[0]!)! <= AHEAD_CHUNK_BYTES)) {
            const u = todo.shift()!;
            chunk.push(u);
            bytes += sizes.get(u)!;
          }
          // Made meanwhile (a listing of another device) or gone (expunged, the folder recreated): left alone.
          const wanted = this.unsummarised(row.id, chunk);
          const sel = await this.sessions.select(s, row, false);
          if (sel.uidvalidity !== row.uidvalidity) return true;
          if (wanted.length) made += (await this.makeSummaries(s, row, wanted, (u) => sizes.get(u)!)).length;
          return todo.length === 0;
        });
        if (done) break;
      }
    } finally {
      if (this.ahead === run) this.ahead = null;
    }
    return { made, chunks };
  }

  /** UIDs of a listing's page, newest first along the keyset cursor (imap_order; the server UID of `after`). */
  private window(folder: number, since: number | undefined, after: { received: number; uid: number } | null, limit: number): number[] {
    return this.db
      .all<{ uid: number }>(
        `SELECT uid FROM imap_order WHERE folder = ? AND received >= ? AND (? OR received < ? OR (received = ? AND uid < ?))
         ORDER BY received DESC, uid DESC LIMIT ?`,
        folder,
        since ?? Number.MIN_SAFE_INTEGER,
        after ? 0 : 1,
        after?.received ?? 0,
        after?.received ?? 0,
        after?.uid ?? 0,
        limit,
      )
      .map((r) => r.uid);
  }

  /** Those of `uids` still in the folder's order whose summary is not kept, in the order given. */
  private unsummarised(folder: number, uids: number[]): number[] {
    if (!uids.length) return [];
    const have = new Set(
      this.db
        .all<{ uid: number }>(
          `SELECT o.uid FROM imap_order o WHERE o.folder = ?1 AND o.uid IN (SELECT value FROM json_each(?2))
             AND NOT EXISTS (SELECT 1 FROM imap_summaries m WHERE m.folder = ?1 AND m.uid = o.uid)`,
          folder,
          JSON.stringify(uids),
        )
        .map((r) => r.uid),
    );
    return uids.filter((u) => have.has(u));
  }

  /**
   * Flags, arrival and size of UIDs as just fetched (imap_meta), on CONDSTORE/QRESYNC servers only: there every
   * look (ChangeTracker) reads the flags of the UIDs changed since the last one and forgets expunged UIDs, so a
   * listing after a look needs no FETCH for the UIDs kept here (issue 15 target 2: a steady page, no FETCH).
   */
  private keepMeta(s: ImapSession, row: FolderRow, rows: [number, string, number, number][]): void {
    if (!rows.length || !(s.has("CONDSTORE") && s.has("QRESYNC"))) return;
    this.db.sql(
      `INSERT OR REPLACE INTO imap_meta (folder, uid, flags, received, size)
       SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]')
       FROM json_each(?)`,
      row.id,
      JSON.stringify(rows),
    );
  }

  async countItems(folderId: string, since?: number): Promise<number> {
    return this.sessions.use(async (s) => {
      const row = this.db.folderRow(folderId);
      if (since === undefined) return Number(str((await statusOf(s, row.path, "(MESSAGES)")).get("MESSAGES")));
      const ordered = await this.changes.ensureOrder(s, await this.changes.refresh(s, row));
      return this.db.one<{ n: number }>(`SELECT count(*) AS n FROM imap_order WHERE folder = ? AND received >= ?`, ordered.id, since).n;
    });
  }

  async getSummary(folderId: string, itemId: string): Promise<MailSummary | null> {
    return this.sessions.use(async (s) => {
      const row = this.db.folderRow(folderId);
      const uid = await this.sessions.selectItem(s, row, itemId, false);
      if (uid === null) return null;
      return (await this.summaries(s, row, [uid]))[0] ?? null;
    });
  }

  /**
   * Summaries of the selected folder's UIDs, in the order given. Flags, arrival and size are read live; what
   * comes from parsing the message is parsed once per UID and kept (imap_summaries: a UID's content never
   * changes). Unparsed messages are fetched whole, small ones together, big ones one at a time.
   */
  async summaries(s: ImapSession, row: FolderRow, uids: number[], keptMeta = false): Promise<MailSummary[]> {
    if (!uids.length) return [];
    const meta = new Map<number, { flags: Token; received: number; size: number }>();
    if (keptMeta)
      for (const m of this.db.all<{ uid: number; flags: string; received: number; size: number }>(
        `SELECT uid, flags, received, size FROM imap_meta WHERE folder = ? AND uid IN (SELECT value FROM json_each(?))`,
        row.id,
        JSON.stringify(uids),
      ))
        meta.set(m.uid, { flags: JSON.parse(m.flags) as Token, received: m.received, size: m.size });
    const unknown = uids.filter((u) => !meta.has(u));
    if (unknown.length) {
      const r = await s.command(["UID", "FETCH", unknown.join(","), "(UID FLAGS INTERNALDATE RFC822.SIZE)"]);
      const fetched: [number, string, number, number][] = [];
      for (const u of r.untagged) {
        if (kind(u) !== "FETCH") continue;
        const a = attributes(u.tokens[2] ?? null);
        const uid = uidOf(a);
        if (uid === null) continue;
        const m = {
          flags: a.get("FLAGS") ?? [],
          received: parseInternalDate(str(a.get("INTERNALDATE"))),
          size: Number(str(a.get("RFC822.SIZE"))),
        };
        meta.set(uid, m);
        fetched.push([uid, JSON.stringify(m.flags), m.received, m.size]);
      }
      this.keepMeta(s, row, fetched);
    }
    const present = uids.filter((u) => meta.has(u));
    const parsed = new Map<number, ParsedSummary>();
    const upgraded: [number, ParsedSummary][] = [];
    for (const c of this.db.all<{ uid: number; content: string }>(
      // one bound JSON array: Durable Object SQLite allows at most 100 bound parameters
      `SELECT uid, content FROM imap_summaries WHERE folder = ? AND uid IN (SELECT value FROM json_each(?))`,
      row.id,
      JSON.stringify(present),
    )) {
      const content = JSON.parse(c.content) as ParsedSummary;
      // A summary kept before its conversation was (issue 15 target 2): computed now, once, and kept with it.
      if (content.conversationId === undefined) upgraded.push([c.uid, content]);
      parsed.set(c.uid, content);
    }
    this.saveSummaries(row.id, await this.withConversations(upgraded));
    const missing = present.filter((u) => !parsed.has(u));
    const size = (u: number) => meta.get(u)!.size;
    const batches: number[][] = [];
    let batch: number[] = [];
    let bytes = 0;
    for (const u of missing) {
      if (size(u) > BATCH_BYTES) batches.push([u]);
      else {
        if (bytes + size(u) > BATCH_BYTES && batch.length) {
          batches.push(batch);
          batch = [];
          bytes = 0;
        }
        batch.push(u);
        bytes += size(u);
      }
    }
    if (batch.length) batches.push(batch);
    for (const b of batches) for (const [uid, content] of await this.makeSummaries(s, row, b, size)) parsed.set(uid, content);
    const out: MailSummary[] = [];
    const ids = this.db.publicUids(row.id, present);
    const logged = new Map(
      this.db
        .all<{ uid: number; modseq: number }>(
          `SELECT uid, modseq FROM imap_changes WHERE folder = ? AND uid IN (SELECT value FROM json_each(?))`,
          row.id,
          JSON.stringify(present),
        )
        .map((r) => [r.uid, r.modseq]),
    );
    for (const uid of present) {
      const a = meta.get(uid)!;
      const content = parsed.get(uid);
      if (!content) continue;
      const received = a.received;
      out.push({
        ...content,
        // Without a Date the index is the arrival's (not kept: a copy of the summary under another UID may differ).
        conversationIndex: content.conversationIndex ?? conversationIndexOf(content.threadIndex, received),
        itemId: itemIdOf(this.sessions.selected?.uidvalidity || row.uidvalidity, ids.get(uid)!),
        folderId: String(row.id),
        modseq: logged.get(uid) ?? 0,
        received,
        flags: flagsOf(a.flags),
        size: size(uid),
      });
    }
    return out;
  }

  /**
   * Fetches one batch of the selected folder's UIDs whole (or, for one message past summaryWholeLimit, its
   * head), parses each as its response arrives, and keeps their summaries and texts (one statement each): the
   * one place a summary is made, for a listing (summaries) and ahead of one (summariseAhead) alike.
   */
  private async makeSummaries(
    s: ImapSession,
    row: FolderRow,
    b: number[],
    size: (uid: number) => number,
  ): Promise<[number, ParsedSummary][]> {
    // Beyond SUMMARY_WHOLE_LIMIT only the head is parsed (memory): attachments past it are not listed.
    const head = b.length === 1 && size(b[0]!) > (this.config.summaryWholeLimit ?? SUMMARY_WHOLE_LIMIT);
    // Each message is parsed as its FETCH response is read (the parse of the first overlaps Dovecot's sending
    // of the rest, issue 15 target 2), then taken in the order of the responses, as before.
    const parsing = new Map<ImapResponse, { uid: number; parsed: Promise<ParsedMessage> }>();
    const parse = (u: ImapResponse) => {
      if (kind(u) !== "FETCH") return;
      const a = attributes(u.tokens[2] ?? null);
      const uid = uidOf(a);
      const raw = a.get(head ? "BODY[]<0>" : "BODY[]");
      if (uid === null || !b.includes(uid)) return;
      const parsed = parseMessage(raw instanceof Uint8Array ? raw : new Uint8Array(0));
      parsed.catch(() => undefined); // awaited below; a failed command leaves it unread
      parsing.set(u, { uid, parsed });
    };
    const f = await s.command(["UID", "FETCH", b.join(","), head ? `(UID BODY.PEEK[]<0.${BATCH_BYTES}>)` : "(UID BODY.PEEK[])"], parse);
    const bodies: { uid: number; plain: string; html: string | undefined }[] = [];
    const made: [number, ParsedSummary][] = [];
    for (const u of f.untagged) {
      if (!parsing.has(u)) parse(u); // a session that does not report responses as they come
      const started = parsing.get(u);
      if (!started) continue;
      const uid = started.uid;
      const p = await started.parsed;
      if (!head && size(uid) <= WHOLE_BODY_BYTES) bodies.push({ uid, plain: p.plain, html: p.html });
      const content: ParsedSummary = {
        subject: p.subject,
        from: p.from,
        to: p.to,
        cc: p.cc,
        replyTo: p.replyTo,
        importance: p.importance,
        hasHtml: p.html !== undefined,
        preview: previewText(p.plain),
        attachments: p.attachments.map((x) => x.info),
      };
      for (const k of [
        "date",
        "messageId",
        "inReplyTo",
        "references",
        "contentClass",
        "calendarMethod",
        "threadTopic",
        "threadIndex",
      ] as const)
        if (p[k] !== undefined) (content as Record<string, unknown>)[k] = p[k];
      made.push([uid, content]);
    }
    // One statement each for the batch's conversations, summaries and texts (bound JSON arrays, as above).
    this.saveSummaries(row.id, await this.withConversations(made));
    this.saveBodies(row.id, bodies);
    return made;
  }

  /**
   * [MS-ASCON] conversation of summaries from their parsed headers (conversation.ts, the same as the built-in
   * store's), computed once when a summary is made and kept in it (a page reads it, issue 15 target 2: the
   * hash was ≈ 0.8 ms a page): its ConversationId (the roots recorded for searches by that id, one statement)
   * and, for a message with a Date, its ConversationIndex (one without a Date takes its arrival's, computed on
   * each read). Returns the summaries as kept (JSON), by UID.
   */
  private async withConversations(summaries: [number, ParsedSummary][]): Promise<[number, string][]> {
    const ids = await this.conversations.rememberAll(summaries.map(([, c]) => c));
    return summaries.map(([uid, c], i) => {
      c.conversationId = ids[i];
      if (c.date !== undefined) c.conversationIndex = conversationIndexOf(c.threadIndex, c.date);
      return [uid, JSON.stringify(c)];
    });
  }

  /** Kept summaries, one statement for all (a bound JSON array, as saveBodies). */
  private saveSummaries(folder: number, contents: [number, string][]): void {
    if (!contents.length) return;
    this.db.sql(
      `INSERT OR REPLACE INTO imap_summaries (folder, uid, content)
       SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)`,
      folder,
      JSON.stringify(contents),
    );
  }

  async getMime(folderId: string, itemId: string): Promise<Uint8Array | null> {
    const kept = this.kept.get(this.keyOf(folderId, itemId)?.key ?? "");
    if (kept) return kept;
    return this.sessions.use(async (s) => {
      const row = this.db.folderRow(folderId);
      const uid = await this.sessions.selectItem(s, row, itemId, false);
      const raw = uid === null ? null : await this.fetchRaw(s, row, uid);
      return raw && withoutDraftToken(raw);
    });
  }

  private async fetchRaw(s: ImapSession, row: FolderRow, uid: number): Promise<Uint8Array | null> {
    await this.sessions.select(s, row, false);
    const r = await s.command(["UID", "FETCH", String(uid), "(UID BODY.PEEK[])"]);
    for (const u of r.untagged) {
      if (kind(u) !== "FETCH") continue;
      const a = attributes(u.tokens[2] ?? null);
      if (uidOf(a) !== uid) continue;
      const body = a.get("BODY[]");
      return body instanceof Uint8Array ? body : typeof body === "string" ? new TextEncoder().encode(body) : new Uint8Array(0);
    }
    return null;
  }

  /**
   * A message up to WHOLE_BODY_BYTES is fetched whole and parsed (the same text as the built-in store).
   * A bigger one (attachments) is read from its BODYSTRUCTURE: only its inline text/plain and text/html
   * parts are fetched, each with its MIME header, and parsed as a small message of the same multipart
   * shape (every text part, not only the first: text, picture, text is both texts).
   */
  async getBody(folderId: string, itemId: string, type: "plain" | "html"): Promise<BodyText | null> {
    const saved = this.pageText(folderId, itemId) ?? this.savedBody(folderId, itemId);
    if (saved) {
      const data = type === "html" ? saved.html : saved.plain;
      return data === null ? null : { data, size: new TextEncoder().encode(data).byteLength };
    }
    const raw =
      this.kept.get(this.keyOf(folderId, itemId)?.key ?? "") ??
      (await this.sessions.use(async (s) => {
        const row = this.db.folderRow(folderId);
        const uid = await this.sessions.selectItem(s, row, itemId, false);
        if (uid === null) return null;
        const r = await s.command(["UID", "FETCH", String(uid), "(UID RFC822.SIZE BODYSTRUCTURE)"]);
        const a = r.untagged
          .filter((u) => kind(u) === "FETCH")
          .map((u) => attributes(u.tokens[2] ?? null))
          .find((a) => uidOf(a) === uid);
        if (!a) return null;
        const structure = a.get("BODYSTRUCTURE") ?? null;
        const multipart = Array.isArray(structure) && Array.isArray(structure[0]);
        if (Number(str(a.get("RFC822.SIZE"))) <= WHOLE_BODY_BYTES || !multipart) return this.fetchRaw(s, row, uid);
        const tree = textTree(structure);
        if (!tree) return new Uint8Array(0);
        const sections = textLeaves(tree).flatMap((p) => [`BODY.PEEK[${p.section}.MIME]`, `BODY.PEEK[${p.section}]`]);
        const f = await s.command(["UID", "FETCH", String(uid), `(UID ${sections.join(" ")})`]);
        const got = f.untagged
          .filter((u) => kind(u) === "FETCH")
          .map((u) => attributes(u.tokens[2] ?? null))
          .find((a) => uidOf(a) === uid);
        if (!got) return null;
        const bytes = (k: string) => {
          const v = got.get(k);
          return v instanceof Uint8Array ? v : new TextEncoder().encode(typeof v === "string" ? v : "");
        };
        // The text parts in their multipart tree (other parts left out), so the MIME parser joins them as
        // it does for the whole message.
        return rebuildText(tree, (p) => [bytes(`BODY[${p.section}.MIME]`), bytes(`BODY[${p.section}]`)]);
      }));
    if (!raw) return null;
    const p = await parseMessage(raw);
    const data = type === "html" ? p.html : p.plain;
    if (data === undefined) return null;
    return { data, size: new TextEncoder().encode(data).byteLength };
  }

  async getAttachment(folderId: string, itemId: string, partId: string): Promise<{ info: AttachmentInfo; data: Uint8Array } | null> {
    const raw = await this.getMime(folderId, itemId);
    if (!raw) return null;
    return (await parseMessage(raw)).attachments.find((a) => a.info.partId === partId) ?? null;
  }
}
