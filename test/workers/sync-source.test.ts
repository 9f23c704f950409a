// The Sync engine is class-agnostic: a collection source for another class (here a small Notes source on
// the mailbox object's SQLite, written the way the PIM sources plug in) gets SyncKeys, replay of a lost
// response and ClientId de-duplication from the engine without any code of its own for them.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { ChangePayload, ClientAdd, ClientMailChange, ItemPayload } from "../../src/eas/sync-types";
import type { CollectionSource, ItemStamp } from "../../src/mailbox/collection-source";
import type { Mailbox } from "../../src/mailbox/mailbox";
import type { SyncService } from "../../src/mailbox/sync-service";
import { createAccount } from "../../src/service/directory";
import type { FolderStatus, ListOptions, StoreChange } from "../../src/store/types";
import { child, childText, el } from "../../src/wbxml/index";
import { TestPhone, collectionOf, idsOf, syncKeyOf } from "./helpers/phone";

const USER = "notes@example.test";
const PW = "notes-secret";
const NOTES = "9"; // the built-in store's default Notes folder

type Note = ItemStamp & { subject: string };

/** Notes in one table: a modseq per change and rows kept as tombstones, like the mail store. */
class NotesSource implements CollectionSource<Note> {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(
      `CREATE TABLE IF NOT EXISTS t_notes (id INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT, modseq INTEGER, received INTEGER, gone INTEGER DEFAULT 0)`,
    );
  }
  private next(): number {
    return this.sql.exec<{ m: number }>(`SELECT coalesce(max(modseq), 0) + 1 AS m FROM t_notes`).one().m;
  }
  private row(r: Record<string, SqlStorageValue>): Note {
    return { itemId: String(r.id), modseq: r.modseq as number, received: r.received as number, subject: r.subject as string };
  }
  put(subject: string): string {
    return String(
      this.sql.exec(`INSERT INTO t_notes (subject, modseq, received) VALUES (?, ?, ?) RETURNING id`, subject, this.next(), Date.now()).one()
        .id,
    );
  }
  edit(id: string, subject: string): void {
    this.sql.exec(`UPDATE t_notes SET subject = ?, modseq = ? WHERE id = ?`, subject, this.next(), Number(id));
  }
  async status(): Promise<FolderStatus> {
    const r = this.sql.exec<{ m: number; n: number }>(`SELECT coalesce(max(modseq), 0) AS m, sum(gone = 0) AS n FROM t_notes`).one();
    return { validity: "1", highestModseq: r.m, count: r.n ?? 0, tombstoneFloor: 0 };
  }
  async list(_f: string, o: ListOptions): Promise<Note[]> {
    const [received, id] = o.after ? [o.after.received, Number(o.after.itemId) || 0] : [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
    return this.sql
      .exec(
        `SELECT * FROM t_notes WHERE gone = 0 AND received >= ? AND (received, id) < (?, ?) ORDER BY received DESC, id DESC LIMIT ?`,
        o.since ?? 0,
        received,
        id,
        o.limit,
      )
      .toArray()
      .map((r) => this.row(r));
  }
  async changesSince(_f: string, modseq: number, limit: number): Promise<StoreChange[]> {
    return this.sql
      .exec(`SELECT id, modseq, gone FROM t_notes WHERE modseq > ? ORDER BY modseq LIMIT ?`, modseq, limit)
      .toArray()
      .map((r) => ({ itemId: String(r.id), modseq: r.modseq as number, deleted: r.gone === 1 }));
  }
  async stamp(_f: string, itemId: string): Promise<Note | null> {
    const r = this.sql.exec(`SELECT * FROM t_notes WHERE id = ? AND gone = 0`, Number(itemId)).toArray()[0];
    return r ? this.row(r) : null;
  }
  async count(): Promise<number> {
    return (await this.status()).count;
  }
  async render(n: Note): Promise<ItemPayload> {
    return { data: [el("Notes", "Subject", n.subject)] };
  }
  async renderChange(n: Note): Promise<ChangePayload> {
    return { data: [el("Notes", "Subject", n.subject)] };
  }
  async applyChange(n: Note, ch: ClientMailChange): Promise<boolean> {
    const subject = childText(ch.data, "Subject", "Notes");
    if (subject === undefined) return false;
    this.edit(n.itemId, subject);
    return true;
  }
  async add(_f: string, a: ClientAdd): Promise<string> {
    return this.put(childText(a.data, "Subject", "Notes") ?? "");
  }
  async remove(n: Note): Promise<void> {
    this.sql.exec(`UPDATE t_notes SET gone = 1, modseq = ? WHERE id = ?`, this.next(), Number(n.itemId));
  }
}

const mailbox = () => env.MAILBOX.getByName(USER);
const withNotes = <T>(fn: (src: NotesSource) => T) =>
  runInDurableObject(mailbox(), (mb: Mailbox, state: DurableObjectState) => {
    const src = new NotesSource(state.storage.sql);
    (mb as unknown as { mail: SyncService }).mail.register("Notes", src);
    return fn(src);
  });

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
  await withNotes((s) => {
    for (const t of ["Groceries", "Ideas", "Passwords? no"]) s.put(t);
  });
});

describe("a non-mail collection through the same engine", () => {
  it("download, server edit → Change, lost response replayed, ClientId Add de-duplicated, Delete", async () => {
    const phone = new TestPhone(USER, PW, "NOTES1", "16.1");
    let key = syncKeyOf(await phone.sync(NOTES, "0"));
    const first = await phone.sync(NOTES, key);
    expect(idsOf(first, "Add")).toHaveLength(3);
    key = syncKeyOf(first);

    const ideas = idsOf(first, "Add")[1];
    await withNotes((s) => s.edit(ideas.split(":")[1], "Ideas (edited)"));
    const lost = await phone.sync(NOTES, key);
    const again = await phone.sync(NOTES, key);
    expect(idsOf(again, "Change")).toEqual([ideas]);
    expect(idsOf(lost, "Change")).toEqual([ideas]);
    const data = child(child(child(collectionOf(again), "Commands"), "Change"), "ApplicationData");
    expect(childText(data, "Subject", "Notes")).toBe("Ideas (edited)");
    key = syncKeyOf(again);

    const add = el(
      "AirSync",
      "Add",
      el("AirSync", "ClientId", "note-1"),
      el("AirSync", "ApplicationData", el("Notes", "Subject", "From the phone")),
    );
    const a1 = await phone.sync(NOTES, key, { commands: [add] });
    const a2 = await phone.sync(NOTES, key, { commands: [add] });
    const sid = childText(child(child(collectionOf(a1), "Responses"), "Add"), "ServerId");
    expect(childText(child(child(collectionOf(a2), "Responses"), "Add"), "ServerId")).toBe(sid);
    expect(await withNotes((s) => s.count())).toBe(4);
    key = syncKeyOf(a2);

    const del = await phone.sync(NOTES, key, { commands: [el("AirSync", "Delete", el("AirSync", "ServerId", sid!))] });
    expect(await withNotes((s) => s.count())).toBe(3);
    const idle = await phone.sync(NOTES, syncKeyOf(del));
    expect(idle.raw.length).toBe(0); // neither the device's own Add nor its Delete comes back
  });
});

/** Notes that record each listing and each hint of the listing to come (CollectionSource.ahead). */
class RecordingNotes extends NotesSource {
  static lists: ListOptions[] = [];
  static aheads: ListOptions[] = [];
  override async list(f: string, o: ListOptions): Promise<Note[]> {
    RecordingNotes.lists.push({ ...o });
    return super.list(f, o);
  }
  ahead(_f: string, o: ListOptions): void {
    RecordingNotes.aheads.push({ ...o });
  }
}

describe("the listing a device will ask for next (CollectionSource.ahead, issue 15 target 2)", () => {
  const USER2 = "notes-ahead@example.test";
  const withRecording = <T>(fn: (src: RecordingNotes) => T) =>
    runInDurableObject(env.MAILBOX.getByName(USER2), (mb: Mailbox, state: DurableObjectState) => {
      const src = new RecordingNotes(state.storage.sql);
      (mb as unknown as { mail: SyncService }).mail.register("Notes", src);
      return fn(src);
    });

  it("is told at SyncKey 0 and after each page with MoreAvailable, and is exactly the listing the next page makes; not on a replay, not after the last page", async () => {
    await createAccount(env.DB, USER2, PW);
    await withRecording((s) => {
      for (let i = 0; i < 25; i++) s.put(`Note ${i}`);
    });
    const phone = new TestPhone(USER2, PW, "NOTESAHEAD", "16.1");
    const aheads = () => withRecording(() => RecordingNotes.aheads.map((o) => JSON.parse(JSON.stringify(o))));
    const lists = () => withRecording(() => RecordingNotes.lists.map((o) => JSON.parse(JSON.stringify(o))));
    let key = syncKeyOf(await phone.sync(NOTES, "0", { windowSize: 10 }));
    expect(await aheads()).toHaveLength(1);
    expect(await lists()).toHaveLength(0);
    const pages: number[] = [];
    let lost: string | null = null;
    for (;;) {
      const r = await phone.sync(NOTES, key, { windowSize: 10 });
      pages.push(idsOf(r, "Add").length);
      if (lost === null) {
        // The first page's answer lost: its replay is no new page, and says nothing of the next listing.
        lost = key;
        const n = (await aheads()).length;
        const again = await phone.sync(NOTES, lost, { windowSize: 10 });
        expect(idsOf(again, "Add")).toEqual(idsOf(r, "Add"));
        expect(await aheads()).toHaveLength(n);
        key = syncKeyOf(again);
      } else key = syncKeyOf(r);
      if (!child(collectionOf(r), "MoreAvailable")) break;
    }
    expect(pages).toEqual([10, 10, 5]);
    const [a, l] = [await aheads(), await lists()];
    // One hint per listing that followed, each the very listing: SyncKey 0 → page 1, page 1 → page 2, page 2 → page 3.
    expect(l).toHaveLength(3);
    expect(a).toEqual(l);
    expect(l[1].after).toBeDefined();
  });
});
