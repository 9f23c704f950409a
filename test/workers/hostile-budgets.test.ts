// Issue 13 §4: every budget is counted. Bodies read no further than their limit whatever the transfer
// encoding; one ItemOperations answers within a response budget with the spec's status for what did not fit.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fileReferenceOf } from "../../src/mailbox/ids";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { createAccount } from "../../src/service/directory";
import { child, childrenNamed, childText, el } from "../../src/wbxml/index";
import { basic, BASE } from "./helpers/eas-client";
import { TestPhone } from "./helpers/phone";

/** A body without Content-Length (chunked) of `total` bytes; `pulled()` tells how much of it was read. */
function chunked(total: number, chunk = 16 * 1024) {
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= total) return c.close();
      const n = Math.min(chunk, total - sent);
      sent += n;
      c.enqueue(new Uint8Array(n).fill(0x41));
    },
  });
  return { stream, pulled: () => sent };
}

const post = (url: string, body: BodyInit, headers: Record<string, string> = {}) =>
  exports.default.fetch(new Request(url, { method: "POST", headers, body, duplex: "half" } as RequestInit));

describe("bodies are read no further than their limit, chunked or not", () => {
  it("/notify/v1: 413 after 16 KiB of a 10 MB chunked body", async () => {
    const body = chunked(10 * 1024 * 1024);
    const res = await post("https://mail.example.test/notify/v1", body.stream, {
      "X-Notify-Timestamp": String(Math.floor(Date.now() / 1000)),
      "X-Notify-Signature": "0".repeat(64),
    });
    expect(res.status).toBe(413);
    expect(body.pulled()).toBeLessThan(256 * 1024);
  });

  it("Autodiscover: a body over its limit is an Invalid Request (600), read no further", async () => {
    await createAccount(env.DB, "budget-ad@example.test", "ad-pw").catch(() => undefined);
    const body = chunked(10 * 1024 * 1024);
    const res = await post("https://mail.example.test/autodiscover/autodiscover.xml", body.stream, {
      Authorization: basic("budget-ad@example.test", "ad-pw"),
      "Content-Type": "text/xml",
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<ErrorCode>600</ErrorCode>");
    expect(body.pulled()).toBeLessThan(512 * 1024);
  });

  it("admin import: 413 beyond the message-size limit (MAX_SEND_BYTES), chunked", async () => {
    await createAccount(env.DB, "budget-import@example.test", "imp-pw").catch(() => undefined);
    const body = chunked(30 * 1024 * 1024, 256 * 1024);
    const res = await post("https://mail.example.test/admin/v1/mailboxes/budget-import%40example.test/messages", body.stream, {
      authorization: "Bearer test-admin-token",
      "content-type": "message/rfc822",
    });
    expect(res.status).toBe(413);
    expect(body.pulled()).toBeLessThan(4 * 1024 * 1024);
  });

  it("ActiveSync: each command has its own cap (Ping 64 KiB), 413 read no further", async () => {
    await createAccount(env.DB, "budget-eas@example.test", "eas-pw").catch(() => undefined);
    const body = chunked(5 * 1024 * 1024);
    const res = await post(`${BASE}?Cmd=Ping&User=budget-eas@example.test&DeviceId=BUDGET1&DeviceType=SmartPhone`, body.stream, {
      Authorization: basic("budget-eas@example.test", "eas-pw"),
      "MS-ASProtocolVersion": "14.1",
      "Content-Type": "application/vnd.ms-sync.wbxml",
    });
    expect(res.status).toBe(413);
    expect(body.pulled()).toBeLessThan(256 * 1024);
  });
});

describe("ItemOperations within a response budget", () => {
  it("100 Fetches of a 3 MB attachment: HTTP 200, Status 1 for what fits, 11 (data too large) for the rest", async () => {
    const me = "budget-itemops@example.test";
    await createAccount(env.DB, me, "io-pw");
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i & 0xff);
    let bin = "";
    for (let i = 0; i < big.length; i += 0x8000) bin += String.fromCharCode(...big.subarray(i, i + 0x8000));
    const b64 = btoa(bin).replace(/.{76}/g, "$&\r\n");
    const raw = [
      "From: a@example.test",
      `To: ${me}`,
      "Subject: big",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="b"',
      "",
      "--b",
      "Content-Type: text/plain",
      "",
      "see attachment",
      "--b",
      'Content-Type: application/octet-stream; name="big.bin"',
      "Content-Transfer-Encoding: base64",
      'Content-Disposition: attachment; filename="big.bin"',
      "",
      b64,
      "--b--",
      "",
    ].join("\r\n");
    const stub = env.MAILBOX.getByName(me);
    const d = await stub.deliver(new TextEncoder().encode(raw));
    const ref = await runInDurableObject(stub, async (m: Mailbox) => {
      const s = await m.store.getSummary(d.folderId, d.itemId);
      return fileReferenceOf(d.folderId, d.itemId, s!.attachments[0]!.partId);
    });
    const fetch = () => el("ItemOperations", "Fetch", el("ItemOperations", "Store", "Mailbox"), el("AirSyncBase", "FileReference", ref));
    const phone = new TestPhone(me, "io-pw", "ITEMOPS100", "14.1");
    const r = await phone.send("ItemOperations", el("ItemOperations", "ItemOperations", ...Array.from({ length: 100 }, fetch)), {
      headers: { "MS-ASAcceptMultiPart": "T" },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("Content-Type")).toContain("multipart");
    const { decodeWbxml } = await import("../../src/wbxml/index");
    // Part 0 is the WBXML response ([MS-ASCMD] 2.2.1.10.1).
    const view = new DataView(r.raw.buffer, r.raw.byteOffset);
    const body = decodeWbxml(r.raw.subarray(view.getInt32(4, true), view.getInt32(4, true) + view.getInt32(8, true)));
    expect(childText(body, "Status")).toBe("1");
    const statuses = childrenNamed(child(body, "Response"), "Fetch").map((f) => childText(f, "Status"));
    expect(statuses).toHaveLength(100);
    const ok = statuses.filter((s) => s === "1").length;
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(7); // 16 MiB beyond the first
    expect(statuses.slice(ok).every((s) => s === "11")).toBe(true);
  }, 60_000);
});

describe("request element caps ([MS-ASCMD] 3.1.5.10, anchors §4.2)", () => {
  it("GetItemEstimate > 300 collections: 103; MoveItems > 1000 moves: 103; Sync > 1000 collections: Status 4", async () => {
    const me = "budget-caps@example.test";
    await createAccount(env.DB, me, "caps-pw");
    const phone = new TestPhone(me, "caps-pw", "CAPS1", "14.1");
    const coll = (i: number) =>
      el("GetItemEstimate", "Collection", el("AirSync", "SyncKey", "1"), el("GetItemEstimate", "CollectionId", String(i)));
    const gie = await phone.send(
      "GetItemEstimate",
      el("GetItemEstimate", "GetItemEstimate", el("GetItemEstimate", "Collections", ...Array.from({ length: 301 }, (_, i) => coll(i)))),
    );
    expect(gie.status).toBe(200);
    expect(childText(gie.body!, "Status")).toBe("103");

    const move = (i: number) =>
      el("Move", "Move", el("Move", "SrcMsgId", `1:${i}`), el("Move", "SrcFldId", "1"), el("Move", "DstFldId", "2"));
    const mv = await phone.send("MoveItems", el("Move", "MoveItems", ...Array.from({ length: 1001 }, (_, i) => move(i))));
    expect(mv.status).toBe(200);
    expect(childText(mv.body!, "Status")).toBe("103");

    const sc = (i: number) => el("AirSync", "Collection", el("AirSync", "SyncKey", "0"), el("AirSync", "CollectionId", String(i)));
    const sync = await phone.send(
      "Sync",
      el("AirSync", "Sync", el("AirSync", "Collections", ...Array.from({ length: 1001 }, (_, i) => sc(i)))),
    );
    expect(sync.status).toBe(200);
    expect(childText(sync.body!, "Status")).toBe("4");
  });
});

describe("client values the answer echoes", () => {
  // Front-door fuzz seed 20261218 (bench/RESULTS.md): a SrcMsgId sent as OPAQUE holding a NUL was echoed into the
  // answer as text, which WBXML cannot carry inline ([MS-ASWBXML] 2.1.2.1.1: strings are NUL-terminated): HTTP 500.
  it("MoveItems whose SrcMsgId is OPAQUE with a NUL: 200, Status 1 for that move, the id echoed", async () => {
    const me = "echo-nul@example.test";
    await createAccount(env.DB, me, "echo-pw");
    const phone = new TestPhone(me, "echo-pw", "ECHONUL1", "16.0");
    const id = new Uint8Array([0x31, 0x3a, 0x00, 0x31]);
    const mv = await phone.send(
      "MoveItems",
      el("Move", "MoveItems", el("Move", "Move", el("Move", "SrcMsgId", id), el("Move", "SrcFldId", "1"), el("Move", "DstFldId", "2"))),
    );
    expect(mv.status).toBe(200);
    const response = child(mv.body!, "Response")!;
    expect(childText(response, "Status")).toBe("1");
    expect(childText(response, "SrcMsgId")).toBe("1:\uFFFD1");
  });
});
