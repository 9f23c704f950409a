// A bridged mailbox end to end (issue 8 §6): an account on the run's Dovecot, bridged through the admin API,
// synced by a phone over HTTP with the account's IMAP password (every WBXML response validated by the kit).
// Mail arrives by LMTP as from the provider's MTA; another IMAP client (imapflow) plays the user's desktop.
import "./bridge-env";
import { beforeAll, describe, expect, it } from "vitest";
import { child, childText, el } from "../../src/wbxml/index";
import {
  A,
  admin,
  type BridgeAccount,
  bridgedPhone,
  bridgeMailbox,
  bridgeServers,
  bumpUidValidity,
  collection,
  commands,
  deliver,
  folderOfType,
  folderSync,
  imapSubjects,
  imapUidValidity,
  newBridgeAccount,
  type PhoneFolder,
  pingBody,
  status,
  syncAll,
  syncMore,
  syncWithChanges,
  withImap,
  within,
} from "./bridge-client";
import { PhoneFolderModel } from "./bridge-phone-model";
import { syncRequest } from "./sync-requests";
import type { Phone, PhoneResponse } from "./phone";
import { assertValid } from "./validate";

let account: BridgeAccount;
let phone: Phone;
let folders: PhoneFolder[];
let folderKey: string;
let inbox: PhoneFolder;
let inboxKey: string;
/** Phone ServerId → subject, for the Inbox. */
const inboxItems = new Map<string, string>();

const subjectOf = (d: Parameters<typeof childText>[0]) => childText(d, "Subject", "Email");

/** The Inbox's changes since the phone's key; keeps the key. */
async function inboxChanges(): Promise<PhoneResponse[]> {
  const r = await syncMore(phone, inbox.id, inboxKey);
  inboxKey = r.key;
  for (const [id, d] of r.items) inboxItems.set(id, subjectOf(d)!);
  return r.responses;
}

const rawMessage = (subject: string) =>
  `From: carol@mta.test\r\nTo: ${account.address}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, "")}@mta.test>\r\n\r\nbody of ${subject}\r\n`;

/** A new server folder holding `subjects`, synced to the end by the phone (the model keeps the phone's copy). */
async function newFolderOnPhone(name: string, subjects: string[]): Promise<PhoneFolderModel> {
  await withImap(account, async (c) => {
    await c.mailboxCreate(name);
    for (const s of subjects) await c.append(name, rawMessage(s));
  });
  const fs = await folderSync(phone, folderKey);
  folderKey = fs.key;
  const model = new PhoneFolderModel(phone, fs.folders.find((f) => f.name === name)!);
  model.folderKey = folderKey;
  await model.sync();
  expect(model.subjects()).toEqual([...subjects].sort());
  return model;
}

beforeAll(async () => {
  account = await newBridgeAccount("mail");
  for (const s of ["First", "Second", "Third"]) await deliver(account, s);
  const res = await bridgeMailbox(account);
  expect(res.status, await res.clone().text()).toBe(201);
  phone = bridgedPhone(account, "bridgeMail161");
});

describe("a bridged mailbox seen by a phone", () => {
  it("wrong password → 401 with a Basic challenge; nothing of the mailbox is shown (MS-ASHTTP_R178, MS-ASHTTP_R523)", async () => {
    const r = await bridgedPhone(account, "bridgeMailWrong", "16.1", "not the password").command(
      "FolderSync",
      el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")),
    );
    expect(r.status).toBe(401);
    expect(r.headers.get("WWW-Authenticate") ?? "").toMatch(/^Basic/i);
    expect(r.tree).toBeUndefined();
  });

  it("FolderSync: the IMAP folders typed by SPECIAL-USE, plus the Radicale calendar and address book", async () => {
    const fs = await folderSync(phone);
    folders = fs.folders;
    folderKey = fs.key;
    inbox = folderOfType(folders, 2);
    expect(inbox.name).toBe("Inbox");
    for (const [type, name] of [
      [3, "Drafts"],
      [4, "Trash"],
      [5, "Sent"],
    ] as const)
      expect(folderOfType(folders, type).name).toBe(name);
    expect(folders.find((f) => f.name === "Junk")).toBeDefined();
    folderOfType(folders, 8);
    folderOfType(folders, 9);
  });

  it("the initial Sync of the Inbox brings the messages delivered by LMTP, bodies included", async () => {
    const r = await syncAll(phone, inbox.id, 2);
    inboxKey = r.key;
    for (const [id, d] of r.items) inboxItems.set(id, subjectOf(d)!);
    expect([...inboxItems.values()].sort()).toEqual(["First", "Second", "Third"]);
    const first = [...r.items.values()].find((d) => subjectOf(d) === "First")!;
    expect(childText(child(first, "Body", "AirSyncBase"), "Data", "AirSyncBase")).toContain("hello from the MTA");
    expect(r.responses.length).toBeGreaterThanOrEqual(2); // WindowSize 2: paged
  });

  it("a message delivered by LMTP wakes a waiting Ping within 1 s through Dovecot's push_notification plugin (MS-ASCMD_R4235)", async () => {
    const elapsed: number[] = [];
    for (let round = 0; round < 3; round++) {
      const answer = phone
        .command("Ping", pingBody(600, [[inbox.id, "Email"]]), { validate: false })
        .then((r) => Object.assign(r, { at: performance.now() }));
      expect(await within(answer, 500)).toBe("pending");
      const t0 = performance.now();
      await deliver(account, `Pushed ${round}`);
      const r = await within(answer, 5000);
      expect(r, "the Ping was not answered within 5 s of the delivery").not.toBe("pending");
      const got = r as PhoneResponse & { at: number };
      elapsed.push(got.at - t0);
      assertValid("Ping", got.xml!);
      expect(status(got)).toBe("2");
      expect(childText(child(got.tree, "Folders"), "Folder")).toBe(inbox.id);
      await inboxChanges();
      expect([...inboxItems.values()]).toContain(`Pushed ${round}`);
    }
    console.log(`LMTP delivery → Ping Status 2 through Dovecot's OX push (ms): ${elapsed.map((e) => e.toFixed(1)).join(", ")}`);
    expect(Math.max(...elapsed)).toBeLessThan(1000);
  });

  it("flags set by another IMAP client show on the phone: \\Seen → Read, \\Flagged → Flag Status 2", async () => {
    await withImap(account, async (c) => {
      const lock = await c.getMailboxLock("INBOX");
      try {
        const uids = await c.search({ header: { subject: "Second" } }, { uid: true });
        expect(uids).toHaveLength(1);
        await c.messageFlagsAdd(uids as number[], ["\\Seen", "\\Flagged"], { uid: true });
      } finally {
        lock.release();
      }
    });
    const responses = await inboxChanges();
    const changes = responses.flatMap((r) => (r.raw.length ? commands(r, "Change") : []));
    const id = [...inboxItems].find(([, s]) => s === "Second")![0];
    const mine = changes.filter((c) => childText(c, "ServerId") === id);
    expect(mine.length).toBeGreaterThanOrEqual(1);
    const data = child(mine.at(-1), "ApplicationData");
    expect(childText(data, "Read", "Email")).toBe("1");
    expect(childText(child(data, "Flag", "Email"), "Status", "Email")).toBe("2");
  });

  it("flags set on the phone reach the server (Read → \\Seen)", async () => {
    const id = [...inboxItems].find(([, s]) => s === "Third")![0];
    const r = await syncWithChanges(phone, inbox.id, inboxKey, [
      A("Change", A("ServerId", id), A("ApplicationData", el("Email", "Read", 1))),
    ]);
    expect(childText(collection(r), "Status")).toBe("1");
    inboxKey = childText(collection(r), "SyncKey")!;
    const flags = await withImap(account, async (c) => {
      const lock = await c.getMailboxLock("INBOX");
      try {
        const uids = (await c.search({ header: { subject: "Third" } }, { uid: true })) as number[];
        const m = await c.fetchOne(String(uids[0]), { flags: true }, { uid: true });
        return m ? [...(m.flags ?? [])] : [];
      } finally {
        lock.release();
      }
    });
    expect(flags).toContain("\\Seen");
  });

  it("a phone delete lands in Trash on the server (DeletesAsMoves 1, MS-ASCMD_R2160)", async () => {
    const id = [...inboxItems].find(([, s]) => s === "First")![0];
    const r = await syncWithChanges(phone, inbox.id, inboxKey, [A("Delete", A("ServerId", id))], [A("DeletesAsMoves", 1)]);
    expect(childText(collection(r), "Status")).toBe("1");
    inboxKey = childText(collection(r), "SyncKey")!;
    inboxItems.delete(id);
    expect(await imapSubjects(account, "INBOX")).not.toContain("First");
    expect(await imapSubjects(account, "Trash")).toContain("First");
    // Nothing comes back to the phone about its own delete.
    const again = await inboxChanges();
    expect(again.flatMap((x) => (x.raw.length ? commands(x, "Add") : [])).map((a) => subjectOf(child(a, "ApplicationData")))).not.toContain(
      "First",
    );
  });

  it("MoveItems from the phone moves the message on the server (UID MOVE): gone from INBOX, in Junk (MS-ASCMD_R4215)", async () => {
    const [id] = [...inboxItems].find(([, s]) => s === "Pushed 0")!;
    const junk = folders.find((f) => f.name === "Junk")!;
    const move = el(
      "Move",
      "MoveItems",
      el("Move", "Move", el("Move", "SrcMsgId", id), el("Move", "SrcFldId", inbox.id), el("Move", "DstFldId", junk.id)),
    );
    const r = await phone.command("MoveItems", move);
    const response = child(r.tree, "Response", "Move");
    expect(childText(response, "Status", "Move"), r.xml).toBe("3");
    expect(childText(response, "DstMsgId", "Move")).toMatch(new RegExp(`^${junk.id}:`));
    inboxItems.delete(id);
    expect(await imapSubjects(account, "INBOX")).not.toContain("Pushed 0");
    expect(await imapSubjects(account, "Junk")).toEqual(["Pushed 0"]);
  });

  it("a hanging Sync (Wait) on the Inbox is answered with the new message when Dovecot announces an LMTP delivery", async () => {
    const req = syncRequest(inbox.id, inboxKey, [A("GetChanges"), A("WindowSize", 100)]);
    req.children.push(A("Wait", 5));
    const answer = phone.command("Sync", req, { validate: false }).then((r) => Object.assign(r, { at: performance.now() }));
    expect(await within(answer, 500)).toBe("pending");
    const t0 = performance.now();
    await deliver(account, "Woke a hanging Sync");
    const r = await within(answer, 5000);
    expect(r, "the hanging Sync was not answered within 5 s").not.toBe("pending");
    const got = r as PhoneResponse & { at: number };
    assertValid("Sync", got.xml!);
    console.log(`LMTP delivery → hanging Sync answer: ${(got.at - t0).toFixed(1)} ms`);
    expect(got.at - t0).toBeLessThan(1000);
    expect(childText(collection(got), "Status")).toBe("1");
    const adds = commands(got, "Add").map((a) => subjectOf(child(a, "ApplicationData")));
    expect(adds).toEqual(["Woke a hanging Sync"]);
    inboxKey = childText(collection(got), "SyncKey")!;
    for (const a of commands(got, "Add")) inboxItems.set(childText(a, "ServerId")!, subjectOf(child(a, "ApplicationData"))!);
  });

  it("a message expunged by another IMAP client is deleted on the phone", async () => {
    await withImap(account, async (c) => {
      const lock = await c.getMailboxLock("INBOX");
      try {
        const uids = (await c.search({ header: { subject: "Woke a hanging Sync" } }, { uid: true })) as number[];
        await c.messageDelete(uids, { uid: true });
      } finally {
        lock.release();
      }
    });
    const [id] = [...inboxItems].find(([, s]) => s === "Woke a hanging Sync")!;
    const responses = await inboxChanges();
    expect(responses.flatMap((r) => (r.raw.length ? commands(r, "Delete") : [])).map((d) => childText(d, "ServerId"))).toEqual([id]);
    inboxItems.delete(id);
  });

  it("folders made, renamed and deleted on the phone are made, renamed and deleted on the server (FolderCreate, FolderUpdate, FolderDelete)", async () => {
    const FH = (name: string, ...kids: (ReturnType<typeof el> | string | number)[]) => el("FolderHierarchy", name, ...kids);
    const created = await phone.command(
      "FolderCreate",
      FH("FolderCreate", FH("SyncKey", folderKey), FH("ParentId", "0"), FH("DisplayName", "From the phone"), FH("Type", 12)),
    );
    expect(childText(created.tree, "Status"), created.xml).toBe("1");
    folderKey = childText(created.tree, "SyncKey")!;
    const id = childText(created.tree, "ServerId")!;
    const names = async () => (await withImap(account, (c) => c.list())).map((m) => m.path);
    expect(await names()).toContain("From the phone");

    const renamed = await phone.command(
      "FolderUpdate",
      FH("FolderUpdate", FH("SyncKey", folderKey), FH("ServerId", id), FH("ParentId", "0"), FH("DisplayName", "Renamed on the phone")),
    );
    expect(childText(renamed.tree, "Status"), renamed.xml).toBe("1");
    folderKey = childText(renamed.tree, "SyncKey")!;
    expect(await names()).toContain("Renamed on the phone");
    expect(await names()).not.toContain("From the phone");

    const deleted = await phone.command("FolderDelete", FH("FolderDelete", FH("SyncKey", folderKey), FH("ServerId", id)));
    expect(childText(deleted.tree, "Status"), deleted.xml).toBe("1");
    folderKey = childText(deleted.tree, "SyncKey")!;
    expect(await names()).not.toContain("Renamed on the phone");
    // Nothing comes back to the phone about its own folder changes.
    const fs = await folderSync(phone, folderKey);
    folderKey = fs.key;
    expect([fs.folders, fs.deleted]).toEqual([[], []]);
  });

  it("a folder renamed on the server keeps its id on the phone (FolderSync Update, not Delete + Add)", async () => {
    await withImap(account, (c) => c.mailboxCreate("Projects").then(() => undefined));
    let fs = await folderSync(phone, folderKey);
    folderKey = fs.key;
    const created = fs.folders.find((f) => f.name === "Projects");
    expect(created, JSON.stringify(fs.folders)).toBeDefined();
    expect(created!.type).toBe(12);
    await withImap(account, (c) => c.mailboxRename("Projects", "Projects 2026").then(() => undefined));
    fs = await folderSync(phone, folderKey);
    folderKey = fs.key;
    expect(fs.deleted).toEqual([]);
    expect(fs.folders).toEqual([{ ...created!, name: "Projects 2026" }]);
  });

  it("a folder deleted on the server: the phone's Sync of it gets Status 8 or 12 (MS-ASCMD_R4446, MS-ASCMD_R4452), the next FolderSync deletes it", async () => {
    const model = await newFolderOnPhone("Old project", ["Notes 1"]);
    await withImap(account, (c) => c.mailboxDelete("Old project").then(() => undefined));
    const r = await phone.command("Sync", syncRequest(model.folder.id, model.key, [A("GetChanges")]));
    expect(r.status).toBe(200);
    expect(["8", "12"], r.xml).toContain(childText(collection(r), "Status") ?? childText(r.tree, "Status"));
    const fs = await folderSync(phone, folderKey);
    folderKey = fs.key;
    expect(fs.deleted).toEqual([model.folder.id]);
  });

  it("UIDVALIDITY reset: the folder recreated on the server with the same messages and one more → no duplicates on the phone", async () => {
    const model = await newFolderOnPhone("Archive 2025", ["Kept A", "Kept B"]);
    const before = await imapUidValidity(account, "Archive 2025");

    await withImap(account, async (c) => {
      await c.mailboxDelete("Archive 2025");
      await c.mailboxCreate("Archive 2025");
      for (const s of ["Kept A", "Kept B", "New C"]) await c.append("Archive 2025", rawMessage(s));
    });
    const after = await imapUidValidity(account, "Archive 2025");
    expect(after).not.toBe(before);

    await model.sync();
    folderKey = model.folderKey;
    expect(model.subjects(), `statuses ${model.statuses.join(",")}`).toEqual(["Kept A", "Kept B", "New C"]);
    const now = await folderSync(phone, folderKey);
    folderKey = now.key;
    expect(now.folders.filter((f) => f.name === "Archive 2025" && f.id !== model.folder.id)).toEqual([]);
  });

  it("UIDVALIDITY reset under the same folder (restored from a backup: same UIDs, new UIDVALIDITY) → no duplicates on the phone", async () => {
    const model = await newFolderOnPhone("Restored", ["Old 1", "Old 2"]);
    const before = await imapUidValidity(account, "Restored");
    bumpUidValidity(account, "Restored");
    // Dovecot rereads the maildir (and sees the new UIDVALIDITY) when the folder next changes.
    await withImap(account, (c) => c.append("Restored", rawMessage("After restore")).then(() => undefined));
    expect(await imapUidValidity(account, "Restored")).not.toBe(before);

    await model.sync();
    folderKey = model.folderKey;
    expect(model.subjects(), `statuses ${model.statuses.join(",")}`).toEqual(["After restore", "Old 1", "Old 2"]);
  });
});

describe("bridging options", () => {
  it("the admin API shows the Dovecot push driver URL this run's Dovecot posts with (per-server secret from NOTIFY_SECRET)", async () => {
    const res = await admin("GET", `/mailboxes/${encodeURIComponent(account.address)}`);
    expect(res.status).toBe(200);
    const view = (await res.json()) as { backend: { push_notification: { driver_url: string } } };
    expect(view.backend.push_notification.driver_url).toBe(bridgeServers().pushUrl);
  });

  for (const tls of ["implicit", "starttls"] as const) {
    it(`IMAP over TLS (${tls}, certificate from the run's test CA): the phone syncs`, async () => {
      const a = await newBridgeAccount(`tls-${tls}`);
      await deliver(a, `Over ${tls} TLS`);
      const s = bridgeServers();
      const res = await bridgeMailbox(a, {
        imap: { host: "localhost", port: tls === "implicit" ? s.imapsPort : s.imap.port, tls },
        dav: false,
      });
      expect(res.status, await res.clone().text()).toBe(201);
      const p = bridgedPhone(a, `bridgeTls${tls}`, "14.1");
      const r = await syncAll(p, folderOfType((await folderSync(p)).folders, 2).id);
      expect([...r.items.values()].map(subjectOf)).toEqual([`Over ${tls} TLS`]);
    });
  }
});
