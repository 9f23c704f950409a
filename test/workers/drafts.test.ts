// Drafts saved by a 16.x phone (Sync Add in Drafts) as the user's other devices see them.
import { beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../../src/service/directory";
import { env } from "cloudflare:workers";
import { child, childrenNamed, childText, el } from "../../src/wbxml/index";
import { TestPhone, collectionOf, syncKeyOf } from "./helpers/phone";

const USER = "drafts@example.test";
const PW = "drafts-secret";
const DRAFTS = "2";

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
});

const plainBody = el("AirSync", "Options", el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1)));

async function secondDeviceSees(deviceId: string) {
  const other = new TestPhone(USER, PW, deviceId, "16.1");
  const key = syncKeyOf(await other.sync(DRAFTS, "0"));
  const r = await other.sync(DRAFTS, key, { options: plainBody });
  return childrenNamed(child(collectionOf(r), "Commands"), "Add").map((a) => child(a, "ApplicationData"));
}

describe("drafts from a 16.1 phone", () => {
  it("a draft whose body is MIME (AirSyncBase Type 4) reaches the other device with its Subject, recipients and text", async () => {
    const phone = new TestPhone(USER, PW, "DRAFTMIME1", "16.1");
    const key = syncKeyOf(await phone.sync(DRAFTS, "0"));
    const mime = "To: bob@example.test\r\nSubject: Lunch plans\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee you at noon.\r\n";
    const add = el(
      "AirSync",
      "Add",
      el("AirSync", "ClientId", "mime-draft-1"),
      el("AirSync", "ApplicationData", el("AirSyncBase", "Body", el("AirSyncBase", "Type", 4), el("AirSyncBase", "Data", mime))),
    );
    const r = await phone.sync(DRAFTS, key, { commands: [add] });
    expect(childText(child(child(collectionOf(r), "Responses"), "Add"), "Status")).toBe("1");
    const [data] = await secondDeviceSees("DRAFTMIME2");
    expect(childText(data, "Subject", "Email")).toBe("Lunch plans");
    expect(childText(data, "To", "Email")).toContain("bob@example.test");
    expect(childText(child(data, "Body", "AirSyncBase"), "Data", "AirSyncBase")).toBe("See you at noon.\n");
  });

  it("a draft with Email fields and a plain body keeps them (Subject, To, text)", async () => {
    const phone = new TestPhone(USER, PW, "DRAFTTXT1", "16.1");
    const key = syncKeyOf(await phone.sync(DRAFTS, "0"));
    const add = el(
      "AirSync",
      "Add",
      el("AirSync", "ClientId", "text-draft-1"),
      el(
        "AirSync",
        "ApplicationData",
        el("Email", "To", "carol@example.test"),
        el("Email", "Subject", "Budget draft"),
        el("AirSyncBase", "Body", el("AirSyncBase", "Type", 1), el("AirSyncBase", "Data", "Numbers later.")),
      ),
    );
    await phone.sync(DRAFTS, key, { commands: [add] });
    const seen = await secondDeviceSees("DRAFTTXT2");
    const budget = seen.find((d) => childText(d, "Subject", "Email") === "Budget draft");
    expect(budget).toBeDefined();
    expect(childText(budget, "To", "Email")).toContain("carol@example.test");
    expect(childText(child(budget, "Body", "AirSyncBase"), "Data", "AirSyncBase")).toContain("Numbers later.");
  });
});

describe("a draft's ConversationId in the Add response ([MS-ASEMAIL] 2.2.2.21)", () => {
  const opaque = (e: ReturnType<typeof child>) => e?.children.find((c): c is Uint8Array => c instanceof Uint8Array);
  it.each(["16.0", "16.1"])(
    "%s: the Add response carries email2:ConversationId, the one the other device sees, and again for a repeated Add (MS-ASEMAIL_R1184, MS-ASEMAIL_R11850)",
    async (version) => {
      const tag = version.replace(".", "");
      const phone = new TestPhone(USER, PW, `DRAFTCONV${tag}A`, version);
      let key = syncKeyOf(await phone.sync(DRAFTS, "0"));
      const add = el(
        "AirSync",
        "Add",
        el("AirSync", "ClientId", `conv-draft-${tag}`),
        el(
          "AirSync",
          "ApplicationData",
          el("Email", "To", "hank@example.test"),
          el("Email", "Subject", `Thread starter ${tag}`),
          el("AirSyncBase", "Body", el("AirSyncBase", "Type", 1), el("AirSyncBase", "Data", "Opening words.")),
        ),
      );
      let r = await phone.sync(DRAFTS, key, { commands: [add] });
      key = syncKeyOf(r);
      const response = child(child(collectionOf(r), "Responses"), "Add");
      const serverId = childText(response, "ServerId");
      const id = opaque(child(child(response, "ApplicationData"), "ConversationId", "Email2"));
      expect(id).toHaveLength(16);

      const seen = (await secondDeviceSees(`DRAFTCONV${tag}B`)).find((d) => childText(d, "Subject", "Email") === `Thread starter ${tag}`);
      expect(opaque(child(seen, "ConversationId", "Email2"))).toEqual(id);

      // The same Add again (its answer lost): the same item, the same ConversationId.
      r = await phone.sync(DRAFTS, key, { commands: [add] });
      const again = child(child(collectionOf(r), "Responses"), "Add");
      expect(childText(again, "ServerId")).toBe(serverId);
      expect(opaque(child(child(again, "ApplicationData"), "ConversationId", "Email2"))).toEqual(id);
    },
  );
});

describe("a 16.1 phone edits its draft (Sync Change in Drafts, [MS-ASEMAIL] 2.2.2 / [MS-ASCMD] 2.2.3.24)", () => {
  it("Subject, To, Cc, Bcc, body and Importance are applied, the ServerId stays, and the other device gets a Change", async () => {
    const phone = new TestPhone(USER, PW, "DRAFTEDIT1", "16.1");
    let key = syncKeyOf(await phone.sync(DRAFTS, "0"));
    const add = el(
      "AirSync",
      "Add",
      el("AirSync", "ClientId", "edit-draft-1"),
      el(
        "AirSync",
        "ApplicationData",
        el("Email", "To", "dave@example.test"),
        el("Email", "Subject", "First thoughts"),
        el("AirSyncBase", "Body", el("AirSyncBase", "Type", 1), el("AirSyncBase", "Data", "Rough.")),
      ),
    );
    let r = await phone.sync(DRAFTS, key, { commands: [add] });
    key = syncKeyOf(r);
    const serverId = childText(child(child(collectionOf(r), "Responses"), "Add"), "ServerId")!;
    expect(serverId).toBeTruthy();

    const other = new TestPhone(USER, PW, "DRAFTEDIT2", "16.1");
    let otherKey = syncKeyOf(await other.sync(DRAFTS, "0"));
    r = await other.sync(DRAFTS, otherKey, { options: plainBody });
    otherKey = syncKeyOf(r);
    expect(childrenNamed(child(collectionOf(r), "Commands"), "Add").map((a) => childText(a, "ServerId"))).toContain(serverId);

    const change = el(
      "AirSync",
      "Change",
      el("AirSync", "ServerId", serverId),
      el(
        "AirSync",
        "ApplicationData",
        el("Email", "To", "erin@example.test"),
        el("Email", "Cc", "frank@example.test"),
        el("Email2", "Bcc", "gina@example.test"),
        el("Email", "Subject", "Final thoughts"),
        el("Email", "Importance", 2),
        el("AirSyncBase", "Body", el("AirSyncBase", "Type", 1), el("AirSyncBase", "Data", "Polished text.")),
      ),
    );
    r = await phone.sync(DRAFTS, key, { commands: [change], options: plainBody });
    const col = collectionOf(r);
    expect(childText(col, "Status")).toBe("1");
    // A Change that succeeds gets no Responses entry ([MS-ASCMD] 2.2.3.24) and is not echoed back.
    expect(childrenNamed(child(col, "Responses"), "Change")).toHaveLength(0);
    expect(childrenNamed(child(col, "Commands"), "Change")).toHaveLength(0);

    r = await other.sync(DRAFTS, otherKey, { options: plainBody });
    const changes = childrenNamed(child(collectionOf(r), "Commands"), "Change");
    const mine = changes.find((c) => childText(c, "ServerId") === serverId);
    expect(mine).toBeDefined();
    const data = child(mine, "ApplicationData");
    expect(childText(data, "Subject", "Email")).toBe("Final thoughts");
    expect(childText(data, "To", "Email")).toContain("erin@example.test");
    expect(childText(data, "To", "Email")).not.toContain("dave@example.test");
    expect(childText(data, "Cc", "Email")).toContain("frank@example.test");
    expect(childText(data, "Bcc", "Email2")).toContain("gina@example.test");
    expect(childText(data, "Importance", "Email")).toBe("2");
    expect(childText(child(data, "Body", "AirSyncBase"), "Data", "AirSyncBase")).toContain("Polished text.");
  });

  it("a Change that only sets a field leaves the others as they were (Subject kept when only the body changes)", async () => {
    const phone = new TestPhone(USER, PW, "DRAFTEDIT3", "16.1");
    let key = syncKeyOf(await phone.sync(DRAFTS, "0"));
    const add = el(
      "AirSync",
      "Add",
      el("AirSync", "ClientId", "edit-draft-2"),
      el(
        "AirSync",
        "ApplicationData",
        el("Email", "To", "hank@example.test"),
        el("Email", "Subject", "Keep this subject"),
        el("AirSyncBase", "Body", el("AirSyncBase", "Type", 1), el("AirSyncBase", "Data", "v1")),
      ),
    );
    const r = await phone.sync(DRAFTS, key, { commands: [add] });
    key = syncKeyOf(r);
    const serverId = childText(child(child(collectionOf(r), "Responses"), "Add"), "ServerId")!;
    const change = el(
      "AirSync",
      "Change",
      el("AirSync", "ServerId", serverId),
      el("AirSync", "ApplicationData", el("AirSyncBase", "Body", el("AirSyncBase", "Type", 1), el("AirSyncBase", "Data", "v2"))),
    );
    await phone.sync(DRAFTS, key, { commands: [change] });
    const seen = await secondDeviceSees("DRAFTEDIT4");
    const d = seen.find((x) => childText(x, "Subject", "Email") === "Keep this subject");
    expect(d).toBeDefined();
    expect(childText(d, "To", "Email")).toContain("hank@example.test");
    expect(childText(child(d, "Body", "AirSyncBase"), "Data", "AirSyncBase")).toContain("v2");
  });
});

const attachmentAdd = (clientId: string, name: string, content: string, type = "text/plain") =>
  el(
    "AirSyncBase",
    "Add",
    el("AirSyncBase", "ClientId", clientId),
    el("AirSyncBase", "DisplayName", name),
    el("AirSyncBase", "Content", new TextEncoder().encode(content)),
    el("AirSyncBase", "ContentType", type),
    el("AirSyncBase", "Method", 1),
  );

function attachmentsOf(data: ReturnType<typeof child>) {
  return childrenNamed(child(data, "Attachments", "AirSyncBase"), "Attachment").map((a) => ({
    name: childText(a, "DisplayName", "AirSyncBase"),
    ref: childText(a, "FileReference", "AirSyncBase"),
    clientId: childText(a, "ClientId", "AirSyncBase"),
  }));
}

describe("attachments a 16.1 phone adds to and deletes from its draft ([MS-ASAIRS] 2.2.2.2 Add, 2.2.2.21 Delete)", () => {
  it("MS-ASAIRS_R1082, MS-ASAIRS_R1001000: an Add with attachments answers each ClientId with its FileReference; a later Change deletes one and adds another", async () => {
    const phone = new TestPhone(USER, PW, "DRAFTATT1", "16.1");
    let key = syncKeyOf(await phone.sync(DRAFTS, "0"));
    const add = el(
      "AirSync",
      "Add",
      el("AirSync", "ClientId", "att-draft-1"),
      el(
        "AirSync",
        "ApplicationData",
        el("Email", "To", "ivy@example.test"),
        el("Email", "Subject", "With files"),
        el("AirSyncBase", "Body", el("AirSyncBase", "Type", 1), el("AirSyncBase", "Data", "See attached.")),
        el("AirSyncBase", "Attachments", attachmentAdd("a1", "notes.txt", "first file"), attachmentAdd("a2", "plan.txt", "second file")),
      ),
    );
    let r = await phone.sync(DRAFTS, key, { commands: [add] });
    key = syncKeyOf(r);
    const resp = child(child(collectionOf(r), "Responses"), "Add");
    expect(childText(resp, "Status")).toBe("1");
    const serverId = childText(resp, "ServerId")!;
    const refs = attachmentsOf(child(resp, "ApplicationData"));
    expect(refs.map((x) => x.clientId).sort()).toEqual(["a1", "a2"]);
    expect(refs.every((x) => x.ref)).toBe(true);

    let seen = await secondDeviceSees("DRAFTATT2");
    let d = seen.find((x) => childText(x, "Subject", "Email") === "With files");
    expect(
      attachmentsOf(d)
        .map((x) => x.name)
        .sort(),
    ).toEqual(["notes.txt", "plan.txt"]);
    // Each ClientId was answered with the FileReference of that very attachment.
    expect(attachmentsOf(d).find((x) => x.name === "plan.txt")?.ref).toBe(refs.find((x) => x.clientId === "a2")?.ref);

    const notesRef = refs.find((x) => x.clientId === "a1")!.ref!;
    const change = el(
      "AirSync",
      "Change",
      el("AirSync", "ServerId", serverId),
      el(
        "AirSync",
        "ApplicationData",
        el(
          "AirSyncBase",
          "Attachments",
          el("AirSyncBase", "Delete", el("AirSyncBase", "FileReference", notesRef)),
          attachmentAdd("a3", "final.txt", "third file"),
        ),
      ),
    );
    r = await phone.sync(DRAFTS, key, { commands: [change] });
    expect(childText(collectionOf(r), "Status")).toBe("1");
    // Responses/Change has no ApplicationData in the Sync response schema: the phone learns the new
    // attachment's FileReference from its draft coming back as a Change.
    const back = childrenNamed(child(collectionOf(r), "Commands"), "Change").find((c) => childText(c, "ServerId") === serverId);
    const backAtts = attachmentsOf(child(back, "ApplicationData"));
    expect(backAtts.map((x) => x.name).sort()).toEqual(["final.txt", "plan.txt"]);
    expect(backAtts.every((x) => x.ref)).toBe(true);
    seen = await secondDeviceSees("DRAFTATT3");
    d = seen.find((x) => childText(x, "Subject", "Email") === "With files");
    expect(
      attachmentsOf(d)
        .map((x) => x.name)
        .sort(),
    ).toEqual(["final.txt", "plan.txt"]);
    expect(childText(child(d, "Body", "AirSyncBase"), "Data", "AirSyncBase")).toContain("See attached.");
  });
});

describe("a draft the 16.1 phone sends (email2:Send in a Sync Change, [MS-ASEMAIL] 2.2.2.69)", () => {
  it("MS-ASEMAIL_R1389: is submitted and leaves Drafts: the other device gets a Delete", async () => {
    const phone = new TestPhone(USER, PW, "DRAFTSEND1", "16.1");
    let key = syncKeyOf(await phone.sync(DRAFTS, "0"));
    const add = el(
      "AirSync",
      "Add",
      el("AirSync", "ClientId", "send-draft-1"),
      el(
        "AirSync",
        "ApplicationData",
        el("Email", "To", USER),
        el("Email", "Subject", "Ready to go"),
        el("AirSyncBase", "Body", el("AirSyncBase", "Type", 1), el("AirSyncBase", "Data", "Done.")),
      ),
    );
    let r = await phone.sync(DRAFTS, key, { commands: [add] });
    key = syncKeyOf(r);
    const serverId = childText(child(child(collectionOf(r), "Responses"), "Add"), "ServerId")!;

    const other = new TestPhone(USER, PW, "DRAFTSEND2", "16.1");
    let otherKey = syncKeyOf(await other.sync(DRAFTS, "0"));
    r = await other.sync(DRAFTS, otherKey, { options: plainBody });
    otherKey = syncKeyOf(r);
    expect(childrenNamed(child(collectionOf(r), "Commands"), "Add").map((a) => childText(a, "ServerId"))).toContain(serverId);

    const send = el(
      "AirSync",
      "Change",
      el("AirSync", "ServerId", serverId),
      el("AirSync", "ApplicationData", el("Email", "Subject", "Ready to go, final")),
      el("Email2", "Send"),
    );
    r = await phone.sync(DRAFTS, key, { commands: [send] });
    expect(childText(collectionOf(r), "Status")).toBe("1");
    expect(childrenNamed(child(collectionOf(r), "Responses"), "Change")).toHaveLength(0);

    r = await other.sync(DRAFTS, otherKey, { options: plainBody });
    expect(childrenNamed(child(collectionOf(r), "Commands"), "Delete").map((d) => childText(d, "ServerId"))).toContain(serverId);
    const left = await secondDeviceSees("DRAFTSEND3");
    expect(left.map((d) => childText(d, "Subject", "Email"))).not.toContain("Ready to go, final");

    // Submitted with the phone's last edit, and saved in Sent Items (FolderType 5).
    const hierarchy = await other.folderSync("0");
    const sent = childrenNamed(child(hierarchy, "Changes", "FolderHierarchy"), "Add").find(
      (f) => childText(f, "Type", "FolderHierarchy") === "5",
    );
    const sentId = childText(sent, "ServerId", "FolderHierarchy")!;
    const sentKey = syncKeyOf(await other.sync(sentId, "0"));
    r = await other.sync(sentId, sentKey, { options: plainBody });
    const subjects = childrenNamed(child(collectionOf(r), "Commands"), "Add").map((a) =>
      childText(child(a, "ApplicationData"), "Subject", "Email"),
    );
    expect(subjects).toContain("Ready to go, final");
  });
});

describe("a new message the 16.1 phone adds with email2:Send (MS-ASEMAIL_R1386)", () => {
  it("is sent at once: saved in Sent Items, never left in Drafts", async () => {
    const phone = new TestPhone(USER, PW, "DRAFTADDSEND1", "16.1");
    let key = syncKeyOf(await phone.sync(DRAFTS, "0"));
    const add = el(
      "AirSync",
      "Add",
      el("AirSync", "ClientId", "add-send-1"),
      el(
        "AirSync",
        "ApplicationData",
        el("Email", "To", USER),
        el("Email", "Subject", "Straight out"),
        el("AirSyncBase", "Body", el("AirSyncBase", "Type", 1), el("AirSyncBase", "Data", "No draft.")),
      ),
      el("Email2", "Send"),
    );
    const r = await phone.sync(DRAFTS, key, { commands: [add] });
    const resp = child(child(collectionOf(r), "Responses"), "Add");
    expect(childText(resp, "Status")).toBe("1");
    const serverId = childText(resp, "ServerId")!;
    key = syncKeyOf(r);
    // The phone itself is told the item left Drafts (in this response, or the next).
    const deletes = (x: typeof r) => childrenNamed(child(collectionOf(x), "Commands"), "Delete").map((d) => childText(d, "ServerId"));
    const now = deletes(r);
    if (!now.includes(serverId)) expect(deletes(await phone.sync(DRAFTS, key))).toContain(serverId);
    const left = await secondDeviceSees("DRAFTADDSEND2");
    expect(left.map((d) => childText(d, "Subject", "Email"))).not.toContain("Straight out");
    const other = new TestPhone(USER, PW, "DRAFTADDSEND3", "16.1");
    const sent = childrenNamed(child(await other.folderSync("0"), "Changes", "FolderHierarchy"), "Add").find(
      (f) => childText(f, "Type", "FolderHierarchy") === "5",
    );
    const sentId = childText(sent, "ServerId", "FolderHierarchy")!;
    const inSent = await other.sync(sentId, syncKeyOf(await other.sync(sentId, "0")), { options: plainBody });
    const subjects = childrenNamed(child(collectionOf(inSent), "Commands"), "Add").map((a) =>
      childText(child(a, "ApplicationData"), "Subject", "Email"),
    );
    expect(subjects).toContain("Straight out");
  });
});
