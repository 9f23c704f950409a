// POST /notify/v1: HMAC-signed change announcements from the mail server wake waiting devices.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signNotify } from "../../src/http/notify-route";
import { createStoreFolder, folderSynced, ping, pingBody, waitsOpen, within } from "./push-helpers";
import { touchFolder } from "./helpers/store-touch";

const SECRET = "test-notify-secret"; // vitest.config.ts binding

async function notify(body: unknown, opts: { secret?: string; ts?: number; sig?: string } = {}) {
  const raw = JSON.stringify(body);
  const ts = opts.ts ?? Math.floor(Date.now() / 1000);
  const sig = opts.sig ?? (await signNotify(opts.secret ?? SECRET, ts, raw));
  return exports.default.fetch("https://example.test/notify/v1", {
    method: "POST",
    headers: { "content-type": "application/json", "X-Notify-Timestamp": String(ts), "X-Notify-Signature": sig },
    body: raw,
  });
}

// Dovecot push_notification OX driver body shape.
const ox = (user: string, folder: string, event = "messageNew") => ({
  user,
  "imap-uidvalidity": 1700000000,
  "imap-uid": 42,
  folder,
  event,
  from: "a@example.test",
  subject: "hi",
  unseen: 1,
});

describe("notify webhook", () => {
  it("a correctly signed Dovecot-style messageNew on INBOX answers the parked Ping with Status 2", async () => {
    const u = "hook1@example.test";
    const p = ping(u, "d", pingBody(600, [["1", "Email"]]));
    await waitsOpen(u, 1);
    await touchFolder(u, "1"); // the mail server has the new message
    const res = await notify(ox(u, "INBOX"));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ok: true, woken: 1 });
    expect(await p).toMatchObject({ status: 2, folders: ["1"] });
  });

  it("a bad signature, a wrong secret, a stale timestamp and a replay are refused and wake nothing", async () => {
    const u = "hook2@example.test";
    const p = ping(u, "d", pingBody(600, [["1", "Email"]]));
    await waitsOpen(u, 1);
    expect((await notify(ox(u, "INBOX"), { sig: "sha256=" + "0".repeat(64) })).status).toBe(401);
    expect((await notify(ox(u, "INBOX"), { sig: "nonsense" })).status).toBe(401);
    expect((await notify(ox(u, "INBOX"), { secret: "wrong" })).status).toBe(401);
    expect((await notify(ox(u, "INBOX"), { ts: Math.floor(Date.now() / 1000) - 3600 })).status).toBe(401);
    expect(await within(p, 100)).toBe("pending");

    const body = ox(u, "Calendar", "MessageAppend"); // an unwatched folder: accepted, wakes nobody
    const ts = Math.floor(Date.now() / 1000);
    const sig = await signNotify(SECRET, ts, JSON.stringify(body));
    const first = await notify(body, { ts, sig });
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ ok: true, woken: 0 });
    expect((await notify(body, { ts, sig })).status).toBe(409); // the same signed request again
    expect(await within(p, 100)).toBe("pending");
    await env.MAILBOX.getByName(u).endAllWaits("test over");
    expect((await p).status).toBe(1);
  });

  it("a mailbox create/rename/delete event answers Status 7; malformed bodies get 400", async () => {
    const u = "hook3@example.test";
    await folderSynced(u, "d");
    const p = ping(u, "d", pingBody(600, [["1", "Email"]]));
    await waitsOpen(u, 1);
    await createStoreFolder(u, "Projects"); // what the mail server did before announcing it
    expect((await notify({ user: u, folder: "Projects", event: "MailboxCreate" })).status).toBe(202);
    expect((await p).status).toBe(7);
    expect((await notify({ user: u, event: "somethingElse" })).status).toBe(400);
    expect((await notify({ folder: "INBOX", event: "messageNew" })).status).toBe(400);
  });
});
