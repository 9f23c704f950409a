// The hanging Sync through the Sync command: nothing to send → the request waits (push helper's waits);
// new mail in a watched collection answers it with the Add; a change outside the FilterType window does not.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { createAccount } from "../../src/service/directory";
import { childText, el } from "../../src/wbxml/index";
import { TestPhone, idsOf, mailOptions, message, syncKeyOf } from "./helpers/phone";

const USER = "hanging@example.test";
const PW = "hanging-secret";
const INBOX = "1";
const mailbox = () => env.MAILBOX.getByName(USER);

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
  await mailbox().deliver(message("first"));
});

describe("hanging Sync ([MS-ASCMD] 3.1.5.4)", () => {
  it("MS-ASCMD_R3119: waits while nothing changed, answers with the new mail as soon as it arrives", async () => {
    const phone = new TestPhone(USER, PW, "HANG1");
    const week = mailOptions(el("AirSync", "FilterType", 3));
    let key = syncKeyOf(await phone.sync(INBOX, "0", { options: week }));
    key = syncKeyOf(await phone.sync(INBOX, key, { options: week }));
    const t0 = Date.now();
    const pending = phone.send(
      "Sync",
      el(
        "AirSync",
        "Sync",
        el("AirSync", "Collections", el("AirSync", "Collection", el("AirSync", "SyncKey", key), el("AirSync", "CollectionId", INBOX))),
        el("AirSync", "HeartbeatInterval", 60),
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    // Mail outside the window (30 days old) is no reason to answer.
    await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.appendMessage(INBOX, message("old"), {}, Date.now() - 30 * 86_400_000));
    await mailbox().changed([INBOX], "import");
    await new Promise((r) => setTimeout(r, 300));
    const fresh = await mailbox().deliver(message("second"));
    const r = await pending;
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(idsOf(r, "Add")).toEqual([`${INBOX}:${fresh.itemId}`]);
  }, 60_000);

  it("MS-ASCMD_R4452: another device's FolderCreate answers a hanging Sync with Status 12", async () => {
    const a = new TestPhone(USER, PW, "HANG-A");
    const b = new TestPhone(USER, PW, "HANG-B");
    const hierKey = childText(await a.folderSync("0"), "SyncKey")!;
    await b.folderSync("0");
    let key = syncKeyOf(await b.sync(INBOX, "0"));
    key = syncKeyOf(await b.sync(INBOX, key, { windowSize: 100 }));
    const pending = b.send(
      "Sync",
      el(
        "AirSync",
        "Sync",
        el("AirSync", "Collections", el("AirSync", "Collection", el("AirSync", "SyncKey", key), el("AirSync", "CollectionId", INBOX))),
        el("AirSync", "HeartbeatInterval", 60),
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    const created = await a.send(
      "FolderCreate",
      el(
        "FolderHierarchy",
        "FolderCreate",
        el("FolderHierarchy", "SyncKey", hierKey),
        el("FolderHierarchy", "ParentId", "0"),
        el("FolderHierarchy", "DisplayName", "From phone A"),
        el("FolderHierarchy", "Type", 12),
      ),
    );
    expect(childText(created.body, "Status")).toBe("1");
    const r = await pending;
    expect(childText(r.body, "Status")).toBe("12");
  }, 60_000);
});
