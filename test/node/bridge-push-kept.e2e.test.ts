// No push missed (issue 19): a bridged mailbox in push "notify" whose Dovecot lost its METADATA dictionary (a
// rebuild, a migration) announces nothing; the bridge's safety poll still wakes the waiting Ping within seconds
// (BRIDGE_SAFETY_POLL_SECONDS, short here), sets the registration again when it finds mail nobody announced,
// and a re-pointed backend registers again with the next login. Real Dovecot, real LMTP, real wrangler dev.
import "./bridge-env";
import { rmSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { child, childText } from "../../src/wbxml/index";
import {
  admin,
  type BridgeAccount,
  bridgedPhone,
  bridgeMailbox,
  bridgeServers,
  deliver,
  folderOfType,
  folderSync,
  maildirOf,
  newBridgeAccount,
  pingBody,
  status,
  syncAll,
  syncMore,
  within,
} from "./bridge-client";
import { E2E_BRIDGE_SAFETY_POLL_SECONDS } from "./e2e-env";
import type { Phone, PhoneResponse } from "./phone";

/**
 * Answered by Dovecot's notification: ~0.2 s idle, ~1 s on a loaded shared machine; a safety poll cannot answer
 * this soon (the wait's first tick ran before the delivery and claimed the interval).
 */
const PUSHED_MS = 2500;

let account: BridgeAccount;
let phone: Phone;
let inbox = "";
let key = "";

/** Dovecot's attribute dictionary of the account (mail_attribute_dict = file:%h/dovecot-attributes) gone. */
const wipeDictionary = () => rmSync(path.join(maildirOf(account), "dovecot-attributes"), { force: true });

/** A Ping on the Inbox, a delivery once it waits; the answer and the ms from delivery to answer. */
async function pingThenDeliver(subject: string, ms: number): Promise<{ r: PhoneResponse; elapsed: number }> {
  const answer = phone.command("Ping", pingBody(600, [[inbox, "Email"]])).then((r) => Object.assign(r, { at: performance.now() }));
  expect(await within(answer, 700)).toBe("pending");
  const t0 = performance.now();
  await deliver(account, subject);
  const r = await within(answer, ms);
  expect(r, `the Ping was not answered within ${ms} ms of the delivery`).not.toBe("pending");
  const got = r as PhoneResponse & { at: number };
  expect(status(got)).toBe("2");
  expect(childText(child(got.tree, "Folders"), "Folder")).toBe(inbox);
  const more = await syncMore(phone, inbox, key);
  key = more.key;
  expect([...more.items.values()].map((d) => childText(d, "Subject", "Email"))).toContain(subject);
  return { r: got, elapsed: got.at - t0 };
}

beforeAll(async () => {
  account = await newBridgeAccount("pushkept");
  const res = await bridgeMailbox(account, { dav: false, push: "notify" });
  expect(res.status, await res.clone().text()).toBe(201);
  phone = bridgedPhone(account, "pushKept161");
  inbox = folderOfType((await folderSync(phone)).folders, 2).id;
  key = (await syncAll(phone, inbox)).key;
}, 60_000);

describe('push "notify" survives a Dovecot that lost its METADATA dictionary', () => {
  it("registered: an LMTP delivery wakes the Ping at once (push, well before the next safety poll)", async () => {
    expect((await pingThenDeliver("Announced", 5000)).elapsed).toBeLessThan(PUSHED_MS);
  });

  it(`dictionary wiped: the safety poll (every ${E2E_BRIDGE_SAFETY_POLL_SECONDS} s here) wakes the waiting Ping within seconds, then push is back`, async () => {
    wipeDictionary();
    const caught = await pingThenDeliver("Not announced", Number(E2E_BRIDGE_SAFETY_POLL_SECONDS) * 2000 + 4000);
    console.log(`unannounced delivery → Ping Status 2 by the safety poll: ${caught.elapsed.toFixed(0)} ms`);
    const back = await pingThenDeliver("Announced again", 5000);
    console.log(`after re-registration, LMTP delivery → Ping Status 2: ${back.elapsed.toFixed(0)} ms`);
    expect(back.elapsed).toBeLessThan(PUSHED_MS);
  }, 60_000);

  it("dictionary wiped and the backend re-pointed (PUT …/backend, same servers): the next login registers again, push is back", async () => {
    wipeDictionary();
    const s = bridgeServers();
    const res = await admin("PUT", `/mailboxes/${encodeURIComponent(account.address)}/backend`, {
      kind: "imap",
      imap: { host: s.imap.host, port: s.imap.port, tls: "none" },
      smtp: { host: s.smtp.host, port: s.smtp.port, tls: "none", auth: "account" },
      push: "notify",
    });
    expect(res.status, await res.clone().text()).toBe(200);
    inbox = folderOfType((await folderSync(phone)).folders, 2).id; // the login arrives with this request
    key = (await syncAll(phone, inbox)).key;
    expect((await pingThenDeliver("Announced after re-pointing", 5000)).elapsed).toBeLessThan(PUSHED_MS);
  }, 60_000);
});
