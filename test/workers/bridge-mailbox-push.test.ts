// Push for a bridged mailbox (issue 8 §3): Dovecot's push_notification is turned on once per account
// (METADATA), a notification wakes only the waits of the changed folder, also when the object was evicted
// and has no login in memory (the usual case in production), with no false wake for a device's own change;
// and polling (push "poll") while devices wait. Waits are real Pings (src/eas/commands/Ping.ts).
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { folderIdsForName } from "../../src/mailbox/folder-names";
import type { Mailbox } from "../../src/mailbox/mailbox";
import type { BridgeMailStore } from "../../src/store/bridge";
import { FolderType, type StoreFolder } from "../../src/store/types";
import { otherClient } from "./imap/imap-helpers";
import { account, backend, message, RpcDevice } from "./bridge-mailbox-helpers";
import { ping, pingBody, waitsOpen, within } from "./push-helpers";

const control = inject("controlUrl");
const heidi = account("heidi");
const mb = heidi.mailbox;
const phone = new RpcDevice(mb, "PUSHPHONE", heidi.address);
let inbox = "";
let junk = "";
let key = "";

async function lmtp(to: string, raw: string): Promise<void> {
  const r = await fetch(`${control}/lmtp?to=${encodeURIComponent(to)}`, { method: "POST", body: raw });
  expect(r.status).toBe(204);
}

async function notified(subject: string, ms = 3000): Promise<{ body: string; at: number } | undefined> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 25))) {
    const list: { body: string; at: number }[] = await (await fetch(`${control}/notifications`)).json();
    const hit = list.find((n) => n.body.includes(subject));
    if (hit) return hit;
  }
  return undefined;
}

beforeAll(async () => {
  await mb().setBackend(backend({ push: "notify" }));
  await mb().useCredentials(heidi.login);
  const f = await phone.folderSync("0");
  inbox = f.adds.find((a) => a.type === FolderType.Inbox)!.serverId;
  junk = f.adds.find((a) => a.displayName === "Junk")!.serverId;
  await otherClient("heidi", (c) => c.append("INBOX", message("Already there")));
  key = (await phone.syncToEnd(inbox)).key;
  await phone.syncToEnd(junk);
});

afterEach(async () => {
  await mb().endAllWaits("test over");
});

describe("push from Dovecot", () => {
  it("the first login turns push on (METADATA), once: Dovecot then announces LMTP deliveries for this address", async () => {
    const remembered = await runInDurableObject(mb(), (_m, state) =>
      state.storage.sql.exec(`SELECT enabled_for FROM bridge_push`).toArray(),
    );
    expect(remembered).toHaveLength(1);
    await lmtp("heidi", "From: a@example.test\r\nTo: heidi@bridge.test\r\nSubject: announce me\r\n\r\nx\r\n");
    const n = await notified("announce me");
    expect(n).toBeDefined();
    expect(JSON.parse(n!.body)).toMatchObject({ user: heidi.address, folder: "INBOX", event: "messageNew" });
    key = (await phone.syncToEnd(inbox, 100, key)).key;
  });

  it("a notification wakes the Ping of the changed folder only, with Status 2 (MS-ASCMD_R4235)", async () => {
    const p = ping(heidi.address, phone.deviceId, pingBody(600, [[inbox, "Email"]]));
    const other = new RpcDevice(mb, "JUNKWATCHER", heidi.address);
    await other.folderSync("0");
    await other.syncToEnd(junk);
    const q = ping(heidi.address, other.deviceId, pingBody(600, [[junk, "Email"]]));
    await waitsOpen(heidi.address, 2);
    await lmtp("heidi", "From: a@example.test\r\nTo: heidi@bridge.test\r\nSubject: wake the inbox\r\n\r\nx\r\n");
    expect(await mb().externalChange("INBOX", "messageNew")).toBe(1);
    expect(await p).toMatchObject({ status: 2, folders: [inbox] });
    expect(await within(q, 100)).toBe("pending");
    key = (await phone.syncToEnd(inbox, 100, key)).key;
  });

  it("no false wake when the login is in memory and nothing changed for the device: its own flag change echoed by the server", async () => {
    expect(await phone.sync(inbox, key)).toBeNull(); // the phone is up to date
    const newest = await runInDurableObject(mb(), async (m) => (await m.store.listItems(inbox, { limit: 1 }))[0]!);
    const changed = await phone.sync(inbox, key, { changes: [{ serverId: `${inbox}:${newest.itemId}`, flagged: true }] });
    key = changed!.syncKey;
    const p = ping(heidi.address, phone.deviceId, pingBody(600, [[inbox, "Email"]]));
    await waitsOpen(heidi.address, 1);
    expect(await mb().externalChange("INBOX", "FlagsSet")).toBe(0);
    expect(await within(p, 100)).toBe("pending");
  });

  it("evicted while the phone waits, no login in memory: a notification still answers Status 2 for the notified folder only", async () => {
    const other = new RpcDevice(mb, "JUNKWATCHER", heidi.address);
    const p = ping(heidi.address, phone.deviceId, pingBody(600, [[inbox, "Email"]]));
    const q = ping(heidi.address, other.deviceId, pingBody(600, [[junk, "Email"]]));
    await waitsOpen(heidi.address, 2);
    await evictDurableObject(mb());
    await lmtp("heidi", "From: a@example.test\r\nTo: heidi@bridge.test\r\nSubject: while evicted\r\n\r\nx\r\n");
    expect(await notified("while evicted")).toBeDefined();
    const t0 = Date.now();
    expect(await mb().externalChange("INBOX", "messageNew")).toBe(1);
    expect(await p).toMatchObject({ status: 2, folders: [inbox] });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await within(q, 100)).toBe("pending");
    // answered from SQLite alone: no IMAP session was opened (there was no login to open one with)
    expect(await runInDurableObject(mb(), (m: Mailbox) => (m.store as BridgeMailStore).imap.stats.sessions)).toBe(0);
    // the phone's Sync brings the login back
    await mb().useCredentials(heidi.login);
    key = (await phone.syncToEnd(inbox, 100, key)).key;
  });

  it('server mailbox names map to our folder ids: UTF-8 and modified UTF-7, and an "INBOX."-prefixed namespace', async () => {
    const fkey = (await phone.folderSync("0")).syncKey!;
    const made = await mb().folderCreate(phone.deviceId, fkey, "0", "Réunions", FolderType.UserMail);
    expect(made.status).toBe(1);
    await phone.syncToEnd(made.serverId!);
    const p = ping(heidi.address, phone.deviceId, pingBody(600, [[made.serverId!, "Email"]]));
    await waitsOpen(heidi.address, 1);
    await otherClient("heidi", (c) => c.append("R&AOk-unions", message("in a folder with an accent")));
    expect(await mb().externalChange("R&AOk-unions", "messageNew")).toBe(1);
    expect(await p).toMatchObject({ status: 2, folders: [made.serverId] });

    // A Courier/Cyrus-style server lists everything under INBOX with "." as separator.
    const folders: StoreFolder[] = [
      { id: "1", parentId: "0", name: "Inbox", type: FolderType.Inbox, itemClass: "Email" },
      { id: "2", parentId: "1", name: "Sent", type: FolderType.SentItems, itemClass: "Email" },
      { id: "3", parentId: "1", name: "Archive", type: FolderType.UserMail, itemClass: "Email" },
      { id: "4", parentId: "3", name: "2026", type: FolderType.UserMail, itemClass: "Email" },
    ];
    expect(folderIdsForName(folders, "INBOX")).toEqual(["1"]);
    expect(folderIdsForName(folders, "INBOX.Sent")).toEqual(["2"]);
    expect(folderIdsForName(folders, "inbox.Archive.2026")).toEqual(["4"]);
    expect(folderIdsForName(folders, "INBOX/Archive")).toEqual(["3"]);
    expect(folderIdsForName(folders, "Archive")).toEqual([]);
  });
});

describe('polling while devices wait (push "poll")', () => {
  const ivan = account("ivan");
  const poller = new RpcDevice(ivan.mailbox, "POLLPHONE", ivan.address);
  let pollInbox = "";

  beforeAll(async () => {
    await ivan.mailbox().setBackend(backend({ push: "poll" }));
    await ivan.mailbox().useCredentials(ivan.login);
    pollInbox = (await poller.folderSync("0")).adds.find((a) => a.type === FolderType.Inbox)!.serverId;
    await poller.syncToEnd(pollInbox);
  });

  it("poll re-reads the waited-on folders and answers the waits with changes; nothing changed: 0; a built-in mailbox: 0", async () => {
    const p = ping(ivan.address, poller.deviceId, pingBody(600, [[pollInbox, "Email"]]));
    await waitsOpen(ivan.address, 1);
    await evictDurableObject(ivan.mailbox()); // the login is gone from memory: poll brings it
    expect(await ivan.mailbox().poll(ivan.login)).toBe(0);
    expect(await within(p, 50)).toBe("pending");
    await otherClient("ivan", (c) => c.append("INBOX", message("found by polling")));
    expect(await ivan.mailbox().poll(ivan.login)).toBe(1);
    expect(await p).toMatchObject({ status: 2, folders: [pollInbox] });
    expect(await account("nobody").mailbox().poll({ username: "x", password: "y" })).toBe(0);
    await ivan.mailbox().endAllWaits("test over");
  });
});

// Issue 19: a Dovecot rebuilt or migrated loses its METADATA dictionary and then announces nothing. The bridge
// verifies the registration (GETMETADATA) and sets it again; a safety poll catches what was not announced.
describe("push kept alive: registration verified and restored, safety poll (issue 19)", () => {
  const ENTRY = "/private/vendor/vendor.dovecot/http-notify";
  const wipe = () => otherClient("heidi", (c) => c.run("SETMETADATA", '""', `(${ENTRY} NIL)`));
  const watch = () =>
    runInDurableObject(mb(), (_m, state) =>
      state.storage.sql.exec<{ verified_at: number; heard_at: number; safety_at: number }>(`SELECT * FROM bridge_push_watch`).one(),
    );
  const setWatch = (cols: string) =>
    runInDurableObject(mb(), (_m, state) => void state.storage.sql.exec(`UPDATE bridge_push_watch SET ${cols}`));
  let n = 0;
  const deliverNew = async () => {
    const subject = `kept alive ${++n} ${Date.now()}`;
    await lmtp("heidi", `From: a@example.test\r\nTo: heidi@bridge.test\r\nSubject: ${subject}\r\n\r\nx\r\n`);
    return subject;
  };

  it("registration wiped on the server: nothing announced; the safety poll answers the waiting Ping and sets the registration again", async () => {
    await wipe();
    const p = ping(heidi.address, phone.deviceId, pingBody(600, [[inbox, "Email"]]));
    await waitsOpen(heidi.address, 1);
    await evictDurableObject(mb()); // as in production while a phone waits: no login in memory
    const lost = await deliverNew();
    expect(await notified(lost, 1000)).toBeUndefined(); // Dovecot no longer knows us: push is lost
    expect(await within(p, 50)).toBe("pending");
    await setWatch("heard_at = 0, safety_at = 0"); // nothing heard for longer than BRIDGE_SAFETY_POLL_SECONDS
    expect(await mb().poll(heidi.login)).toBe(1);
    expect(await p).toMatchObject({ status: 2, folders: [inbox] });
    key = (await phone.syncToEnd(inbox, 100, key)).key;
    // the poll found mail nobody announced: the registration was verified and set again
    expect(await notified(await deliverNew())).toBeDefined();
    key = (await phone.syncToEnd(inbox, 100, key)).key;
  });

  it("an object's first login verifies a registration last checked over an hour ago, and restores it", { timeout: 20_000 }, async () => {
    await wipe();
    await setWatch(`verified_at = ${Date.now() - 2 * 3_600_000}`);
    await evictDurableObject(mb());
    await mb().useCredentials(heidi.login);
    expect((await watch()).verified_at).toBeGreaterThan(Date.now() - 5000);
    expect(await notified(await deliverNew())).toBeDefined();
    // checked a moment ago: the next instance's login does not ask again (a login is not free)
    await evictDurableObject(mb());
    await mb().useCredentials(heidi.login);
    expect(await runInDurableObject(mb(), (m: Mailbox) => (m.store as BridgeMailStore).imap.stats.sessions)).toBe(0);
    key = (await phone.syncToEnd(inbox, 100, key)).key;
  });

  it("the safety poll is bounded: once per interval per mailbox, and not while the server is heard", async () => {
    await setWatch("heard_at = 0, safety_at = 0");
    const p = ping(heidi.address, phone.deviceId, pingBody(600, [[inbox, "Email"]]));
    await waitsOpen(heidi.address, 1);
    await otherClient("heidi", (c) => c.append("INBOX", message("appended, not announced")));
    const sessions = () => runInDurableObject(mb(), (m: Mailbox) => (m.store as BridgeMailStore).imap.stats.sessions);
    await setWatch(`heard_at = ${Date.now()}`); // heard a moment ago (the webhook): no safety poll
    const before = await sessions();
    expect(await mb().poll(heidi.login)).toBe(0);
    expect(await sessions()).toBe(before); // decided from SQLite, no IMAP session
    await setWatch("heard_at = 0");
    expect(await mb().poll(heidi.login)).toBe(1); // due: polls, and claims the interval
    expect(await p).toMatchObject({ status: 2 });
    expect((await watch()).safety_at).toBeGreaterThan(Date.now() - 5000);
    key = (await phone.syncToEnd(inbox, 100, key)).key;
    const claimed = await sessions();
    expect(await mb().poll(heidi.login)).toBe(0); // another device's Worker a moment later: not due
    expect(await sessions()).toBe(claimed);
  });

  it("re-pointing the backend (PUT …/backend, even to the same servers) registers again with the next login", async () => {
    await wipe();
    await mb().setBackend(backend({ push: "notify" }));
    await mb().useCredentials(heidi.login);
    expect(await notified(await deliverNew())).toBeDefined();
    key = (await phone.syncToEnd(inbox, 100, key)).key;
  });
});
