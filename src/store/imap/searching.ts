// Mail search on an IMAP account (Search Store=Mailbox, issue 16): the server searches (UID SEARCH, RFC 3501
// §6.4.4), our mirror orders. TEXT for each word (a substring match, so every word prefix the built-in index
// finds is found here too), SINCE/BEFORE for the dates (whole days in the server's time zone, so one day wider
// on each side), then the exact arrival times in imap_order decide the dates and the order, newest first.
// Summaries are read for the page only.
import { searchTokens } from "../search-words";
import type { MailSearchQuery, MailSearchResult, MailSummary } from "../types";
import type { ChangeTracker } from "./change-tracking";
import { type Arg, type ImapSession, q } from "./connection";
import { ImapConversations } from "./conversations";
import type { ItemReader } from "./fetching";
import type { MirrorDb } from "./mirror-db";
import type { ImapSessions } from "./sessions";
import type { FolderRow } from "./state";
import { parseItemId, searchUids } from "./wire";

const DAY_MS = 86_400_000;
/** At most this many candidates of a conversation are read (a thread of more is cut, newest kept). */
const CONVERSATION_CANDIDATES = 1000;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** RFC 3501 date ("7-Dec-2026") of a time, in UTC. */
function imapDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCDate()}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()}`;
}

export class MailSearcher {
  constructor(
    private readonly db: MirrorDb,
    private readonly sessions: ImapSessions,
    private readonly changes: ChangeTracker,
    private readonly reader: ItemReader,
  ) {}

  async searchMail(query: MailSearchQuery): Promise<MailSearchResult> {
    const tokens = searchTokens(query.words);
    if (query.words.length > 0 && tokens.length === 0) return { total: 0, hits: [] };
    const criteria: Arg[] = [];
    for (const t of tokens) criteria.push("TEXT", q(t));
    if (query.receivedAfter !== undefined) criteria.push("SINCE", imapDate(query.receivedAfter - DAY_MS));
    if (query.receivedBefore !== undefined) criteria.push("BEFORE", imapDate(query.receivedBefore + DAY_MS));
    // A conversation: the messages naming its root (a superset, narrowed below to those of that conversation).
    const root = query.conversationId !== undefined ? this.reader.conversations.rootOf(query.conversationId) : undefined;
    if (root === null) return { total: 0, hits: [] };
    if (root !== undefined) {
      const c = ImapConversations.criteria(root);
      if (c) criteria.push(...c);
      else return { total: 0, hits: [] };
    }
    if (criteria.length === 0) criteria.push("ALL");
    const charset: Arg[] = tokens.some((t) => /[^\x20-\x7e]/.test(t)) ? ["CHARSET", "UTF-8"] : [];
    return this.sessions.use(async (s) => {
      const found: { row: FolderRow; uid: number; received: number }[] = [];
      for (const id of query.folderIds) {
        const known = /^[1-9][0-9]{0,15}$/.test(id)
          ? this.db.all<FolderRow>(`SELECT * FROM imap_folders WHERE id = ?`, Number(id))[0]
          : undefined;
        if (!known) continue;
        const row = await this.changes.ensureOrder(s, await this.changes.refresh(s, known));
        await this.sessions.select(s, row, false);
        const uids = searchUids((await s.command(["UID", "SEARCH", ...charset, ...criteria])).untagged);
        if (!uids.length) continue;
        for (const o of this.db.all<{ uid: number; received: number }>(
          // one bound JSON array: Durable Object SQLite allows at most 100 bound parameters
          `SELECT uid, received FROM imap_order WHERE folder = ? AND uid IN (SELECT value FROM json_each(?))`,
          row.id,
          JSON.stringify(uids),
        )) {
          if (query.receivedAfter !== undefined && o.received <= query.receivedAfter) continue;
          if (query.receivedBefore !== undefined && o.received >= query.receivedBefore) continue;
          found.push({ row, uid: o.uid, received: o.received });
        }
      }
      found.sort((a, b) => b.received - a.received || b.uid - a.uid || b.row.id - a.row.id);
      const start = Math.max(0, query.offset);
      if (root !== undefined) {
        // Every candidate's summary, to keep those whose own ConversationId is the one asked for.
        const all = await this.summariesOf(s, found.slice(0, CONVERSATION_CANDIDATES));
        const mine = all.filter((m) => m.conversationId === query.conversationId);
        return { total: mine.length, hits: mine.slice(start, start + Math.max(0, query.limit)) };
      }
      const page = found.slice(start, start + Math.max(0, query.limit));
      return { total: found.length, hits: await this.summariesOf(s, page) };
    });
  }

  /** Summaries of `page` (folder rows and server UIDs), in its order. */
  private async summariesOf(s: ImapSession, page: { row: FolderRow; uid: number }[]): Promise<MailSummary[]> {
    const byKey = new Map<string, MailSummary>();
    for (const row of new Set(page.map((p) => p.row))) {
      await this.sessions.select(s, row, false);
      const uids = page.filter((p) => p.row === row).map((p) => p.uid);
      // Summaries carry the item ids phones hold (a replaced draft's alias), the page the server's UIDs.
      const server = new Map([...this.db.publicUids(row.id, uids)].map(([uid, alias]) => [alias, uid]));
      for (const m of await this.reader.summaries(s, row, uids)) byKey.set(`${row.id}/${server.get(parseItemId(m.itemId)?.uid ?? 0)}`, m);
    }
    return page.map((p) => byKey.get(`${p.row.id}/${p.uid}`)).filter((m): m is MailSummary => m !== undefined);
  }
}
