// The device-quirks table (src/eas/quirks.ts): who gets which quirk, and each quirk's behaviour through the real
// front door and mailbox object; the admin API shows a device's quirks.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { contactFromEas, contactToEas } from "../../src/eas/pim/contacts";
import { QUIRKS, quirksFor } from "../../src/eas/quirks";
import { waitSeconds } from "../../src/eas/front/wait";
import { createAccount } from "../../src/service/directory";
import { child, childText, childrenNamed, decodeWbxml, el, encodeWbxml, type WbxmlElement } from "../../src/wbxml/index";
import { basic, BASE } from "./helpers/eas-client";

const USER = "quirks@example.test";
const PW = "quirks-pw";
const INBOX = "1";

const WM61 = { deviceType: "PocketPC", userAgent: "MSFT-PPC/5.2.5082", protocolVersion: "12.0" };
const TREO = { deviceType: "Palm", userAgent: "PalmOne-TreoSmartphone/650", protocolVersion: "2.5" };
const SAMSUNG = { deviceType: "SAMSUNGSMG991B", userAgent: "Android-SAMSUNG-SM-G991B/101.11", protocolVersion: "14.1" };
const IPHONE = { deviceType: "iPhone", userAgent: "Apple-iPhone15C2/2105.259", protocolVersion: "16.1" };
const GMAIL = { deviceType: "Android", userAgent: "Android-Mail/2023.11.05", protocolVersion: "16.1" };
const ids = (c: Parameters<typeof quirksFor>[0]) => quirksFor(c).map((q) => q.id);

async function send(
  client: { deviceType: string; userAgent: string; protocolVersion: string },
  deviceId: string,
  cmd: string,
  body: WbxmlElement,
) {
  const res = await exports.default.fetch(
    new Request(`${BASE}?Cmd=${cmd}&User=${USER}&DeviceId=${deviceId}&DeviceType=${client.deviceType}`, {
      method: "POST",
      headers: {
        Authorization: basic(USER, PW),
        "MS-ASProtocolVersion": client.protocolVersion,
        "User-Agent": client.userAgent,
        "Content-Type": "application/vnd.ms-sync.wbxml",
      },
      body: encodeWbxml(body),
    }),
  );
  const raw = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, body: raw.length ? decodeWbxml(raw) : null };
}
const A = (name: string, ...kids: (WbxmlElement | string | number)[]) => el("AirSync", name, ...kids);
const syncBody = (key: string, cls?: string) =>
  A("Sync", A("Collections", A("Collection", ...(cls ? [A("Class", cls)] : []), A("SyncKey", key), A("CollectionId", INBOX))));
const folderSync = (key: string) => el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", key));

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
});

describe("who gets which quirk", () => {
  it("every entry names its clients, behaviour, source and test", () => {
    for (const q of QUIRKS)
      for (const k of ["id", "clients", "behaviour", "source", "test"] as const) expect(q[k], `${q.id}.${k}`).toBeTruthy();
    expect(new Set(QUIRKS.map((q) => q.id)).size).toBe(QUIRKS.length);
  });

  it("Windows Mobile 6.1 at 12.0: Class in Sync responses and default PIM folders only; at 12.1 no Class", () => {
    expect(ids(WM61)).toEqual(["class-in-sync-response", "default-pim-folders-only"]);
    expect(ids({ ...WM61, protocolVersion: "12.1" })).toEqual(["default-pim-folders-only"]);
  });

  it("a Palm Treo on 2.5, a Samsung, an iPhone, Gmail", () => {
    expect(ids(TREO)).toEqual(["class-in-sync-response", "default-pim-folders-only"]);
    expect(ids(SAMSUNG)).toEqual(["short-request-timeout", "android-contacts"]);
    expect(ids(IPHONE)).toEqual(["ios-contacts"]);
    expect(ids(GMAIL)).toEqual(["android-contacts"]);
    expect(ids({ deviceType: "SP", userAgent: "", protocolVersion: "14.1" })).toEqual([]);
  });
});

describe("class-in-sync-response", () => {
  it("Windows Mobile 6.1 at 12.0 gets Class first in each Collection; an iPhone does not", async () => {
    const wm = await send(WM61, "wm61class", "Sync", syncBody("0", "Email"));
    const coll = child(child(wm.body!, "Collections"), "Collection")!;
    expect((coll.children[0] as WbxmlElement).name).toBe("Class");
    expect(childText(coll, "Class")).toBe("Email");
    const ios = await send(IPHONE, "iphoneclass", "Sync", syncBody("0"));
    expect(child(child(child(ios.body!, "Collections"), "Collection"), "Class")).toBeUndefined();
  });
});

describe("short-request-timeout", () => {
  it("a Samsung's 900 s Ping or hanging Sync lasts 85 s; others wait what they asked for", () => {
    expect(waitSeconds(SAMSUNG, 900)).toBe(85);
    expect(waitSeconds(SAMSUNG, 60)).toBe(60);
    expect(waitSeconds(IPHONE, 900)).toBe(900);
  });
});

describe("default-pim-folders-only", () => {
  it("a Treo's FolderSync leaves out a user-created calendar; an iPhone gets it", async () => {
    const key = childText((await send(IPHONE, "iphonefolders", "FolderSync", folderSync("0"))).body!, "SyncKey")!;
    const create = el(
      "FolderHierarchy",
      "FolderCreate",
      el("FolderHierarchy", "SyncKey", key),
      el("FolderHierarchy", "ParentId", "0"),
      el("FolderHierarchy", "DisplayName", "Team calendar"),
      el("FolderHierarchy", "Type", 13),
    );
    expect(childText((await send(IPHONE, "iphonefolders", "FolderCreate", create)).body!, "Status")).toBe("1");
    const types = async (client: typeof TREO, id: string) => {
      const r = (await send(client, id, "FolderSync", folderSync("0"))).body!;
      const adds = childrenNamed(child(r, "Changes"), "Add");
      expect(childText(child(r, "Changes"), "Count")).toBe(String(adds.length));
      return adds.map((a) => Number(childText(a, "Type")));
    };
    const treo = await types(TREO, "treofolders");
    expect(treo).toEqual(expect.arrayContaining([2, 7, 8, 9]));
    expect(treo).not.toContain(13);
    expect(await types(IPHONE, "iphonefolders2")).toContain(13);
  });
});

describe("ios-contacts and android-contacts", () => {
  const vcard =
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:q@x\r\nFN:Q\r\nN:Q;;;;\r\nBDAY:1990-05-17\r\nPHOTO;ENCODING=b;TYPE=JPEG:QUJD\r\nEND:VCARD\r\n";
  it("an empty Picture from iOS keeps the stored photo; from another client it removes it", () => {
    const change = el("AirSync", "ApplicationData", el("Contacts", "LastName", "Q"), el("Contacts", "Picture", ""));
    expect(contactFromEas(change, { version: 16.1, deviceFamily: "ios" }, vcard)).toContain("PHOTO");
    expect(contactFromEas(change, { version: 16.1, deviceFamily: "other" }, vcard)).not.toContain("PHOTO");
  });

  it("birthdays: Android gets 08:00 UTC of the day", () => {
    const bday = (family: "android" | "other") =>
      childText(el("x", "x", ...contactToEas(vcard, { version: 16.1, deviceFamily: family })), "Birthday", "Contacts");
    expect(bday("android")).toBe("1990-05-17T08:00:00.000Z");
  });
});

describe("admin API", () => {
  it("the device view lists the quirks a Windows Mobile 6.1 device gets", async () => {
    await send(WM61, "wm61admin", "FolderSync", folderSync("0"));
    const res = await exports.default.fetch(
      new Request(`https://mail.example.test/admin/v1/mailboxes/${USER}/devices/wm61admin`, {
        headers: { authorization: "Bearer test-admin-token" },
      }),
    );
    expect(res.status).toBe(200);
    const view = (await res.json()) as { quirks: { id: string; behaviour: string; source: string }[] };
    expect(view.quirks.map((q) => q.id)).toEqual(["class-in-sync-response", "default-pim-folders-only"]);
    expect(view.quirks[0].source).toMatch(/Z-Push/);
  });
});
