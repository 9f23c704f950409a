// Replacing a message in place on IMAP (a phone's edits of its draft, MailStore.replaceMessage). IMAP cannot
// rewrite a message: an edit is an APPEND of the new version and an expunge of the old one, which gives the
// draft a new UID. The phones must see one draft that changed, never a Delete and an Add (their ServerId and
// the other device's copy would be lost), so the item id keeps the UID of the draft's first version (its
// alias) and imap_draft_ids maps it to the current UID (state.ts). Item ids go out through
// MirrorDb.publicUids and come back through MirrorDb.serverUid.
//
// Crash safety (the mailbox object may be reset between any two steps):
//   1. begin: imap_draft_replacing gets (alias, old UID, token) in SQLite;
//   2. APPEND the new version carrying the token in an X-Mobile-Sync-Draft-Id header;
//   3. complete: in one transaction the alias points at the new UID, the old one is marked superseded
//      (imap_draft_superseded) and the replacing row goes;
//   4. the superseded UIDs are expunged (\Deleted + UID EXPUNGE of exactly them); the change log drops
//      their VANISHED instead of logging a delete (change-tracking.ts).
// `settle` runs before any look at the folder's changes: a replacing row left by an interrupted step 2/3 is
// finished by finding its new version with UID SEARCH HEADER (completed when the APPEND landed, forgotten
// when it did not), and superseded UIDs still on the server are expunged (an interrupted step 4). So a retry
// of the phone's Change, or another device's Sync, never finds two drafts for one id.
import type { ImapSession } from "./connection";
import { q } from "./connection";
import type { MirrorDb } from "./mirror-db";
import type { ImapSessions } from "./sessions";
import type { FolderRow } from "./state";
import { searchUids } from "./wire";

/** The header a new version of a replaced draft carries: the token of its replacement (settle finds it by it). */
export const DRAFT_TOKEN_HEADER = "X-Mobile-Sync-Draft-Id";

const TOKEN_LINE = new RegExp(`^${DRAFT_TOKEN_HEADER}:[^\\n]*\\n`, "i");

/** `raw` with the token header as its first line (one the message already had first is replaced). */
export function withDraftToken(raw: Uint8Array, token: string): Uint8Array {
  const body = withoutDraftToken(raw);
  const line = new TextEncoder().encode(`${DRAFT_TOKEN_HEADER}: ${token}\r\n`);
  const out = new Uint8Array(line.byteLength + body.byteLength);
  out.set(line);
  out.set(body, line.byteLength);
  return out;
}

/**
 * `raw` without the token line this store put first: what the phones, the Sent copy and the recipients get
 * (the token means nothing outside this store).
 */
export function withoutDraftToken(raw: Uint8Array): Uint8Array {
  const head = new TextDecoder("latin1").decode(raw.subarray(0, 200));
  const m = TOKEN_LINE.exec(head);
  return m ? raw.subarray(m[0].length) : raw;
}

export class DraftReplacements {
  constructor(
    private readonly db: MirrorDb,
    private readonly sessions: ImapSessions,
  ) {}

  /** Step 1: records the replacement of `oldUid` (the draft `alias`'s current version); returns its token. */
  begin(folder: number, alias: number, oldUid: number): string {
    const token = `${crypto.randomUUID()}@mobile-sync`;
    this.db.sql(
      `INSERT OR REPLACE INTO imap_draft_replacing (folder, alias, old_uid, token) VALUES (?, ?, ?, ?)`,
      folder,
      alias,
      oldUid,
      token,
    );
    return token;
  }

  /** Step 3: the alias names `newUid`; `oldUids` are superseded (expunged next, their VANISHED not a delete). */
  complete(folder: number, alias: number, newUid: number, oldUids: number[]): void {
    this.db.itemsGeneration++;
    this.db.transaction(() => {
      this.db.sql(`INSERT OR REPLACE INTO imap_draft_ids (folder, alias, uid) VALUES (?, ?, ?)`, folder, alias, newUid);
      for (const uid of oldUids) {
        if (uid === newUid) continue;
        this.db.sql(`DELETE FROM imap_draft_ids WHERE folder = ? AND uid = ? AND alias != ?`, folder, uid, alias);
        this.db.sql(`INSERT OR IGNORE INTO imap_draft_superseded (folder, uid) VALUES (?, ?)`, folder, uid);
      }
      this.db.sql(`DELETE FROM imap_draft_replacing WHERE folder = ? AND alias = ?`, folder, alias);
    });
  }

  /** The new version of a replacement whose APPEND gave no APPENDUID: found by its token. */
  async findByToken(s: ImapSession, row: FolderRow, token: string): Promise<number[]> {
    await this.sessions.select(s, row, true);
    return searchUids((await s.command(["UID", "SEARCH", "HEADER", DRAFT_TOKEN_HEADER, q(token)])).untagged).sort((a, b) => a - b);
  }

  /**
   * Finishes what an interrupted replacement left (see the top of this file). Costs nothing (no command)
   * when the folder has none, which is every look but the first after a reset in mid-replacement.
   */
  async settle(s: ImapSession, row: FolderRow): Promise<void> {
    const pending = this.db.all<{ alias: number; old_uid: number; token: string }>(
      `SELECT alias, old_uid, token FROM imap_draft_replacing WHERE folder = ?`,
      row.id,
    );
    for (const p of pending) {
      const found = (await this.findByToken(s, row, p.token)).filter((u) => u !== p.old_uid);
      if (found.length === 0) {
        // The APPEND never landed: the old version is still the draft.
        this.db.sql(`DELETE FROM imap_draft_replacing WHERE folder = ? AND alias = ?`, row.id, p.alias);
        continue;
      }
      // Newest wins; any other copy of the same token (an APPEND repeated by the server's retry) goes too.
      const newest = found[found.length - 1]!;
      this.complete(row.id, p.alias, newest, [p.old_uid, ...found.slice(0, -1)]);
    }
    await this.expungeSuperseded(s, row);
  }

  /** Step 4: \Deleted + UID EXPUNGE of the superseded UIDs still on the server (never anything else). */
  async expungeSuperseded(s: ImapSession, row: FolderRow): Promise<void> {
    const uids = this.db.all<{ uid: number }>(`SELECT uid FROM imap_draft_superseded WHERE folder = ?`, row.id).map((r) => r.uid);
    if (!uids.length) return;
    await this.sessions.select(s, row, true);
    const set = uids.join(",");
    const present = new Set(searchUids((await s.command(["UID", "SEARCH", "UID", set])).untagged));
    if (present.size) {
      const gone = [...present].join(",");
      await s.command(["UID", "STORE", gone, "+FLAGS.SILENT", "(\\Deleted)"]);
      // UID EXPUNGE (UIDPLUS, RFC 4315) expunges exactly these. A server without it has only EXPUNGE, which also
      // removes what another client marked \Deleted in this folder (RFC 3501 §6.4.3: messages it asked to be
      // removed at the next expunge); in Drafts that is the lesser harm than two drafts for one.
      await s.command(s.has("UIDPLUS") ? ["UID", "EXPUNGE", gone] : ["EXPUNGE"]);
    }
    // A superseded UID our change log never listed will not come back as VANISHED: nothing to wait for.
    this.db.sql(
      `DELETE FROM imap_draft_superseded WHERE folder = ? AND uid IN (SELECT value FROM json_each(?))
         AND NOT EXISTS (SELECT 1 FROM imap_changes c WHERE c.folder = imap_draft_superseded.folder AND c.uid = imap_draft_superseded.uid AND c.deleted = 0)`,
      row.id,
      JSON.stringify(uids.filter((u) => !present.has(u))),
    );
  }
}
