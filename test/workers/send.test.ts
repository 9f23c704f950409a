// Sending mail inside workerd: real mailbox objects, D1 directory, the real SMTP sink on loopback
// (test/smtp-sink.ts, started by the workers project's globalSetup). Commands are called as the front
// door calls them; the outbox is driven by the Durable Object alarm.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sinkControl, sinkMessages } from "./helpers/smtp-sink";
import PostalMime from "postal-mime";
import { beforeEach, describe, expect, it } from "vitest";
import type { EasRequest, EasResponse } from "../../src/eas/front/command";
import { commandRegistry } from "../../src/eas/commands";
import { el, isElement, type WbxmlElement } from "../../src/wbxml";
import { FolderType } from "../../src/store/types";
import { CHAOS_RESET_REASON } from "../../src/mailbox/contract";
import { AccountsDirectory } from "../../src/mailbox/directory";
import { Outbox } from "../../src/mailbox/outbox";
import { smtpConfigFromEnv } from "../../src/mailbox/smtp-client";
import { d1RecipientAccounts } from "../../src/service/accounts";
import { setLogSink } from "../../src/observability/log";

const SENDER = "alice@local.test";
const LOCAL_RCPT = "carol@local.test";
function request(
  cmd: string,
  opts: { version?: string; body?: WbxmlElement | null; raw?: string | Uint8Array; params?: Record<string, string>; user?: string } = {},
): EasRequest {
  const user = opts.user ?? SENDER;
  const raw = typeof opts.raw === "string" ? new TextEncoder().encode(opts.raw) : (opts.raw ?? new Uint8Array());
  return {
    cmd,
    user,
    deviceId: "dev1",
    deviceType: "TestPhone",
    protocolVersion: opts.version ?? "14.1",
    params: opts.params ?? {},
    acceptMultiPart: false,
    body: opts.body ?? null,
    rawBody: raw,
    contentType: opts.body ? "application/vnd.ms-sync.wbxml" : "message/rfc822",
    mailbox: env.MAILBOX.getByName(user),
  };
}

function run(req: EasRequest): Promise<EasResponse> {
  return commandRegistry.get(req.cmd)!.handle(req);
}

function compose(
  cmd: "SendMail" | "SmartReply" | "SmartForward",
  mime: string | Uint8Array,
  extra: (WbxmlElement | null)[] = [],
  clientId = crypto.randomUUID().slice(0, 36),
): WbxmlElement {
  const bytes = typeof mime === "string" ? new TextEncoder().encode(mime) : mime;
  return el("ComposeMail", cmd, el("ComposeMail", "ClientId", clientId), ...extra, el("ComposeMail", "Mime", bytes));
}

const saveInSent = () => el("ComposeMail", "SaveInSentItems");

function mime(to: string, subject: string, body = "Hello there.", extraHeaders = ""): string {
  return `From: Alice <${SENDER}>\r\nTo: ${to}\r\nSubject: ${subject}\r\n${extraHeaders}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;
}

function statusOf(res: EasResponse): number | "empty" | `http ${number}` {
  if (res.kind === "empty") return "empty";
  if (res.kind === "http") return `http ${res.status}`;
  if (res.kind !== "wbxml") throw new Error("unexpected response kind");
  const status = res.body.children.find((c): c is WbxmlElement => isElement(c) && c.name === "Status");
  return Number(status?.children[0]);
}

async function deliverAlarm(address = SENDER) {
  const stub = env.MAILBOX.getByName(address);
  await runDurableObjectAlarm(stub);
}

async function folderMessages(address: string, type: number) {
  const stub = env.MAILBOX.getByName(address);
  return runInDurableObject(stub, async (mbx) => {
    const folder = mbx.store.folderByType(type as never)!;
    const items = await mbx.store.listItems(folder.id, { limit: 100 });
    return Promise.all(
      items.map(async (i) => ({ summary: i, raw: new TextDecoder().decode((await mbx.store.getMime(folder.id, i.itemId))!) })),
    );
  });
}

async function outbox(address = SENDER) {
  return env.MAILBOX.getByName(address).outboxStatus();
}

beforeEach(async () => {
  await sinkControl("up");
  await sinkControl("reset");
  for (const a of [SENDER, LOCAL_RCPT]) {
    await env.DB.prepare("INSERT OR IGNORE INTO accounts (address, password_hash, salt, iterations, created_at) VALUES (?, 'x', 'x', 1, 0)")
      .bind(a)
      .run();
  }
});

describe("SendMail", () => {
  it("12.x form: raw message/rfc822 body, SaveInSent=T, relayed over SMTP with From set to the user (MS-ASCMD_R443, MS-ASCMD_R448, MS-ASCMD_R463)", async () => {
    const raw = mime("Bob <bob@remote.test>", "twelve", "Sent the old way.", `Bcc: hidden@remote.test\r\n`).replace(
      `Alice <${SENDER}>`,
      "Mallory <mallory@evil.test>",
    );
    const res = await run(request("SendMail", { version: "12.1", raw, params: { SaveInSent: "T" } }));
    expect(res).toEqual({ kind: "empty" }); // 200 with an empty body
    await deliverAlarm();
    const got = await sinkMessages();
    expect(got).toHaveLength(1);
    expect(got[0]!.from).toBe(SENDER);
    expect(got[0]!.to.sort()).toEqual(["bob@remote.test", "hidden@remote.test"]);
    const parsed = await PostalMime.parse(got[0]!.text);
    expect(parsed.from?.address).toBe(SENDER);
    expect(parsed.bcc).toBeUndefined(); // Bcc never travels
    expect(parsed.text).toContain("Sent the old way.");
    const sent = await folderMessages(SENDER, FolderType.SentItems);
    const copy = sent.find((m) => m.summary.subject === "twelve")!;
    expect(copy.summary.flags.seen).toBe(true);
    expect(copy.raw).toMatch(/^Bcc: hidden@remote\.test/m); // the sender's copy keeps Bcc
    expect(await outbox()).toEqual([]);
  });

  it("14.x ComposeMail to a local address lands in the recipient's Inbox, and with SaveInSentItems in Sent Items (MS-ASCMD_R463)", async () => {
    const res = await run(request("SendMail", { body: compose("SendMail", mime(LOCAL_RCPT, "hello carol"), [saveInSent()]) }));
    expect(res).toEqual({ kind: "empty" });
    await deliverAlarm();
    const inbox = await folderMessages(LOCAL_RCPT, FolderType.Inbox);
    expect(inbox.map((m) => m.summary.subject)).toContain("hello carol");
    expect((await folderMessages(SENDER, FolderType.SentItems)).map((m) => m.summary.subject)).toContain("hello carol");
    expect(await sinkMessages()).toHaveLength(0); // local mail never goes to the relay
  });

  it("To oneself, Cc a local mailbox and a group of outside addresses: each recipient reached once", async () => {
    const raw = mime(`Alice <${SENDER}>, Team: dave2@remote.test, DAVE2@remote.test;`, "fan out", "to all", `Cc: ${LOCAL_RCPT}\r\n`);
    expect(statusOf(await run(request("SendMail", { body: compose("SendMail", raw) })))).toBe("empty");
    await deliverAlarm();
    expect((await folderMessages(SENDER, FolderType.Inbox)).filter((m) => m.summary.subject === "fan out")).toHaveLength(1);
    expect((await folderMessages(LOCAL_RCPT, FolderType.Inbox)).filter((m) => m.summary.subject === "fan out")).toHaveLength(1);
    expect((await sinkMessages()).map((m) => m.to)).toEqual([["dave2@remote.test"]]);
  });

  it("14.x ComposeMail to an outside address arrives at the SMTP relay, not saved when SaveInSentItems is absent", async () => {
    const before = (await folderMessages(SENDER, FolderType.SentItems)).length;
    expect(statusOf(await run(request("SendMail", { body: compose("SendMail", mime("dave@remote.test", "to dave")) })))).toBe("empty");
    await deliverAlarm();
    const got = await sinkMessages();
    expect(got.map((m) => m.to)).toEqual([["dave@remote.test"]]);
    expect((await PostalMime.parse(got[0]!.text)).subject).toBe("to dave");
    expect(await folderMessages(SENDER, FolderType.SentItems)).toHaveLength(before);
  });

  it("the same ClientId twice: Status 118 and only one message at the relay (MS-ASCMD_R4848, MS-ASCMD_R7465, MS-ASCMD_R4850)", async () => {
    const body = compose("SendMail", mime("erin@remote.test", "once only"), [], "client-id-118");
    expect(statusOf(await run(request("SendMail", { body })))).toBe("empty");
    const again = await run(request("SendMail", { body }));
    expect(statusOf(again)).toBe(118);
    expect(again).toMatchObject({ kind: "wbxml", body: { ns: "ComposeMail", name: "SendMail" } });
    // Still remembered after the object restarts.
    await evictDurableObject(env.MAILBOX.getByName(SENDER));
    expect(statusOf(await run(request("SendMail", { body })))).toBe(118);
    await deliverAlarm();
    expect((await sinkMessages()).filter((m) => m.to.includes("erin@remote.test"))).toHaveLength(1);
  });

  it("malformed MIME: Status 107 in 14.x, HTTP 400 in 12.x (MS-ASCMD_R4826, MS-ASCMD_R7461)", async () => {
    const garbage = "this is not a message\r\nat all";
    expect(statusOf(await run(request("SendMail", { body: compose("SendMail", garbage) })))).toBe(107);
    expect(statusOf(await run(request("SendMail", { version: "12.1", raw: garbage })))).toBe("http 400");
    expect(await outbox()).toEqual([]);
  });

  it("no recipient: Status 119; a 12.1 SendMail with a WBXML body: HTTP 400 (MS-ASCMD_R4853, MS-ASCMD_R4813, MS-ASCMD_R7546)", async () => {
    const noRcpt = `From: ${SENDER}\r\nSubject: nobody\r\n\r\nbody\r\n`;
    expect(statusOf(await run(request("SendMail", { body: compose("SendMail", noRcpt) })))).toBe(119);
    const wbxmlIn12 = { ...request("SendMail", { version: "12.1", body: compose("SendMail", mime("x@remote.test", "x")) }) };
    expect(statusOf(await run(wbxmlIn12))).toBe("http 400");
  });

  it("an oversized message gets a ComposeMail status (122), never an HTTP 5xx; 12.x gets 413", async () => {
    const big = mime("frank@remote.test", "huge", "x".repeat(Number(env.MAX_SEND_BYTES) + 10));
    expect(statusOf(await run(request("SendMail", { body: compose("SendMail", big) })))).toBe(122);
    expect(statusOf(await run(request("SendMail", { version: "12.1", raw: big })))).toBe("http 413");
    expect(await outbox()).toEqual([]);
  });

  it("send quota: recipients per rolling 24 hours, above it Status 115 and nothing queued (MS-ASCMD_R4842)", async () => {
    const user = "quota@local.test";
    const list = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `q${tag}${i}@remote.test`).join(", ");
    const send = (to: string, version = "14.1") =>
      run(
        request("SendMail", {
          user,
          version,
          ...(version === "12.1" ? { raw: mime(to, "quota") } : { body: compose("SendMail", mime(to, "quota")) }),
        }),
      );
    expect(statusOf(await send(list(150, "a")))).toBe("empty"); // quota 200 in the test bindings
    expect(statusOf(await send(list(60, "b")))).toBe(115);
    expect(statusOf(await send(list(60, "c"), "12.1"))).toBe("http 403");
    expect(statusOf(await send(list(50, "d")))).toBe("empty"); // exactly at the limit is allowed
    expect((await outbox(user)).map((o) => o.recipients.length)).toEqual([150, 50]);
    await deliverAlarm(user); // leave nothing queued for the tests that follow
    expect(await outbox(user)).toEqual([]);
  });

  it("a message larger than one SQLite value (1.5 MB) goes through the outbox intact", async () => {
    const body = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${"y".repeat(60)}`).join("\r\n");
    expect(statusOf(await run(request("SendMail", { body: compose("SendMail", mime("gina@remote.test", "large", body)) })))).toBe("empty");
    await evictDurableObject(env.MAILBOX.getByName(SENDER)); // accepted = durable, even across a restart
    await deliverAlarm();
    const got = (await sinkMessages()).find((m) => m.to.includes("gina@remote.test"))!;
    const lines = (await PostalMime.parse(got.text)).text!.trim().split(/\r?\n/);
    expect(lines.length).toBe(20_000);
    expect(lines.every((l, i) => l === `line ${i} ${"y".repeat(60)}`)).toBe(true);
  });
});

describe("delivery failures", () => {
  it("relay down: the message waits in the outbox, is retried by the alarm, and is delivered when the relay is back", async () => {
    await sinkControl("down");
    expect(statusOf(await run(request("SendMail", { body: compose("SendMail", mime("henry@remote.test", "patience")) })))).toBe("empty");
    expect(statusOf(await run(request("SendMail", { body: compose("SendMail", mime("hilda@remote.test", "patience too")) })))).toBe(
      "empty",
    );
    await deliverAlarm();
    const waiting = await outbox();
    expect(waiting).toHaveLength(2);
    expect(waiting.map((w) => w.attempts)).toEqual([1, 1]);
    expect(waiting[0]!.recipients[0]).toMatchObject({ rcpt: "henry@remote.test", state: "pending" });
    expect(waiting[1]!.recipients[0]).toMatchObject({ rcpt: "hilda@remote.test", state: "pending" });
    expect(waiting[0]!.recipients[0]!.lastError).toMatch(/connect|closed|refused|internal error/i);
    expect(waiting[0]!.nextAttempt).toBeGreaterThan(Date.now());
    const alarmAt = await runInDurableObject(env.MAILBOX.getByName(SENDER), (_m, state) => state.storage.getAlarm());
    expect(alarmAt).toBe(Math.min(...waiting.map((w) => w.nextAttempt))); // the retry is armed
    await evictDurableObject(env.MAILBOX.getByName(SENDER));
    await sinkControl("up");
    // Time passes: make the retry due and let the alarm fire.
    await runInDurableObject(env.MAILBOX.getByName(SENDER), async (mbx) => {
      mbx.sending.outbox.makeAllDue();
      await mbx.alarms.schedule("outbox", Date.now());
    });
    await deliverAlarm();
    expect((await sinkMessages()).map((m) => m.to)).toEqual([["henry@remote.test"], ["hilda@remote.test"]]);
    expect(await outbox()).toEqual([]);
  });

  it("a message written to the outbox by a request that died before waking the alarm is still delivered after a restart", async () => {
    const stub = env.MAILBOX.getByName(SENDER);
    await runInDurableObject(stub, async (mbx, state) => {
      const raw = new TextEncoder().encode(mime("ivy@remote.test", "orphan"));
      mbx.sending.outbox.enqueue({ from: SENDER, recipients: ["ivy@remote.test"], raw });
      state.storage.sql.exec("DELETE FROM alarm_due");
      await state.storage.deleteAlarm();
    });
    await evictDurableObject(stub);
    await stub.health(); // any request starts the object again
    expect(await runInDurableObject(stub, (_m, state) => state.storage.getAlarm())).not.toBeNull();
    await deliverAlarm();
    expect((await sinkMessages()).map((m) => m.to)).toEqual([["ivy@remote.test"]]);
  });

  it("permanent 550 from the relay: a multipart/report DSN in the sender's Inbox; other recipients still delivered (RFC 3464)", async () => {
    const raw = mime("ivan@remote.test, reject-me@remote.test", "half bounces");
    expect(statusOf(await run(request("SendMail", { body: compose("SendMail", raw) })))).toBe("empty");
    await deliverAlarm();
    expect((await sinkMessages()).map((m) => m.to)).toEqual([["ivan@remote.test"]]);
    expect(await outbox()).toEqual([]);
    const inbox = await folderMessages(SENDER, FolderType.Inbox);
    const dsn = inbox.find((m) => m.summary.subject.startsWith("Undeliverable: half bounces"))!;
    expect(dsn).toBeDefined();
    expect(dsn.raw).toMatch(/^Content-Type: multipart\/report; report-type=delivery-status;/m);
    expect(dsn.raw).toContain("Final-Recipient: rfc822; reject-me@remote.test");
    expect(dsn.raw).toContain("Status: 5.1.1");
    expect(dsn.raw).toContain("Action: failed");
    expect(dsn.raw).not.toContain("Final-Recipient: rfc822; ivan@remote.test");
  });

  it("an address in a local domain without a mailbox bounces at once with 5.1.1", async () => {
    expect(statusOf(await run(request("SendMail", { body: compose("SendMail", mime("nobody@local.test", "ghost")) })))).toBe("empty");
    await deliverAlarm();
    const dsn = (await folderMessages(SENDER, FolderType.Inbox)).find((m) => m.summary.subject === "Undeliverable: ghost")!;
    expect(dsn.raw).toContain("Final-Recipient: rfc822; nobody@local.test");
    expect(await sinkMessages()).toHaveLength(0);
  });

  it("temporary failures until the attempt limit: a DSN with 4.4.7 and the message leaves the outbox", async () => {
    expect(statusOf(await run(request("SendMail", { body: compose("SendMail", mime("tempfail@remote.test", "never")) })))).toBe("empty");
    await deliverAlarm();
    expect((await outbox())[0]!.recipients[0]!.state).toBe("pending");
    await runInDurableObject(env.MAILBOX.getByName(SENDER), async (mbx, state) => {
      state.storage.sql.exec("UPDATE outbox SET attempts = 19");
      mbx.sending.outbox.makeAllDue();
      await mbx.alarms.schedule("outbox", Date.now());
    });
    await deliverAlarm();
    expect(await outbox()).toEqual([]);
    const dsn = (await folderMessages(SENDER, FolderType.Inbox)).find((m) => m.summary.subject === "Undeliverable: never")!;
    expect(dsn.raw).toContain("Status: 4.4.7");
  });
});

describe("SmartReply and SmartForward", () => {
  const ORIGINAL =
    "From: Olga <olga@remote.test>\r\nTo: Alice <alice@local.test>\r\nSubject: Plans\r\nMessage-ID: <orig-1@remote.test>\r\n" +
    "Date: Mon, 02 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B1\r\n\r\n" +
    "--B1\r\nContent-Type: multipart/alternative; boundary=B2\r\n\r\n" +
    "--B2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nShall we meet on Friday?\r\n" +
    "--B2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Shall we meet on <b>Friday</b>?</p></body></html>\r\n" +
    "--B2--\r\n--B1\r\nContent-Type: application/pdf; name=agenda.pdf\r\nContent-Disposition: attachment; filename=agenda.pdf\r\n" +
    "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCg==\r\n--B1--\r\n";

  async function original(): Promise<{ folderId: string; itemId: string }> {
    const d = await env.MAILBOX.getByName(SENDER).deliver(new TextEncoder().encode(ORIGINAL));
    return { folderId: d.folderId, itemId: d.itemId };
  }

  const source = (o: { folderId: string; itemId: string }) =>
    el("ComposeMail", "Source", el("ComposeMail", "FolderId", o.folderId), el("ComposeMail", "ItemId", o.itemId));

  it("SmartReply quotes the original text and HTML and threads the reply (MS-ASCMD_R569, MS-ASCMD_R580, MS-ASCMD_R605)", async () => {
    const o = await original();
    const reply = mime("olga@remote.test", "RE: Plans", "Friday works.");
    expect(statusOf(await run(request("SmartReply", { body: compose("SmartReply", reply, [source(o), saveInSent()]) })))).toBe("empty");
    await deliverAlarm();
    const got = (await sinkMessages()).find((m) => m.to.includes("olga@remote.test"))!;
    const parsed = await PostalMime.parse(got.text);
    expect(parsed.subject).toBe("RE: Plans");
    expect(parsed.inReplyTo).toBe("<orig-1@remote.test>");
    expect(parsed.text).toMatch(/Friday works\.[\s\S]*-----Original Message-----[\s\S]*Subject: Plans[\s\S]*Shall we meet on Friday\?/);
    expect(parsed.html).toContain("Shall we meet on <b>Friday</b>?");
    expect(parsed.attachments).toHaveLength(0); // a reply does not carry the original's attachments
    const flags = await runInDurableObject(env.MAILBOX.getByName(SENDER), (mbx) => mbx.store.getSummary(o.folderId, o.itemId));
    expect(flags!.flags.answered).toBe(true);
  });

  it("SmartForward carries the original's attachments and text (MS-ASCMD_R532, MS-ASCMD_R545, MS-ASCMD_R568)", async () => {
    const o = await original();
    const fwd = mime("paul@remote.test", "FW: Plans", "See below.");
    expect(statusOf(await run(request("SmartForward", { body: compose("SmartForward", fwd, [source(o)]) })))).toBe("empty");
    await deliverAlarm();
    const parsed = await PostalMime.parse((await sinkMessages()).find((m) => m.to.includes("paul@remote.test"))!.text);
    expect(parsed.text).toMatch(/See below\.[\s\S]*Shall we meet on Friday\?/);
    expect(parsed.attachments.map((a) => [a.filename, a.mimeType])).toEqual([["agenda.pdf", "application/pdf"]]);
    expect(new TextDecoder().decode(parsed.attachments[0]!.content as ArrayBuffer)).toMatch(/^%PDF-1\.4/);
  });

  it("SmartForward keeps inline images inline and every attachment exactly once, whatever their names", async () => {
    const rich =
      "From: olga@remote.test\r\nTo: alice@local.test\r\nSubject: Pictures\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n" +
      '--M\r\nContent-Type: multipart/related; boundary=R\r\n\r\n--R\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Logo: <img src="cid:logo@x"></p>\r\n' +
      "--R\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--R--\r\n" +
      '--M\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="attachment-inline.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n' +
      "--M\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt\r\n\r\nCV\r\n--M--\r\n";
    const d = await env.MAILBOX.getByName(SENDER).deliver(new TextEncoder().encode(rich));
    const body = compose("SmartForward", mime("sam@remote.test", "FW: Pictures", "Look."), [
      source({ folderId: d.folderId, itemId: d.itemId }),
    ]);
    expect(statusOf(await run(request("SmartForward", { body })))).toBe("empty");
    await deliverAlarm();
    const parsed = await PostalMime.parse((await sinkMessages()).find((m) => m.to.includes("sam@remote.test"))!.text);
    expect(parsed.attachments.map((a) => [a.filename, a.mimeType, a.disposition, a.contentId ?? null])).toEqual([
      ["logo@x.png", "image/png", "inline", "<logo@x>"],
      ["attachment-inline.pdf", "application/pdf", "attachment", null],
      ["résumé.txt", "text/plain", "attachment", null],
    ]);
    expect(parsed.html).toContain('<img src="cid:logo@x">');
  });

  it("SmartForward of an original too large to forward: Status 122 before anything is built or queued", async () => {
    const big = `From: olga@remote.test\r\nTo: ${SENDER}\r\nSubject: big\r\n\r\n${"z".repeat(Number(env.MAX_SEND_BYTES))}\r\n`;
    const d = await env.MAILBOX.getByName(SENDER).deliver(new TextEncoder().encode(big));
    const body = compose("SmartForward", mime("tina@remote.test", "FW: big", "fyi"), [source({ folderId: d.folderId, itemId: d.itemId })]);
    expect(statusOf(await run(request("SmartForward", { body })))).toBe(122);
    expect(await outbox()).toEqual([]);
  });

  it("SmartForward with ReplaceMime sends the device's message as it is (MS-ASCMD_R3775)", async () => {
    const o = await original();
    const fwd = mime("quinn@remote.test", "FW: Plans (edited)", "I rewrote everything myself.");
    const body = compose("SmartForward", fwd, [source(o), el("ComposeMail", "ReplaceMime")]);
    expect(statusOf(await run(request("SmartForward", { body })))).toBe("empty");
    await deliverAlarm();
    const parsed = await PostalMime.parse((await sinkMessages()).find((m) => m.to.includes("quinn@remote.test"))!.text);
    expect(parsed.text?.trim()).toBe("I rewrote everything myself.");
    expect(parsed.attachments).toHaveLength(0);
  });

  it("12.x SmartForward: ItemId and CollectionId in the query", async () => {
    const o = await original();
    const fwd = mime("rita@remote.test", "FW: Plans", "Old phone forward.");
    const res = await run(
      request("SmartForward", { version: "12.1", raw: fwd, params: { ItemId: o.itemId, CollectionId: o.folderId, SaveInSent: "T" } }),
    );
    expect(res).toEqual({ kind: "empty" });
    await deliverAlarm();
    const parsed = await PostalMime.parse((await sinkMessages()).find((m) => m.to.includes("rita@remote.test"))!.text);
    expect(parsed.attachments.map((a) => a.filename)).toEqual(["agenda.pdf"]);
  });

  it("a missing original: Status 150 ItemNotFound, nothing queued (MS-ASCMD_R4930)", async () => {
    const body = compose("SmartReply", mime("olga@remote.test", "RE: gone"), [source({ folderId: "1", itemId: "999999" })]);
    expect(statusOf(await run(request("SmartReply", { body })))).toBe(150);
    const unknownFolder = compose("SmartForward", mime("olga@remote.test", "FW: gone"), [
      source({ folderId: "no-such-folder", itemId: "1" }),
    ]);
    expect(statusOf(await run(request("SmartForward", { body: unknownFolder })))).toBe(150);
    expect(await outbox()).toEqual([]);
  });
});

describe("service notices", () => {
  it("a sender refused at MAIL FROM bounces; the next message of the same pass still goes out on the same connection", async () => {
    const box = env.MAILBOX.getByName("notices@local.test");
    const m = (subject: string) =>
      new TextEncoder().encode(`From: notices@local.test\r\nTo: owner2@remote.test\r\nSubject: ${subject}\r\n\r\nx\r\n`);
    await box.queueOutgoing(m("refused"), { from: "badsender@local.test" });
    await box.queueOutgoing(m("accepted"), { from: "notices@local.test" });
    await deliverAlarm("notices@local.test");
    const got = await sinkMessages();
    expect(got.map((x) => [x.from, x.to])).toEqual([["notices@local.test", ["owner2@remote.test"]]]);
    expect((await PostalMime.parse(got[0]!.text)).subject).toBe("accepted");
    expect(await outbox("notices@local.test")).toEqual([]);
    const dsn = (await folderMessages("notices@local.test", FolderType.Inbox)).find((x) => x.summary.subject === "Undeliverable: refused")!;
    expect(dsn.raw).toContain("Status: 5.7.1");
  });

  it("queueOutgoing sends a message built elsewhere through the same outbox", async () => {
    const notice = `From: Mobile Sync <billing@local.test>\r\nTo: ${SENDER}, owner@remote.test\r\nSubject: Your renewal\r\n\r\nThanks.\r\n`;
    await env.MAILBOX.getByName("billing@local.test").queueOutgoing(new TextEncoder().encode(notice), { from: "" });
    await deliverAlarm("billing@local.test");
    expect((await sinkMessages()).map((m) => [m.from, m.to])).toEqual([["", ["owner@remote.test"]]]);
    expect((await folderMessages(SENDER, FolderType.Inbox)).map((m) => m.summary.subject)).toContain("Your renewal");
  });
});

// Issue 19: the outbox promises every accepted message is delivered once. A local delivery is an RPC into the
// recipient's object: the recipient may store the message and the answer still be lost (the sender's object
// reset, the connection between the two dropped), and the alarm then tries again.
describe("local delivery exactly once when its answer is lost", () => {
  it("the recipient stored it, the sender never heard back: the retry does not store it a second time", async () => {
    const subject = `answer lost ${crypto.randomUUID()}`;
    await runInDurableObject(env.MAILBOX.getByName(SENDER), async (_m, state) => {
      let lose = true;
      const ob = new Outbox({
        storage: state.storage,
        directory: new AccountsDirectory(d1RecipientAccounts(env.DB), env),
        smtp: () => null,
        deliverSelf: async () => {},
        saveSent: async (_raw, saved) => saved(),
        deliverLocal: async (address, raw, id) => {
          await env.MAILBOX.getByName(address).deliverOnce(raw, id); // as Sending does
          if (lose) {
            lose = false;
            throw new Error("Network connection lost."); // stored over there; the answer never came back
          }
        },
        maxAttempts: 20,
        maxAgeMs: 3_600_000,
        reportingMta: "test",
      });
      ob.enqueue({ from: SENDER, recipients: [LOCAL_RCPT], raw: new TextEncoder().encode(mime(LOCAL_RCPT, subject)) });
      await ob.run();
      const later = Date.now() + 1;
      ob.makeAllDue(later);
      await ob.run(later);
      expect(ob.nextDue()).toBeNull(); // done
    });
    const copies = (await folderMessages(LOCAL_RCPT, FolderType.Inbox)).filter((m) => m.summary.subject === subject);
    expect(copies).toHaveLength(1);
  });
});

// Issue 19, found by `npm run chaos` (seed 20261210): one bridged message reached the submission server twice.
// The relay commits a message at the final dot and answers 250 (RFC 5321 §4.1.1.4); when that answer is lost —
// the connection cut, or the mailbox object reset while it waited for it — the client cannot know the message
// went (RFC 5321 §6.1; the duplicate problem of RFC 1047) and SMTP has no command to ask. The outbox notes the
// message "in doubt" durably before it sends the final dot and clears the note in the same write as the result;
// a retry of a message in doubt sends it again, with the same Message-ID (receivers and clients collapse copies
// by it), and says so: its log line and the outbox status. Everything before the final dot is exactly once.
describe("a relay's 250 lost after the final dot (SMTP's own window)", () => {
  it("the message is noted in doubt before the final dot; the retry resends it once, same Message-ID, flagged in doubt", async () => {
    const subject = `in doubt ${crypto.randomUUID()}`;
    await sinkControl("lose-next-answer");
    expect(statusOf(await run(request("SendMail", { body: compose("SendMail", mime("ivan@remote.test", subject)) })))).toBe("empty");
    await deliverAlarm();
    const taken = (await sinkMessages()).filter((m) => m.text.includes(subject));
    expect(taken).toHaveLength(1); // the relay has it; we never heard its 250
    const waiting = (await outbox()).find((w) => w.recipients[0]?.rcpt === "ivan@remote.test")!;
    expect(waiting.recipients[0]).toMatchObject({ state: "pending" });
    expect(waiting.inDoubtSince).toBeGreaterThan(0);
    const logged: string[] = [];
    const restore = setLogSink((line) => logged.push(line));
    try {
      await runInDurableObject(env.MAILBOX.getByName(SENDER), async (mbx) => {
        mbx.sending.outbox.makeAllDue();
        await mbx.alarms.schedule("outbox", Date.now());
      });
      await deliverAlarm();
    } finally {
      restore();
    }
    const copies = (await sinkMessages()).filter((m) => m.text.includes(subject));
    expect(copies).toHaveLength(2);
    const messageId = (t: string) => /^Message-ID:\s*(.*)$/im.exec(t)?.[1]?.trim();
    expect(messageId(copies[1]!.text)).toBe(messageId(copies[0]!.text));
    expect(await outbox()).toEqual([]);
    const line = logged.map((l) => (l.startsWith("{") ? JSON.parse(l) : null)).find((l) => l?.kind === "smtp" && l.resent_in_doubt);
    expect(line).toMatchObject({ outcome: "sent", resent_in_doubt: true });
  });

  // Seed 20261212 (after the fix of the unanswered requests): a bridged message submitted twice, and the Worker's
  // log shows why the window was wide: the reset object's alarm handler went on with its SMTP session while the
  // runtime tore the object down (seconds under load), got its 250, and its note was lost with the object; the
  // new instance's retry of the alarm sent the message again. The note of the final dot is a fence: an object
  // whose storage is gone cannot write it, so it never sends the dot, and the relay discards the transaction.
  it("an object reset before its final dot (its storage gone) never commits the message at the relay; the retry sends it once", async () => {
    const subject = `fenced ${crypto.randomUUID()}`;
    await runInDurableObject(env.MAILBOX.getByName(SENDER), async (_m, state) => {
      let reset = true;
      const storage = new Proxy(state.storage, {
        get(target, prop) {
          if (prop === "sync" && reset)
            return async () => {
              reset = false;
              throw new Error(CHAOS_RESET_REASON); // what a reset object's storage answers
            };
          const v = Reflect.get(target, prop, target);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
      const ob = new Outbox({
        storage,
        directory: new AccountsDirectory(d1RecipientAccounts(env.DB), env),
        smtp: () => smtpConfigFromEnv(env as unknown as Record<string, unknown>),
        deliverSelf: async () => {},
        saveSent: async (_raw, saved) => saved(),
        deliverLocal: async () => {},
        maxAttempts: 20,
        maxAgeMs: 3_600_000,
        reportingMta: "test",
      });
      ob.enqueue({ from: SENDER, recipients: ["kim@remote.test"], raw: new TextEncoder().encode(mime("kim@remote.test", subject)) });
      await ob.run();
      await new Promise((r) => setTimeout(r, 200)); // the relay has seen the session end
      expect((await sinkMessages()).filter((m) => m.text.includes(subject))).toHaveLength(0);
      const later = Date.now() + 1;
      ob.makeAllDue(later);
      await ob.run(later);
      expect(ob.nextDue()).toBeNull();
    });
    expect((await sinkMessages()).filter((m) => m.text.includes(subject))).toHaveLength(1);
  });

  it("a message the relay answered, or refused before the final dot, is never in doubt", async () => {
    expect(statusOf(await run(request("SendMail", { body: compose("SendMail", mime("jack@remote.test", "answered")) })))).toBe("empty");
    expect(statusOf(await run(request("SendMail", { body: compose("SendMail", mime("tempfail@remote.test", "refused")) })))).toBe("empty");
    await deliverAlarm();
    const left = await outbox();
    expect(left).toHaveLength(1);
    expect(left[0]!.recipients[0]).toMatchObject({ rcpt: "tempfail@remote.test", state: "pending" });
    expect(left[0]!.inDoubtSince).toBeNull();
    const rows = await runInDurableObject(env.MAILBOX.getByName(SENDER), (_m, state) =>
      state.storage.sql.exec("SELECT count(*) AS n FROM outbox_in_doubt").one(),
    );
    expect(rows.n).toBe(0);
  });
});

// Issue 19, found by `npm run chaos` (seed 20261207): the mailbox object reset while it took a SendMail in. The
// submission is either stored (outbox row + ClientId, one transaction) or not at all; the phone must be told to
// try again (Status 111, or 503 for 12.x), not that its message failed (120): its retry then gets 118 or goes out.
describe("SendMail while the mailbox object is reset", () => {
  const reset = {
    submitMail: async () => {
      throw Object.assign(new Error("Durable Object reset because its code was updated."), { retryable: true });
    },
  } as unknown as EasRequest["mailbox"];

  it("14.x: Status 111 (ServerErrorRetryLater, MS-ASCMD_R7551); 12.x: HTTP 503", async () => {
    const body = compose("SendMail", mime("Bob <bob@remote.test>", "during a reset"));
    expect(statusOf(await run({ ...request("SendMail", { body }), mailbox: reset }))).toBe(111);
    const raw = mime("Bob <bob@remote.test>", "during a reset, 12.1");
    expect(statusOf(await run({ ...request("SendMail", { version: "12.1", raw, params: { SaveInSent: "T" } }), mailbox: reset }))).toBe(
      "http 503",
    );
  });

  it("the chaos harness' reset (its reason as a plain Error, no retryable flag) is the same: Status 111, not 120", async () => {
    const harnessReset = {
      submitMail: async () => {
        throw new Error(CHAOS_RESET_REASON);
      },
    } as unknown as EasRequest["mailbox"];
    const body = compose("SendMail", mime("Bob <bob@remote.test>", "during a harness reset"));
    expect(statusOf(await run({ ...request("SendMail", { body }), mailbox: harnessReset }))).toBe(111);
  });
});
