// The provider's IMAP server going away under a bridged mailbox (issue 8 §6): the account is bridged through a
// TCP relay in front of Dovecot (tcp-proxy.ts) that can refuse connections or cut a session at the moment the
// Worker sends a chosen command. The phone must get a retryable answer (HTTP 503 with Retry-After, or Sync
// Status 111), and once the server is back the same request brings everything exactly once: no lost state,
// no duplicates. Also: polling (`push: "poll"`) answers a waiting Ping when the server sends no notification.
import "./bridge-env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childText, el } from "../../src/wbxml/index";
import {
  A,
  type BridgeAccount,
  bridgedPhone,
  bridgeMailbox,
  bridgeServers,
  collection,
  deliver,
  folderOfType,
  folderSync,
  imapSubjects,
  newBridgeAccount,
  pingBody,
  status,
  submitted,
  syncWithChanges,
  within,
} from "./bridge-client";
import { E2E_BRIDGE_POLL_SECONDS } from "./e2e-env";
import { PhoneFolderModel } from "./bridge-phone-model";
import type { Phone, PhoneResponse } from "./phone";
import { syncRequest } from "./sync-requests";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";

let proxy: TcpProxy;
let account: BridgeAccount;
let phone: Phone;
let inbox: PhoneFolderModel;

/**
 * [MS-ASHTTP] 503 + Retry-After, or the command's "server error, retry" status ([MS-ASCMD] 2.2.3.177: Sync 16
 * MS-ASCMD_R4466, FolderSync 6 MS-ASCMD_R4075, Ping 8 MS-ASCMD_R4260) or the common status 111 ServerErrorRetryLater (2.2.2).
 */
const RETRY_STATUS: Record<string, string[]> = { Sync: ["16", "111"], FolderSync: ["6", "111"], Ping: ["8", "111"] };

function expectRetryable(cmd: "Sync" | "FolderSync" | "Ping", r: PhoneResponse): void {
  if (r.status === 503) {
    expect(r.headers.get("Retry-After")).toMatch(/^\d+$/);
    return;
  }
  expect(r.status, `neither 503 nor a WBXML status: ${r.xml}`).toBe(200);
  const s = (cmd === "Sync" ? childText(collection(r), "Status") : undefined) ?? childText(r.tree, "Status");
  expect(RETRY_STATUS[cmd], r.xml).toContain(s);
}

beforeAll(async () => {
  proxy = await startTcpProxy(bridgeServers().imap);
  account = await newBridgeAccount("outage");
  for (const s of ["Before A", "Before B"]) await deliver(account, s);
  const res = await bridgeMailbox(account, { imap: { host: "127.0.0.1", port: proxy.port, tls: "none" }, dav: false });
  expect(res.status, await res.clone().text()).toBe(201);
  phone = bridgedPhone(account, "bridgeOutage141", "14.1");
  const fs = await folderSync(phone);
  inbox = new PhoneFolderModel(phone, folderOfType(fs.folders, 2));
  inbox.folderKey = fs.key;
  await inbox.sync();
  expect(inbox.subjects()).toEqual(["Before A", "Before B"]);
});

afterAll(async () => {
  await proxy?.stop();
});

describe("the IMAP server goes away", () => {
  it("down: Sync and FolderSync get a retryable answer; back up, the same SyncKey brings what arrived meanwhile, once", async () => {
    proxy.down();
    try {
      await deliver(account, "During outage");
      const key = inbox.key;
      const r = await phone.command("Sync", syncRequest(inbox.folder.id, key, [A("GetChanges")]));
      expectRetryable("Sync", r);
      expectRetryable(
        "FolderSync",
        await phone.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", inbox.folderKey))),
      );
      expect(inbox.key).toBe(key);
    } finally {
      proxy.up();
    }
    await inbox.sync();
    expect(inbox.subjects()).toEqual(["Before A", "Before B", "During outage"]);
  });

  it("cut in the middle of fetching new mail: retryable, then the retry brings the message exactly once", async () => {
    await deliver(account, "Cut while fetching");
    const cut = proxy.cutOn(/UID FETCH/i);
    const r = await phone.command("Sync", syncRequest(inbox.folder.id, inbox.key, [A("GetChanges"), A("WindowSize", 100)]));
    expect(await within(cut, 0)).not.toBe("pending");
    expectRetryable("Sync", r);
    await inbox.sync();
    expect(inbox.subjects()).toEqual(["Before A", "Before B", "Cut while fetching", "During outage"]);
  });

  it("cut while the phone's delete is moved to Trash: retryable; the same request again deletes once, nothing lost", async () => {
    const [id] = [...inbox.items].find(([, d]) => childText(d, "Subject", "Email") === "Before A")!;
    const del = [A("Delete", A("ServerId", id))];
    const cut = proxy.cutOn(/UID (MOVE|COPY|STORE)/i);
    const first = await syncWithChanges(phone, inbox.folder.id, inbox.key, del, [A("DeletesAsMoves", 1)]);
    expect(await within(cut, 0)).not.toBe("pending");
    expectRetryable("Sync", first);
    const again = await syncWithChanges(phone, inbox.folder.id, inbox.key, del, [A("DeletesAsMoves", 1)]);
    expect(childText(collection(again), "Status"), again.xml).toBe("1");
    inbox.key = childText(collection(again), "SyncKey")!;
    inbox.items.delete(id);
    expect(await imapSubjects(account, "INBOX")).toEqual(["Before B", "Cut while fetching", "During outage"]);
    expect(await imapSubjects(account, "Trash")).toEqual(["Before A"]);
    await inbox.sync();
    expect(inbox.subjects()).toEqual(["Before B", "Cut while fetching", "During outage"]);
  });

  /** Delivers a message, has the relay answer the next command of a Sync with `answer`, returns the phone's answer. */
  async function syncMeetingNo(subject: string, answer: string): Promise<PhoneResponse> {
    await deliver(account, subject);
    const refused = proxy.answerOn(/ (UID FETCH|STATUS|SELECT|EXAMINE) /i, answer);
    const r = await phone.command("Sync", syncRequest(inbox.folder.id, inbox.key, [A("GetChanges"), A("WindowSize", 100)]));
    expect(await within(refused, 0)).not.toBe("pending");
    return r;
  }

  it("the server answers NO [UNAVAILABLE] (temporary failure, RFC 5530) during a Sync: retryable; the retry brings the message once", async () => {
    expectRetryable("Sync", await syncMeetingNo("Behind a temporary failure", "NO [UNAVAILABLE] Temporary failure, try again"));
    await inbox.sync();
    expect(inbox.subjects().filter((s) => s === "Behind a temporary failure")).toHaveLength(1);
  });

  // A tagged NO without a response code escapes the store as an ImapCommandError and the phone gets HTTP 500
  // (src/eas/commands/Sync.ts, `await req.mailbox.sync(typed)`); Dovecot answers so, e.g. "NO Mailbox was deleted
  // under us", when a folder's index changes under a session. Expected: retryable, or Status 8/12 if the folder
  // is gone. Marked `fails` so the suite stays green until it is fixed: it then fails and must become a plain `it`.
  it('a NO without a response code during a Sync (Dovecot: "Mailbox was deleted under us") → a retryable answer, not HTTP 500', async () => {
    expectRetryable("Sync", await syncMeetingNo("Behind a bare NO", "NO Mailbox was deleted under us (0.001 + 0.000 secs)."));
  });

  it("…and after that bare NO nothing is lost: the next Sync from the same key brings the message once", async () => {
    await inbox.sync();
    expect(inbox.subjects().filter((s) => s === "Behind a bare NO")).toHaveLength(1);
  });

  it("the answer to the Sent Items APPEND is lost (the server stored the copy): the outbox's retry saves no second copy, the message goes once", async () => {
    const rcpt = "lost-append@mta.test";
    const mime = `From: ${account.address}\r\nTo: ${rcpt}\r\nSubject: Lost APPEND answer\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nonce\r\n`;
    const cut = proxy.cutAnswerOn(/^\S+ OK \[APPENDUID /m);
    const r = await phone.command(
      "SendMail",
      el(
        "ComposeMail",
        "SendMail",
        el("ComposeMail", "ClientId", "lost-append-1"),
        el("ComposeMail", "SaveInSentItems"),
        el("ComposeMail", "Mime", new TextEncoder().encode(mime)),
      ),
    );
    expect(await within(cut, 0)).not.toBe("pending");
    expect(r.status).toBe(200);
    expect(r.raw.byteLength, r.xml).toBe(0); // accepted: the copy is the outbox's to finish
    // The outbox saves the copy (again) before it submits: once the message is at the submission server the
    // retry has run.
    for (const end = Date.now() + 20_000; !(await submitted()).some((m) => m.to.includes(rcpt)); ) {
      expect(Date.now() < end, "never submitted").toBe(true);
      await new Promise((res) => setTimeout(res, 200));
    }
    expect((await submitted()).filter((m) => m.to.includes(rcpt))).toHaveLength(1);
    expect((await imapSubjects(account, "Sent")).filter((x) => x === "Lost APPEND answer")).toHaveLength(1);
  });

  it("a Ping while the server is down: a retryable answer at once, or it waits and answers when mail arrives after the server is back", async () => {
    proxy.down();
    const answer = phone.command("Ping", pingBody(600, [[inbox.folder.id, "Email"]]));
    const early = await within(answer, 1500);
    proxy.up();
    if (early !== "pending") {
      // Refusing the Ping at once is allowed only as a retryable answer.
      expectRetryable("Ping", early);
      return;
    }
    await deliver(account, "After the outage");
    const r = await within(answer, 10_000);
    expect(r).not.toBe("pending");
    expect(status(r as PhoneResponse)).toBe("2");
  });
});

describe("push: poll", () => {
  it(`a waiting Ping answers within BRIDGE_POLL_SECONDS (${E2E_BRIDGE_POLL_SECONDS} s here) of a delivery to a server that sends no notification`, async () => {
    const polled = await newBridgeAccount("polled");
    const res = await bridgeMailbox(polled, { dav: false, push: "poll" });
    expect(res.status, await res.clone().text()).toBe(201);
    const p = bridgedPhone(polled, "bridgePoll141", "14.1");
    const id = folderOfType((await folderSync(p)).folders, 2).id;
    const answer = p.command("Ping", pingBody(600, [[id, "Email"]])).then((r) => Object.assign(r, { at: performance.now() }));
    expect(await within(answer, 500)).toBe("pending");
    const t0 = performance.now();
    await deliver(polled, "Found by polling");
    const r = await within(answer, Number(E2E_BRIDGE_POLL_SECONDS) * 1000 + 4000);
    expect(r, "the Ping was not answered").not.toBe("pending");
    const got = r as PhoneResponse & { at: number };
    console.log(`LMTP delivery → Ping Status 2 by polling every ${E2E_BRIDGE_POLL_SECONDS} s: ${(got.at - t0).toFixed(0)} ms`);
    expect(status(got)).toBe("2");
  });
});
