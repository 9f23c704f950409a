// No false wake: a Ping answers Status 2 only when the device has something to fetch inside its
// collection's FilterType window, and not for its own changes (anchors §3 row 5).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { createAccount } from "../../src/service/directory";
import { el } from "../../src/wbxml/index";
import { TestPhone, mailOptions, message, syncKeyOf } from "./helpers/phone";
import { ping, pingBody, waitsOpen, within } from "./push-helpers";

const USER = "window@example.test";
const PW = "window-secret";
const INBOX = "1";
const mailbox = () => env.MAILBOX.getByName(USER);

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
  await mailbox().deliver(message("first"));
});

it("mail older than the Inbox's FilterType window does not wake the Ping; new mail does (MS-ASCMD_R5636, R4235)", async () => {
  const phone = new TestPhone(USER, PW, "WIN1");
  const week = mailOptions(el("AirSync", "FilterType", 3)); // 1 week
  const key = syncKeyOf(await phone.sync(INBOX, "0", { options: week }));
  syncKeyOf(await phone.sync(INBOX, key, { options: week })); // the first mail: everything received

  const p = ping(USER, "WIN1", pingBody(600, [[INBOX, "Email"]]));
  await waitsOpen(USER, 1);
  // A 30-day-old message imported into the Inbox: outside the window, nothing for the phone to fetch.
  await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.appendMessage(INBOX, message("old"), {}, Date.now() - 30 * 86_400_000));
  expect(await mailbox().changed([INBOX], "import")).toBe(0);
  expect(await within(p, 200)).toBe("pending");

  await mailbox().deliver(message("fresh"));
  expect(await p).toMatchObject({ status: 2, folders: [INBOX] });

  // Until the phone syncs, the fresh mail is still pending: the next Ping answers at once (MS-ASCMD_R5636).
  expect(await within(ping(USER, "WIN1", null), 1000)).toMatchObject({ status: 2, folders: [INBOX] });
});
