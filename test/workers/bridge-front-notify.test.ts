// Issue 8 §3: PUT/POST /notify/ox, the webhook Dovecot's push_notification OX driver calls. HTTP Basic
// <server>:<HMAC(NOTIFY_SECRET, "ox:"+server)> (constant time), accepted only for mailboxes bridged to that
// server, then the mailbox object wakes the waits of the changed folder. The last test replays a call the
// real test Dovecot made (recorded by test/servers/control.ts) and wakes a real Ping with it.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { app } from "../../src/http/app";
import { oxSecret } from "../../src/service/mailbox-backends";
import { child, childrenNamed, childText, el, type WbxmlElement } from "../../src/wbxml";
import type { RecordedNotification } from "../servers/control";
import { TestPhone } from "./helpers/phone";
import { waitsOpen } from "./push-helpers";

vi.setConfig({ testTimeout: 20_000 });

const dovecot = inject("dovecot");
const control = inject("controlUrl");
const GUS = "gus@bridge.test"; // bridged to the test Dovecot (host 127.0.0.1), push "notify"
const HAL = "hal@bridge.test"; // bridged to another server
const PLAIN = "plain@local.test"; // built in
const SERVER = dovecot.host;
const URL_OX = "https://sync.example.test/notify/ox";

async function admin(body: unknown) {
  const res = await exports.default.fetch(
    new Request("https://sync.example.test/admin/v1/mailboxes", {
      method: "POST",
      headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
  expect(res.status).toBe(201);
}

beforeAll(async () => {
  await admin({
    address: GUS,
    backend: {
      kind: "imap",
      imap: { host: SERVER, port: dovecot.imapPort, tls: "none" },
      smtp: { host: "127.0.0.1", port: 2525, tls: "none" },
      push: "notify",
    },
  });
  await admin({
    address: HAL,
    backend: {
      kind: "imap",
      imap: { host: "imap.other.example", port: 993, tls: "implicit" },
      smtp: { host: "smtp.other.example", port: 465, tls: "implicit" },
      push: "notify",
    },
  });
  await admin({ address: PLAIN, password: "plain pw" });
});

const basicHeader = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;
const body = (user: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ user, event: "messageNew", folder: "INBOX", "imap-uid": 7, "imap-uidvalidity": 1, ...extra });

async function ox(auth: string | null, payload: string, method = "PUT", bindings: Env = env) {
  const headers: Record<string, string> = { "Content-Type": "application/json; charset=utf-8" };
  if (auth) headers.Authorization = auth;
  const res = await app.fetch(new Request(URL_OX, { method, headers, body: payload }), bindings, {
    waitUntil() {},
    passThroughOnException() {},
    props: {},
  } as unknown as ExecutionContext);
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

const goodAuth = async (server = SERVER) => basicHeader(server, await oxSecret("test-notify-secret", server));

describe("/notify/ox authentication and scoping", () => {
  it("503 while NOTIFY_SECRET is unset (the webhooks are off)", async () => {
    const r = await ox(await goodAuth(), body(GUS), "PUT", { ...env, NOTIFY_SECRET: undefined } as Env);
    expect(r.status).toBe(503);
  });

  it("401 without Basic credentials, with a wrong secret, with another server's secret, or one derived from another NOTIFY_SECRET", async () => {
    const otherServers = await oxSecret("test-notify-secret", "imap.other.example");
    const otherKey = await oxSecret("another-notify-secret", SERVER);
    for (const auth of [
      null,
      "Bearer x",
      basicHeader(SERVER, "0".repeat(64)),
      basicHeader(SERVER, otherServers),
      basicHeader(SERVER, otherKey),
      basicHeader("", "x"),
    ]) {
      const r = await ox(auth, body(GUS));
      expect(r.status, String(auth)).toBe(401);
      expect(r.headers.get("WWW-Authenticate")).toMatch(/^Basic /);
    }
  });

  it("400 for a body that is not the driver's JSON (not JSON, no user, an unknown event); 413 too big (issue 13 §4)", async () => {
    const auth = await goodAuth();
    for (const bad of ["{not json", JSON.stringify({ event: "messageNew" }), body(GUS, { event: "somethingElse" })]) {
      expect((await ox(auth, bad)).status, bad.slice(0, 40)).toBe(400);
    }
    expect((await ox(auth, body(GUS, { snippet: "x".repeat(70_000) }))).status).toBe(413);
  });

  it("404 for an address that is not a bridged mailbox; 403 for a mailbox bridged to another server", async () => {
    const auth = await goodAuth();
    expect((await ox(auth, body(PLAIN))).status).toBe(404);
    expect((await ox(auth, body("nobody@bridge.test"))).status).toBe(404);
    expect((await ox(auth, body(HAL))).status).toBe(403);
    // The other server may announce its own mailbox, not ours.
    const other = await goodAuth("imap.other.example");
    expect((await ox(other, body(HAL))).status).toBe(202);
    expect((await ox(other, body(GUS))).status).toBe(403);
  });

  it("202 for PUT (what Dovecot 2.3 sends) and POST, with how many waits woke; the server name is matched without regard to case", async () => {
    const put = await ox(await goodAuth(), body(GUS));
    expect(put.status).toBe(202);
    expect(put.json).toMatchObject({ ok: true, woken: expect.any(Number) });
    expect((await ox(await goodAuth(), body(GUS.toUpperCase()), "POST")).status).toBe(202);
    // The secret is derived from the name as sent; the name is compared with the backend's in lower case.
    expect((await ox(await goodAuth("IMAP.Other.Example"), body(HAL))).status).toBe(202);
    expect(
      (await ox(basicHeader("IMAP.Other.Example", await oxSecret("test-notify-secret", "imap.other.example")), body(HAL))).status,
    ).toBe(401);
  });
});

function inboxOf(folderSync: WbxmlElement): string {
  const adds = childrenNamed(child(folderSync, "Changes", "FolderHierarchy"), "Add", "FolderHierarchy");
  const inbox = adds.find((a) => childText(a, "Type", "FolderHierarchy") === "2");
  if (!inbox) throw new Error("no Inbox in FolderSync");
  return childText(inbox, "ServerId", "FolderHierarchy")!;
}

const pingBody = (heartbeat: number, folder: string) =>
  el(
    "Ping",
    "Ping",
    el("Ping", "HeartbeatInterval", heartbeat),
    el("Ping", "Folders", el("Ping", "Folder", el("Ping", "Id", folder), el("Ping", "Class", "Email"))),
  );

describe("a call the real Dovecot made wakes a waiting Ping", () => {
  it("LMTP delivery → Dovecot's OX driver call (recorded) → /notify/ox with the server's credentials → Ping Status 2 on the Inbox (MS-ASCMD_R4237)", async () => {
    // The phone's first request hands the login to the object, which turns push on for the account
    // (METADATA for the driver's user_from_metadata, ImapStore.enablePush): no manual step.
    const phone = new TestPhone(GUS, "gus secret", "OXPHONE1");
    const inbox = inboxOf(await phone.folderSync("0"));
    const pinging = phone.send("Ping", pingBody(120, inbox));
    await waitsOpen(GUS, 1);

    const before = ((await (await fetch(`${control}/notifications`)).json()) as RecordedNotification[]).length;
    const lmtp = await fetch(`${control}/lmtp?to=${encodeURIComponent(GUS)}`, {
      method: "POST",
      body: "From: Bob <bob@example.test>\r\nTo: gus@bridge.test\r\nSubject: for Gus\r\n\r\nhello\r\n",
    });
    expect(lmtp.status).toBe(204);
    let call: RecordedNotification | undefined;
    for (let i = 0; !call && i < 60; i++) {
      call = ((await (await fetch(`${control}/notifications`)).json()) as RecordedNotification[])
        .slice(before)
        .find((n) => n.body.includes(GUS));
      if (!call) await new Promise((r) => setTimeout(r, 50));
    }
    expect(call, "Dovecot announced the delivery").toBeDefined();

    const started = Date.now();
    const r = await ox(await goodAuth(), call!.body, call!.method);
    expect(r.status).toBe(202);
    expect(r.json.woken).toBe(1);
    const ping = await pinging;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(ping.status).toBe(200);
    expect(childText(ping.body!, "Status", "Ping")).toBe("2");
    expect(childrenNamed(child(ping.body!, "Folders", "Ping"), "Folder", "Ping").map((f) => f.children[0])).toEqual([inbox]);
  });
});
