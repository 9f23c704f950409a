// The PimStore contract (src/store/pim-types.ts): what every calendar/contacts backend promises the sync
// engine, written once and run against each backend (the built-in store, DavPimStore on Radicale, the
// bridge's DAV side). The collections are shared by the tests of one file (a real DAV account), so every
// test uses its own UIDs and counts relative to what it found, or a time window no other test uses.
import { describe, expect, it } from "vitest";
import { PimConversionError } from "../../../src/formats/errors";
import { PimConflictError, type PimItem, type PimStore } from "../../../src/store/pim-types";
import { FolderType, type StoreChange, type StoreFolder, StoreNotFoundError } from "../../../src/store/types";
import type { PimBackend } from "./backend";
import { card, event, tag, todo } from "./fixtures";

interface Collections {
  calendar: StoreFolder;
  contacts: StoreFolder;
  tasks: StoreFolder;
}

async function collections(s: PimStore): Promise<Collections> {
  const list = await s.listCollections();
  const one = (type: number) => {
    const found = list.filter((f) => f.type === type);
    expect(found, `collections of type ${type}`).toHaveLength(1);
    return found[0]!;
  };
  return { calendar: one(FolderType.Calendar), contacts: one(FolderType.Contacts), tasks: one(FolderType.Tasks) };
}

/** iCalendar/vCard text with folded lines joined (a server may fold differently from us). */
function unfolded(text: string): string {
  return text.replace(/\r?\n[ \t]/g, "");
}

function ascending(changes: StoreChange[]): boolean {
  return changes.every((c, i) => i === 0 || c.modseq > changes[i - 1]!.modseq);
}

export function pimStoreContract(b: PimBackend): void {
  describe(`PimStore contract: ${b.name}`, () => {
    it("lists one default calendar, address book and task list, stable across listings and restarts; no mail folders", async () => {
      const first = await b.run(async (s) => {
        const list = await s.listCollections();
        const c = await collections(s);
        expect(c.calendar.itemClass).toBe("Calendar");
        expect(c.contacts.itemClass).toBe("Contacts");
        expect(c.tasks.itemClass).toBe("Tasks");
        expect(list.every((f) => f.itemClass !== "Email")).toBe(true);
        expect(new Set(list.map((f) => f.id)).size).toBe(list.length);
        expect(list.some((f) => f.itemClass === "Notes")).toBe(b.caps.notes);
        expect(await s.listCollections()).toEqual(list);
        return list;
      });
      await b.restart();
      expect(await b.run((s) => s.listCollections())).toEqual(first);
    });

    it("put creates an item readable by id and UID; the collection's count and counter move", async () => {
      await b.run(async (s) => {
        const { calendar } = await collections(s);
        const before = await s.status(calendar.id);
        const uid = `ev-${tag()}`;
        const start = Date.UTC(2027, 2, 3, 9);
        const t0 = Date.now();
        const item = await s.put(calendar.id, event(uid, "Dentist", start));
        expect(item).toMatchObject({
          folderId: calendar.id,
          uid,
          href: `${uid}.ics`,
          mediaType: "text/calendar",
          horizon: start + 3_600_000,
        });
        expect(item.etag).not.toBe("");
        expect(item.modseq).toBeGreaterThan(before.highestModseq);
        expect(item.updated).toBeGreaterThanOrEqual(t0 - 2000);
        expect(unfolded(item.data)).toContain("SUMMARY:Dentist");
        expect(await s.get(calendar.id, item.itemId)).toEqual(item);
        expect(await s.getByUid(calendar.id, uid)).toEqual(item);
        const after = await s.status(calendar.id);
        expect(after).toMatchObject({ validity: before.validity, count: before.count + 1, highestModseq: item.modseq });
        expect(await s.changesSince(calendar.id, before.highestModseq, 10)).toEqual([
          { itemId: item.itemId, modseq: item.modseq, deleted: false },
        ]);
        expect(await s.count(calendar.id)).toBe(after.count);
      });
    });

    it("a write replaces by UID or by id: same id and href, new ETag and modseq; the same object again changes nothing", async () => {
      await b.run(async (s) => {
        const { calendar } = await collections(s);
        const uid = `ev-${tag()}`;
        const a = await s.put(calendar.id, event(uid, "First"));
        const byUid = await s.put(calendar.id, event(uid, "Second"));
        expect(byUid).toMatchObject({ itemId: a.itemId, href: a.href, uid });
        expect(byUid.etag).not.toBe(a.etag);
        expect(byUid.modseq).toBeGreaterThan(a.modseq);
        expect(unfolded(byUid.data)).toContain("SUMMARY:Second");
        const byId = await s.put(calendar.id, event(uid, "Third"), { itemId: a.itemId });
        expect(byId).toMatchObject({ itemId: a.itemId, href: a.href });
        expect(byId.modseq).toBeGreaterThan(byUid.modseq);
        const status = await s.status(calendar.id);
        const same = await s.put(calendar.id, event(uid, "Third"));
        expect(same).toEqual(byId);
        expect(await s.status(calendar.id)).toEqual(status);
        expect(await s.get(calendar.id, a.itemId)).toEqual(byId);
        // A new object may name its resource.
        const named = await s.put(calendar.id, event(`ev-${tag()}`, "Named"), { href: `named-${uid}.ics` });
        expect(named.href).toBe(`named-${uid}.ics`);
        await expect(s.put(calendar.id, event(`ev-${tag()}`, "Nobody"), { itemId: "999999999" })).rejects.toBeInstanceOf(
          StoreNotFoundError,
        );
      });
    });

    it("If-Match: a stale ETag is a conflict and the stored version wins, for writes and deletes", async () => {
      await b.run(async (s) => {
        const { calendar } = await collections(s);
        const uid = `ev-${tag()}`;
        const a = await s.put(calendar.id, event(uid, "Mine"));
        const b2 = await s.put(calendar.id, event(uid, "Theirs"), { ifMatch: a.etag });
        expect(b2.itemId).toBe(a.itemId);
        const status = await s.status(calendar.id);
        await expect(s.put(calendar.id, event(uid, "Stale"), { ifMatch: a.etag })).rejects.toBeInstanceOf(PimConflictError);
        await expect(s.put(calendar.id, event(uid, "Stale"), { itemId: a.itemId, ifMatch: a.etag })).rejects.toBeInstanceOf(
          PimConflictError,
        );
        await expect(s.delete(calendar.id, a.itemId, a.etag)).rejects.toBeInstanceOf(PimConflictError);
        // A create that expects an existing item is a conflict too.
        await expect(s.put(calendar.id, event(`ev-${tag()}`, "Ghost"), { ifMatch: a.etag })).rejects.toBeInstanceOf(PimConflictError);
        expect(await s.get(calendar.id, a.itemId)).toEqual(b2);
        expect(await s.status(calendar.id)).toEqual(status);
        await s.delete(calendar.id, a.itemId, b2.etag);
        expect(await s.get(calendar.id, a.itemId)).toBeNull();
      });
    });

    it("a delete leaves a tombstone; the item reads as gone; a second delete is not found", async () => {
      await b.run(async (s) => {
        const { calendar } = await collections(s);
        const uid = `ev-${tag()}`;
        const item = await s.put(calendar.id, event(uid, "Short-lived"));
        const before = await s.status(calendar.id);
        await s.delete(calendar.id, item.itemId);
        const after = await s.status(calendar.id);
        expect(after.count).toBe(before.count - 1);
        expect(after.highestModseq).toBeGreaterThan(before.highestModseq);
        expect(await s.changesSince(calendar.id, before.highestModseq, 10)).toEqual([
          { itemId: item.itemId, modseq: after.highestModseq, deleted: true },
        ]);
        expect(await s.get(calendar.id, item.itemId)).toBeNull();
        expect(await s.getByUid(calendar.id, uid)).toBeNull();
        await expect(s.delete(calendar.id, item.itemId)).rejects.toBeInstanceOf(StoreNotFoundError);
        // The UID is free again: a new object gets a new id.
        const again = await s.put(calendar.id, event(uid, "Back"));
        expect(again.itemId).not.toBe(item.itemId);
      });
    });

    it("changesSince: ascending, at most `limit`, one entry per item at its latest modseq, pageable without loss", async () => {
      await b.run(async (s) => {
        const { calendar } = await collections(s);
        const from = (await s.status(calendar.id)).highestModseq;
        const x = await s.put(calendar.id, event(`ev-${tag()}`, "x"));
        const y = await s.put(calendar.id, event(`ev-${tag()}`, "y"));
        const z = await s.put(calendar.id, event(`ev-${tag()}`, "z"));
        const x2 = await s.put(calendar.id, event(x.uid, "x, again"));
        await s.delete(calendar.id, y.itemId);
        const all = await s.changesSince(calendar.id, from, 100);
        expect(ascending(all)).toBe(true);
        expect(all.map((c) => [c.itemId, c.deleted])).toEqual([
          [z.itemId, false],
          [x.itemId, false],
          [y.itemId, true],
        ]);
        expect(all[1]!.modseq).toBe(x2.modseq);
        expect(await s.changesSince(calendar.id, from, 2)).toEqual(all.slice(0, 2));
        const paged: StoreChange[] = [];
        for (let since = from; ; ) {
          const page = await s.changesSince(calendar.id, since, 1);
          if (page.length === 0) break;
          paged.push(...page);
          since = page[0]!.modseq;
        }
        expect(paged).toEqual(all);
        expect(await s.changesSince(calendar.id, all[2]!.modseq, 100)).toEqual([]);
      });
    });

    it("list pages by ascending id; stamps page by horizon, newest first; `since` filters stamps and count alike", async () => {
      await b.run(async (s) => {
        const { calendar } = await collections(s);
        // A time window no other test uses: the 2300s.
        const base = Date.UTC(2301, 0, 1, 9);
        const made: PimItem[] = [];
        for (let i = 0; i < 7; i++)
          made.push(await s.put(calendar.id, event(`far-${tag()}`, `Far ${i}`, base + Math.floor(i / 2) * 86_400_000)));

        const everything = await s.list(calendar.id, { limit: 10_000 });
        const ids = everything.map((i) => i.itemId);
        expect(new Set(ids).size).toBe(ids.length);
        for (const m of made) expect(everything).toContainEqual(m);
        const paged: string[] = [];
        for (let after: string | undefined; ; ) {
          const page = await s.list(calendar.id, { limit: 3, ...(after ? { afterItemId: after } : {}) });
          expect(page.length).toBeLessThanOrEqual(3);
          if (page.length === 0) break;
          paged.push(...page.map((p) => p.itemId));
          after = page[page.length - 1]!.itemId;
        }
        expect(paged).toEqual(ids);
        expect(everything).toHaveLength((await s.status(calendar.id)).count);

        const since = base;
        const stamps = await s.stamps(calendar.id, { since, limit: 100 });
        expect(stamps.map((st) => st.itemId).sort()).toEqual(made.map((m) => m.itemId).sort());
        expect(stamps.every((st, i) => i === 0 || st.received <= stamps[i - 1]!.received)).toBe(true);
        for (const st of stamps) {
          const m = made.find((x) => x.itemId === st.itemId)!;
          expect(st).toEqual({ itemId: m.itemId, folderId: calendar.id, modseq: m.modseq, received: m.horizon });
        }
        const pagedStamps: string[] = [];
        let after: { received: number; itemId: string } | undefined;
        for (let guard = 0; guard < 20; guard++) {
          const page = await s.stamps(calendar.id, { since, limit: 2, ...(after ? { after } : {}) });
          if (page.length === 0) break;
          pagedStamps.push(...page.map((p) => p.itemId));
          after = { received: page[page.length - 1]!.received, itemId: page[page.length - 1]!.itemId };
        }
        expect(pagedStamps).toEqual(stamps.map((st) => st.itemId));
        expect(await s.count(calendar.id, since)).toBe(7);
        const later = base + 2 * 86_400_000;
        expect((await s.stamps(calendar.id, { since: later, limit: 100 })).map((st) => st.itemId)).toEqual(
          stamps.filter((st) => st.received >= later).map((st) => st.itemId),
        );
        expect(await s.count(calendar.id, later)).toBe(3);
        expect(await s.list(calendar.id, { limit: 0 })).toEqual([]);
      });
    });

    it("contacts are vCards, tasks VTODOs; an object of the wrong kind is refused and nothing is stored", async () => {
      await b.run(async (s) => {
        const { calendar, contacts, tasks } = await collections(s);
        const cuid = `card-${tag()}`;
        const c = await s.put(contacts.id, card(cuid, "Chloé Durand"));
        expect(c).toMatchObject({ uid: cuid, href: `${cuid}.vcf`, mediaType: "text/vcard" });
        expect(unfolded(c.data)).toContain("FN:Chloé Durand");
        const t = await s.put(tasks.id, todo(`task-${tag()}`, "Water the plants"));
        expect(t).toMatchObject({ mediaType: "text/calendar" });
        expect(unfolded(t.data)).toContain("SUMMARY:Water the plants");

        const before = await Promise.all([calendar, contacts].map((f) => s.status(f.id)));
        await expect(s.put(calendar.id, card(`card-${tag()}`, "Not an event"))).rejects.toBeInstanceOf(PimConversionError);
        await expect(s.put(contacts.id, event(`ev-${tag()}`, "Not a card"))).rejects.toBeInstanceOf(PimConversionError);
        expect(await Promise.all([calendar, contacts].map((f) => s.status(f.id)))).toEqual(before);
      });
    });

    it("replaceAll matches objects by UID, deletes the rest, and counts what it did", async () => {
      await b.run(async (s) => {
        const { tasks } = await collections(s);
        const [u1, u2, u3] = [`rt-${tag()}`, `rt-${tag()}`, `rt-${tag()}`];
        const present = (await s.status(tasks.id)).count;
        expect(await s.replaceAll(tasks.id, [todo(u1, "One"), todo(u2, "Two")])).toEqual({
          added: 2,
          updated: 0,
          unchanged: 0,
          deleted: present,
        });
        const one = (await s.getByUid(tasks.id, u1))!;
        const from = (await s.status(tasks.id)).highestModseq;
        expect(await s.replaceAll(tasks.id, [todo(u1, "One, edited"), todo(u2, "Two"), todo(u3, "Three")])).toEqual({
          added: 1,
          updated: 1,
          unchanged: 1,
          deleted: 0,
        });
        expect((await s.getByUid(tasks.id, u1))!.itemId).toBe(one.itemId);
        expect(await s.replaceAll(tasks.id, [todo(u3, "Three")])).toEqual({ added: 0, updated: 0, unchanged: 1, deleted: 2 });
        expect((await s.list(tasks.id, { limit: 100 })).map((i) => i.uid)).toEqual([u3]);
        const changes = await s.changesSince(tasks.id, from, 100);
        expect(changes.filter((c) => c.deleted).map((c) => c.itemId)).toContain(one.itemId);
        expect((await s.status(tasks.id)).count).toBe(1);
      });
    });

    it("large objects: 600 KB round-trips; above the store's bound (1.5 MB) the write is refused and nothing changes", async () => {
      await b.run(async (s) => {
        const { calendar } = await collections(s);
        const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i % 1000}`).join(" ");
        const big = words(75_000); // ~ 600 KB
        const item = await s.put(calendar.id, event(`big-${tag()}`, "Big", Date.UTC(2027, 5, 1), big));
        expect(unfolded((await s.get(calendar.id, item.itemId))!.data)).toContain(`DESCRIPTION:${big}`);
        const status = await s.status(calendar.id);
        await expect(s.put(calendar.id, event(`huge-${tag()}`, "Huge", Date.UTC(2027, 5, 2), words(200_000)))).rejects.toBeInstanceOf(
          PimConversionError,
        );
        expect(await s.status(calendar.id)).toEqual(status);
      });
    });

    it("unknown collections are not found; unknown items read as null", async () => {
      await b.run(async (s) => {
        const { calendar } = await collections(s);
        for (const bad of ["no-such-folder", "0", "dav999999", "x'; DROP TABLE pim_items"]) {
          await expect(s.status(bad), bad).rejects.toBeInstanceOf(StoreNotFoundError);
          await expect(s.list(bad, { limit: 5 }), bad).rejects.toBeInstanceOf(StoreNotFoundError);
          await expect(s.changesSince(bad, 0, 5), bad).rejects.toBeInstanceOf(StoreNotFoundError);
          await expect(s.get(bad, "1"), bad).rejects.toBeInstanceOf(StoreNotFoundError);
          await expect(s.put(bad, event(`ev-${tag()}`, "Lost")), bad).rejects.toBeInstanceOf(StoreNotFoundError);
        }
        for (const bad of ["999999999", "", "abc", "1; --"]) {
          expect(await s.get(calendar.id, bad), bad).toBeNull();
          await expect(s.delete(calendar.id, bad), bad).rejects.toBeInstanceOf(StoreNotFoundError);
        }
        expect(await s.getByUid(calendar.id, `nobody-${tag()}`)).toBeNull();
      });
    });

    it("UIDs with '@', '/', spaces and accents: a single-segment href, found again by UID, updated in place", async () => {
      await b.run(async (s) => {
        const { calendar, contacts } = await collections(s);
        const uid = `weird/uid with spaces@exämple.test#${tag()}`;
        const item = await s.put(calendar.id, event(uid, "Odd"));
        expect(item.uid).toBe(uid);
        expect(item.href).not.toMatch(/[/\s]/);
        expect(item.href.endsWith(".ics")).toBe(true);
        expect(await s.getByUid(calendar.id, uid)).toEqual(item);
        const again = await s.put(calendar.id, event(uid, "Odd, again"));
        expect(again).toMatchObject({ itemId: item.itemId, href: item.href });
        const cuid = `card/${tag()}@example.test`;
        const c = await s.put(contacts.id, card(cuid, "Slash Person"));
        expect(c.href).not.toMatch(/[/\s]/);
        expect((await s.getByUid(contacts.id, cuid))?.itemId).toBe(c.itemId);
        await s.delete(calendar.id, item.itemId);
        expect(await s.getByUid(calendar.id, uid)).toBeNull();
      });
    });

    it("horizons: an event ends its horizon; a recurring one without end reaches far; a card's is its last write", async () => {
      await b.run(async (s) => {
        const { calendar, contacts } = await collections(s);
        const start = Date.UTC(2027, 3, 5, 9);
        const weekly = event(`rr-${tag()}`, "Standup", start).replace("END:VEVENT", "RRULE:FREQ=WEEKLY\r\nEND:VEVENT");
        const r = await s.put(calendar.id, weekly);
        expect(r.horizon).toBeGreaterThan(Date.UTC(2100, 0, 1));
        const since = Date.UTC(2090, 0, 1);
        expect((await s.stamps(calendar.id, { since, limit: 1000 })).map((st) => st.itemId)).toContain(r.itemId);
        const t0 = Date.now();
        const c = await s.put(contacts.id, card(`h-${tag()}`, "Horizon Card"));
        expect(c.horizon).toBe(c.updated);
        expect(c.horizon).toBeGreaterThanOrEqual(t0 - 2000);
      });
    });

    it("a recurring event with an exception is one item: master and override round-trip together", async () => {
      await b.run(async (s) => {
        const { calendar } = await collections(s);
        const uid = `rec-${tag()}`;
        const master = event(uid, "Weekly", Date.UTC(2027, 0, 4, 9)).replace("END:VEVENT", "RRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT");
        const override = [
          "BEGIN:VEVENT",
          `UID:${uid}`,
          "DTSTAMP:20261126T120000Z",
          "RECURRENCE-ID:20270111T090000Z",
          "DTSTART:20270111T140000Z",
          "DTEND:20270111T150000Z",
          "SUMMARY:Weekly (moved)",
          "END:VEVENT",
        ].join("\r\n");
        const data = master.replace("END:VCALENDAR", `${override}\r\nEND:VCALENDAR`);
        const item = await s.put(calendar.id, data);
        const back = unfolded((await s.get(calendar.id, item.itemId))!.data);
        expect(back).toContain("RRULE:FREQ=WEEKLY;COUNT=4");
        expect(back).toContain("RECURRENCE-ID:20270111T090000Z");
        expect(back).toContain("SUMMARY:Weekly (moved)");
        expect(back.match(/BEGIN:VEVENT/g)).toHaveLength(2);
        expect(await s.getByUid(calendar.id, uid)).toEqual(item);
      });
    });

    it(`a write by id with another UID: ${b.caps.uidChange ? "the item keeps its id and is found by its new UID" : "declared refused, a conflict that keeps the stored object"}`, async () => {
      await b.run(async (s) => {
        const { calendar } = await collections(s);
        const [oldUid, newUid] = [`old-${tag()}`, `new-${tag()}`];
        const a = await s.put(calendar.id, event(oldUid, "Renamed UID"));
        const write = s.put(calendar.id, event(newUid, "Renamed UID"), { itemId: a.itemId, ifMatch: a.etag });
        if (!b.caps.uidChange) {
          await expect(write).rejects.toBeInstanceOf(PimConflictError);
          expect(await s.get(calendar.id, a.itemId)).toEqual(a);
          expect(await s.getByUid(calendar.id, newUid)).toBeNull();
          return;
        }
        const b2 = await write;
        expect(b2).toMatchObject({ itemId: a.itemId, uid: newUid });
        expect(await s.getByUid(calendar.id, newUid)).toEqual(b2);
        expect(await s.getByUid(calendar.id, oldUid)).toBeNull();
        expect(await s.get(calendar.id, a.itemId)).toEqual(b2);
      });
    });

    it("a new item naming a resource already in use gets another name; nothing is overwritten", async () => {
      await b.run(async (s) => {
        const { calendar } = await collections(s);
        const href = `taken-${tag()}.ics`;
        const a = await s.put(calendar.id, event(`ev-${tag()}`, "First owner"), { href });
        const b2 = await s.put(calendar.id, event(`ev-${tag()}`, "Second"), { href });
        expect(a.href).toBe(href);
        expect(b2.href).not.toBe(href);
        expect(b2.itemId).not.toBe(a.itemId);
        expect(await s.get(calendar.id, a.itemId)).toEqual(a);
      });
    });

    it("limits are bounds, and calls at the same time are all applied, each once", async () => {
      await b.run(async (s) => {
        const { calendar } = await collections(s);
        for (const limit of [0, -1]) {
          expect(await s.list(calendar.id, { limit }), `list ${limit}`).toEqual([]);
          expect(await s.changesSince(calendar.id, 0, limit), `changesSince ${limit}`).toEqual([]);
          expect(await s.stamps(calendar.id, { limit }), `stamps ${limit}`).toEqual([]);
        }
        const before = await s.status(calendar.id);
        const uids = [0, 1, 2, 3].map(() => `par-${tag()}`);
        const items = await Promise.all(uids.map((u, i) => s.put(calendar.id, event(u, `Parallel ${i}`))));
        expect(new Set(items.map((i) => i.itemId)).size).toBe(4);
        await Promise.all([
          s.put(calendar.id, event(uids[0]!, "Parallel 0, edited")),
          s.delete(calendar.id, items[1]!.itemId),
          s.put(calendar.id, event(`par-${tag()}`, "Parallel 4")),
          s.status(calendar.id),
        ]);
        const after = await s.status(calendar.id);
        expect(after.count).toBe(before.count + 4);
        const changes = await s.changesSince(calendar.id, before.highestModseq, 100);
        expect(changes).toHaveLength(5);
        expect(new Set(changes.map((c) => c.modseq)).size).toBe(5);
        expect(unfolded((await s.getByUid(calendar.id, uids[0]!))!.data)).toContain("Parallel 0\\, edited");
      });
    });

    it("after a restart: same items, ETags and status; the counter carries on", async () => {
      const before = await b.run(async (s) => {
        const { calendar } = await collections(s);
        const item = await s.put(calendar.id, event(`ev-${tag()}`, "Survivor"));
        return { calendar, item, status: await s.status(calendar.id) };
      });
      await b.restart();
      await b.run(async (s) => {
        expect(await s.get(before.calendar.id, before.item.itemId)).toEqual(before.item);
        expect(await s.status(before.calendar.id)).toEqual(before.status);
        const next = await s.put(before.calendar.id, event(before.item.uid, "Survivor, edited"), { ifMatch: before.item.etag });
        expect(next.itemId).toBe(before.item.itemId);
        expect(next.modseq).toBeGreaterThan(before.status.highestModseq);
      });
    });
  });
}
