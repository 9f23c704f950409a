// Ping over the hibernatable-WebSocket wait ([MS-ASCMD] 2.2.1.13, 3.1.5.8).
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEFAULT_PING_MAX_FOLDERS, DEFAULT_PING_MAX_HEARTBEAT, DEFAULT_PING_MIN_HEARTBEAT } from "../../src/eas/front/push-config";
import { createStoreFolder, folderSynced, ping, pingBody, waitsOpen, within } from "./push-helpers";
import { touchFolder } from "./helpers/store-touch";

// The built-in store creates its default folders in a fixed order: "1" Inbox, "6" Calendar, "7" Contacts.
const INBOX: [string, string] = ["1", "Email"];
const CAL: [string, string] = ["6", "Calendar"];

describe("Ping statuses that answer at once", () => {
  it("Status 3 when an empty Ping finds nothing cached (MS-ASCMD_R4239, R4241)", async () => {
    expect((await ping("s3@example.test", "dev", null)).status).toBe(3);
    // Heartbeat alone, no folders cached: still 3.
    expect((await ping("s3@example.test", "dev", pingBody(600, undefined))).status).toBe(3);
  });

  it("Status 4 for syntax errors: wrong root, non-numeric heartbeat, duplicate folder Id, Folder without Class (MS-ASCMD_R4243, R6699, R323)", async () => {
    const u = "s4@example.test";
    expect((await ping(u, "d", { ns: "AirSync", name: "Sync", children: [] })).status).toBe(4);
    expect((await ping(u, "d", pingBody(undefined, undefined))).status).toBe(4);
    expect(
      (await ping(u, "d", { ns: "Ping", name: "Ping", children: [{ ns: "Ping", name: "HeartbeatInterval", children: ["soon"] }] })).status,
    ).toBe(4);
    expect((await ping(u, "d", pingBody(600, [INBOX, ["1", "Email"]]))).status).toBe(4);
    const noClass = {
      ns: "Ping",
      name: "Ping",
      children: [
        {
          ns: "Ping",
          name: "Folders",
          children: [{ ns: "Ping", name: "Folder", children: [{ ns: "Ping", name: "Id", children: ["1"] }] }],
        },
      ],
    };
    expect((await ping(u, "d", noClass)).status).toBe(4);
    // Non-WBXML bytes (the front door hands body null with a non-empty raw body): 101 from 14.0 on (MS-ASCMD_R4813), 4 for 12.1.
    expect((await ping(u, "d", null, { rawBody: new TextEncoder().encode("hello") })).status).toBe(101);
    expect((await ping(u, "d", null, { rawBody: new TextEncoder().encode("hello"), protocolVersion: "12.1" })).status).toBe(4);
  });

  it('Class "Notes" is not valid before 14.0: Status 4 in 2.5, 12.0 and 12.1, accepted from 14.0 (MS-ASCMD_R6282)', async () => {
    const u = "notes-class@example.test";
    const notes = pingBody(600, [["10", "Notes"]]);
    for (const v of ["2.5", "12.0", "12.1"]) expect([v, (await ping(u, `d${v}`, notes, { protocolVersion: v })).status]).toEqual([v, 4]);
    // 14.0 and later: a valid class, so the request is not a syntax error (the folder does not exist: Status 7, or a wait).
    expect((await ping(u, "d14", notes, { protocolVersion: "14.0" })).status).not.toBe(4);
  });

  it("Status 5 with the closest allowed HeartbeatInterval, element order Status then HeartbeatInterval (MS-ASCMD_R4247, R4248, R5690, R5691)", async () => {
    const low = await ping("s5@example.test", "d", pingBody(DEFAULT_PING_MIN_HEARTBEAT - 1, [INBOX]));
    expect(low).toMatchObject({ status: 5, heartbeat: DEFAULT_PING_MIN_HEARTBEAT, children: ["Status", "HeartbeatInterval"] });
    const high = await ping("s5@example.test", "d", pingBody(DEFAULT_PING_MAX_HEARTBEAT + 1, [INBOX]));
    expect(high).toMatchObject({ status: 5, heartbeat: DEFAULT_PING_MAX_HEARTBEAT });
  });

  it("Status 6 with MaxFolders when too many folders are watched (MS-ASCMD_R4252, R4253, R3259)", async () => {
    const many = Array.from({ length: DEFAULT_PING_MAX_FOLDERS + 1 }, (_, i): [string, string] => [`f${i}`, "Email"]);
    const r = await ping("s6@example.test", "d", pingBody(600, many));
    expect(r).toMatchObject({ status: 6, maxFolders: DEFAULT_PING_MAX_FOLDERS, children: ["Status", "MaxFolders"] });
  });

  it("Status 7 at once when a watched folder does not exist: the hierarchy is out of date (MS-ASCMD_R4257)", async () => {
    expect((await ping("s7now@example.test", "d", pingBody(600, [INBOX, ["999", "Email"]]))).status).toBe(7);
  });

  it("Status 7 when the folder hierarchy changes while waiting (MS-ASCMD_R4256-R4259)", async () => {
    const u = "s7@example.test";
    await folderSynced(u, "d");
    const p = ping(u, "d", pingBody(600, [INBOX]));
    await waitsOpen(u, 1);
    expect(await env.MAILBOX.getByName(u).hierarchyChanged()).toBe(0); // nothing changed yet: no false Status 7
    await createStoreFolder(u, "Projects");
    expect(await env.MAILBOX.getByName(u).hierarchyChanged()).toBe(1);
    expect((await p).status).toBe(7);
  });

  it("Status 7 at once when the hierarchy changed since the device's last FolderSync, and when another device creates a folder while it waits", async () => {
    const u = "s7other@example.test";
    await folderSynced(u, "a");
    await folderSynced(u, "b");
    const a = ping(u, "a", pingBody(600, [INBOX]));
    await waitsOpen(u, 1);
    // Device b creates a folder through FolderCreate: a's wait ends with 7, b itself is not told.
    const created = await env.MAILBOX.getByName(u).folderCreate(
      "b",
      (await env.MAILBOX.getByName(u).folderSync("b", "0")).syncKey!,
      "0",
      "Receipts",
      12,
    );
    expect(created.status).toBe(1);
    expect((await a).status).toBe(7);
    expect((await ping(u, "a", null)).status).toBe(7); // still out of date until a runs FolderSync
  });
});

describe("waiting", () => {
  it("the object is evicted mid-wait, then a delivery answers Status 2 with the changed folder (MS-ASCMD_R4235, R4236)", async () => {
    const u = "evict@example.test";
    const stub = env.MAILBOX.getByName(u);
    const p = ping(u, "iphone", pingBody(600, [INBOX, CAL]));
    await waitsOpen(u, 1);
    let before: unknown;
    await runInDurableObject(stub, (instance) => {
      before = instance;
    });
    await evictDurableObject(stub); // sockets hibernate, the instance goes away
    expect(await within(p, 50)).toBe("pending");
    await runInDurableObject(stub, (instance) => {
      expect(instance).not.toBe(before); // a new instance: the constructor ran again
    });
    expect(await stub.waitCount()).toBe(1);
    await touchFolder(u, "1");
    expect(await stub.changed(["1"])).toBe(1);
    const r = await p;
    expect(r).toMatchObject({ status: 2, folders: ["1"], children: ["Status", "Folders"] });
  });

  it("a delivery into the Inbox (Mailbox.deliver, as the email() handler does) answers Status 2 with the Inbox", async () => {
    const u = "deliver@example.test";
    const p = ping(u, "d", pingBody(600, [INBOX, CAL]));
    await waitsOpen(u, 1);
    await env.MAILBOX.getByName(u).deliver(
      new TextEncoder().encode("From: a@example.test\r\nTo: deliver@example.test\r\nSubject: hi\r\n\r\nhello\r\n"),
    );
    expect(await p).toMatchObject({ status: 2, folders: ["1"] });
  });

  it("a socket closed by a restart ends the Ping with Status 1, never an error (MS-ASCMD_R4233)", async () => {
    const u = "closed@example.test";
    const p = ping(u, "d", pingBody(600, [INBOX]));
    await waitsOpen(u, 1);
    await evictDurableObject(env.MAILBOX.getByName(u), { webSockets: "close" });
    expect((await p).status).toBe(1);
  });

  it("an empty Ping reuses the cached HeartbeatInterval and Folders (MS-ASCMD_R335, R322, R5831, R5832)", async () => {
    const u = "cache@example.test";
    // Drafts ("2") rather than the Calendar: the test needs a real change, and the mail store writes mail folders.
    const first = ping(u, "d", pingBody(900, [["2", "Email"]]));
    await waitsOpen(u, 1);
    await touchFolder(u, "2");
    await env.MAILBOX.getByName(u).changed(["2"]);
    expect((await first).status).toBe(2);
    const second = ping(u, "d", null);
    await waitsOpen(u, 1);
    expect(await env.MAILBOX.getByName(u).changed(["1"])).toBe(0); // not watched
    await touchFolder(u, "2");
    await env.MAILBOX.getByName(u).changed(["2"]);
    expect(await second).toMatchObject({ status: 2, folders: ["2"] });
  });

  it("newest wins: a second Ping of the same device ends the first within 1 s with Status 1; the second keeps waiting", async () => {
    const u = "newest@example.test";
    const first = ping(u, "gmail", pingBody(600, [INBOX]));
    await waitsOpen(u, 1);
    const t0 = Date.now();
    const second = ping(u, "gmail", null);
    const r1 = await within(first, 1000);
    expect(r1).not.toBe("pending");
    expect((r1 as { status: number }).status).toBe(1);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await within(second, 100)).toBe("pending");
    await waitsOpen(u, 1);
    await touchFolder(u, "1");
    await env.MAILBOX.getByName(u).changed(["1"]);
    expect((await second).status).toBe(2);
  });

  it("two devices of one mailbox wait independently; the device whose Sync made the change is not woken", async () => {
    const u = "two@example.test";
    const a = ping(u, "phone-a", pingBody(600, [INBOX]));
    const b = ping(u, "phone-b", pingBody(600, [INBOX]));
    await waitsOpen(u, 2);
    await touchFolder(u, "1");
    expect(await env.MAILBOX.getByName(u).changed(["1"], "phone-a")).toBe(1);
    expect((await b).status).toBe(2);
    expect(await within(a, 100)).toBe("pending");
    await env.MAILBOX.getByName(u).changed(["1"]);
    expect((await a).status).toBe(2);
  });

  it("a change in a folder that is not watched does not wake the Ping", async () => {
    const u = "unwatched@example.test";
    const p = ping(u, "d", pingBody(600, [INBOX]));
    await waitsOpen(u, 1);
    expect(await env.MAILBOX.getByName(u).changed(["7", "6"])).toBe(0);
    expect(await within(p, 200)).toBe("pending");
    await env.MAILBOX.getByName(u).endAllWaits("test over");
    expect((await p).status).toBe(1);
  });

  it("endAllWaits ends every waiting request of the mailbox at once with Status 1", async () => {
    const u = "suspend@example.test";
    const ps = ["a", "b", "c"].map((d) => ping(u, d, pingBody(600, [INBOX])));
    await waitsOpen(u, 3);
    expect(await env.MAILBOX.getByName(u).endAllWaits("suspended")).toBe(3);
    expect((await Promise.all(ps)).map((r) => r.status)).toEqual([1, 1, 1]);
    expect(await env.MAILBOX.getByName(u).waitCount()).toBe(0);
  });

  it("the device hanging up ends the wait and frees the socket", async () => {
    const u = "hangup@example.test";
    const ac = new AbortController();
    const p = ping(u, "d", pingBody(600, [INBOX]), { signal: ac.signal });
    await waitsOpen(u, 1);
    ac.abort();
    expect((await p).status).toBe(1);
    await waitsOpen(u, 0);
  });
});
