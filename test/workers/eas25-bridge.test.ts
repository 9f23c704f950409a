// A 2.5 phone on a bridged mailbox (issue 14 §4): the IMAP bridge serves the same 2.5 shapes as the built-in
// store: email:Body cut by Truncation, email:Attachments with AttName, GetAttachment by that name; through the
// real front door, the test Dovecot behind it.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { child, childText, childrenNamed, el, type WbxmlElement } from "../../src/wbxml/index";
import { ImapSession } from "../../src/store/imap/connection";
import { OtherClient } from "./imap/imap-helpers";
import { TestPhone, collectionOf, syncKeyOf } from "./helpers/phone";

const dovecot = inject("dovecot");
vi.setConfig({ testTimeout: 20_000 });
const LEE = "lee@bridge.test";
const LONG = "A long bridged letter. ".repeat(60); // 1380 characters
const ATTACHMENT = Buffer.from(new Uint8Array(1500).map((_, i) => (i * 11) % 256));
const A = (name: string, ...kids: (WbxmlElement | string | number)[]) => el("AirSync", name, ...kids);

beforeAll(async () => {
  const res = await exports.default.fetch(
    new Request("https://sync.example.test/admin/v1/mailboxes", {
      method: "POST",
      headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
      body: JSON.stringify({
        address: LEE,
        backend: {
          kind: "imap",
          imap: { host: dovecot.host, port: dovecot.imapPort, tls: "none" },
          smtp: { host: "127.0.0.1", port: 2525, tls: "none" },
          push: "poll",
        },
      }),
    }),
  );
  expect(res.status).toBe(201);
  const session = await ImapSession.open(
    { host: dovecot.host, port: dovecot.imapPort, tls: "none" },
    { user: LEE, password: "lee secret" },
  );
  const c = new OtherClient(session);
  try {
    await c.append("INBOX", `From: a@x.test\nTo: ${LEE}\nSubject: Long\nMIME-Version: 1.0\nContent-Type: text/plain\n\n${LONG}\n`);
    const b64 = ATTACHMENT.toString("base64").replace(/.{76}/g, "$&\n");
    await c.append(
      "INBOX",
      `From: a@x.test\nTo: ${LEE}\nSubject: Scan\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="z"\n\n--z\nContent-Type: text/plain\n\nScanned.\n--z\nContent-Type: image/tiff\nContent-Disposition: attachment; filename="scan.tif"\nContent-Transfer-Encoding: base64\n\n${b64}\n--z--\n`,
    );
  } finally {
    await session.close();
  }
});

describe("a 2.5 phone on the IMAP bridge", () => {
  it("syncs the Inbox the 2.5 way and fetches the attachment with GetAttachment", async () => {
    const phone = new TestPhone(LEE, "lee secret", "WM5BRIDGE", "2.5");
    const folders = childrenNamed(child(await phone.folderSync("0"), "Changes"), "Add");
    const inbox = childText(
      folders.find((f) => childText(f, "Type") === "2"),
      "ServerId",
    )!;
    const extra = [A("Class", "Email")];
    const options = A("Options", A("FilterType", 0), A("Truncation", 1));
    const key = syncKeyOf(await phone.sync(inbox, "0", { extra, options }));
    const r = await phone.sync(inbox, key, { extra, options, windowSize: 50 });
    expect(JSON.stringify(r.body)).not.toContain('"ns":"AirSyncBase"');
    const items = new Map(
      childrenNamed(child(collectionOf(r), "Commands"), "Add")
        .map((a) => child(a, "ApplicationData")!)
        .map((d) => [childText(d, "Subject", "Email"), d]),
    );
    const long = items.get("Long")!;
    expect(childText(long, "Body", "Email")!.length).toBeLessThanOrEqual(512);
    expect(childText(long, "BodyTruncated", "Email")).toBe("1");
    expect(Number(childText(long, "BodySize", "Email"))).toBeGreaterThanOrEqual(LONG.length);
    const att = child(child(items.get("Scan"), "Attachments", "Email"), "Attachment", "Email")!;
    expect(childText(att, "DisplayName", "Email")).toBe("scan.tif");
    expect(childText(att, "AttMethod", "Email")).toBe("1");
    const got = await phone.send("GetAttachment", null, {
      query: `&AttachmentName=${encodeURIComponent(childText(att, "AttName", "Email")!)}`,
    });
    expect(got.status).toBe(200);
    expect(got.headers.get("Content-Type")).toBe("image/tiff");
    expect(Buffer.from(got.raw)).toEqual(ATTACHMENT);
  });
});
