// The CalDAV/CardDAV bridge (issue 8 item 5) against a real Radicale on loopback (test/servers/radicale.ts).
// "Another client" is plain fetch from the test with the same account, never our DavClient.
// The tests run in order and share Radicale's storage and the mailbox objects' SQLite.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import ICAL from "ical.js";
import { beforeAll, describe, expect, it } from "vitest";
import { isLoopbackHost } from "../../src/store/loopback";
import { DavClient } from "../../src/store/dav/client";
import { DavPimStore, type DavPimStoreOptions } from "../../src/store/dav/store";
import { PimConflictError, type PimItem } from "../../src/store/pim-types";
import { FolderType, StoreNotFoundError, StoreUnavailableError, type StoreFolder } from "../../src/store/types";

const account = { url: env.RADICALE_URL + "/", username: env.RADICALE_USER, password: env.RADICALE_PASSWORD };
const auth = "Basic " + btoa(`${env.RADICALE_USER}:${env.RADICALE_PASSWORD}`);
const home = `/${env.RADICALE_USER}/`;

/** Runs `fn` with a DavPimStore over the SQLite of mailbox `name` (state survives between calls). */
function withStore<T>(name: string, fn: (store: DavPimStore) => Promise<T>, opts: DavPimStoreOptions = {}): Promise<T> {
  return runInDurableObject(env.MAILBOX.getByName(name), async (_instance, state) => fn(new DavPimStore(state.storage, account, opts)));
}

/** Another CalDAV/CardDAV client writing straight to the server. */
async function other(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(env.RADICALE_URL + path, { method, body, headers: { Authorization: auth, ...headers } });
  return res;
}

function event(uid: string, summary: string, start = "20270115T090000Z", end = "20270115T100000Z"): string {
  return [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Other Client//EN",
    "BEGIN:VEVENT",
    `UID:${uid}`,
    "DTSTAMP:20261126T120000Z",
    `DTSTART:${start}`,
    `DTEND:${end}`,
    `SUMMARY:${summary}`,
    "LOCATION:Room 4",
    "END:VEVENT",
    "END:VCALENDAR",
    "",
  ].join("\r\n");
}

function card(uid: string, name: string): string {
  return ["BEGIN:VCARD", "VERSION:3.0", `UID:${uid}`, `FN:${name}`, `N:${name};;;;`, "EMAIL:someone@example.net", "END:VCARD", ""].join(
    "\r\n",
  );
}

/** The properties that matter of the first VEVENT/VCARD, as parsed by ical.js. */
function essentials(text: string, names: string[]): Record<string, string> {
  let comp = new ICAL.Component(ICAL.parse(text));
  if (comp.name === "vcalendar") comp = comp.getAllSubcomponents().find((c) => c.name !== "vtimezone")!;
  return Object.fromEntries(names.map((n) => [n, String(comp.getFirstProperty(n)?.toICALString() ?? "")]));
}

async function byUid(store: DavPimStore, folderId: string, uid: string): Promise<PimItem | null> {
  return store.getByUid(folderId, uid);
}

let calendar: StoreFolder;
let tasks: StoreFolder;
let contacts: StoreFolder;

beforeAll(async () => {
  const setup = new DavClient(account);
  await other("PROPFIND", home, undefined, { Depth: "0" }); // Radicale creates the principal on first use
  await setup.makeCollection(`${home}calendar/`, "calendar", "Calendar", ["VEVENT"]);
  await setup.makeCollection(`${home}tasks/`, "calendar", "Tasks", ["VTODO"]);
  await setup.makeCollection(`${home}contacts/`, "addressbook", "Contacts");
});

describe("DAV bridge on Radicale", () => {
  it("discovery: well-known → principal → home sets finds the calendar, task list and address book", async () => {
    const folders = await withStore("alice@dav.test", (s) => s.listCollections()); // first time: discovers
    calendar = folders.find((f) => f.name === "Calendar")!;
    tasks = folders.find((f) => f.name === "Tasks")!;
    contacts = folders.find((f) => f.name === "Contacts")!;
    expect(calendar).toMatchObject({ type: FolderType.Calendar, itemClass: "Calendar", parentId: "0" });
    expect(tasks).toMatchObject({ type: FolderType.Tasks, itemClass: "Tasks" });
    expect(contacts).toMatchObject({ type: FolderType.Contacts, itemClass: "Contacts" });
    expect(folders).toHaveLength(3);
    // Radicale advertises sync-collection in supported-report-set, so the main path is RFC 6578.
    await runInDurableObject(env.MAILBOX.getByName("alice@dav.test"), async (_i, state) => {
      expect(
        state.storage.sql
          .exec(`SELECT supports_sync FROM dav_collections`)
          .toArray()
          .map((r) => r.supports_sync),
      ).toEqual([1, 1, 1]);
    });
    // Ids are stable: a second discovery maps the same collections to the same folders.
    expect(await withStore("alice@dav.test", (s) => s.refreshCollections())).toEqual(folders);
    // The engine's frequent listCollections answers from the last discovery without asking the server.
    let requests = 0;
    const counting: typeof fetch = (a, b) => (requests++, fetch(a, b));
    expect(await withStore("alice@dav.test", (s) => s.listCollections(), { fetch: counting })).toEqual(folders);
    expect(requests).toBe(0);
    expect(await withStore("alice@dav.test", (s) => s.listCollections(), { fetch: counting, collectionsMaxAgeMs: -1 })).toEqual(folders);
    expect(requests).toBe(4);
  });

  it("an event PUT by another client shows in the changes after status()", async () => {
    const put = await other("PUT", `${home}calendar/ext-1.ics`, event("ext-1", "Dentist"), {
      "Content-Type": "text/calendar",
      "If-None-Match": "*",
    });
    expect(put.status).toBe(201);
    const serverEtag = put.headers.get("ETag");
    await withStore("alice@dav.test", async (s) => {
      const st = await s.status(calendar.id);
      expect(st.count).toBe(1);
      const changes = await s.changesSince(calendar.id, 0, 100);
      expect(changes).toHaveLength(1);
      const item = (await s.get(calendar.id, changes[0]!.itemId))!;
      expect(item).toMatchObject({ uid: "ext-1", href: "ext-1.ics", mediaType: "text/calendar", modseq: st.highestModseq });
      if (serverEtag) expect(item.etag).toBe(serverEtag);
      expect(essentials(item.data, ["summary", "dtstart"])).toEqual(essentials(event("ext-1", "Dentist"), ["summary", "dtstart"]));
      // Nothing changed on the server: no new modseq.
      expect((await s.status(calendar.id)).highestModseq).toBe(st.highestModseq);
    });
  });

  it("an event created through the store is on the server with the same essential properties", async () => {
    const ics = event("phone-1", "Lunch with Ana", "20270116T120000Z", "20270116T130000Z");
    const item = await withStore("alice@dav.test", (s) => s.put(calendar.id, ics));
    const res = await other("GET", `${home}calendar/${item.href}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toBe(item.etag);
    const names = ["uid", "summary", "dtstart", "dtend", "location"];
    expect(essentials(await res.text(), names)).toEqual(essentials(ics, names));
    // Our own write comes back through sync-collection with the ETag we stored: not a change for the phone.
    await withStore("alice@dav.test", async (s) => {
      const before = (await s.get(calendar.id, item.itemId))!.modseq;
      await s.status(calendar.id);
      expect((await s.get(calendar.id, item.itemId))!.modseq).toBe(before);
    });
  });

  it("a contact both ways", async () => {
    expect(
      (await other("PUT", `${home}contacts/ext-card.vcf`, card("ext-card", "Bob Martin"), { "Content-Type": "text/vcard" })).status,
    ).toBe(201);
    await withStore("alice@dav.test", async (s) => {
      await s.status(contacts.id);
      expect((await byUid(s, contacts.id, "ext-card"))?.data).toContain("FN:Bob Martin");
      const mine = await s.put(contacts.id, card("phone-card", "Chloé Durand"));
      expect(mine.mediaType).toBe("text/vcard");
      const res = await other("GET", `${home}contacts/${mine.href}`);
      expect(essentials(await res.text(), ["uid", "fn", "email"])).toEqual(
        essentials(card("phone-card", "Chloé Durand"), ["uid", "fn", "email"]),
      );
    });
  });

  it("a task lands in the task list, not the calendar", async () => {
    const todo = [
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//x//EN",
      "BEGIN:VTODO",
      "UID:todo-1",
      "DTSTAMP:20261126T120000Z",
      "SUMMARY:File taxes",
      "END:VTODO",
      "END:VCALENDAR",
      "",
    ].join("\r\n");
    await withStore("alice@dav.test", async (s) => {
      await expect(s.put(calendar.id, todo)).rejects.toThrow(/VEVENT/);
      const item = await s.put(tasks.id, todo);
      expect((await other("GET", `${home}tasks/${item.href}`)).status).toBe(200);
    });
  });

  // The store's half of MS-ASCMD_R2065/MS-ASCMD_R2066 (Conflict absent or 1: the server object replaces the
  // client object): the refused edit leaves the server's version, with a new modseq so the phone receives it.
  it("an update with a stale ETag: the server's version wins and the write is refused", async () => {
    await withStore("alice@dav.test", async (s) => {
      await s.status(calendar.id);
      const mine = (await byUid(s, calendar.id, "ext-1"))!;
      // Another client changes it first.
      const changed = await other(
        "PUT",
        `${home}calendar/ext-1.ics`,
        event("ext-1", "Dentist (moved)", "20270115T140000Z", "20270115T150000Z"),
        {
          "Content-Type": "text/calendar",
          "If-Match": mine.etag,
        },
      );
      expect([201, 204]).toContain(changed.status);
      // The phone's edit carries the ETag it read: the store sends If-Match with it and gets 412.
      await expect(s.put(calendar.id, event("ext-1", "Dentist (phone edit)"), { itemId: mine.itemId })).rejects.toBeInstanceOf(
        PimConflictError,
      );
      const after = (await s.get(calendar.id, mine.itemId))!;
      expect(after.data).toContain("SUMMARY:Dentist (moved)");
      expect(after.modseq).toBeGreaterThan(mine.modseq);
      expect(await (await other("GET", `${home}calendar/ext-1.ics`)).text()).toContain("Dentist (moved)");
      // A caller's own stale If-Match is refused before anything is sent.
      await expect(s.put(calendar.id, event("ext-1", "x"), { itemId: mine.itemId, ifMatch: mine.etag })).rejects.toBeInstanceOf(
        PimConflictError,
      );
      // With the fresh ETag the update goes through.
      const ok = await s.put(calendar.id, event("ext-1", "Dentist (agreed)"), { itemId: mine.itemId, ifMatch: after.etag });
      expect(ok.itemId).toBe(mine.itemId);
      expect(await (await other("GET", `${home}calendar/ext-1.ics`)).text()).toContain("Dentist (agreed)");
    });
  });

  it("a create that collides with an object another client just made is a conflict, and that object shows", async () => {
    expect((await other("PUT", `${home}calendar/race-1.ics`, event("race-1", "Theirs"), { "Content-Type": "text/calendar" })).status).toBe(
      201,
    );
    await withStore("alice@dav.test", async (s) => {
      // The local copy has not seen race-1 yet; our create uses If-None-Match: * on the same name.
      await expect(s.put(calendar.id, event("race-1", "Mine"))).rejects.toBeInstanceOf(PimConflictError);
      expect((await byUid(s, calendar.id, "race-1"))?.data).toContain("SUMMARY:Theirs");
    });
  });

  it("a create retried after its answer was lost (the object is already on the server) succeeds once", async () => {
    const ics = event("retry-1", "Retried");
    // The first attempt reached the server; the answer never came back.
    expect((await other("PUT", `${home}calendar/retry-1.ics`, ics, { "Content-Type": "text/calendar", "If-None-Match": "*" })).status).toBe(
      201,
    );
    await withStore("alice@dav.test", async (s) => {
      const item = await s.put(calendar.id, ics);
      expect(item).toMatchObject({ uid: "retry-1", href: "retry-1.ics" });
      expect((await s.list(calendar.id, { limit: 100 })).filter((i) => i.uid === "retry-1")).toHaveLength(1);
      await s.delete(calendar.id, item.itemId);
    });
  });

  it("a create whose UID another client already stored under another name: 409 no-uid-conflict → conflict, theirs shows", async () => {
    expect(
      (await other("PUT", `${home}calendar/their-name.ics`, event("uid-clash", "Theirs"), { "Content-Type": "text/calendar" })).status,
    ).toBe(201);
    await withStore("alice@dav.test", async (s) => {
      await expect(s.put(calendar.id, event("uid-clash", "Mine"))).rejects.toBeInstanceOf(PimConflictError);
      expect(await byUid(s, calendar.id, "uid-clash")).toMatchObject({ href: "their-name.ics" });
      expect((await other("GET", `${home}calendar/uid-clash.ics`)).status).toBe(404);
    });
    expect((await other("DELETE", `${home}calendar/their-name.ics`)).status).toBe(200);
  });

  it("resource names with spaces, @ and accents survive the round trip (percent-encoding differs between servers)", async () => {
    const name = "réunion d'équipe @ 10h.ics";
    const path = `${home}calendar/${encodeURIComponent(name)}`;
    expect((await other("PUT", path, event("odd-name", "Odd"), { "Content-Type": "text/calendar" })).status).toBe(201);
    await withStore("alice@dav.test", async (s) => {
      await s.status(calendar.id);
      const item = (await byUid(s, calendar.id, "odd-name"))!;
      expect(item.href).toBe(name);
      const edited = await s.put(calendar.id, event("odd-name", "Odd and edited"), { itemId: item.itemId });
      expect(await (await other("GET", path)).text()).toContain("Odd and edited");
      await s.delete(calendar.id, edited.itemId);
      expect((await other("GET", path)).status).toBe(404);
      // Our own delete comes back from sync-collection as nothing new.
      const top = (await s.status(calendar.id)).highestModseq;
      expect(await s.changesSince(calendar.id, top, 10)).toEqual([]);
    });
  });

  it("deletes both ways", async () => {
    await withStore("alice@dav.test", async (s) => {
      // Store → server.
      const phone = (await byUid(s, calendar.id, "phone-1"))!;
      await s.delete(calendar.id, phone.itemId);
      expect((await other("GET", `${home}calendar/${phone.href}`)).status).toBe(404);
      expect(await s.get(calendar.id, phone.itemId)).toBeNull();
      const afterOwn = (await s.status(calendar.id)).highestModseq;
      // Server → store.
      const race = (await byUid(s, calendar.id, "race-1"))!;
      expect((await other("DELETE", `${home}calendar/race-1.ics`)).status).toBe(200);
      const st = await s.status(calendar.id);
      const changes = await s.changesSince(calendar.id, afterOwn, 100);
      expect(changes).toEqual([{ itemId: race.itemId, modseq: st.highestModseq, deleted: true }]);
      expect(await s.get(calendar.id, race.itemId)).toBeNull();
      // A delete with a stale ETag is refused and the item stays.
      const ext = (await byUid(s, calendar.id, "ext-1"))!;
      await expect(s.delete(calendar.id, ext.itemId, '"stale"')).rejects.toBeInstanceOf(PimConflictError);
      expect((await other("GET", `${home}calendar/ext-1.ics`)).status).toBe(200);
    });
  });

  it("tombstones older than 30 days are pruned at the next pull and the folder's floor says so", async () => {
    await withStore("alice@dav.test", async (s) => {
      const st = await s.status(calendar.id);
      expect(st.tombstoneFloor).toBe(0);
      const gone = (await s.changesSince(calendar.id, 0, 1000)).filter((c) => c.deleted);
      expect(gone.length).toBeGreaterThan(0);
      await runInDurableObject(env.MAILBOX.getByName("alice@dav.test"), async (_i, state) => {
        state.storage.sql.exec(`UPDATE dav_tombstones SET at = ?`, Date.now() - 31 * 86_400_000);
      });
      const after = await s.status(calendar.id);
      expect(after.tombstoneFloor).toBe(Math.max(...gone.map((c) => c.modseq)));
      expect((await s.changesSince(calendar.id, 0, 1000)).filter((c) => c.deleted)).toEqual([]);
    });
  });

  it("the PROPFIND fallback (no sync-collection) sees the same objects and the same changes", async () => {
    const fallback = { forceFallback: true };
    const uids = async (name: string, opts: DavPimStoreOptions) =>
      withStore(
        name,
        async (s) => {
          const folders = await s.refreshCollections();
          const cal = folders.find((f) => f.name === "Calendar")!.id;
          await s.status(cal);
          return (await s.list(cal, { limit: 100 })).map((i) => `${i.uid} ${i.etag}`).sort();
        },
        opts,
      );
    expect(await uids("fallback@dav.test", fallback)).toEqual(await uids("alice@dav.test", {}));
    // One change of each kind by another client, then both stores pull.
    await other("PUT", `${home}calendar/ext-2.ics`, event("ext-2", "New"), { "Content-Type": "text/calendar" });
    await other("PUT", `${home}calendar/ext-1.ics`, event("ext-1", "Dentist (final)"), { "Content-Type": "text/calendar" });
    const changesOf = (name: string, opts: DavPimStoreOptions) =>
      withStore(
        name,
        async (s) => {
          const cal = (await s.refreshCollections()).find((f) => f.name === "Calendar")!.id;
          const from = (await s.status(cal)).highestModseq;
          expect((await other("DELETE", `${home}calendar/ext-2.ics`)).status).toBe(200);
          await other("PUT", `${home}calendar/ext-3.ics`, event("ext-3", "Another"), { "Content-Type": "text/calendar" });
          await s.status(cal);
          const changes = await s.changesSince(cal, from, 100);
          await other("PUT", `${home}calendar/ext-2.ics`, event("ext-2", "New"), { "Content-Type": "text/calendar" });
          await other("DELETE", `${home}calendar/ext-3.ics`);
          return Promise.all(changes.map(async (c) => (c.deleted ? "deleted" : (await s.get(cal, c.itemId))!.uid)));
        },
        opts,
      );
    // Both see ext-2 deleted and ext-3 added, and nothing else.
    expect((await changesOf("alice@dav.test", {})).sort()).toEqual(["deleted", "ext-3"]);
    expect((await changesOf("fallback@dav.test", fallback)).sort()).toEqual(["deleted", "ext-3"]);
    expect(await uids("fallback@dav.test", fallback)).toEqual(await uids("alice@dav.test", {}));
  });

  it("an invalid sync token falls back to a full listing without duplicates", async () => {
    await withStore("alice@dav.test", async (s) => {
      const status = await s.status(calendar.id);
      const before = (await s.list(calendar.id, { limit: 100 })).map((i) => i.itemId).sort();
      await runInDurableObject(env.MAILBOX.getByName("alice@dav.test"), async (_i, state) => {
        state.storage.sql.exec(`UPDATE dav_collections SET sync_token = 'http://radicale.org/ns/sync/bogus'`);
      });
      expect(await s.status(calendar.id)).toEqual(status);
      expect((await s.list(calendar.id, { limit: 100 })).map((i) => i.itemId).sort()).toEqual(before);
    });
  });

  it("a calendar made and then deleted by another client comes and goes; its folder then answers not found", async () => {
    await new DavClient(account).makeCollection(`${home}trips/`, "calendar", "Trips", ["VEVENT"]);
    await withStore("alice@dav.test", async (s) => {
      const trips = (await s.refreshCollections()).find((f) => f.name === "Trips")!;
      expect(trips).toMatchObject({ type: FolderType.UserCalendar, itemClass: "Calendar" });
      await s.status(trips.id);
      expect((await other("DELETE", `${home}trips/`)).status).toBe(200);
      await expect(s.status(trips.id)).rejects.toBeInstanceOf(StoreNotFoundError);
      expect((await s.refreshCollections()).map((f) => f.name).sort()).toEqual(["Calendar", "Contacts", "Tasks"]);
    });
  });

  it("a calendar holding events and tasks shows as a calendar folder and a task folder", async () => {
    await new DavClient(account).makeCollection(`${home}family/`, "calendar", "Family", []); // Radicale's default: VEVENT, VTODO, VJOURNAL
    const todo = [
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//x//EN",
      "BEGIN:VTODO",
      "UID:fam-todo",
      "DTSTAMP:20261126T120000Z",
      "SUMMARY:Buy milk",
      "END:VTODO",
      "END:VCALENDAR",
      "",
    ].join("\r\n");
    await other("PUT", `${home}family/fam-todo.ics`, todo, { "Content-Type": "text/calendar" });
    await other("PUT", `${home}family/fam-event.ics`, event("fam-event", "Picnic"), { "Content-Type": "text/calendar" });
    await withStore("alice@dav.test", async (s) => {
      const folders = await s.refreshCollections();
      const events = folders.find((f) => f.name === "Family")!;
      const todos = folders.find((f) => f.name === "Family (tasks)")!;
      expect(events).toMatchObject({ type: FolderType.UserCalendar, itemClass: "Calendar" });
      expect(todos).toMatchObject({ type: FolderType.UserTasks, itemClass: "Tasks" });
      await s.status(events.id);
      await s.status(todos.id);
      expect((await s.list(events.id, { limit: 10 })).map((i) => i.uid)).toEqual(["fam-event"]);
      expect((await s.list(todos.id, { limit: 10 })).map((i) => i.uid)).toEqual(["fam-todo"]);
      // A new task written into the task folder lands in the same collection on the server.
      const mine = await s.put(todos.id, todo.replace(/fam-todo/g, "fam-todo-2"));
      expect((await other("GET", `${home}family/${mine.href}`)).status).toBe(200);
      expect((await other("DELETE", `${home}family/`)).status).toBe(200);
      await s.refreshCollections();
    });
  });

  it("plain http only to loopback: a provider's server is reached over TLS", () => {
    expect(() => new DavClient({ ...account, url: "http://dav.example.net/" })).toThrow(TypeError);
    expect(() => new DavClient({ ...account, url: "https://dav.example.net/" })).not.toThrow();
    // The same loopback rule as every other client (src/store/loopback.ts): what the admin API accepts, the
    // DAV client accepts too (issue 13 §6: http://127.0.0.2 used to pass the API, then fail every request).
    for (const url of ["http://127.0.0.2:5232/", "http://[::1]:5232/", "http://localhost:5232/"]) {
      expect(isLoopbackHost(new URL(url).hostname), url).toBe(true);
      expect(() => new DavClient({ ...account, url }), url).not.toThrow();
    }
    expect(() => new DavClient({ ...account, url: "http://128.0.0.1/" })).toThrow(TypeError);
  });

  it("discovery also starts from a configured path (the principal URL itself)", async () => {
    const found = await new DavClient({ ...account, url: `${env.RADICALE_URL}${home}` }).discover();
    expect(found.principal).toBe(home);
    expect(found.collections.map((c) => c.href).sort()).toEqual([`${home}calendar/`, `${home}contacts/`, `${home}tasks/`]);
  });

  it("credentials the server refuses → StoreUnavailableError, not a crash", async () => {
    await runInDurableObject(env.MAILBOX.getByName("wrong@dav.test"), async (_i, state) => {
      const s = new DavPimStore(state.storage, { ...account, password: "not-the-password" });
      await expect(s.refreshCollections()).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
});
