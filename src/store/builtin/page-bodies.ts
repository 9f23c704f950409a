// The texts of the Sync page being rendered, read together (issue 15 target 2): the engine asks getBody once per
// item, one statement each; after prefetchBodies named the page's items, the first getBody of a type reads that
// type's text of every item of the page in one statement and the others are served from it. Only the type asked
// for is read (an HTML column is not copied for a phone that wants plain text).
//
// Valid only while the store writes nothing (its CountingSql's rowsWritten unchanged since the page was named): a
// replaced draft, a delivery, a move or a flag written meanwhile, and every item is read on its own again. The
// object's one BuiltinStore is the only writer of items and messages (mailbox/stores.ts).
import type { CountingSql } from "../counting-sql";

/** A message's text of one type as the messages table keeps it: inline, or in R2 under a key. */
export type TextRow = {
  v: string | null;
  k: string | null;
  n: number;
};

const COLUMNS = {
  plain: "m.plain AS v, m.plain_key AS k, m.plain_size AS n",
  html: "m.html AS v, m.html_key AS k, m.html_size AS n",
} as const;

export class PageBodies {
  private page: {
    folder: number;
    uids: Set<number>;
    written: number;
    texts: Partial<Record<"plain" | "html", Map<number, TextRow>>>;
  } | null = null;

  constructor(private readonly sql: CountingSql) {}

  /** The page about to be rendered: items of folder `folder` (uids); forgets the last page. */
  start(folder: number, uids: number[]): void {
    this.page = uids.length > 1 ? { folder, uids: new Set(uids), written: this.sql.rowsWritten, texts: {} } : null;
  }

  /** The item's text row from the page's batch; undefined when it is not there (read it alone). */
  get(folder: number, uid: number, type: "plain" | "html"): TextRow | undefined {
    const p = this.page;
    if (!p || p.folder !== folder || !p.uids.has(uid) || p.written !== this.sql.rowsWritten) return undefined;
    let texts = p.texts[type];
    if (!texts) {
      // one bound JSON array: Durable Object SQLite allows at most 100 bound parameters
      const rows = this.sql.all<TextRow & { uid: number }>(
        `SELECT i.uid, ${COLUMNS[type]} FROM items i JOIN messages m ON m.id = i.message
          WHERE i.folder = ? AND i.uid IN (SELECT value FROM json_each(?))`,
        folder,
        JSON.stringify([...p.uids]),
      );
      texts = new Map(rows.map((r) => [r.uid, { v: r.v, k: r.k, n: r.n }]));
      p.texts[type] = texts;
    }
    // Not found (no such item): read alone, which answers as ever (an unknown folder throws).
    return texts.get(uid);
  }
}
