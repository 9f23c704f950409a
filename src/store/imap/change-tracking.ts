// Change tracking: what changed on the server since our last look, logged under our own per-folder counter
// (CONDSTORE/QRESYNC, or a UID and flag comparison on servers without them), the arrival order of messages,
// and tombstone pruning.
import type { FolderStatus, StoreChange } from "../types";
import type { ImapSession } from "./connection";
import type { DraftReplacements } from "./draft-replace";
import { statusOf } from "./folder-mirror";
import type { MirrorDb } from "./mirror-db";
import { attributes, str } from "./parser";
import type { ImapSessions } from "./sessions";
import type { FolderRow } from "./state";
import { boundedLimit, flagKey, itemIdOf, kind, parseInternalDate, uidOf, uidSet } from "./wire";

/** UIDs written to imap_order by one statement when a folder's arrival order is first read. */
const ORDER_BATCH = 5000;

/**
 * A look at a folder (refresh) is not repeated on the same session while nothing was sent since and it is at
 * most this old: a Sync asks for the folder's status, then lists or reads its changes at once (two looks, one
 * command each, issue 15 target 2). What the second look would see is a change landing in between, which is
 * the same as one landing just after it: read at the next look. Any command sent since (a write, a LIST at
 * the start of the next Sync) makes the next look real.
 */
const LOOK_REUSE_MS = 250;

export class ChangeTracker {
  constructor(
    private readonly db: MirrorDb,
    private readonly sessions: ImapSessions,
    private readonly drafts: DraftReplacements,
  ) {}

  /** The last look: its session, folder, the session's command count after it and when. */
  private lastLook: { session: ImapSession; folder: number; commands: number; at: number } | null = null;

  /**
   * Drops tombstones seen before `olderThan` (ms) and raises each affected folder's floor to the highest
   * pruned modseq, as BuiltinStore.pruneTombstones does. Returns how many were dropped.
   */
  pruneTombstones(olderThan: number): number {
    return this.db.transaction(() => {
      const floors = this.db.all<{ folder: number; top: number }>(
        `SELECT folder, max(modseq) AS top FROM imap_changes WHERE deleted = 1 AND at < ? GROUP BY folder`,
        olderThan,
      );
      for (const f of floors) this.db.sql(`UPDATE imap_folders SET floor = max(floor, ?) WHERE id = ?`, f.top, f.folder);
      // A replaced draft's alias lives as long as something can still name its current UID.
      this.db.sql(
        `DELETE FROM imap_draft_ids WHERE EXISTS (SELECT 1 FROM imap_changes c
           WHERE c.folder = imap_draft_ids.folder AND c.uid = imap_draft_ids.uid AND c.deleted = 1 AND c.at < ?)`,
        olderThan,
      );
      return this.db.all<{ id: number }>(`DELETE FROM imap_changes WHERE deleted = 1 AND at < ? RETURNING 1 AS id`, olderThan).length;
    });
  }

  async folderStatus(folderId: string): Promise<FolderStatus> {
    return this.sessions.use(async (s) => {
      // The message count comes with the look's own EXAMINE or STATUS (one command, not two).
      const { row, messages } = await this.look(s, this.db.folderRow(folderId), true);
      const count = messages ?? Number(str((await statusOf(s, row.path, "(MESSAGES)")).get("MESSAGES")));
      return { validity: String(row.uidvalidity), highestModseq: row.modseq, count, tombstoneFloor: row.floor };
    });
  }

  async changesSince(folderId: string, modseq: number, limit: number): Promise<StoreChange[]> {
    return this.sessions.use(async (s) => {
      const row = await this.refresh(s, this.db.folderRow(folderId));
      const changes = this.db.all<{ uid: number; modseq: number; deleted: number }>(
        `SELECT uid, modseq, deleted FROM imap_changes WHERE folder = ? AND modseq > ? ORDER BY modseq LIMIT ?`,
        row.id,
        modseq,
        boundedLimit(limit),
      );
      const ids = this.db.publicUids(
        row.id,
        changes.map((c) => c.uid),
      );
      return changes.map((c) => ({ itemId: itemIdOf(row.uidvalidity, ids.get(c.uid)!), modseq: c.modseq, deleted: c.deleted === 1 }));
    });
  }

  /**
   * Reads what changed on the server since our last look and logs it under our counter.
   * No change costs one EXAMINE (CONDSTORE/QRESYNC) or one STATUS (else), or nothing right after a look (LOOK_REUSE_MS).
   * A new UIDVALIDITY forgets the folder's log: every old item id is void.
   */
  async refresh(s: ImapSession, row: FolderRow): Promise<FolderRow> {
    const last = this.lastLook;
    if (last && last.session === s && last.folder === row.id && last.commands === s.stats.commands && Date.now() - last.at <= LOOK_REUSE_MS)
      return row;
    return (await this.look(s, row, false)).row;
  }

  /** refresh, the look itself; `count`: the folder's message count too, from the same command. */
  private async look(s: ImapSession, row: FolderRow, count: boolean): Promise<{ row: FolderRow; messages?: number }> {
    this.lastLook = null;
    const looked = await this.lookNow(s, row, count);
    this.lastLook = { session: s, folder: looked.row.id, commands: s.stats.commands, at: Date.now() };
    return looked;
  }

  private async lookNow(s: ImapSession, row: FolderRow, count: boolean): Promise<{ row: FolderRow; messages?: number }> {
    const modseqs = s.has("CONDSTORE") && s.has("QRESYNC");
    // A draft replacement a reset interrupted is finished before anything of it can be read as a change.
    await this.drafts.settle(s, row);
    let validity: number;
    let highest: number;
    let messages: number | undefined;
    if (modseqs) {
      // The folder opened afresh (EXAMINE, or SELECT when it is selected read-write): its UIDVALIDITY,
      // HIGHESTMODSEQ and message count as of now, and it stays selected for the FETCH that usually follows
      // (a page, the changes). One command where UNSELECT, STATUS and EXAMINE were three (issue 15 target 2).
      const sel = await this.sessions.reselect(s, row);
      validity = sel.uidvalidity;
      highest = sel.highestModseq;
      messages = count ? sel.exists : undefined;
    } else {
      // STATUS of the selected mailbox answers from this session's view of it (RFC 9051 §6.3.11): another
      // client's flag changes, or the mailbox deleted and recreated (new UIDVALIDITY), would go unseen while
      // the session is kept between calls. Unselect first (NOOP where UNSELECT is missing; never CLOSE, which
      // expunges).
      if (this.sessions.selected?.path === row.path) {
        await s.command(s.has("UNSELECT") ? ["UNSELECT"] : ["NOOP"]);
        if (s.has("UNSELECT")) this.sessions.selected = null;
      }
      const st = await statusOf(s, row.path, count ? "(UIDVALIDITY MESSAGES)" : "(UIDVALIDITY)");
      messages = count && st.has("MESSAGES") ? Number(str(st.get("MESSAGES"))) : undefined;
      validity = Number(str(st.get("UIDVALIDITY")));
      highest = 0;
    }
    if (validity !== row.uidvalidity) {
      this.db.transaction(() => {
        this.db.sql(`DELETE FROM imap_changes WHERE folder = ?`, row.id);
        this.db.sql(`DELETE FROM imap_uids WHERE folder = ?`, row.id);
        this.db.sql(`DELETE FROM imap_summaries WHERE folder = ?`, row.id);
        this.db.sql(`DELETE FROM imap_bodies WHERE folder = ?`, row.id);
        this.db.sql(`DELETE FROM imap_meta WHERE folder = ?`, row.id);
        this.db.sql(`DELETE FROM imap_order WHERE folder = ?`, row.id);
        this.db.forgetDraftIds(row.id);
        this.db.sql(
          `UPDATE imap_folders SET uidvalidity = ?, server_modseq = 0, modseq = modseq + 1, floor = modseq + 1, ordered = 0 WHERE id = ?`,
          validity,
          row.id,
        );
      });
      row = this.db.folderRow(String(row.id));
    }
    if (!modseqs) return { row: await this.refreshByUidDiff(s, row), messages };
    if (highest === row.server_modseq) return { row, messages };
    if (row.server_modseq === 0) {
      // First look at this folder: what exists now is listed by listItems, not replayed as changes.
      this.db.sql(`UPDATE imap_folders SET server_modseq = ? WHERE id = ?`, highest, row.id);
      return { row: this.db.folderRow(String(row.id)), messages };
    }
    await this.sessions.select(s, row, false);
    // FLAGS too: the kept flags of listed UIDs (imap_meta, fetching.ts) follow every change.
    const r = await s.command(["UID", "FETCH", "1:*", "(UID MODSEQ FLAGS)", `(CHANGEDSINCE ${row.server_modseq} VANISHED)`]);
    const changed: { uid: number; modseq: number; flags: string }[] = [];
    const vanished: number[] = [];
    for (const u of r.untagged) {
      if (kind(u) === "FETCH") {
        const a = attributes(u.tokens[2] ?? null);
        const m = a.get("MODSEQ");
        const uid = uidOf(a);
        if (uid !== null)
          changed.push({ uid, modseq: Number(str(Array.isArray(m) ? m[0] : m)), flags: JSON.stringify(a.get("FLAGS") ?? []) });
      } else if (kind(u) === "VANISHED") {
        vanished.push(...uidSet(str(u.tokens[u.tokens.length - 1])));
      }
    }
    changed.sort((a, b) => a.modseq - b.modseq || a.uid - b.uid);
    // STATUS's HIGHESTMODSEQ (read before the FETCH), not the newest change read: a change racing with the
    // FETCH is read again next time rather than missed.
    const arrived = await this.arrivals(
      s,
      row,
      changed.map((c) => c.uid),
    );
    this.db.transaction(() => {
      this.log(
        row.id,
        changed.map((c) => c.uid),
        vanished,
        highest,
      );
      this.order(row.id, arrived, vanished);
      // Kept flags of UIDs listed before (new ones are fetched whole when listed).
      if (changed.length)
        this.db.sql(
          `UPDATE imap_meta SET flags = (SELECT json_extract(c.value, '$[1]') FROM json_each(?2) c WHERE json_extract(c.value, '$[0]') = imap_meta.uid)
           WHERE folder = ?1 AND uid IN (SELECT json_extract(value, '$[0]') FROM json_each(?2))`,
          row.id,
          JSON.stringify(changed.map((c) => [c.uid, c.flags])),
        );
    });
    return { row: this.db.folderRow(String(row.id)), messages };
  }

  /**
   * For servers without CONDSTORE/QRESYNC: one UID FETCH 1:* (FLAGS) compared with the UIDs and flags we
   * last saw (imap_uids). Costs a line per message on every look, which is why the modseq path comes first.
   */
  private async refreshByUidDiff(s: ImapSession, row: FolderRow): Promise<FolderRow> {
    // Without CONDSTORE no look reads changed flags: nothing kept may be used later (fetching.ts keepMeta).
    this.db.sql(`DELETE FROM imap_meta WHERE folder = ?`, row.id);
    await this.sessions.select(s, row, false);
    const r = await s.command(["UID", "FETCH", "1:*", "(UID FLAGS)"]);
    const now = new Map<number, string>();
    for (const u of r.untagged) {
      if (kind(u) !== "FETCH") continue;
      const a = attributes(u.tokens[2] ?? null);
      const uid = uidOf(a);
      if (uid !== null) now.set(uid, flagKey(a.get("FLAGS")));
    }
    const known = new Map(
      this.db.all<{ uid: number; flags: string }>(`SELECT uid, flags FROM imap_uids WHERE folder = ?`, row.id).map((k) => [k.uid, k.flags]),
    );
    const first = row.server_modseq === 0;
    const changed = [...now]
      .filter(([uid, flags]) => known.get(uid) !== flags)
      .map(([uid]) => uid)
      .sort((a, b) => a - b);
    const vanished = [...known.keys()].filter((uid) => !now.has(uid)).sort((a, b) => a - b);
    if (!first && !changed.length && !vanished.length) return row;
    const arrived = first ? new Map<number, number>() : await this.arrivals(s, row, changed);
    this.db.transaction(() => {
      this.order(row.id, arrived, vanished);
      for (const uid of changed)
        this.db.sql(`INSERT OR REPLACE INTO imap_uids (folder, uid, flags) VALUES (?, ?, ?)`, row.id, uid, now.get(uid)!);
      for (const uid of vanished) this.db.sql(`DELETE FROM imap_uids WHERE folder = ? AND uid = ?`, row.id, uid);
      // server_modseq 1 marks "baseline taken" here; the first look logs nothing, as on the modseq path.
      if (first) this.db.sql(`UPDATE imap_folders SET server_modseq = 1 WHERE id = ?`, row.id);
      else this.log(row.id, changed, vanished, 1);
    });
    return this.db.folderRow(String(row.id));
  }

  /** INTERNALDATE of those UIDs not yet in imap_order (new arrivals), when the folder's order is kept. */
  private async arrivals(s: ImapSession, row: FolderRow, uids: number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    if (!row.ordered || !uids.length) return out;
    const known = new Set(
      this.db
        .all<{ uid: number }>(
          `SELECT uid FROM imap_order WHERE folder = ? AND uid IN (SELECT value FROM json_each(?))`,
          row.id,
          JSON.stringify(uids),
        )
        .map((r) => r.uid),
    );
    const missing = uids.filter((u) => !known.has(u));
    if (!missing.length) return out;
    await this.sessions.select(s, row, false);
    const r = await s.command(["UID", "FETCH", missing.join(","), "(UID INTERNALDATE)"]);
    for (const u of r.untagged) {
      if (kind(u) !== "FETCH") continue;
      const a = attributes(u.tokens[2] ?? null);
      const uid = uidOf(a);
      if (uid !== null && a.has("INTERNALDATE")) out.set(uid, parseInternalDate(str(a.get("INTERNALDATE"))));
    }
    return out;
  }

  private order(folder: number, arrived: Map<number, number>, vanished: number[]): void {
    for (const [uid, received] of arrived)
      this.db.sql(`INSERT OR REPLACE INTO imap_order (folder, uid, received) VALUES (?, ?, ?)`, folder, uid, received);
    for (const uid of vanished) this.db.sql(`DELETE FROM imap_order WHERE folder = ? AND uid = ?`, folder, uid);
  }

  /** Fills imap_order for a folder listed for the first time (one UID FETCH 1:* (INTERNALDATE)). */
  async ensureOrder(s: ImapSession, row: FolderRow): Promise<FolderRow> {
    if (row.ordered) return row;
    await this.sessions.select(s, row, false);
    const r = await s.command(["UID", "FETCH", "1:*", "(UID INTERNALDATE)"]);
    const order: [number, number][] = [];
    for (const u of r.untagged) {
      if (kind(u) !== "FETCH") continue;
      const a = attributes(u.tokens[2] ?? null);
      const uid = uidOf(a);
      if (uid !== null && a.has("INTERNALDATE")) order.push([uid, parseInternalDate(str(a.get("INTERNALDATE")))]);
    }
    this.db.transaction(() => {
      this.db.sql(`DELETE FROM imap_order WHERE folder = ?`, row.id);
      // ORDER_BATCH UIDs a statement (a bound JSON array: Durable Object SQLite allows at most 100 bound
      // parameters), not one statement a UID (issue 15 target 2: the first listing of 1 000 messages).
      for (let i = 0; i < order.length; i += ORDER_BATCH)
        this.db.sql(
          `INSERT OR REPLACE INTO imap_order (folder, uid, received)
           SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)`,
          row.id,
          JSON.stringify(order.slice(i, i + ORDER_BATCH)),
        );
      this.db.sql(`UPDATE imap_folders SET ordered = 1 WHERE id = ?`, row.id);
    });
    return this.db.folderRow(String(row.id));
  }

  /** Gives each change the next value of the folder's counter: changes first, then expunges. */
  private log(folder: number, changed: number[], vanished: number[], serverModseq: number): void {
    if (vanished.length) this.db.itemsGeneration++;
    let next = this.db.folderRow(String(folder)).modseq;
    for (const uid of changed) this.logChange(folder, uid, ++next, false);
    for (const uid of vanished) {
      this.db.sql(`DELETE FROM imap_summaries WHERE folder = ? AND uid = ?`, folder, uid);
      this.db.sql(`DELETE FROM imap_bodies WHERE folder = ? AND uid = ?`, folder, uid);
      this.db.sql(`DELETE FROM imap_meta WHERE folder = ? AND uid = ?`, folder, uid);
      // A replaced draft's old version: the draft lives on under its alias, so no delete for anyone.
      if (this.db.all(`DELETE FROM imap_draft_superseded WHERE folder = ? AND uid = ? RETURNING uid`, folder, uid).length) {
        this.db.sql(`DELETE FROM imap_changes WHERE folder = ? AND uid = ?`, folder, uid);
        continue;
      }
      this.logChange(folder, uid, ++next, true);
    }
    this.db.sql(`UPDATE imap_folders SET modseq = ?, server_modseq = ? WHERE id = ?`, next, serverModseq, folder);
  }

  private logChange(folder: number, uid: number, modseq: number, deleted: boolean): void {
    this.db.sql(
      `INSERT INTO imap_changes (folder, uid, modseq, deleted, at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (folder, uid) DO UPDATE SET modseq = excluded.modseq, deleted = excluded.deleted, at = excluded.at`,
      folder,
      uid,
      modseq,
      deleted ? 1 : 0,
      Date.now(),
    );
  }
}
