// Push from the server: Dovecot's push_notification OX driver (user_from_metadata) announces mail delivered
// by LMTP for an account the store enabled, with the mailbox address we chose, HTTP Basic from the driver URL.
// The calls land in the Node control server (test/servers/control.ts), which also delivers by LMTP.
import { describe, expect, inject, it } from "vitest";
import { basicAuthMatches, parseDovecotPush } from "../../../src/store/imap/dovecot-push";
import type { RecordedNotification } from "../../servers/control";
import { config, itemIdFor, withStore } from "./imap-helpers";

const control = inject("controlUrl");
const MB = "dave@mail.example.test";
const dave = config("dave");

async function notifications(): Promise<RecordedNotification[]> {
  return (await fetch(`${control}/notifications`)).json();
}

async function lmtp(to: string, raw: string): Promise<void> {
  const r = await fetch(`${control}/lmtp?to=${encodeURIComponent(to)}`, { method: "POST", body: raw });
  expect(r.status).toBe(204);
}

describe("Dovecot push_notification (OX driver) for a bridged account", () => {
  it("announces LMTP-delivered mail within a second, as PUT with Basic auth and the address we set", async () => {
    const { inbox, base } = await withStore(MB, dave, async (s) => {
      expect(await s.enablePush(MB)).toBe(true);
      const inbox = (await s.listFolders()).find((f) => f.name === "Inbox")!.id;
      return { inbox, base: await s.folderStatus(inbox) };
    });
    const before = (await notifications()).length;
    const sent = Date.now();
    await lmtp("dave", "From: Bob <bob@example.test>\r\nTo: dave@example.test\r\nSubject: Ping me\r\n\r\nhello\r\n");
    let got: RecordedNotification | undefined;
    while (!got && Date.now() - sent < 3000) {
      got = (await notifications()).slice(before).find((n) => JSON.parse(n.body).user === MB);
      if (!got) await new Promise((r) => setTimeout(r, 50));
    }
    expect(got).toBeDefined();
    expect(got!.at - sent).toBeLessThan(1000);
    expect(got!.method).toBe("PUT");
    expect(got!.path).toBe("/notify/ox");
    expect(got!.authorization).toBe(`Basic ${btoa("dovecot:push-secret-1")}`);
    expect(JSON.parse(got!.body)).toMatchObject({
      user: MB,
      event: "messageNew",
      folder: "INBOX",
      subject: "Ping me",
      "imap-uid": expect.any(Number),
    });
    // what the webhook reads from the real call
    expect(parseDovecotPush(got!.body)).toEqual({
      address: MB,
      event: "messageNew",
      folder: "INBOX",
      uid: expect.any(Number),
      uidvalidity: expect.any(Number),
    });
    expect(await basicAuthMatches(got!.authorization, "dovecot", "push-secret-1")).toBe(true);
    expect(await withStore(MB, dave, async (s) => s.folderIdForServerName(parseDovecotPush(got!.body)!.folder))).toBe(inbox);
    expect(await basicAuthMatches(got!.authorization, "dovecot", "push-secret-2")).toBe(false);

    // ...and the delivered message is the change the store reports for that folder
    const uid = (await itemIdFor("dave", "INBOX"))(JSON.parse(got!.body)["imap-uid"]);
    const { changes, summary } = await withStore(MB, dave, async (s) => ({
      changes: await s.changesSince(inbox, base.highestModseq, 10),
      summary: await s.getSummary(inbox, uid),
    }));
    expect(changes).toEqual([{ itemId: uid, modseq: base.highestModseq + 1, deleted: false }]);
    expect(summary!.subject).toBe("Ping me");
  });

  it("an account that did not enable push is not announced", async () => {
    const before = (await notifications()).length;
    await lmtp("erin", "From: a@example.test\r\nTo: erin@example.test\r\nSubject: quiet\r\n\r\nx\r\n");
    await new Promise((r) => setTimeout(r, 500));
    expect((await notifications()).slice(before).filter((n) => n.body.includes("quiet"))).toEqual([]);
  });

  it("maps server mailbox names (UTF-8 or modified UTF-7) to folder ids without logging in", async () => {
    await withStore(MB, dave, (s) => s.createFolder("0", "Réunions", 12));
    const { utf8, mutf7, none, commands } = await withStore(MB, dave, async (s) => {
      const utf8 = s.folderIdForServerName("Réunions");
      return { utf8, mutf7: s.folderIdForServerName("R&AOk-unions"), none: s.folderIdForServerName("Nope"), commands: s.stats.commands };
    });
    expect(utf8).not.toBeNull();
    expect(mutf7).toBe(utf8);
    expect(none).toBeNull();
    expect(commands).toBe(0);
  });

  it("the webhook's reading of bad bodies and credentials", async () => {
    expect(parseDovecotPush("not json")).toBeNull();
    expect(parseDovecotPush("[]")).toBeNull();
    expect(parseDovecotPush('{"event":"messageNew"}')).toBeNull();
    expect(parseDovecotPush('{"user":" Dave@Mail.Example.Test ","event":"messageNew"}')).toEqual({
      address: "dave@mail.example.test",
      event: "messageNew",
      folder: "INBOX",
    });
    expect(await basicAuthMatches(undefined, "dovecot", "s")).toBe(false);
    expect(await basicAuthMatches("Basic !!!", "dovecot", "s")).toBe(false);
    expect(await basicAuthMatches(`Bearer ${btoa("dovecot:s")}`, "dovecot", "s")).toBe(false);
    expect(await basicAuthMatches(`basic ${btoa("dovecot:s")}`, "dovecot", "s")).toBe(true);
  });
});
