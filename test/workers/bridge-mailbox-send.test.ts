// Sending from a bridged mailbox (issue 8 §4): the durable outbox submits through the backend's SMTP server
// with the account's own login (AUTH), every recipient through it (the provider delivers, oneself included),
// the Sent Items copy APPENDed to the SPECIAL-USE \Sent mailbox; without a login in memory the message waits
// (no attempt used) until a device brings the login. Delivery and admin import APPEND to the IMAP INBOX.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { FolderType } from "../../src/store/types";
import { otherClient } from "./imap/imap-helpers";
import { account, backend, message, RpcDevice } from "./bridge-mailbox-helpers";

const submission = inject("bridgeSubmission");
const judy = account("judy");
const mb = judy.mailbox;
const phone = new RpcDevice(mb, "SENDPHONE", judy.address);

interface Received {
  user: string;
  from: string;
  to: string[];
  raw: string;
}

async function received(subject: string): Promise<Received[]> {
  const list: Received[] = await (await fetch(`${submission.controlUrl}/messages`)).json();
  return list.filter((m) => atob(m.raw).includes(`Subject: ${subject}`));
}

async function subjects(mailbox: string): Promise<string> {
  return otherClient("judy", async (c) => {
    await c.select(mailbox);
    const r = await c.s.command(["UID", "FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"]);
    return r.untagged
      .map((u) => JSON.stringify(u.tokens, (_k, v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : v)))
      .join("\n");
  });
}

function mime(to: string, subject: string): Uint8Array {
  return new TextEncoder().encode(
    `From: Judy <${judy.address}>\r\nTo: ${to}\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSent from a bridged mailbox.\r\n`,
  );
}

beforeAll(async () => {
  await mb().setBackend(backend({ smtp: { host: "127.0.0.1", port: submission.port, tls: "none" } }));
  await mb().useCredentials(judy.login);
  await phone.folderSync("0");
});

describe("sending through the provider's submission server", () => {
  it("SendMail: submitted with the account's login, to every recipient (oneself too); the Sent copy APPENDed to \\Sent", async () => {
    const r = await mb().submitMail({
      user: judy.address,
      mime: mime(`Bob <bob@remote.test>, ${judy.address}`, "Bridged hello"),
      clientId: "c-1",
      saveInSent: true,
    });
    expect(r.ok).toBe(true);
    await runDurableObjectAlarm(mb());
    const got = await received("Bridged hello");
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ user: judy.address, from: judy.address });
    expect(got[0]!.to.sort()).toEqual(["bob@remote.test", judy.address].sort());
    expect(await subjects("Sent")).toMatch(/Subject: Bridged hello/);
    expect(await mb().outboxStatus()).toEqual([]);
  });

  it("no login in memory (object evicted): the message waits without using an attempt; the next login sends it and saves the Sent copy", async () => {
    await evictDurableObject(mb());
    const r = await mb().submitMail({
      user: judy.address,
      mime: mime("carol@remote.test", "Waits for the login"),
      clientId: "c-2",
      saveInSent: true,
    });
    expect(r.ok).toBe(true);
    await runDurableObjectAlarm(mb());
    expect(await received("Waits for the login")).toEqual([]);
    const [waiting] = await mb().outboxStatus();
    expect(waiting).toMatchObject({
      attempts: 0,
      recipients: [{ rcpt: "carol@remote.test", state: "pending", lastError: expect.stringMatching(/login/) }],
    });
    expect(waiting!.nextAttempt).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect(await subjects("Sent")).not.toMatch(/Waits for the login/);

    await mb().useCredentials(judy.login); // a device request
    await runDurableObjectAlarm(mb());
    expect(await received("Waits for the login")).toHaveLength(1);
    expect(await subjects("Sent")).toMatch(/Subject: Waits for the login/);
    expect(await mb().outboxStatus()).toEqual([]);
  });
});

describe("a bounce is never lost (issue 13 §6)", () => {
  it("a message that expires while no login is in memory: its DSN waits in the outbox (past the age limit too), then reaches the sender", async () => {
    await evictDurableObject(mb());
    const r = await mb().submitMail({
      user: judy.address,
      mime: mime("dave@remote.test", "Expires unsent"),
      clientId: "c-x",
      saveInSent: false,
    });
    expect(r.ok).toBe(true);
    await runInDurableObject(mb(), async (_m, state) => {
      state.storage.sql.exec(`UPDATE outbox SET created = created - 72 * 3600000`); // older than OUTBOX_MAX_AGE_HOURS
    });
    await runDurableObjectAlarm(mb());
    const waiting = await mb().outboxStatus();
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({ from: "", recipients: [{ rcpt: judy.address, state: "pending" }] });
    // The report itself outlives OUTBOX_MAX_AGE_HOURS without a login: it is the last news of the lost message,
    // so it keeps waiting (a report has no sender to bounce to).
    await runInDurableObject(mb(), async (_m, state) => {
      state.storage.sql.exec(`UPDATE outbox SET created = created - 72 * 3600000, next_attempt = 0`);
    });
    await runDurableObjectAlarm(mb());
    expect(await mb().outboxStatus()).toMatchObject([{ from: "", recipients: [{ rcpt: judy.address, state: "pending" }] }]);

    await mb().useCredentials(judy.login);
    await runDurableObjectAlarm(mb());
    const dsn = (await fetch(`${submission.controlUrl}/messages`).then((x) => x.json())) as Received[];
    expect(
      dsn.some((m) => atob(m.raw).includes("multipart/report") && atob(m.raw).includes("Expires unsent") && m.to.includes(judy.address)),
    ).toBe(true);
    expect(await mb().outboxStatus()).toEqual([]);
  });
});

describe("mail put into a bridged mailbox by the service", () => {
  it("deliver() and the admin import APPEND to the IMAP INBOX (import keeps the Date header); without a login they answer retryably", async () => {
    await mb().useCredentials(judy.login);
    const d = await mb().deliver(new TextEncoder().encode(message("Service notice")));
    const inbox = (await phone.folderSync("0")).adds.find((a) => a.type === FolderType.Inbox)!.serverId;
    expect(d.folderId).toBe(inbox);
    const i = await mb().importMessage(new TextEncoder().encode(message("Imported old mail")));
    expect(i.folderId).toBe(inbox);
    const text = await subjects("INBOX");
    expect(text).toMatch(/Service notice/);
    expect(text).toMatch(/Imported old mail/);
    const internal = await otherClient("judy", async (c) => {
      await c.select("INBOX");
      const r = await c.s.command(["UID", "FETCH", i.itemId.split("-")[1]!, "(INTERNALDATE)"]);
      return JSON.stringify(r.untagged[0]!.tokens);
    });
    expect(internal).toMatch(/26-Nov-2026 10:00:00/);

    await evictDurableObject(mb());
    const err = await mb()
      .importMessage(new TextEncoder().encode(message("No login")))
      .then(
        () => null,
        (e: Error) => e,
      );
    expect(err?.message).toMatch(/no login in memory/);
  });
});
