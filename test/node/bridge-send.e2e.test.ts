// Sending from a bridged mailbox end to end (issue 8 §4, "Done when"): the phone's SmartReply / SendMail goes
// through the provider's submission server with the account's own login (AUTH), and the copy sits in the
// server's Sent folder (APPEND over IMAP), where another IMAP client and the phone both see it.
import "./bridge-env";
import PostalMime from "postal-mime";
import { beforeAll, describe, expect, it } from "vitest";
import { childText, el, type WbxmlElement } from "../../src/wbxml/index";
import {
  type BridgeAccount,
  bridgedPhone,
  bridgeMailbox,
  deliver,
  folderOfType,
  folderSync,
  imapSubjects,
  newBridgeAccount,
  type PhoneFolder,
  submitted,
  type SubmittedMessage,
  syncAll,
} from "./bridge-client";
import type { Phone } from "./phone";

let account: BridgeAccount;
let phone: Phone;
let folders: PhoneFolder[];

function compose(cmd: string, mime: string, clientId: string, ...extra: WbxmlElement[]): WbxmlElement {
  return el(
    "ComposeMail",
    cmd,
    el("ComposeMail", "ClientId", clientId),
    ...extra,
    el("ComposeMail", "Mime", new TextEncoder().encode(mime)),
  );
}

async function arrivedFor(rcpt: string, timeoutMs = 15_000): Promise<SubmittedMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = (await submitted()).find((x) => x.to.includes(rcpt));
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`nothing arrived at the submission server for ${rcpt}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Subjects in the server's Sent folder, waiting up to `timeoutMs` for `expected` to be there. */
async function sentFolderHas(expected: string, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const subjects = await imapSubjects(account, "Sent");
    if (subjects.includes(expected) || Date.now() > deadline) return subjects;
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  account = await newBridgeAccount("sender");
  await deliver(account, "Question about the budget", "Can you send the figures?");
  const res = await bridgeMailbox(account);
  expect(res.status, await res.clone().text()).toBe(201);
  phone = bridgedPhone(account, "bridgeSend161");
  folders = (await folderSync(phone)).folders;
});

describe("sending from a bridged mailbox", () => {
  it("SmartReply: submitted with the account's login, quoting the original; the copy sits in the server's Sent folder (MS-ASCMD_R580)", async () => {
    const inbox = folderOfType(folders, 2);
    const { items } = await syncAll(phone, inbox.id);
    const [itemId] = [...items].find(([, d]) => childText(d, "Subject", "Email") === "Question about the budget")!;
    const rcpt = "bob@mta.test";
    const mime = `From: ${account.address}\r\nTo: ${rcpt}\r\nSubject: RE: Question about the budget\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere they are.\r\n`;
    const source = el("ComposeMail", "Source", el("ComposeMail", "FolderId", inbox.id), el("ComposeMail", "ItemId", itemId));
    const r = await phone.command(
      "SmartReply",
      compose("SmartReply", mime, "bridge-reply-1", source, el("ComposeMail", "SaveInSentItems")),
    );
    expect(r.status).toBe(200);
    expect(r.raw.byteLength, r.xml).toBe(0);

    const got = await arrivedFor(rcpt);
    expect(got.user).toBe(account.address); // AUTH with the account's own login
    expect(got.from).toBe(account.address);
    const parsed = await PostalMime.parse(got.raw);
    expect(parsed.subject).toBe("RE: Question about the budget");
    expect(parsed.text).toMatch(/Here they are\.[\s\S]*Can you send the figures\?/);

    expect(await sentFolderHas("RE: Question about the budget")).toEqual(["RE: Question about the budget"]);
    const sent = await syncAll(phone, folderOfType(folders, 5).id);
    expect([...sent.items.values()].map((d) => childText(d, "Subject", "Email"))).toEqual(["RE: Question about the budget"]);
  });

  it("SendMail with SaveInSentItems: one message at the submission server, one copy in Sent", async () => {
    const rcpt = "carol@mta.test";
    const mime = `From: ${account.address}\r\nTo: ${rcpt}\r\nSubject: Lunch?\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThursday?\r\n`;
    const r = await phone.command("SendMail", compose("SendMail", mime, "bridge-send-1", el("ComposeMail", "SaveInSentItems")));
    expect(r.status).toBe(200);
    expect(r.raw.byteLength, r.xml).toBe(0);
    expect((await arrivedFor(rcpt)).user).toBe(account.address);
    const subjects = await sentFolderHas("Lunch?");
    expect(subjects.filter((s) => s === "Lunch?")).toHaveLength(1);
    expect((await submitted()).filter((m) => m.to.includes(rcpt))).toHaveLength(1);
  });
});
