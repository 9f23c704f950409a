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
    let r = await phone.sync(DRAFTS, key, { commands: [add] });
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
