// Search Store=Mailbox on the mailbox side: the built-in store's FTS5 index kept in step with delivery, moves,
// deletes and emptied folders, rebuilt from the stored mail; folder scope, dates, ranges, LongId fetches.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { createAccount } from "../../src/service/directory";
import { describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import type { MailboxSearchRequest } from "../../src/mailbox/contract";
import { FolderType } from "../../src/store/types";

const enc = new TextEncoder();
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 10);

const message = (subject: string, body: string, from = "Alice Martin <alice@example.test>") =>
  enc.encode(
    `From: ${from}\r\nTo: owner@example.test\r\nSubject: ${subject}\r\nDate: Sat, 10 Jan 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`,
  );

const request = (over: Partial<MailboxSearchRequest> = {}): MailboxSearchRequest => ({
  collectionIds: [],
  deepTraversal: false,
  classes: [],
  range: { start: 0, end: 99 },
  options: { bodyPreferences: [{ type: 1, truncationSize: 100 }], mimeSupport: 0, protocolVersion: "14.1" },
  ...over,
});

const subjects = (r: { hits: { item: { subject: string } }[] }) => r.hits.map((h) => h.item.subject);

describe("Search Store=Mailbox (built-in store, FTS5)", () => {
  it("finds delivered mail by word prefix in subject, addresses and body, newest first, with a LongId", async () => {
    const stub = env.MAILBOX.getByName("search-words@example.test");
    await stub.deliver(message("Quarterly report", "Numbers for the board."), undefined, T0);
    await stub.deliver(message("Lunch", "The résumé you asked for.", "Bob Stone <bob@example.test>"), undefined, T0 + DAY);
    await stub.deliver(message("Re: Quarterly report", "Looks fine."), undefined, T0 + 2 * DAY);

    // MS-ASCMD_R421, R422: the query is a prefix match on words ("quart" finds "Quarterly").
    const r = await stub.search(request({ freeText: "quart" }));
    expect(r.status).toBe(1);
    expect(r.total).toBe(2);
    expect(subjects(r)).toEqual(["Re: Quarterly report", "Quarterly report"]);
    expect(r.range).toEqual({ start: 0, end: 1 });
    // MS-ASCMD_R3238: each result carries a LongId; ours is the item's ServerId.
    expect(r.hits[0].longId).toBe(`${r.hits[0].collectionId}:${r.hits[0].longId.split(":")[1]}`);
    expect(r.hits[0].item.body?.data).toBe("Looks fine.\n");

    expect(subjects(await stub.search(request({ freeText: "bob@example" })))).toEqual(["Lunch"]);
    expect(subjects(await stub.search(request({ freeText: "resume" })))).toEqual(["Lunch"]); // diacritics folded
    expect(subjects(await stub.search(request({ freeText: "board quarterly" })))).toEqual(["Quarterly report"]); // every word
    expect((await stub.search(request({ freeText: "nothing-like-this" }))).total).toBe(0);
    // Punctuation only, and FTS5 syntax, are words like any other: no error, no injection.
    expect((await stub.search(request({ freeText: '"*) OR (' }))).total).toBe(0);
    expect(subjects(await stub.search(request({ freeText: "(board*" })))).toEqual(["Quarterly report"]);
  });

  it("filters by DateReceived (GreaterThan, LessThan), folder, DeepTraversal and class; Range and Status 12", async () => {
    const stub = env.MAILBOX.getByName("search-scope@example.test");
    for (let i = 0; i < 5; i++) await stub.deliver(message(`Invoice ${i}`, "Please pay."), undefined, T0 + i * DAY);
    const sub = await runInDurableObject(stub, async (mb: Mailbox) => {
      const inbox = mb.store.folderByType(FolderType.Inbox)!.id;
      const child = await mb.store.createFolder(inbox, "Paid", 12);
      const first = (await mb.store.listItems(inbox, { limit: 10 })).find((m) => m.subject === "Invoice 0")!;
      await mb.store.moveItem(inbox, first.itemId, child.id);
      return { inbox, child: child.id };
    });

    // MS-ASCMD_R3140: GreaterThan/LessThan compare with the date received.
    const dated = await stub.search(request({ freeText: "invoice", receivedAfter: T0 + DAY, receivedBefore: T0 + 4 * DAY }));
    expect(subjects(dated)).toEqual(["Invoice 3", "Invoice 2"]);
    // A moved message is found in its new folder (the index follows the message, not the item).
    expect(subjects(await stub.search(request({ freeText: "invoice", collectionIds: [sub.child] })))).toEqual(["Invoice 0"]);
    // MS-ASCMD_R2146: without DeepTraversal the subfolders are not searched; R2031, R5856: with it they are.
    expect((await stub.search(request({ freeText: "invoice", collectionIds: [sub.inbox] }))).total).toBe(4);
    expect((await stub.search(request({ freeText: "invoice", collectionIds: [sub.inbox], deepTraversal: true }))).total).toBe(5);
    // Only mail is searched (MS-ASCMD_R920 lets a phone name Calendar, Contacts, Tasks, Notes, SMS): a search for
    // another class, or in a folder of another class, finds nothing with Status 1, never an error; an unknown
    // folder is a bad request (Status 2).
    for (const cls of ["Contacts", "Calendar", "Tasks", "Notes", "SMS"])
      expect(await stub.search(request({ freeText: "invoice", classes: [cls] }))).toMatchObject({ status: 1, total: 0, hits: [] });
    expect((await stub.search(request({ freeText: "invoice", classes: ["Email"] }))).total).toBe(5);
    expect((await stub.search(request({ freeText: "invoice", classes: ["Calendar", "Email"] }))).total).toBe(5);
    const calendar = await runInDurableObject(stub, (mb: Mailbox) => mb.store.folderByType(FolderType.Calendar)!.id);
    expect(await stub.search(request({ collectionIds: [calendar], classes: ["Calendar"] }))).toMatchObject({ status: 1, total: 0 });
    expect(await stub.search(request({ collectionIds: [calendar] }))).toMatchObject({ status: 1, total: 0 });
    expect(await stub.search(request({ collectionIds: [calendar, sub.child] }))).toMatchObject({ status: 1, total: 1 });
    expect((await stub.search(request({ collectionIds: ["999"] }))).status).toBe(2);

    // MS-ASCMD_R419, R420, R3726–R3729: the requested rows, and the total of all matches.
    const page = await stub.search(request({ freeText: "invoice", range: { start: 1, end: 2 } }));
    expect(page.status).toBe(1);
    expect(subjects(page)).toEqual(["Invoice 3", "Invoice 2"]);
    expect(page.range).toEqual({ start: 1, end: 2 });
    expect(page.total).toBe(5);
    // MS-ASCMD_R3733, R3736: at most 100 results; asking beyond is Status 12 with the rows that exist.
    const beyond = await stub.search(request({ freeText: "invoice", range: { start: 3, end: 150 } }));
    expect(beyond.status).toBe(12);
    expect(subjects(beyond)).toEqual(["Invoice 1", "Invoice 0"]);
    const past = await stub.search(request({ freeText: "invoice", range: { start: 10, end: 20 } }));
    expect(past).toMatchObject({ status: 1, total: 5, hits: [] });
    expect(past.range).toBeUndefined();
  });

  it("forgets deleted and emptied mail at once (MS-ASCMD_R3757) and survives a restart", async () => {
    const stub = env.MAILBOX.getByName("search-delete@example.test");
    const a = await stub.deliver(message("Alpha plan", "x"));
    await stub.deliver(message("Alpha budget", "y"));
    await runInDurableObject(stub, (mb: Mailbox) => mb.store.deleteItem(a.folderId, a.itemId));
    expect(subjects(await stub.search(request({ freeText: "alpha" })))).toEqual(["Alpha budget"]);
    await evictDurableObject(stub);
    expect(subjects(await stub.search(request({ freeText: "alpha" })))).toEqual(["Alpha budget"]);
    await runInDurableObject(stub, (mb: Mailbox) => mb.store.emptyFolder(a.folderId, false));
    expect((await stub.search(request({ freeText: "alpha" }))).total).toBe(0);
    const left = await runInDurableObject(
      stub,
      (_mb: Mailbox, state: DurableObjectState) =>
        state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM mail_fts WHERE mail_fts MATCH 'alpha'`).one().n,
    );
    expect(left).toBe(0);
  });

  it("rebuilds the index from the stored mail, bodies kept in R2 included", async () => {
    const stub = env.MAILBOX.getByName("search-rebuild@example.test");
    await stub.deliver(message("Small one", "pineapple"));
    // A body over the inline limit lives in R2: the rebuild reads it back.
    const long = `zucchini ${"filler ".repeat(30_000)}`;
    await stub.deliver(message("Big one", long));
    const before = await stub.search(request({ freeText: "zucchini" }));
    expect(subjects(before)).toEqual(["Big one"]);
    await runInDurableObject(stub, (_mb: Mailbox, state: DurableObjectState) => {
      state.storage.sql.exec(`DELETE FROM mail_fts`);
    });
    expect((await stub.search(request({ freeText: "pineapple" }))).total).toBe(0);
    // Through the admin API (the mailbox must exist in the directory first).
    const rebuild = (address: string) =>
      exports.default.fetch(
        new Request(`https://mail.example.test/admin/v1/mailboxes/${address}/search-index/rebuild`, {
          method: "POST",
          headers: { authorization: "Bearer test-admin-token" },
        }),
      );
    expect((await rebuild("nobody-here@example.test")).status).toBe(404);
    await createAccount(env.DB, "search-rebuild@example.test", "rebuild secret");
    const res = await rebuild("search-rebuild@example.test");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ rebuilt: true });
    expect(subjects(await stub.search(request({ freeText: "pineapple" })))).toEqual(["Small one"]);
    expect(subjects(await stub.search(request({ freeText: "zucchini" })))).toEqual(["Big one"]);
    expect((await stub.search(request({ freeText: "one" }))).total).toBe(2);
  });

  it("a word prefix finds every indexed word it starts (expanded from the term list, or FTS5's prefix query beyond the bound); a schema-4 store gains the term list", async () => {
    const stub = env.MAILBOX.getByName("search-prefixes@example.test");
    await stub.deliver(message("Planet", "planet"), undefined, T0);
    await stub.deliver(message("Planetary", "planetary"), undefined, T0 + 1000);
    await stub.deliver(message("Planets", "planets and more"), undefined, T0 + 2000);
    await stub.deliver(message("Plan", "a plan"), undefined, T0 + 3000);
    await stub.deliver(message("Street", "Straße und Strand"), undefined, T0 + 4000);
    // 30 words that share "zebra": more than a prefix is expanded to, so FTS5 answers the prefix itself.
    for (let i = 0; i < 30; i++)
      await stub.deliver(message(`Z${i}`, `zebra${String.fromCharCode(97 + (i % 26))}${i}`), undefined, T0 + 5000 + i);
    expect(subjects(await stub.search(request({ freeText: "plane" })))).toEqual(["Planets", "Planetary", "Planet"]);
    expect(subjects(await stub.search(request({ freeText: "PLANET" })))).toEqual(["Planets", "Planetary", "Planet"]);
    expect(subjects(await stub.search(request({ freeText: "planets" })))).toEqual(["Planets"]);
    expect(subjects(await stub.search(request({ freeText: "plan" })))).toEqual(["Plan", "Planets", "Planetary", "Planet"]);
    expect(subjects(await stub.search(request({ freeText: "stra" })))).toEqual(["Street"]);
    expect(subjects(await stub.search(request({ freeText: "straß" })))).toEqual(["Street"]);
    expect((await stub.search(request({ freeText: "zebra" }))).total).toBe(30);
    expect((await stub.search(request({ freeText: "zebrab" }))).total).toBe(2); // zebrab1, zebrab27
    await runInDurableObject(stub, (_mb: Mailbox, state: DurableObjectState) => {
      state.storage.sql.exec(`DROP TABLE mail_fts_terms`);
      state.storage.sql.exec(`UPDATE store_schema SET version = 4`);
    });
    await evictDurableObject(stub);
    expect(subjects(await stub.search(request({ freeText: "planeta" })))).toEqual(["Planetary"]);
  });

  it("indexes a store created before the index (schema 1 → 2 fills it from the stored mail)", async () => {
    const stub = env.MAILBOX.getByName("search-upgrade@example.test");
    await stub.deliver(message("Legacy note", "kumquat"));
    await runInDurableObject(stub, (_mb: Mailbox, state: DurableObjectState) => {
      state.storage.sql.exec(`DROP TABLE mail_fts`);
      state.storage.sql.exec(`DROP INDEX items_message`);
      state.storage.sql.exec(`DROP INDEX messages_search_key`);
      state.storage.sql.exec(`ALTER TABLE messages DROP COLUMN search_key`);
      state.storage.sql.exec(`UPDATE store_schema SET version = 1`);
    });
    await evictDurableObject(stub);
    expect(subjects(await stub.search(request({ freeText: "kumquat" })))).toEqual(["Legacy note"]);
  });

  it("a message whose key the INSERT guessed is taken gets the next free one of its millisecond, and its words", async () => {
    // The search key is set by the message INSERT from the next id's guess (largest id + 1): here that key is
    // made to belong to an earlier message, so the INSERT is refused and the store falls back to indexMessage.
    const stub = env.MAILBOX.getByName("search-key-taken@example.test");
    await stub.deliver(message("First", "apricot"), undefined, T0);
    await runInDurableObject(stub, (_mb: Mailbox, state: DurableObjectState) => {
      const sql = state.storage.sql;
      sql.exec(`DELETE FROM mail_fts WHERE rowid = (SELECT search_key FROM messages WHERE subject = 'First')`);
      sql.exec(
        `UPDATE messages SET search_key = ? * 1048576 + (SELECT max(id) + 1 FROM messages) % 1048576 WHERE subject = 'First'`,
        T0 + DAY,
      );
      sql.exec(
        `INSERT INTO mail_fts (rowid, subject, addresses, body) SELECT search_key, subject, '', 'apricot' FROM messages WHERE subject = 'First'`,
      );
    });
    await stub.deliver(message("Second", "banana"), undefined, T0 + DAY);
    expect(subjects(await stub.search(request({ freeText: "banana" })))).toEqual(["Second"]);
    expect(subjects(await stub.search(request({ freeText: "apricot" })))).toEqual(["First"]);
    await runInDurableObject(stub, (_mb: Mailbox, state: DurableObjectState) => {
      const rows = state.storage.sql
        .exec<{ subject: string; ms: number; distinct_keys: number }>(
          `SELECT subject, search_key / 1048576 AS ms, (SELECT count(DISTINCT search_key) FROM messages) AS distinct_keys FROM messages ORDER BY id`,
        )
        .toArray();
      expect(rows).toEqual([
        { subject: "First", ms: T0 + DAY, distinct_keys: 2 },
        { subject: "Second", ms: T0 + DAY, distinct_keys: 2 },
      ]);
    });
  });

  it("a LongId from a result fetches the item through ItemOperations (by LongId alone)", async () => {
    const stub = env.MAILBOX.getByName("search-longid@example.test");
    await stub.deliver(message("Ticket 42", "Printer on fire."));
    const hit = (await stub.search(request({ freeText: "printer" }))).hits[0];
    const [fetched] = await stub.itemOperationsFetch([
      { kind: "item", collectionId: "", serverId: "", longId: hit.longId, options: request().options },
    ]);
    expect(fetched).toMatchObject({ kind: "item", status: 1, longId: hit.longId, collectionId: hit.collectionId });
    expect(fetched.kind === "item" && fetched.item?.subject).toBe("Ticket 42");
    const [missing] = await stub.itemOperationsFetch([
      { kind: "item", collectionId: "", serverId: "", longId: "1:999999", options: request().options },
    ]);
    expect(missing).toMatchObject({ status: 6, longId: "1:999999" });
  });
});
