// GetAttachment ([MS-ASCMD] 2.2.1.7) for 2.5 and 12.x phones: the AttName/FileReference a Sync gave, raw bytes
// with the attachment's Content-Type; not served to 14.0+.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../../src/service/directory";
import { child, childText, childrenNamed, el } from "../../src/wbxml/index";
import { TestPhone, collectionOf, syncKeyOf, withAttachment } from "./helpers/phone";

const USER = "getattachment@example.test";
const PW = "getattachment-pw";
const INBOX = "1";
const BYTES = new Uint8Array(3000).map((_, i) => (i * 7) % 256);
const A = (name: string, ...kids: (ReturnType<typeof el> | string | number)[]) => el("AirSync", name, ...kids);

/** The attachment names a phone of `version` gets for the Inbox (AttName in 2.5, FileReference in 12.x). */
async function attachmentNames(phone: TestPhone): Promise<string[]> {
  const extra = [A("Class", "Email")];
  const key = syncKeyOf(await phone.sync(INBOX, "0", { extra }));
  const r = await phone.sync(INBOX, key, { extra, windowSize: 50 });
  const adds = childrenNamed(child(collectionOf(r), "Commands"), "Add").map((a) => child(a, "ApplicationData")!);
  return adds.flatMap((d) =>
    phone.protocolVersion === "2.5"
      ? childrenNamed(child(d, "Attachments", "Email"), "Attachment").map((a) => childText(a, "AttName", "Email")!)
      : childrenNamed(child(d, "Attachments", "AirSyncBase"), "Attachment").map((a) => childText(a, "FileReference", "AirSyncBase")!),
  );
}

const get = (phone: TestPhone, name?: string) =>
  phone.send("GetAttachment", null, { query: name === undefined ? "" : `&AttachmentName=${encodeURIComponent(name)}` });

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
  await env.MAILBOX.getByName(USER).deliver(withAttachment("Report", BYTES, "report.bin"));
});

describe("GetAttachment", () => {
  for (const version of ["2.5", "12.0", "12.1"]) {
    it(`${version}: MS-ASCMD_R157, MS-ASCMD_R159, MS-ASCMD_R164: the bytes of the named attachment with its Content-Type`, async () => {
      const phone = new TestPhone(USER, PW, `GA${version.replace(".", "")}`, version);
      const [name] = await attachmentNames(phone);
      expect(name).toBeTruthy();
      const r = await get(phone, name);
      expect(r.status).toBe(200);
      expect(r.headers.get("Content-Type")).toBe("application/octet-stream");
      expect(r.raw).toEqual(BYTES);
    });
  }

  it("MS-ASCMD_R166: an attachment that is not on the server is HTTP 500; without AttachmentName, 400", async () => {
    const phone = new TestPhone(USER, PW, "GAMISSING", "2.5");
    const [name] = await attachmentNames(phone);
    const [folder, item] = name.split(":");
    expect((await get(phone, `${folder}:${item}:99`)).status).toBe(500);
    expect((await get(phone, "nonsense")).status).toBe(500);
    expect((await get(phone)).status).toBe(400);
  });

  it("MS-ASCMD_R6021, MS-ASCMD_R6022, MS-ASCMD_R6023, MS-ASCMD_R6023100601: not served to 14.0 and later (501)", async () => {
    const [name] = await attachmentNames(new TestPhone(USER, PW, "GA121B", "12.1"));
    for (const version of ["14.0", "14.1", "16.0", "16.1"]) {
      expect((await get(new TestPhone(USER, PW, "GAMODERN", version), name)).status, version).toBe(501);
    }
  });
});
