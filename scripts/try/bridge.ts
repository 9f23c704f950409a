// Issue 8 "done when", tried as a new user would: with Dovecot, an SMTP submission server and Radicale running on
// loopback (started here, each with its own configuration in a temporary folder) and the Worker under `wrangler dev`
// (started here too: Dovecot's push driver must know the Worker's port and notify secret), an admin bridges an
// account through the admin API; a phone-like client syncs its mail, calendar and contacts; mail delivered to
// Dovecot by LMTP reaches a waiting Ping within a second; a reply sent from the phone arrives at the submission
// server (with the account's own login) and sits in the server's Sent folder.
//   npm run try:bridge [-- --keep]      (--keep: leave everything running until Ctrl-C, to try it with a real phone)
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../dev-server.mjs";
import { childText, el } from "../../src/wbxml/index";
import { freePort } from "../../test/free-port";
import {
  type BridgeAccount,
  bridgedPhone,
  bridgeMailbox,
  dav,
  davCollection,
  deliver,
  folderOfType,
  folderSync,
  imapSubjects,
  newBridgeAccount,
  type PhoneFolder,
  pingBody,
  setBridgeEnv,
  status,
  submitted,
  syncAll,
} from "../../test/node/bridge-client";
import { startBridgeServers } from "../../test/node/bridge-servers";
import { assertValid } from "../../test/node/validate";
import { check, finish, options, type Phone, type PhoneResponse, say, step, within } from "./lib";

const o = options();
const ADMIN_TOKEN = "try-admin-token";
const NOTIFY_SECRET = "try-notify-secret";

const workerPort = await freePort();
const servers = await startBridgeServers({ workerPort, notifySecret: NOTIFY_SECRET });
const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-try-bridge-"));
let worker: { url: string; stop(): Promise<void> } | undefined;
async function stopAll() {
  await worker?.stop();
  await servers.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
process.once("exit", () => rmSync(persistTo, { recursive: true, force: true }));

/** A step the next ones depend on: on failure, stop the servers before exiting. */
async function must(title: string, fn: () => Promise<void>): Promise<void> {
  const ok = await step(title, () => fn().then(() => true), { optional: true });
  if (!ok) {
    await stopAll();
    finish();
  }
}

let account!: BridgeAccount;
let phone!: Phone;
let folders: PhoneFolder[] = [];

await must("Start Dovecot (IMAP + LMTP), a submission server (AUTH required) and Radicale on loopback, then the Worker", async () => {
  worker = await startDevServer({ port: workerPort, persistTo, vars: { ADMIN_TOKEN, NOTIFY_SECRET, DEMO_SEED: "false" } });
  const { stop: _stop, ...info } = servers;
  setBridgeEnv({ workerUrl: worker!.url, adminToken: ADMIN_TOKEN, servers: info });
  say(`Worker      ${worker!.url}  (admin token ${ADMIN_TOKEN})`);
  say(`IMAP        ${info.imap.host}:${info.imap.port} (plain), ${info.imapsPort} (implicit TLS); LMTP ${info.lmtpPort}`);
  say(`Submission  ${info.smtp.host}:${info.smtp.port} (AUTH with the account's login)`);
  say(`Radicale    ${info.radicale!.url}`);
  say(`Dovecot push_notification OX driver → ${info.pushUrl.replace(/:[0-9a-f]{64}@/, ":<secret>@")}`);
});

await must("The account on the provider's servers: a Dovecot login, two messages by LMTP, an event and a contact on Radicale", async () => {
  account = await newBridgeAccount(`ann-${Date.now().toString(36)}`);
  await deliver(account, "Welcome to the bridge", "This came in through LMTP.");
  await deliver(account, "Quarterly figures", "Could you send me the figures?");
  const ics = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//try//EN",
    "BEGIN:VEVENT",
    "UID:try-evt@bridge.test",
    "DTSTAMP:20261201T080000Z",
    "DTSTART:20261215T100000Z",
    "DTEND:20261215T110000Z",
    "SUMMARY:Board meeting",
    "END:VEVENT",
    "END:VCALENDAR",
    "",
  ].join("\r\n");
  await dav(account, "PUT", davCollection(account, "calendar") + "try-evt.ics", ics, [201], { "Content-Type": "text/calendar" });
  const vcf = [
    "BEGIN:VCARD",
    "VERSION:3.0",
    "UID:try-card",
    "N:Lovelace;Ada;;;",
    "FN:Ada Lovelace",
    "EMAIL:ada@engine.test",
    "END:VCARD",
    "",
  ].join("\r\n");
  await dav(account, "PUT", davCollection(account, "contacts") + "try-card.vcf", vcf, [201], { "Content-Type": "text/vcard" });
  say(`login ${account.address} / ${account.password}`);
});

await must(
  "An admin bridges the account: POST /admin/v1/mailboxes {address, backend: {kind: imap, imap, smtp, dav, push: notify}}",
  async () => {
    const res = await bridgeMailbox(account);
    const text = await res.text();
    say(`HTTP ${res.status} ${text.slice(0, 300)}`);
    check(res.status === 201, `expected 201, got ${res.status}`);
  },
);

await must("A phone with a wrong password gets 401", async () => {
  const r = await bridgedPhone(account, "tryBridgeWrong", "16.1", "wrong").command(
    "FolderSync",
    el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")),
  );
  check(r.status === 401, `expected 401, got ${r.status}`);
});

await must("The phone (16.1, the account's IMAP password): FolderSync", async () => {
  phone = bridgedPhone(account, "tryBridgePhone", "16.1");
  folders = (await folderSync(phone)).folders;
  for (const f of folders) say(`${f.id.padEnd(8)} type ${String(f.type).padStart(2)}  ${f.name}`);
  for (const t of [2, 3, 4, 5, 8, 9]) folderOfType(folders, t);
});

await must("Sync the Inbox, the calendar and the contacts", async () => {
  const inbox = await syncAll(phone, folderOfType(folders, 2).id);
  say(`Inbox: ${[...inbox.items.values()].map((d) => childText(d, "Subject", "Email")).join(" | ")}`);
  check(inbox.items.size === 2, `expected 2 messages, got ${inbox.items.size}`);
  const pim = el("AirSync", "Options", el("AirSync", "FilterType", 0));
  const cal = await syncAll(phone, folderOfType(folders, 8).id, 50, pim);
  say(`Calendar: ${[...cal.items.values()].map((d) => childText(d, "Subject", "Calendar")).join(" | ")}`);
  check(cal.items.size === 1, `expected 1 event, got ${cal.items.size}`);
  const contacts = await syncAll(phone, folderOfType(folders, 9).id, 50, pim);
  say(
    `Contacts: ${[...contacts.items.values()].map((d) => childText(d, "FileAs", "Contacts") ?? childText(d, "LastName", "Contacts")).join(" | ")}`,
  );
  check(contacts.items.size === 1, `expected 1 contact, got ${contacts.items.size}`);
});

await must("A Ping waits on the Inbox; a message delivered to Dovecot by LMTP answers it (target < 1 s)", async () => {
  const inbox = folderOfType(folders, 2).id;
  const answer = phone
    .command("Ping", pingBody(600, [[inbox, "Email"]]), { validate: false })
    .then((r) => Object.assign(r, { at: performance.now() }));
  check((await within(answer, 500)) === "pending", "the Ping answered before any mail arrived");
  const t0 = performance.now();
  await deliver(account, "Pushed by Dovecot");
  const r = await within(answer, 5000);
  check(r !== "pending", "no answer within 5 s of the delivery");
  const got = r as PhoneResponse & { at: number };
  assertValid("Ping", got.xml!);
  const ms = got.at - t0;
  say(`Ping Status ${status(got)} ${ms.toFixed(0)} ms after the LMTP delivery began`);
  check(status(got) === "2", `expected Status 2, got ${status(got)}`);
  check(ms < 1000, `took ${ms.toFixed(0)} ms`);
});

await must(
  "The phone replies (SmartReply, SaveInSentItems): the submission server gets it with the account's login; the copy is in Sent on the IMAP server",
  async () => {
    const inbox = folderOfType(folders, 2).id;
    const { items } = await syncAll(phone, inbox);
    const [itemId] = [...items].find(([, d]) => childText(d, "Subject", "Email") === "Quarterly figures")!;
    const mime = `From: ${account.address}\r\nTo: bob@mta.test\r\nSubject: RE: Quarterly figures\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAttached soon.\r\n`;
    const body = el(
      "ComposeMail",
      "SmartReply",
      el("ComposeMail", "ClientId", "try-reply"),
      el("ComposeMail", "Source", el("ComposeMail", "FolderId", inbox), el("ComposeMail", "ItemId", itemId)),
      el("ComposeMail", "SaveInSentItems"),
      el("ComposeMail", "Mime", new TextEncoder().encode(mime)),
    );
    const r = await phone.command("SmartReply", body);
    check(r.status === 200 && r.raw.byteLength === 0, `expected an empty 200, got HTTP ${r.status} ${r.xml ?? ""}`);
    const deadline = Date.now() + 15_000;
    let arrived: Awaited<ReturnType<typeof submitted>>[number] | undefined;
    let sent: string[] = [];
    while (Date.now() < deadline) {
      arrived = (await submitted()).find((m) => m.to.includes("bob@mta.test"));
      sent = await imapSubjects(account, "Sent");
      if (arrived && sent.length) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    check(arrived, "nothing reached the submission server");
    say(`submission server: from ${arrived.from}, AUTH user ${arrived.user}, to ${arrived.to.join(", ")}`);
    check(arrived.user === account.address, `AUTH user ${arrived.user}`);
    say(`Sent folder over IMAP: ${sent.join(" | ")}`);
    check(sent.includes("RE: Quarterly figures"), "the reply is not in Sent");
    const onPhone = await syncAll(phone, folderOfType(folders, 5).id);
    say(`Sent on the phone: ${[...onPhone.items.values()].map((d) => childText(d, "Subject", "Email")).join(" | ")}`);
  },
);

if (o.flags.has("keep")) {
  console.log(
    `\nEverything keeps running; Ctrl-C stops it. Phone: ${worker!.url}/Microsoft-Server-ActiveSync, ${account.address} / ${account.password}`,
  );
  process.once("SIGINT", () => void stopAll().then(() => finish()));
} else {
  await stopAll();
  finish();
}
