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
