// Mail on the phone end to end: a scripted phone against the Worker under `wrangler dev`, every decoded
// response validated with the conformance kit (Phone.command does it). Mail arrives through the Worker's
// email() handler (/cdn-cgi/handler/email), as Email Routing would deliver it.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { child, childText, childrenNamed, decodeWbxml, el, toXml } from "../../src/wbxml/index";
import { insertAccount } from "./accounts";
// @ts-expect-error plain ESM script without type declarations
import { demoMessages } from "../../scripts/demo-mail.mjs";
import { Phone, type PhoneResponse } from "./phone";
import { syncRequest } from "./sync-requests";
import { assertValid } from "./validate";

const url = inject("workerUrl");
const persistTo = inject("persistTo");
const USER = "sync-e2e@example.test";
const PW = "sync e2e password";
const INBOX = "1";
const DELETED = "3";

const attachment = new Uint8Array(300_000).map((_, i) => (i * 7) % 256);

function mime(subject: string, withAttachment = false): string {
  const head = `From: Alice <alice@example.test>\r\nTo: ${USER}\r\nSubject: ${subject}\r\nDate: ${new Date().toUTCString()}\r\nMessage-ID: <${crypto.randomUUID()}@example.test>\r\nMIME-Version: 1.0\r\n`;
  if (!withAttachment) return `${head}Content-Type: text/plain; charset=utf-8\r\n\r\nHello from ${subject}\r\n`;
  const b64 = Buffer.from(attachment).toString("base64").replace(/.{76}/g, "$&\r\n");
  return (
    `${head}Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nSee attached\r\n` +
    `--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="big.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--b1--\r\n`
  );
}

async function deliver(raw: string): Promise<void> {
  const res = await fetch(`${url}/cdn-cgi/handler/email?from=alice@example.test&to=${encodeURIComponent(USER)}`, {
    method: "POST",
    body: raw,
  });
  expect(res.status, await res.text()).toBe(200);
}

const phone = (deviceId = "e2eSync1") =>
  new Phone({
    baseUrl: url,
    user: USER,
    password: PW,
    deviceId,
    deviceType: "iPhone",
    protocolVersion: "16.1",
    userAgent: "Apple-iPhone/2001.1",
  });

const syncBody = syncRequest;

const coll = (r: PhoneResponse) => child(child(r.tree, "Collections"), "Collection");
const ids = (r: PhoneResponse, op: string) => childrenNamed(child(coll(r), "Commands"), op).map((a) => childText(a, "ServerId")!);

beforeAll(async () => {
  await insertAccount(persistTo, USER, PW);
  for (let i = 0; i < 6; i++) await deliver(mime(`Message ${i}`));
  await deliver(mime("Quarterly report", true));
}, 60_000);

describe("a phone session over HTTP", () => {
  it("FolderSync, Sync to the end, read, flag, delete, move, fetch the attachment by Range, all responses valid", async () => {
    const p = phone();
    const fs = await p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
    expect(childText(fs.tree, "Status")).toBe("1");
    const folders = childrenNamed(child(fs.tree, "Changes"), "Add").map((a) => [childText(a, "DisplayName"), childText(a, "ServerId")]);
    expect(folders).toContainEqual(["Inbox", INBOX]);

    const boot = await p.command("Sync", syncBody(INBOX, "0"));
    let key = childText(coll(boot), "SyncKey")!;
    const received: string[] = [];
    for (;;) {
      const r = await p.command(
        "Sync",
        syncBody(INBOX, key, [
          el("AirSync", "WindowSize", 3),
          el(
            "AirSync",
            "Options",
            el("AirSync", "MIMESupport", 0),
            el(
              "AirSyncBase",
              "BodyPreference",
              el("AirSyncBase", "Type", 2),
              el("AirSyncBase", "TruncationSize", 1024),
              el("AirSyncBase", "Preview", 100),
            ),
          ),
        ]),
      );
      received.push(...ids(r, "Add"));
      key = childText(coll(r), "SyncKey")!;
      if (!child(coll(r), "MoreAvailable")) break;
    }
    expect(received).toHaveLength(7);
    expect(new Set(received).size).toBe(7);

    // Unchanged: HTTP 200 with an empty body.
    const idle = await p.command("Sync", syncBody(INBOX, key));
    expect(idle.status).toBe(200);
    expect(idle.raw.length).toBe(0);

    const [toRead, toFlag, toDelete, toMove] = received;
    const changed = await p.command(
      "Sync",
      syncBody(INBOX, key, [
        el(
          "AirSync",
          "Commands",
          el("AirSync", "Change", el("AirSync", "ServerId", toRead), el("AirSync", "ApplicationData", el("Email", "Read", "1"))),
          el(
            "AirSync",
            "Change",
            el("AirSync", "ServerId", toFlag),
            el(
              "AirSync",
              "ApplicationData",
              el("Email", "Flag", el("Email", "Status", "2"), el("Email", "FlagType", "Flag for follow up")),
            ),
          ),
          el("AirSync", "Delete", el("AirSync", "ServerId", toDelete)),
        ),
      ]),
    );
    expect(childText(coll(changed), "Status")).toBe("1");
    key = childText(coll(changed), "SyncKey")!;

    const moved = await p.command(
      "MoveItems",
      el(
        "Move",
        "MoveItems",
        el("Move", "Move", el("Move", "SrcMsgId", toMove), el("Move", "SrcFldId", INBOX), el("Move", "DstFldId", DELETED)),
      ),
    );
    expect(childText(child(moved.tree, "Response"), "Status")).toBe("3");

    // A second device sees the result: 5 messages left, one read, one flagged; Deleted Items holds 2.
    const other = phone("e2eSync2");
    let k2 = childText(coll(await other.command("Sync", syncBody(INBOX, "0"))), "SyncKey")!;
    const all = await other.command("Sync", syncBody(INBOX, k2, [el("AirSync", "WindowSize", 50)]));
    const adds = childrenNamed(child(coll(all), "Commands"), "Add").map((a) => child(a, "ApplicationData")!);
    expect(adds).toHaveLength(5);
    expect(adds.filter((d) => childText(d, "Read") === "1")).toHaveLength(1);
    expect(adds.filter((d) => childText(child(d, "Flag"), "Status") === "2")).toHaveLength(1);
    k2 = childText(coll(await other.command("Sync", syncBody(DELETED, "0"))), "SyncKey")!;
    expect(ids(await other.command("Sync", syncBody(DELETED, k2)), "Add")).toHaveLength(2);

    // The attachment by FileReference with a Range, plain and multipart.
    const withAtt = adds.find((d) => child(d, "Attachments"))!;
    const ref = childText(child(child(withAtt, "Attachments"), "Attachment"), "FileReference")!;
    const fetchBody = el(
      "ItemOperations",
      "ItemOperations",
      el(
        "ItemOperations",
        "Fetch",
        el("ItemOperations", "Store", "Mailbox"),
        el("AirSyncBase", "FileReference", ref),
        el("ItemOperations", "Options", el("ItemOperations", "Range", "1000-1999")),
      ),
    );
    const got = await p.command("ItemOperations", fetchBody);
    const props = child(child(child(got.tree, "Response"), "Fetch"), "Properties");
    expect(childText(props, "Total")).toBe(String(attachment.length));
    expect(new Uint8Array(Buffer.from(childText(props, "Data")!, "base64"))).toEqual(attachment.slice(1000, 2000));

    const multi = await p.command("ItemOperations", fetchBody, { acceptMultiPart: true });
    expect(multi.headers.get("Content-Type")).toBe("application/vnd.ms-sync.multipart");
    const view = new DataView(multi.raw.buffer, multi.raw.byteOffset);
    expect(view.getInt32(0, true)).toBe(2);
    const [o0, l0, o1, l1] = [view.getInt32(4, true), view.getInt32(8, true), view.getInt32(12, true), view.getInt32(16, true)];
    const part0 = decodeWbxml(multi.raw.subarray(o0, o0 + l0));
    assertValid("ItemOperations", toXml(part0, { opaque: "text" }));
    expect(multi.raw.subarray(o1, o1 + l1)).toEqual(attachment.slice(1000, 2000));
  });

  it("a lost Sync response: the same request again returns the same items under a fresh key; an old key is Status 3", async () => {
    const p = phone("e2eRetry");
    const k1 = childText(coll(await p.command("Sync", syncBody(INBOX, "0"))), "SyncKey")!;
    const first = await p.command("Sync", syncBody(INBOX, k1, [el("AirSync", "WindowSize", 2)]));
    const again = await p.command("Sync", syncBody(INBOX, k1, [el("AirSync", "WindowSize", 2)]));
    expect(ids(again, "Add")).toEqual(ids(first, "Add"));
    expect(childText(coll(again), "SyncKey")).not.toBe(childText(coll(first), "SyncKey"));
    const k3 = childText(coll(again), "SyncKey")!;
    await p.command("Sync", syncBody(INBOX, k3, [el("AirSync", "WindowSize", 2)]));
    const stale = await p.command("Sync", syncBody(INBOX, k1));
    expect(childText(coll(stale), "Status")).toBe("3");
  });

  it("GetItemEstimate and FolderCreate/FolderUpdate/FolderDelete answer valid responses", async () => {
    const p = phone("e2eFolders");
    const key0 = childText(
      (await p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")))).tree,
      "SyncKey",
    )!;
    const created = await p.command(
      "FolderCreate",
      el(
        "FolderHierarchy",
        "FolderCreate",
        el("FolderHierarchy", "SyncKey", key0),
        el("FolderHierarchy", "ParentId", "0"),
        el("FolderHierarchy", "DisplayName", "Trips"),
        el("FolderHierarchy", "Type", 12),
      ),
    );
    expect(childText(created.tree, "Status")).toBe("1");
    const dup = await p.command(
      "FolderCreate",
      el(
        "FolderHierarchy",
        "FolderCreate",
        el("FolderHierarchy", "SyncKey", childText(created.tree, "SyncKey")!),
        el("FolderHierarchy", "ParentId", "0"),
        el("FolderHierarchy", "DisplayName", "Trips"),
        el("FolderHierarchy", "Type", 12),
      ),
    );
    expect(childText(dup.tree, "Status")).toBe("2"); // MS-ASCMD 2.2.3.177.3: already exists
    const id = childText(created.tree, "ServerId")!;
    const upd = await p.command(
      "FolderUpdate",
      el(
        "FolderHierarchy",
        "FolderUpdate",
        el("FolderHierarchy", "SyncKey", childText(created.tree, "SyncKey")!),
        el("FolderHierarchy", "ServerId", id),
        el("FolderHierarchy", "ParentId", "0"),
        el("FolderHierarchy", "DisplayName", "Trips 2027"),
      ),
    );
    expect(childText(upd.tree, "Status")).toBe("1");
    const delInbox = await p.command(
      "FolderDelete",
      el(
        "FolderHierarchy",
        "FolderDelete",
        el("FolderHierarchy", "SyncKey", childText(upd.tree, "SyncKey")!),
        el("FolderHierarchy", "ServerId", INBOX),
      ),
    );
    expect(childText(delInbox.tree, "Status")).toBe("3"); // a special folder
    const del = await p.command(
      "FolderDelete",
      el(
        "FolderHierarchy",
        "FolderDelete",
        el("FolderHierarchy", "SyncKey", childText(upd.tree, "SyncKey")!),
        el("FolderHierarchy", "ServerId", id),
      ),
    );
    expect(childText(del.tree, "Status")).toBe("1");

    const est = await p.command(
      "GetItemEstimate",
      el(
        "GetItemEstimate",
        "GetItemEstimate",
        el(
          "GetItemEstimate",
          "Collections",
          el("GetItemEstimate", "Collection", el("AirSync", "SyncKey", "0"), el("GetItemEstimate", "CollectionId", INBOX)),
        ),
      ),
    );
    expect(childText(child(est.tree, "Response"), "Status")).toBe("3");
  });

  it("the demo corpus (charsets, HTML, inline images, invitation, 10 MB attachment) syncs as plain, HTML and MIME, every response valid", async () => {
    const user = "corpus-e2e@example.test";
    await insertAccount(persistTo, user, PW);
    const corpus = demoMessages({ now: Date.now() }) as { name: string; raw: Uint8Array }[];
    let delivered = 0;
    for (const m of corpus) {
      const res = await fetch(`${url}/cdn-cgi/handler/email?from=alice@example.test&to=${encodeURIComponent(user)}`, {
        method: "POST",
        body: m.raw,
      });
      const text = await res.text();
      // wrangler dev's local email simulator parses the message in Node before the Worker sees it and
      // refuses charsets Node cannot decode (UTF-7, x-unknown): those cannot take this route locally (the
      // store itself handles them, see test/workers/store-mime.test.ts). Any other refusal fails the test.
      if (res.status === 400 && text.includes("could not be parsed")) {
        console.log(`not deliverable through the local email simulator: ${m.name}: ${text}`);
        continue;
      }
      expect(res.status, `${m.name}: ${text}`).toBe(200);
      delivered++;
    }
    expect(delivered).toBeGreaterThan(corpus.length / 2);
    const prefs = {
      plain: [el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1), el("AirSyncBase", "TruncationSize", 500))],
      html: [
        el(
          "AirSyncBase",
          "BodyPreference",
          el("AirSyncBase", "Type", 2),
          el("AirSyncBase", "TruncationSize", 100000),
          el("AirSyncBase", "Preview", 255),
        ),
      ],
      mime: [el("AirSync", "MIMESupport", 2), el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 4))],
    };
    for (const [name, options] of Object.entries(prefs)) {
      const p = new Phone({ baseUrl: url, user, password: PW, deviceId: `corpus${name}`, deviceType: "iPhone", protocolVersion: "16.1" });
      const opts = el("AirSync", "Options", ...options);
      let key = childText(coll(await p.command("Sync", syncBody(INBOX, "0", [opts]))), "SyncKey")!;
      let n = 0;
      for (;;) {
        const r = await p.command("Sync", syncBody(INBOX, key, [el("AirSync", "WindowSize", 5), opts])); // validated by the kit
        n += ids(r, "Add").length;
        key = childText(coll(r), "SyncKey")!;
        if (!child(coll(r), "MoreAvailable")) break;
      }
      expect(n, name).toBe(delivered);
    }
  }, 120_000);
});
