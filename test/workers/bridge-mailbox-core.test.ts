// A bridged mailbox (issue 8) through the Mailbox RPCs the EAS commands call, against the test Dovecot
// (plain IMAP on loopback) and Radicale: store selection, login from memory, FolderSync of IMAP folders +
// DAV collections, Sync paging, flags both ways, deletes into Trash, moves, estimates, fetches, folder
// operations, server-side renames and UIDVALIDITY resets, calendar both ways, eviction mid-way.
// The tests run in order and share the account's server state and the mailbox object's SQLite.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { PimSource } from "../../src/mailbox/pim-source";
import { DavClient } from "../../src/store/dav/client";
import { DavPimStore } from "../../src/store/dav/store";
import { BridgeMailStore, LoginDavStore } from "../../src/store/bridge";
import { ImapStore } from "../../src/store/imap";
import type { PimStamp } from "../../src/store/pim-types";
import { FolderType } from "../../src/store/types";
import { child, childText, el } from "../../src/wbxml/index";
import { otherClient } from "./imap/imap-helpers";
import { account, backend, message, RpcDevice } from "./bridge-mailbox-helpers";

const grace = account("grace");
const mb = grace.mailbox;
const phone = new RpcDevice(mb, "BRIDGE1", grace.address);
const folders: Record<string, string> = {};
const home = `/${grace.address}/`;

async function otherDav(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
  const auth = "Basic " + btoa(`${grace.login.username}:${grace.login.password}`);
  return fetch(env.RADICALE_URL + path, { method, body, headers: { Authorization: auth, ...headers } });
}

function ics(uid: string, summary: string): string {
  return [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Other//EN",
    "BEGIN:VEVENT",
    `UID:${uid}`,
    "DTSTAMP:20261126T120000Z",
    "DTSTART:20270115T090000Z",
    "DTEND:20270115T100000Z",
    `SUMMARY:${summary}`,
    "END:VEVENT",
    "END:VCALENDAR",
    "",
  ].join("\r\n");
}

beforeAll(async () => {
  const dav = new DavClient({ url: `${env.RADICALE_URL}/`, ...grace.login });
  await otherDav("PROPFIND", home, undefined, { Depth: "0" }); // Radicale creates the principal on first use
  await dav.makeCollection(`${home}calendar/`, "calendar", "Calendar", ["VEVENT"]);
  await dav.makeCollection(`${home}contacts/`, "addressbook", "Contacts");
  await otherClient("grace", async (c) => {
    for (let i = 0; i < 7; i++) await c.append("INBOX", message(`Bridged ${i}`));
  });
});

describe("store selection", () => {
  it("a mailbox without a backend row keeps the built-in store; one holding built-in mail cannot be bridged", async () => {
    const built = env.MAILBOX.getByName("builtin-first@bridge.test");
    expect(await built.getBackend()).toBeNull();
    expect((await built.listFolders()).find((f) => f.type === FolderType.Inbox)!.id).toBe("1");
    await built.deliver(new TextEncoder().encode(message("kept in the built-in store")));
    const refused = await built.setBackend(backend()).then(
      () => null,
      (e: Error) => e,
    );
    expect(refused?.message).toMatch(/built-in mail or PIM data/);
    expect(await built.getBackend()).toBeNull();
  });

  it("bridged: without a login in memory a call answers retryably (StoreUnavailableError), never with stale data", async () => {
    await mb().setBackend(backend({ dav: true }));
    expect(await mb().getBackend()).toEqual(backend({ dav: true }));
    const err = await mb()
      .folderSync(phone.deviceId, "0")
      .then(
        () => null,
        (e: Error) => e,
      );
    expect(err?.message).toMatch(/no login in memory/);
    // what the front door reads to answer 503 + Retry-After (src/http/errors.ts), across the RPC boundary
    expect(err).toMatchObject({ name: "StoreUnavailableError", retryAfterSeconds: 30 });
  });

  it("with the login handed over, FolderSync shows the IMAP folders (SPECIAL-USE types) and the DAV collections", async () => {
    await mb().useCredentials(grace.login);
    const r = await phone.folderSync("0");
    expect(r.status).toBe(1);
    for (const a of r.adds) folders[a.displayName] = a.serverId;
    const types = Object.fromEntries(r.adds.map((a) => [a.displayName, a.type]));
    expect(types).toMatchObject({ Inbox: 2, Drafts: 3, Trash: 4, Sent: 5, Junk: 12, Calendar: 8, Contacts: 9 });
    expect(folders.Calendar).toMatch(/^dav/);
    expect(folders.Inbox).toMatch(/^[0-9]+$/);
    // The built-in store was never built for this object: no built-in folders in its SQLite.
    await runInDurableObject(mb(), async (_m, state) => {
      const tables = state.storage.sql
        .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`)
        .toArray()
        .map((t) => t.name);
      expect(tables).not.toContain("folders");
      expect(tables).not.toContain("pim_items");
      expect(tables).toContain("imap_folders");
    });
  });
});

describe("mail through the IMAP store", () => {
  let inbox: string[] = [];
  let key = "0";

  it("Sync pages by WindowSize to the end: every message once (MS-ASCMD_R4767)", async () => {
    const all = await phone.syncToEnd(folders.Inbox!, 3);
    expect(all.pages).toBe(3);
    expect(all.adds).toHaveLength(7);
    expect(new Set(all.adds).size).toBe(7);
    inbox = all.adds;
    key = all.key;
  });

  it("flags both ways: the phone's Read lands on the server; a flag set by another client comes down as a Change", async () => {
    const first = inbox[0]!;
    const r = await phone.sync(folders.Inbox!, key, { changes: [{ serverId: first, read: true }] });
    expect(r!.responses.changes).toEqual([]);
    key = r!.syncKey;
    const uid = Number(first.split(":")[1]!.split("-")[1]);
    expect(await otherClient("grace", (c) => c.flags("INBOX", uid))).toContain("\\Seen");
    // its own change is not echoed back
    expect(await phone.sync(folders.Inbox!, key)).toBeNull();

    const second = inbox[1]!;
    const uid2 = Number(second.split(":")[1]!.split("-")[1]);
    await otherClient("grace", (c) => c.store("INBOX", uid2, "+FLAGS", "\\Flagged"));
    const down = await phone.sync(folders.Inbox!, key);
    expect(down!.commands).toEqual([{ op: "Change", serverId: second, data: expect.anything() }]);
    const change = down!.commands[0]!.data!;
    expect(childText(change, "Read", "Email")).toBe("0");
    expect(childText(child(change, "Flag", "Email"), "Status", "Email")).toBe("2");
    key = down!.syncKey;
  });

  it("a phone delete lands in Trash on the server (DeletesAsMoves, MS-ASCMD_R2161)", async () => {
    const victim = inbox[2]!;
    const r = await phone.sync(folders.Inbox!, key, { deletes: [victim] });
    key = r!.syncKey;
    const trash = await otherClient("grace", async (c) => {
      await c.select("Trash");
      const res = await c.s.command(["UID", "FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"]);
      return res.untagged.map((u) => JSON.stringify(u.tokens, (_k, v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : v)));
    });
    expect(trash.join("\n")).toMatch(/Bridged/);
    expect(await otherClient("grace", (c) => c.uids("INBOX"))).toHaveLength(6);
    inbox = inbox.filter((id) => id !== victim);
  });

  // Chaos seed 20261214: two HTTP 500s "StoreNotFoundError: no item …". The mailbox's two phones deleted the
  // same message at the same time: both Syncs found it in the mirror, the first one's MOVE to Trash went
  // through, the second one's found nothing on the server and its StoreNotFoundError escaped the Sync. The
  // message is gone, which is what both phones asked for: both Syncs succeed.
  it("two phones deleting the same message at once: both Syncs succeed, the message is in Trash once", async () => {
    const other = new RpcDevice(mb, "BRIDGE2", grace.address);
    await other.folderSync("0");
    const otherView = await other.syncToEnd(folders.Inbox!);
    const victim = inbox[2]!;
    expect(otherView.adds).toContain(victim);
    const trashBefore = (await otherClient("grace", (c) => c.uids("Trash"))).length;
    const [mine, theirs] = await Promise.all([
      phone.sync(folders.Inbox!, key, { deletes: [victim] }),
      other.sync(folders.Inbox!, otherView.key, { deletes: [victim] }),
    ]);
    expect(mine!.responses.deletes).toEqual([]);
    expect(theirs!.responses.deletes).toEqual([]);
    key = mine!.syncKey;
    inbox = inbox.filter((id) => id !== victim);
    expect(await otherClient("grace", (c) => c.uids("INBOX"))).toHaveLength(inbox.length);
    expect((await otherClient("grace", (c) => c.uids("Trash"))).length).toBe(trashBefore + 1);
  });

  it("a phone's Change to a message another phone deletes at the same time: Status 8 for the Change, no failed Sync", async () => {
    const other = new RpcDevice(mb, "BRIDGE3", grace.address);
    await other.folderSync("0");
    const otherView = await other.syncToEnd(folders.Inbox!);
    const victim = inbox[2]!;
    expect(otherView.adds).toContain(victim);
    const [deleted, changed] = await Promise.all([
      other.sync(folders.Inbox!, otherView.key, { deletes: [victim] }),
      phone.sync(folders.Inbox!, key, { changes: [{ serverId: victim, read: true }] }),
    ]);
    expect(deleted!.responses.deletes).toEqual([]);
    // Either order is right: the flag landed before the move (nothing to say), or the message was gone (8).
    expect(changed!.responses.changes.every((c) => c.status === 8)).toBe(true);
    key = changed!.syncKey;
    inbox = inbox.filter((id) => id !== victim);
    const rest = await phone.sync(folders.Inbox!, key);
    if (rest) key = rest.syncKey;
  });

  it("MoveItems moves on the server; GetItemEstimate counts; ItemOperations fetches the body", async () => {
    const create = await mb().folderCreate(phone.deviceId, (await phone.folderSync("0")).syncKey!, "0", "Archive", FolderType.UserMail);
    expect(create.status).toBe(1);
    folders.Archive = create.serverId!;
    const [moved] = await mb().moveItems(phone.deviceId, [{ srcMsgId: inbox[3]!, srcFldId: folders.Inbox!, dstFldId: folders.Archive }]);
    expect(moved!.status).toBe(3);
    expect(moved!.dstMsgId).toMatch(new RegExp(`^${folders.Archive}:`));
    expect(await otherClient("grace", (c) => c.uids("Archive"))).toHaveLength(1);
    inbox = inbox.filter((id) => id !== inbox[3]);

    await otherClient("grace", (c) => c.append("INBOX", message("Arrived later")));
    const [est] = await mb().getItemEstimate(phone.deviceId, [{ collectionId: folders.Inbox!, syncKey: key }]);
    expect(est).toMatchObject({ status: 1, estimate: 1 });

    const [fetched] = await mb().itemOperationsFetch([
      {
        kind: "item",
        collectionId: folders.Archive,
        serverId: moved!.dstMsgId!,
        options: { bodyPreferences: [{ type: 1 }], mimeSupport: 0, protocolVersion: "16.1" },
      },
    ]);
    expect(fetched).toMatchObject({ status: 1 });
    expect((fetched as { item: { body: { data: string } } }).item.body.data).toContain("Hello from the bridge test.");
  });

  it("folders: create, rename, delete on the server; a folder renamed on the server keeps its id", async () => {
    let fkey = (await phone.folderSync("0")).syncKey!;
    const made = await mb().folderCreate(phone.deviceId, fkey, "0", "Projects", FolderType.UserMail);
    expect(made.status).toBe(1);
    fkey = made.syncKey!;
    const renamed = await mb().folderUpdate(phone.deviceId, fkey, made.serverId!, "0", "Projects 2027");
    expect(renamed.status).toBe(1);
    fkey = renamed.syncKey!;
    expect(await otherClient("grace", (c) => c.mailboxes())).toContain("Projects 2027");
    // a calendar folder cannot be renamed through the bridge (the DAV server owns it): special folder status
    expect((await mb().folderUpdate(phone.deviceId, fkey, folders.Calendar!, "0", "Agenda")).status).toBe(2);

    await otherClient("grace", (c) => c.run("RENAME", '"Archive"', '"Archive 2026"'));
    const after = await phone.folderSync(fkey);
    expect(after.updates).toEqual([expect.objectContaining({ serverId: folders.Archive, displayName: "Archive 2026" })]);
    expect(after.adds).toEqual([]);
    expect(after.deletes).toEqual([]);
    fkey = after.syncKey!;

    const del = await mb().folderDelete(phone.deviceId, fkey, made.serverId!);
    expect(del.status).toBe(1);
    expect(await otherClient("grace", (c) => c.mailboxes())).not.toContain("Projects 2027");
    expect((await mb().folderDelete(phone.deviceId, del.syncKey!, folders.Inbox!)).status).toBe(3); // special folder
  });

  it("a UIDVALIDITY reset on the server: the phone resynchronises (Status 3, MS-ASCMD_R4427) and ends with no duplicates", async () => {
    await otherClient("grace", async (c) => {
      await c.run("CREATE", '"Reset"');
      await c.append("Reset", message("Old one"));
      await c.append("Reset", message("Old two"));
    });
    const f = await phone.folderSync("0");
    const reset = f.adds.find((a) => a.displayName === "Reset")!.serverId;
    const first = await phone.syncToEnd(reset);
    expect(first.adds).toHaveLength(2);
    await otherClient("grace", async (c) => {
      await c.run("DELETE", '"Reset"');
      await c.run("CREATE", '"Reset"');
      await c.append("Reset", message("New one"));
    });
    expect((await phone.folderSync("0")).adds.find((a) => a.displayName === "Reset")!.serverId).toBe(reset);
    const r: SyncResultLike = await mb().sync(phone.request(reset, first.key));
    expect(r.collections[0]!.status).toBe(3);
    const again = await phone.syncToEnd(reset);
    expect(again.adds).toHaveLength(1);
  });
});

type SyncResultLike = { collections: { status: number }[] };

describe("calendar through the DAV store", () => {
  let key = "0";
  it("an event added by the phone appears in Radicale; one made in Radicale appears in Sync", async () => {
    key = (await phone.sync(folders.Calendar!, "0"))!.syncKey;
    const C = (name: string, v: string) => el("Calendar", name, v);
    const data = el(
      "AirSync",
      "ApplicationData",
      C("AllDayEvent", "0"),
      C("StartTime", "20270120T090000Z"),
      C("EndTime", "20270120T100000Z"),
      C("Subject", "Bridge review"),
    );
    const r = await phone.sync(folders.Calendar!, key, { adds: [{ clientId: "cal-1", fields: {}, data }] });
    expect(r!.responses.adds).toEqual([expect.objectContaining({ clientId: "cal-1", status: 1 })]);
    key = r!.syncKey;
    const listing = await otherDav("PROPFIND", `${home}calendar/`, undefined, { Depth: "1" });
    const hrefs = [...(await listing.text()).matchAll(/<[^>]*href>([^<]+\.ics)</g)].map((m) => m[1]!);
    expect(hrefs).toHaveLength(1);
    expect(await (await otherDav("GET", hrefs[0]!)).text()).toMatch(/SUMMARY:Bridge review/);

    expect(
      (
        await otherDav("PUT", `${home}calendar/from-radicale.ics`, ics("from-radicale", "Made in Radicale"), {
          "Content-Type": "text/calendar",
        })
      ).status,
    ).toBe(201);
    const down = await phone.sync(folders.Calendar!, key);
    const adds = down!.commands.filter((c) => c.op === "Add");
    expect(adds).toHaveLength(1);
    expect(JSON.stringify(adds[0])).toContain("Made in Radicale");
    key = down!.syncKey;
  });

  it("a phone change to an event changed in Radicale since the last look: the server wins and its version comes down (MS-ASCMD_R2066)", async () => {
    const [ours] = (await phone.sync(folders.Calendar!, key, { fetches: [] }))?.commands ?? [];
    expect(ours).toBeUndefined(); // nothing pending
    const held = await runInDurableObject(mb(), (m: Mailbox) => m.pim.getByUid(folders.Calendar!, "from-radicale"));
    const etag = (await otherDav("GET", `${home}calendar/from-radicale.ics`)).headers.get("ETag")!;
    expect(
      (
        await otherDav("PUT", `${home}calendar/from-radicale.ics`, ics("from-radicale", "Moved by the assistant"), {
          "Content-Type": "text/calendar",
          "If-Match": etag,
        })
      ).status,
    ).toBeOneOf([201, 204]);
    const data = el("AirSync", "ApplicationData", el("Calendar", "Subject", "Changed on the phone"));
    const r = await phone.sync(folders.Calendar!, key, { changes: [{ serverId: `${folders.Calendar}:${held!.itemId}`, data }] });
    const change = r!.commands.find((c) => c.op === "Change");
    expect(JSON.stringify(change)).toContain("Moved by the assistant");
    expect(await (await otherDav("GET", `${home}calendar/from-radicale.ics`)).text()).toMatch(/SUMMARY:Moved by the assistant/);
    key = r!.syncKey;
  });

  it("a write refused with 412 (changed between our look and our PUT): Status 7 (Conflict), the server's version kept and sent down (MS-ASCMD_R4444)", async () => {
    await runInDurableObject(mb(), async (_m, state) => {
      // A store that does not look again before writing, so the server's change lands between look and PUT.
      const store = new DavPimStore(state.storage, { url: `${env.RADICALE_URL}/`, ...grace.login }, { minPullIntervalMs: 3_600_000 });
      const source = new PimSource(store, "Calendar", () => ({ defaultZone: "Etc/UTC" }), { get: () => undefined, set: () => undefined });
      const item = (await store.getByUid(folders.Calendar!, "from-radicale"))!;
      const etag = (await otherDav("GET", `${home}calendar/from-radicale.ics`)).headers.get("ETag")!;
      expect(etag).toBe(item.etag);
      expect(
        (
          await otherDav("PUT", `${home}calendar/from-radicale.ics`, ics("from-radicale", "Second server edit"), {
            "Content-Type": "text/calendar",
            "If-Match": etag,
          })
        ).status,
      ).toBeOneOf([201, 204]);
      const stamp = (await source.stamp(folders.Calendar!, item.itemId))!;
      const data = el("AirSync", "ApplicationData", el("Calendar", "Subject", "Phone edit that loses"));
      expect(await source.applyChange(stamp, { serverId: `${folders.Calendar}:${item.itemId}`, data })).toBe("conflict");
      const now = (await store.get(folders.Calendar!, item.itemId))!;
      expect(now.data).toMatch(/SUMMARY:Second server edit/);
      expect(now.modseq).toBeGreaterThan(stamp.modseq); // newer than what the device holds: it goes down as a Change
      // a delete refused the same way keeps the item (server wins), so it comes back to the device
      expect(
        (
          await otherDav("PUT", `${home}calendar/from-radicale.ics`, ics("from-radicale", "Third server edit"), {
            "Content-Type": "text/calendar",
          })
        ).status,
      ).toBeOneOf([201, 204]);
      await source.remove((await source.stamp(folders.Calendar!, item.itemId)) as PimStamp, folders.Calendar!);
      expect(await (await otherDav("GET", `${home}calendar/from-radicale.ics`)).text()).toMatch(/SUMMARY:Third server edit/);
    });
  });
});

describe("cost", () => {
  it("a Sync with nothing new costs at most 4 IMAP commands (LIST-STATUS, STATUS…) and reads no message", async () => {
    const { key } = await phone.syncToEnd(folders.Inbox!);
    const stats = () => runInDurableObject(mb(), (m: Mailbox) => ({ ...(m.store as BridgeMailStore).imap.stats }));
    const before = await stats();
    expect(await phone.sync(folders.Inbox!, key)).toBeNull();
    const after = await stats();
    expect(after.commands - before.commands).toBeLessThanOrEqual(4);
    expect(after.bytesIn - before.bytesIn).toBeLessThan(2000);
  });
});

describe("the backend changes", () => {
  it("the DAV server down: FolderSync still shows the calendars last discovered (never deleted on the phone), mail works", async () => {
    const listed = await runInDurableObject(mb(), async (_m, state) => {
      const imap = new ImapStore(state.storage, {
        endpoint: backend().imap,
        credentials: { user: "grace", password: grace.login.password },
        idleMs: 10,
      });
      const dead = new LoginDavStore(state.storage, "http://127.0.0.1:9/", () => grace.login, { collectionsMaxAgeMs: -1, timeoutMs: 2000 });
      try {
        return await new BridgeMailStore(imap, dead).listFolders();
      } finally {
        await imap.close();
      }
    });
    expect(listed.map((f) => f.id)).toEqual(expect.arrayContaining([folders.Inbox, folders.Calendar, folders.Contacts]));
  });

  it("same servers, other settings (push, SMTP): devices keep their keys; other servers or back to built-in: they resynchronise", async () => {
    const other = account("grace");
    const box = () => env.MAILBOX.getByName("grace-switch@bridge.test");
    const dev = new RpcDevice(box, "SWITCH", other.address);
    await box().setBackend(backend());
    await box().useCredentials(other.login);
    const first = await dev.folderSync("0");
    const inboxId = first.adds.find((a) => a.type === FolderType.Inbox)!.serverId;
    const key = (await dev.syncToEnd(inboxId)).key;

    await box().setBackend(backend({ push: "poll" }));
    expect((await dev.folderSync(first.syncKey!)).status).toBe(1);
    expect(await dev.sync(inboxId, key)).toBeNull(); // key still valid, nothing new

    await box().setBackend(null);
    expect((await dev.folderSync(first.syncKey!)).status).toBe(9); // MS-ASCMD_R4573: FolderSync again from 0
    const builtin = await dev.folderSync("0");
    expect(builtin.adds.find((a) => a.type === FolderType.Inbox)!.serverId).toBe("1");
    await runInDurableObject(box(), (_m, state) => {
      expect(state.storage.sql.exec(`SELECT count(*) AS n FROM imap_folders`).one().n).toBe(0);
    });
  });
});

describe("eviction mid-way", () => {
  it("state survives an eviction; a call without a login in memory answers retryably; the next login carries on", async () => {
    const before = await phone.folderSync("0");
    await evictDurableObject(mb());
    const err = await mb()
      .sync(phone.request(folders.Inbox!, "0"))
      .then(
        () => null,
        (e: Error) => e,
      );
    expect(err?.message).toMatch(/no login in memory/);
    await mb().useCredentials(grace.login);
    const after = await phone.folderSync("0");
    expect(after.adds.map((a) => [a.serverId, a.displayName]).sort()).toEqual(before.adds.map((a) => [a.serverId, a.displayName]).sort());
    expect(await mb().getBackend()).toEqual(backend({ dav: true }));
  });
});
