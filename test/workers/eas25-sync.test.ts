// Sync for a 2.5 client (issue 14): bodies and attachments in the content namespaces, Truncation, MIMESupport,
// calendar and contact bodies in their own namespaces, no AirSyncBase anywhere; through the real front door and
// mailbox object, from the same stored data a 14.1 client gets.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../../src/service/directory";
import { child, childText, childrenNamed, el, isElement, type WbxmlElement } from "../../src/wbxml/index";
import { TestPhone, collectionOf, idsOf, message, syncKeyOf, withAttachment } from "./helpers/phone";

const USER = "eas25-sync@example.test";
const PW = "eas25-sync-pw";
const INBOX = "1";
const CALENDAR = "6";
const CONTACTS = "7";
const LONG = "Long plain body. " + "abcdefghij".repeat(200); // 2017 characters
const ATTACHMENT = new Uint8Array(1000).map((_, i) => i % 256);

const A = (name: string, ...kids: (WbxmlElement | string | number | false)[]) => el("AirSync", name, ...kids);
const allNamespaces = (e: WbxmlElement): string[] => [e.ns, ...e.children.flatMap((c) => (isElement(c) ? allNamespaces(c) : []))];

let n = 0;
/** A 2.5 phone's first two Syncs of a collection (Class in the request, as 2.5 requires); ApplicationData by subject. */
async function sync25(collectionId: string, cls: string, options: WbxmlElement[], subjectNs = "Email") {
  const phone = new TestPhone(USER, PW, `WM5SYNC${++n}`, "2.5");
  const extra = [A("Class", cls)];
  const opts = A("Options", ...options);
  const key = syncKeyOf(await phone.sync(collectionId, "0", { extra, options: opts }));
  const r = await phone.sync(collectionId, key, { extra, options: opts, windowSize: 50 });
  expect(r.status).toBe(200);
  expect(r.headers.get("MS-Server-ActiveSync")).toBe("6.5.7638.1");
  // [MS-ASAIRS]: AirSyncBase does not exist in 2.5 (code page 17 from 12.0).
  expect(allNamespaces(r.body!)).not.toContain("AirSyncBase");
  const adds = childrenNamed(child(collectionOf(r), "Commands"), "Add");
  return {
    phone,
    key: syncKeyOf(r),
    ids: idsOf(r, "Add"),
    items: new Map(adds.map((a) => child(a, "ApplicationData")!).map((d) => [childText(d, "Subject", subjectNs) ?? "", d])),
  };
}

async function admin(method: string, path: string, body: string, type: string) {
  const res = await exports.default.fetch(
    new Request(`https://mail.example.test/admin/v1/mailboxes/${USER}/${path}`, {
      method,
      headers: { authorization: "Bearer test-admin-token", "content-type": type },
      body,
    }),
  );
  expect(res.status, await res.text()).toBe(200);
}

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
  const mb = env.MAILBOX.getByName(USER);
  await mb.deliver(message("Long", { body: LONG }));
  await mb.deliver(withAttachment("WithFile", ATTACHMENT, "notes.bin"));
});

describe("mail for a 2.5 client", () => {
  it("Truncation 1 (512 characters): email:Body cut, BodyTruncated 1, BodySize the whole body", async () => {
    const { items } = await sync25(INBOX, "Email", [A("FilterType", 0), A("Truncation", 1), A("RtfTruncation", 1)]);
    const d = items.get("Long")!;
    const body = childText(d, "Body", "Email")!;
    expect(body.length).toBeLessThanOrEqual(512);
    expect(LONG.startsWith(body)).toBe(true);
    expect(childText(d, "BodyTruncated", "Email")).toBe("1");
    expect(Number(childText(d, "BodySize", "Email"))).toBeGreaterThanOrEqual(LONG.length);
    // What 2.5 does not have is left out: Flag, ContentClass, NativeBodyType (12.0+).
    expect(child(d, "Flag", "Email")).toBeUndefined();
    expect(child(d, "ContentClass", "Email")).toBeUndefined();
    expect(childText(d, "Read", "Email")).toBe("0");
  });

  it("no Truncation: the whole plain body, BodyTruncated 0 ([MS-ASCMD] 2.2.3.175: omitted = no truncation)", async () => {
    const { items } = await sync25(INBOX, "Email", [A("FilterType", 0)]);
    const d = items.get("Long")!;
    expect(childText(d, "Body", "Email")?.trim()).toBe(LONG);
    expect(childText(d, "BodyTruncated", "Email")).toBe("0");
  });

  it("Truncation 0: no body text, BodyTruncated 1", async () => {
    const { items } = await sync25(INBOX, "Email", [A("Truncation", 0)]);
    expect(childText(items.get("Long"), "Body", "Email")).toBe("");
    expect(childText(items.get("Long"), "BodyTruncated", "Email")).toBe("1");
  });

  it("[MS-ASEMAIL] 2.5 Attachments: AttName (the GetAttachment name), AttSize, AttMethod, DisplayName, in that order", async () => {
    const { items } = await sync25(INBOX, "Email", [A("Truncation", 9)]);
    const atts = childrenNamed(child(items.get("WithFile"), "Attachments", "Email"), "Attachment", "Email");
    expect(atts).toHaveLength(1);
    expect(atts[0].children.map((c) => (c as WbxmlElement).name)).toEqual(["AttName", "AttSize", "AttMethod", "DisplayName"]);
    expect(childText(atts[0], "AttName")).toMatch(/^[^:]+:[^:]+:[^:]+$/); // folderId:itemId:partId
    expect(childText(atts[0], "AttSize")).toBe("1000");
    expect(childText(atts[0], "AttMethod")).toBe("1");
    expect(childText(atts[0], "DisplayName")).toBe("notes.bin");
    // The HTML-only message still comes as plain text in email:Body.
    expect(childText(items.get("WithFile"), "Body", "Email")).toMatch(/See attached file/);
  });

  it("MIMESupport 2 with MIMETruncation 1: MIMEData (cut at 4096), MIMESize, MIMETruncated", async () => {
    const { items } = await sync25(INBOX, "Email", [A("MIMESupport", 2), A("MIMETruncation", 1)]);
    const d = items.get("WithFile")!;
    const mime = childText(d, "MIMEData", "Email")!;
    expect(mime).toMatch(/^From: /);
    expect(mime.length).toBeLessThanOrEqual(4096);
    expect(childText(d, "MIMETruncated", "Email")).toBe("0");
    expect(Number(childText(d, "MIMESize", "Email"))).toBe(new TextEncoder().encode(mime).length);
    expect(child(d, "Body", "Email")).toBeUndefined();
  });

  it("a server-side change (read elsewhere) reaches the 2.5 client as Read only", async () => {
    const { phone, key, ids } = await sync25(INBOX, "Email", [A("Truncation", 1)]);
    const other = new TestPhone(USER, PW, "WM5OTHER", "14.1");
    const k = syncKeyOf(await other.sync(INBOX, "0"));
    const k2 = syncKeyOf(await other.sync(INBOX, k, { windowSize: 50 }));
    await other.sync(INBOX, k2, { commands: [A("Change", A("ServerId", ids[0]), A("ApplicationData", el("Email", "Read", 1)))] });
    const r = await phone.sync(INBOX, key, { extra: [A("Class", "Email")] });
    const change = child(child(collectionOf(r), "Commands"), "Change")!;
    const data = child(change, "ApplicationData")!;
    expect(data.children.map((c) => `${(c as WbxmlElement).ns}:${(c as WbxmlElement).name}`)).toEqual(["Email:Read"]);
  });
});

describe("calendar and contacts for a 2.5 client", () => {
  beforeAll(async () => {
    const ics = [
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//t//EN",
      "BEGIN:VEVENT",
      "UID:eas25-review@x",
      "DTSTAMP:20260101T000000Z",
      "DTSTART:20261210T100000Z",
      "DTEND:20261210T110000Z",
      "SUMMARY:Review",
      `DESCRIPTION:${"Agenda line. ".repeat(100)}`,
      "END:VEVENT",
      "END:VCALENDAR",
      "",
    ];
    await admin("PUT", "calendar.ics", ics.join("\r\n"), "text/calendar");
    const vcf = [
      "BEGIN:VCARD",
      "VERSION:3.0",
      "UID:eas25-ann@x",
      "FN:Ann Smith",
      "N:Smith;Ann;;;",
      "NOTE:Met at the fair.",
      "END:VCARD",
      "",
    ];
    await admin("PUT", "contacts.vcf", vcf.join("\r\n"), "text/vcard");
  });

  it("[MS-ASCAL] 2.5: calendar:Body and calendar:BodyTruncated (no BodySize in 2.5's calendar page), cut by Truncation", async () => {
    const { items } = await sync25(CALENDAR, "Calendar", [A("FilterType", 0), A("Truncation", 1), A("RtfTruncation", 1)], "Calendar");
    const d = items.get("Review")!;
    expect(childText(d, "Body", "Calendar")!.length).toBeLessThanOrEqual(512);
    expect(childText(d, "Body", "Calendar")).toMatch(/^Agenda line\./);
    expect(childText(d, "BodyTruncated", "Calendar")).toBe("1");
    expect(child(d, "BodySize", "Calendar")).toBeUndefined();
  });

  it("a 2.5 Change that sends back a truncated calendar:Body keeps the whole stored description", async () => {
    const { phone, key, ids } = await sync25(CALENDAR, "Calendar", [A("Truncation", 1)], "Calendar");
    const change = A(
      "Change",
      A("ServerId", ids[0]),
      A(
        "ApplicationData",
        el("Calendar", "Subject", "Review (moved)"),
        el("Calendar", "StartTime", "20261210T120000Z"),
        el("Calendar", "EndTime", "20261210T130000Z"),
        el("Calendar", "BodyTruncated", "1"),
        el("Calendar", "Body", "Agenda line. Agenda"),
      ),
    );
    const r = await phone.sync(CALENDAR, key, { extra: [A("Class", "Calendar")], commands: [change] });
    expect(childText(child(child(collectionOf(r), "Responses"), "Change"), "Status") ?? "1").toBe("1");
    const ics = await (
      await exports.default.fetch(
        new Request(`https://mail.example.test/admin/v1/mailboxes/${USER}/calendar.ics`, {
          headers: { authorization: "Bearer test-admin-token" },
        }),
      )
    ).text();
    expect(ics).toContain("SUMMARY:Review (moved)");
    expect(ics.replace(/\r\n /g, "").match(/Agenda line\./g)?.length).toBe(100);
  });

  it("[MS-ASCNTC] 2.5: contacts:Body, BodySize, BodyTruncated", async () => {
    const phone = new TestPhone(USER, PW, "WM5CONTACTS", "2.5");
    const extra = [A("Class", "Contacts")];
    const key = syncKeyOf(await phone.sync(CONTACTS, "0", { extra }));
    const r = await phone.sync(CONTACTS, key, { extra, windowSize: 50 });
    expect(allNamespaces(r.body!)).not.toContain("AirSyncBase");
    const d = childrenNamed(child(collectionOf(r), "Commands"), "Add")
      .map((a) => child(a, "ApplicationData")!)
      .find((x) => childText(x, "LastName", "Contacts") === "Smith")!;
    expect(childText(d, "Body", "Contacts")).toBe("Met at the fair.");
    expect(childText(d, "BodySize", "Contacts")).toBe("16");
    expect(childText(d, "BodyTruncated", "Contacts")).toBe("0");
  });
});
