// Conversations on an IMAP account ([MS-ASCON]): the ConversationId of a message comes from its parsed headers
// (../conversation.ts, as in the built-in store). The id is a hash, so to find a conversation's messages on the
// server (Search ConversationId, ItemOperations Move) the root it was made from is kept (imap_conversations):
// every id a phone holds came from a summary read here, which recorded its root. The server is then asked for
// the messages naming that root (UID SEARCH HEADER), and each candidate's own id is checked.
import { type ConversationHeaders, conversationIdsOfRoots, conversationRoot, normalisedSubject } from "../conversation";
import type { Arg } from "./connection";
import { q } from "./connection";
import type { MirrorDb } from "./mirror-db";

/** Ids remembered in memory per instance at most. */
const KNOWN_MAX = 10_000;

export class ImapConversations {
  /** Ids already recorded by this instance: another message of a known thread writes nothing. */
  private readonly known = new Set<string>();

  constructor(private readonly db: MirrorDb) {}

  /**
   * The messages' ConversationIds (32 hex digits each, in the order given), their roots recorded for searches
   * by those ids, a batch of new summaries in one statement (a bound JSON array: Durable Object SQLite allows
   * at most 100 bound parameters; issue 15 target 2: one INSERT per summary was the first listing's largest
   * SQLite cost).
   */
  async rememberAll(hs: ConversationHeaders[]): Promise<string[]> {
    if (!hs.length) return [];
    const fresh = new Map<string, string>();
    const roots = hs.map(conversationRoot);
    const ids = await conversationIdsOfRoots(roots);
    ids.forEach((id, i) => {
      if (!this.known.has(id)) fresh.set(id, roots[i]!);
    });
    if (fresh.size === 0) return ids;
    this.db.sql(
      `INSERT OR IGNORE INTO imap_conversations (conversation, root)
       SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)`,
      JSON.stringify([...fresh]),
    );
    for (const id of fresh.keys()) {
      // Bounded memory: past KNOWN_MAX ids the set starts again (a repeat costs one INSERT OR IGNORE, no write).
      if (this.known.size >= KNOWN_MAX) this.known.clear();
      this.known.add(id);
    }
    return ids;
  }

  /** The root a ConversationId was made from, or null for an id never seen here. */
  rootOf(conversationId: string): string | null {
    return this.db.all<{ root: string }>(`SELECT root FROM imap_conversations WHERE conversation = ?`, conversationId)[0]?.root ?? null;
  }

  /**
   * UID SEARCH criteria (RFC 3501 6.4.4) for the candidates of a conversation: the messages naming its root
   * Message-ID in Message-ID, In-Reply-To or References (a substring match), or with its subject. A superset:
   * the caller keeps those whose own ConversationId is the one asked for.
   */
  static criteria(root: string): Arg[] | null {
    if (root.startsWith("m:")) {
      const id = root.slice(2);
      return ["OR", "OR", "HEADER", "MESSAGE-ID", q(id), "HEADER", "IN-REPLY-TO", q(id), "HEADER", "REFERENCES", q(id)];
    }
    if (root.startsWith("s:")) {
      const subject = normalisedSubject(root.slice(2));
      return subject ? ["SUBJECT", q(subject)] : null;
    }
    // No ids and no subject: the messages without a Message-ID (HEADER with an empty string matches any that has it).
    return ["NOT", "HEADER", "MESSAGE-ID", q("")];
  }
}
