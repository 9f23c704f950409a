// Per-device protocol traces (issue 17 §5): an admin traces one device, the phone syncs, the desk downloads
// the exchange as text (headers + XML, password and bodies absent) and as WBXML; caps, expiry, stop, audit.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { TraceSessions } from "../../src/mailbox/traces";
import { observersSettled } from "../../src/http/observe";
import { createAccount } from "../../src/service/directory";
import { pruneTraces } from "../../src/service/trace-retention";
import { decodeWbxml, toXml } from "../../src/wbxml/index";
import { TestPhone, bodyPref, mailOptions, message, syncKeyOf } from "./helpers/phone";

const USER = "traced@example.test";
const PW = "trace-secret-pw-42";
const BODY = "The confidential quarterly numbers are 1234567";
const mailbox = () => env.MAILBOX.getByName(USER);
const base = `/mailboxes/${encodeURIComponent(USER)}`;

function admin(method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { Authorization: "Bearer test-admin-token" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return exports.default.fetch(
    new Request(`https://mail.example.test/admin/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

interface Listing {
  sessions: { target: string; active: boolean; full_bodies: boolean; entries: number; bytes: number; until: string; started_at: string }[];
  files: { key: string; device_id: string; cmd: string; part: string; http_status: number; size: number }[];
}
/** The stored traces, once the requests so far have stored theirs (after their answers, under waitUntil). */
const listing = async (q = "") => {
  await observersSettled();
  return (await (await admin("GET", `${base}/traces${q}`)).json()) as Listing;
};
const download = async (key: string) => admin("GET", `${base}/traces/file?key=${encodeURIComponent(key)}`);

/** FolderSync, then an initial and a full Sync of the Inbox with plain-text bodies. */
async function syncInbox(phone: TestPhone) {
  await phone.folderSync("0");
  const options = mailOptions(bodyPref(1, 200_000));
  const key = syncKeyOf(await phone.sync("1", "0", { options }));
  return phone.sync("1", key, { options, windowSize: 50 });
}

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
  await runInDurableObject(mailbox(), (mb: Mailbox) => mb.store.appendMessage("1", message("Numbers", { body: BODY }), {}));
});

describe("tracing one device", () => {
  it("stores each exchange as headers + XML with the password and mail bodies removed; other devices untouched", async () => {
    const res = await admin("POST", `${base}/traces`, { device_id: "tracedphone" });
    expect(res.status).toBe(201);
    const session = (await res.json()) as Listing["sessions"][number];
    expect(session).toMatchObject({ target: "tracedphone", active: true, full_bodies: false, entries: 0 });
    // Default one hour.
    expect(Date.parse(session.until) - Date.parse(session.started_at)).toBe(3_600_000);

    const sync = await syncInbox(new TestPhone(USER, PW, "tracedphone"));
    expect(sync.status).toBe(200);
    await syncInbox(new TestPhone(USER, PW, "untraced"));

    const { files, sessions } = await listing();
    expect(files.every((f) => f.device_id === "tracedphone")).toBe(true);
    const texts = files.filter((f) => f.part === "text");
    expect(texts.map((f) => f.cmd)).toEqual(["FolderSync", "Sync", "Sync"]);
    expect(sessions.find((s) => s.target === "tracedphone")!.entries).toBe(3);

    const last = texts.at(-1)!;
    const dl = await download(last.key);
    expect(dl.status).toBe(200);
    expect(dl.headers.get("content-type")).toContain("text/plain");
    const text = await dl.text();
    expect(text).toContain("POST /Microsoft-Server-ActiveSync?Cmd=Sync");
    expect(text).toMatch(/^authorization: Basic \[credentials removed\]$/im);
    expect(text).toContain("HTTP/1.1 200");
    expect(text).toContain('<Sync xmlns="AirSync"');
    expect(text).toContain("<email:Subject>Numbers</email:Subject>");
    expect(text).toMatch(/<airsyncbase:Data>\[\d+ bytes removed\]<\/airsyncbase:Data>/);
    expect(text).not.toContain(PW);
    expect(text).not.toContain(btoa(`${USER}:${PW}`));
    expect(text).not.toContain("quarterly");

    // The WBXML parts decode (as `npm run wbxml -- decode` does) to the same redacted XML.
    const wbxmlKey = files.find((f) => f.part === "response.wbxml" && f.key.startsWith(last.key.replace(/\.txt$/, "")))!.key;
    const raw = new Uint8Array(await (await download(wbxmlKey)).arrayBuffer());
    const xml = toXml(decodeWbxml(raw));
    expect(xml).toContain("bytes removed");
    expect(xml).not.toContain("quarterly");
    expect(text).toContain(xml.replace(/^<\?xml[^>]*>\n/, "").trimEnd());
  });

  it("the device's per-request touch carries the directive (no extra round trip to know it is traced)", async () => {
    const state = await mailbox().touchDevice({ deviceId: "tracedphone", deviceType: "SmartPhone", protocolVersion: "14.1" });
    expect(state.trace).toEqual({ fullBodies: false });
    const other = await mailbox().touchDevice({ deviceId: "untraced", deviceType: "SmartPhone", protocolVersion: "14.1" });
    expect(other.trace).toBeUndefined();
  });

  it("stops on request: later exchanges are not stored, stored ones stay", async () => {
    const before = (await listing("?device_id=tracedphone")).files.length;
    const stop = await admin("DELETE", `${base}/traces?device_id=tracedphone`);
    expect(stop.status).toBe(200);
    expect(((await stop.json()) as { active: boolean }).active).toBe(false);
    await new TestPhone(USER, PW, "tracedphone").folderSync("0");
    expect((await listing("?device_id=tracedphone")).files.length).toBe(before);
  });
});

describe("full bodies", () => {
  it("needs a reason, which the audit log keeps; then bodies and device passwords are in the trace", async () => {
    let res = await admin("POST", `${base}/traces`, { device_id: "fullphone", full_bodies: true });
    expect(res.status).toBe(400);
    res = await admin("POST", `${base}/traces`, {
      device_id: "fullphone",
      full_bodies: true,
      minutes: 30,
      reason: "ticket 4711: body garbled",
    });
    expect(res.status).toBe(201);
    await syncInbox(new TestPhone(USER, PW, "fullphone"));
    const { files } = await listing("?device_id=fullphone");
    const text = await (await download(files.filter((f) => f.part === "text").at(-1)!.key)).text();
    expect(text).toContain(BODY);
    expect(text).not.toContain(PW); // credentials are never kept
    const audit = (await (await admin("GET", `/audit?subject=${encodeURIComponent(`mailbox:${USER}`)}`)).json()) as {
      entries: { action: string; after: { reason?: string } }[];
    };
    const row = audit.entries.find((e) => e.action === "trace.started_full_bodies");
    expect(row?.after.reason).toBe("ticket 4711: body garbled");
  });

  it("refuses more than 24 h and unknown mailboxes", async () => {
    expect((await admin("POST", `${base}/traces`, { minutes: 24 * 60 + 1 })).status).toBe(400);
    expect((await admin("POST", `/mailboxes/nobody%40example.test/traces`, {})).status).toBe(404);
  });
});

describe("sessions (inside the object)", () => {
  it("a mailbox-wide session covers every device; the cap drops exchanges beyond it; expiry ends it", async () => {
    await runInDurableObject(env.MAILBOX.getByName("cap@example.test"), async (_mb, state) => {
      const t = new TraceSessions(state.storage.sql, env.BLOBS, "trace/test-cap");
      const now = 1_000_000;
      t.start("*", 10, false, 3000, now);
      const entry = (i: number) => ({
        deviceId: `dev${i % 2}`,
        requestId: `r${i}`,
        at: now + i,
        cmd: "Ping",
        httpStatus: 200,
        text: "x".repeat(1000),
      });
      const stored = [];
      for (let i = 0; i < 5; i++) stored.push(await t.append(entry(i), now + 1));
      expect(stored).toEqual([true, true, true, false, false]);
      expect(t.list()[0]).toMatchObject({ entries: 3, bytes: 3000, dropped: 2 });
      expect((await t.files()).map((f) => f.deviceId).sort()).toEqual(["dev0", "dev0", "dev1"]);
      expect(t.directive("anything", now + 10 * 60_000 - 1)).toEqual({ fullBodies: false });
      expect(t.directive("anything", now + 10 * 60_000)).toBeUndefined();
      expect(await t.append(entry(9), now + 10 * 60_000)).toBe(false);
      // A fresh instance (object restarted) reads the same sessions back.
      expect(new TraceSessions(state.storage.sql, env.BLOBS, "trace/test-cap").list()[0]).toMatchObject({ entries: 3, dropped: 2 });
      expect(await t.read("../mbx/x")).toBeNull();
    });
  });
});

it("the admin API documents the trace routes (OpenAPI)", async () => {
  const doc = (await (await admin("GET", "/openapi.json")).json()) as { paths: Record<string, unknown> };
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/mailboxes/{address}/traces", "/mailboxes/{address}/traces/file"]));
});

it("the daily job's retention deletes trace files older than TRACE_RETENTION_DAYS and nothing else", async () => {
  await env.BLOBS.put("mbx/keep-me/blob", "mail");
  const before = (await env.BLOBS.list({ prefix: "trace/" })).objects.length;
  expect(before).toBeGreaterThan(0);
  expect(await pruneTraces(env.BLOBS, 7, Date.now() + 6 * 86_400_000)).toBe(0);
  expect(await pruneTraces(env.BLOBS, 7, Date.now() + 8 * 86_400_000)).toBe(before);
  expect((await env.BLOBS.list({ prefix: "trace/" })).objects.length).toBe(0);
  expect(await env.BLOBS.get("mbx/keep-me/blob")).not.toBeNull();
});
