// Drafts on a bridged mailbox end to end (issue 16 §5: "bridged mailboxes keep drafts in the IMAP server's
// \Drafts"): one phone saves a draft with attachments, edits it (fields, an attachment deleted and one added)
// and sends it (email2:Send); the user's second phone follows each step as an Add, a Change of the same
// ServerId and a Delete, and any other IMAP client sees one draft in the server's Drafts folder, then none,
// and the sent message in Sent. Every decoded response is validated with the conformance kit by Phone.command.
import "./bridge-env";
import PostalMime from "postal-mime";
import { beforeAll, describe, expect, it } from "vitest";
import { child, childrenNamed, childText, el, type WbxmlElement } from "../../src/wbxml/index";
import {
  A,
  type BridgeAccount,
  bridgedPhone,
  bridgeMailbox,
  collection,
  commands,
  folderOfType,
  folderSync,
  imapSubjects,
  newBridgeAccount,
  submitted,
} from "./bridge-client";
import type { Phone, PhoneResponse } from "./phone";
import { syncRequest } from "./sync-requests";

const B = (name: string, ...kids: Parameters<typeof el>[2][]) => el("AirSyncBase", name, ...kids);
const PLAIN = A("Options", B("BodyPreference", B("Type", 1)));

let account: BridgeAccount;
let drafts: string;

beforeAll(async () => {
  account = await newBridgeAccount("drafter");
  const res = await bridgeMailbox(account);
  expect(res.status, await res.clone().text()).toBe(201);
});

/** A phone's view of the Drafts collection: its SyncKey, moved on by each round. */
class Device {
  key = "0";
  constructor(readonly phone: Phone) {}

  async start(): Promise<void> {
    drafts = folderOfType((await folderSync(this.phone)).folders, 3).id;
    const r = await this.phone.command("Sync", syncRequest(drafts, "0"));
    expect(childText(collection(r), "Status")).toBe("1");
    this.key = childText(collection(r), "SyncKey")!;
  }

  /** One Sync round (GetChanges, plain bodies) with the phone's own commands, if any. */
  async sync(...own: WbxmlElement[]): Promise<PhoneResponse> {
    const r = await this.phone.command(
      "Sync",
      syncRequest(drafts, this.key, [A("GetChanges"), A("WindowSize", 50), PLAIN, own.length > 0 && A("Commands", ...own)]),
    );
    expect(r.status).toBe(200);
    if (r.raw.byteLength === 0) return r; // nothing new ([MS-ASCMD] 2.2.1.21 empty response)
    expect(childText(collection(r), "Status"), r.xml).toBe("1");
    this.key = childText(collection(r), "SyncKey")!;
    return r;
  }
}

const attach = (clientId: string, name: string, text: string) =>
  B(
    "Add",
    B("ClientId", clientId),
    B("DisplayName", name),
    B("Content", new TextEncoder().encode(text)),
    B("ContentType", "text/plain"),
    B("Method", 1),
  );
const attachmentNames = (data: WbxmlElement | undefined) =>
  childrenNamed(child(data, "Attachments", "AirSyncBase"), "Attachment")
    .map((x) => childText(x, "DisplayName", "AirSyncBase"))
    .sort();
const ids = (r: PhoneResponse, op: string) => (r.raw.byteLength ? commands(r, op).map((c) => childText(c, "ServerId")) : []);

/** Subjects in the server's folder, waiting up to `ms` for `until` to hold (the Sent copy is written after the send). */
async function serverFolder(name: string, until: (s: string[]) => boolean, ms = 15_000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await imapSubjects(account, name);
    if (until(s) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("drafts on a bridged mailbox (16.1)", () => {
  it("MS-ASEMAIL_R1278, MS-ASAIRS_R1082, MS-ASAIRS_R1367, MS-ASEMAIL_R1389: saved, edited and sent from one phone; the other phone and IMAP clients see one draft, then the sent mail", async () => {
    const one = new Device(bridgedPhone(account, "bdraftOne"));
    const two = new Device(bridgedPhone(account, "bdraftTwo"));
    await one.start();
    await two.start();
    await two.sync();

    // Saved: an Add in Drafts with two attachments.
    const rcpt = "dana@mta.test";
    let r = await one.sync(
      A(
        "Add",
        A("ClientId", "bd1"),
        A(
          "ApplicationData",
          el("Email", "To", rcpt),
          el("Email", "Subject", "Quarterly plan"),
          B("Body", B("Type", 1), B("Data", "first words")),
          B("Attachments", attach("f1", "one.txt", "one"), attach("f2", "two.txt", "two")),
        ),
      ),
    );
    const added = child(child(collection(r), "Responses"), "Add");
    expect(childText(added, "Status")).toBe("1");
    const serverId = childText(added, "ServerId")!;
    const refs = childrenNamed(child(child(added, "ApplicationData"), "Attachments", "AirSyncBase"), "Attachment");
    const oneRef = childText(
      refs.find((x) => childText(x, "ClientId", "AirSyncBase") === "f1"),
      "FileReference",
      "AirSyncBase",
    )!;
    expect(await serverFolder("Drafts", (s) => s.length > 0)).toEqual(["Quarterly plan"]);

    r = await two.sync();
    const seen = commands(r, "Add").find((x) => childText(x, "ServerId") === serverId);
    expect(childText(child(seen, "ApplicationData"), "Subject", "Email")).toBe("Quarterly plan");
    expect(childText(child(seen, "ApplicationData"), "IsDraft", "Email2")).toBe("1");
    expect(attachmentNames(child(seen, "ApplicationData"))).toEqual(["one.txt", "two.txt"]);

    // Edited: new subject and body, one attachment deleted and one added; the ServerId stays.
    r = await one.sync(
      A(
        "Change",
        A("ServerId", serverId),
        A(
          "ApplicationData",
          el("Email", "Subject", "Quarterly plan v2"),
          B("Body", B("Type", 1), B("Data", "better words")),
          B("Attachments", B("Delete", B("FileReference", oneRef)), attach("f3", "three.txt", "three")),
        ),
      ),
    );
    expect(ids(r, "Delete")).toEqual([]);
    expect(await serverFolder("Drafts", (s) => s.includes("Quarterly plan v2"))).toEqual(["Quarterly plan v2"]);

    r = await two.sync();
    expect([ids(r, "Add"), ids(r, "Delete"), ids(r, "Change")]).toEqual([[], [], [serverId]]);
    const changed = child(commands(r, "Change")[0], "ApplicationData");
    expect(childText(changed, "Subject", "Email")).toBe("Quarterly plan v2");
    expect(childText(child(changed, "Body", "AirSyncBase"), "Data", "AirSyncBase")).toContain("better words");
    expect(attachmentNames(changed)).toEqual(["three.txt", "two.txt"]);

    // Sent (email2:Send on a Change, MS-ASEMAIL_R1389): it leaves Drafts, reaches the recipient and Sent.
    r = await one.sync(A("Change", A("ServerId", serverId), A("ApplicationData"), el("Email2", "Send")));
    r = await two.sync();
    expect(ids(r, "Delete")).toEqual([serverId]);
    expect(await serverFolder("Drafts", (s) => s.length === 0)).toEqual([]);
    expect(await serverFolder("Sent", (s) => s.includes("Quarterly plan v2"))).toContain("Quarterly plan v2");
    const out = (await submitted()).filter((m) => m.to.includes(rcpt));
    expect(out).toHaveLength(1);
    expect(out[0]!.user).toBe(account.address);
    expect((await PostalMime.parse(out[0]!.raw)).subject).toBe("Quarterly plan v2");
    expect(out[0]!.raw).not.toMatch(/X-Mobile-Sync-Draft-Id/i); // the store's own token never leaves it
  });
});
