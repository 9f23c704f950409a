// [MS-ASAIRS] Body, BodyPreference, NativeBodyType and Attachment rules on Sync responses of the real Worker and
// mailbox object: what comes back for each BodyPreference, and the shape of every element the spec constrains.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../../src/service/directory";
import { child, childrenNamed, childText, el, type WbxmlElement } from "../../src/wbxml/index";
import { TestPhone, bodyPref, collectionOf, mailOptions, message, syncKeyOf, withAttachment } from "./helpers/phone";

const USER = "airs@example.test";
const PW = "airs-secret";
const INBOX = "1";
const PLAIN_TEXT = "Plain body. " + "0123456789".repeat(30); // 312 ASCII bytes
const ATTACHMENT = new Uint8Array(1000).map((_, i) => i % 256);

const elements = (e: WbxmlElement) => e.children.filter((c): c is WbxmlElement => typeof c === "object" && !(c instanceof Uint8Array));
const names = (e: WbxmlElement) => elements(e).map((c) => c.name);

/** `e` has exactly one child `name`: a leaf (no child element); returns its text. */
function leaf(e: WbxmlElement, name: string): string {
  const found = childrenNamed(e, name);
  expect(found, `${e.name}/${name}`).toHaveLength(1);
  expect(elements(found[0]), `${e.name}/${name} has no child element`).toEqual([]);
  return childText(e, name) ?? "";
}

let device = 0;
/** Syncs the Inbox from scratch with `options`; returns ApplicationData by Subject. */
async function syncAll(options: WbxmlElement, version = "16.1"): Promise<Map<string, WbxmlElement>> {
  const phone = new TestPhone(USER, PW, `AIRS${++device}`, version);
  const key = syncKeyOf(await phone.sync(INBOX, "0", { options }));
  const r = await phone.sync(INBOX, key, { options, windowSize: 50 });
  const adds = childrenNamed(child(collectionOf(r), "Commands"), "Add");
  expect(adds).toHaveLength(2);
  // MS-ASAIRS_R148 MS-ASAIRS_R297 MS-ASAIRS_R74: no BodyPreference, TruncationSize or AllOrNone in a response.
  expect(JSON.stringify(r.body)).not.toMatch(/"name":"(BodyPreference|TruncationSize|AllOrNone)"/);
  return new Map(adds.map((a) => child(a, "ApplicationData")!).map((d) => [childText(d, "Subject")!, d]));
}

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
  const mb = env.MAILBOX.getByName(USER);
  await mb.deliver(message("Plain", { body: PLAIN_TEXT }));
  await mb.deliver(withAttachment("Html", ATTACHMENT, "notes.bin"));
});

describe("Body", () => {
  it(
    "MS-ASAIRS_R105 MS-ASAIRS_R106 MS-ASAIRS_R112 MS-ASAIRS_R113 MS-ASAIRS_R115 MS-ASAIRS_R308 MS-ASAIRS_R312 MS-ASAIRS_R313: " +
      "a new item carries one Body: Type, EstimatedDataSize, Truncated, Data in this order, each once, no children",
    async () => {
      const items = await syncAll(mailOptions(bodyPref(1, 50)));
      for (const d of items.values()) expect(childrenNamed(d, "Body")).toHaveLength(1);
      const body = child(items.get("Plain"), "Body")!;
      expect(names(body)).toEqual(["Type", "EstimatedDataSize", "Truncated", "Data"]);
      // MS-ASAIRS_R302 MS-ASAIRS_R303 MS-ASAIRS_R304: Type, an unsignedByte, 1 = plain text.
      expect(leaf(body, "Type")).toBe("1");
      // MS-ASAIRS_R195 MS-ASAIRS_R203 MS-ASAIRS_R204: EstimatedDataSize, one integer leaf: the size of the whole body.
      expect(leaf(body, "EstimatedDataSize")).toMatch(/^\d+$/);
      expect(Number(leaf(body, "EstimatedDataSize"))).toBeGreaterThanOrEqual(PLAIN_TEXT.length);
      // MS-ASAIRS_R274 MS-ASAIRS_R280 MS-ASAIRS_R180: Truncated, one boolean: the Data is cut.
      expect(leaf(body, "Truncated")).toBe("1");
      // MS-ASAIRS_R172 MS-ASAIRS_R174 MS-ASAIRS_R178: one Data, a string in the format of Type (plain: the text itself, cut at 50 bytes).
      const data = leaf(body, "Data");
      expect(data.length).toBe(50);
      expect(PLAIN_TEXT.startsWith(data)).toBe(true);
    },
  );

  it("MS-ASAIRS_R300 MS-ASAIRS_R277 MS-ASAIRS_R75 MS-ASAIRS_R401: without TruncationSize the whole body comes, not truncated, AllOrNone 1 or 0 alike", async () => {
    const withAll = await syncAll(mailOptions(bodyPref(1, undefined, [el("AirSyncBase", "AllOrNone", 1)])));
    const withNone = await syncAll(mailOptions(bodyPref(1, undefined, [el("AirSyncBase", "AllOrNone", 0)])));
    const body = child(withAll.get("Plain"), "Body")!;
    expect(child(body, "Truncated")).toBeUndefined();
    expect(leaf(body, "Data").trimEnd()).toBe(PLAIN_TEXT);
    expect(child(withNone.get("Plain"), "Body")).toEqual(body);
  });

  it("MS-ASAIRS_R77: with several BodyPreferences the type of the native format comes, truncated to its TruncationSize", async () => {
    const items = await syncAll(mailOptions(bodyPref(2, 20), bodyPref(1, 30)));
    const plain = child(items.get("Plain"), "Body")!;
    expect([leaf(plain, "Type"), leaf(plain, "Truncated"), leaf(plain, "Data").length]).toEqual(["1", "1", 30]);
    const html = child(items.get("Html"), "Body")!;
    expect([leaf(html, "Type"), leaf(html, "Truncated")]).toEqual(["2", "1"]);
    expect(new TextEncoder().encode(leaf(html, "Data")).length).toBeLessThanOrEqual(20);
  });

  it("MS-ASAIRS_R78 MS-ASAIRS_R80: AllOrNone 1 on a type that would be truncated makes the server use the next BodyPreference", async () => {
    const items = await syncAll(mailOptions(bodyPref(1, 10, [el("AirSyncBase", "AllOrNone", 1)]), bodyPref(2, 100_000)));
    const body = child(items.get("Plain"), "Body")!;
    expect(leaf(body, "Type")).toBe("2");
    expect(child(body, "Truncated")).toBeUndefined();
    expect(leaf(body, "Data")).toContain("0123456789");
  });

  it(
    "MS-ASAIRS_R305 MS-ASAIRS_R307 MS-ASAIRS_R231 MS-ASAIRS_R232 MS-ASAIRS_R233 MS-ASAIRS_R235 MS-ASAIRS_R236 MS-ASAIRS_R237 MS-ASAIRS_R238: " +
      "Type 2 is HTML, 4 is MIME; NativeBodyType (once, a leaf) says 1 for the plain message, 2 for the HTML one",
    async () => {
      const items = await syncAll(mailOptions(bodyPref(2)));
      const html = items.get("Html")!;
      expect(leaf(child(html, "Body")!, "Type")).toBe("2");
      expect(leaf(child(html, "Body")!, "Data")).toContain("<b>attached</b>");
      expect(leaf(html, "NativeBodyType")).toBe("2");
      expect(leaf(items.get("Plain")!, "NativeBodyType")).toBe("1");
      const mime = await syncAll(mailOptions(el("AirSync", "MIMESupport", 2), bodyPref(4)));
      const body = child(mime.get("Plain"), "Body")!;
      expect(leaf(body, "Type")).toBe("4");
      expect(leaf(body, "Data")).toMatch(/^From: .*\r\n/);
    },
  );

  it("MS-ASAIRS_R241 MS-ASAIRS_R2411 MS-ASAIRS_R2412: NativeBodyType equals Type unless the server converted the body", async () => {
    const asPlain = await syncAll(mailOptions(bodyPref(1)));
    const p = asPlain.get("Plain")!;
    expect(leaf(child(p, "Body")!, "Type")).toBe(leaf(p, "NativeBodyType"));
    const asHtml = await syncAll(mailOptions(bodyPref(2)));
    const converted = asHtml.get("Plain")!;
    expect([leaf(child(converted, "Body")!, "Type"), leaf(converted, "NativeBodyType")]).toEqual(["2", "1"]);
    expect(leaf(child(converted, "Body")!, "Data")).toMatch(/^<html>/);
  });

  it("MS-ASAIRS_R248 MS-ASAIRS_R249 MS-ASAIRS_R251 MS-ASAIRS_R252 MS-ASAIRS_R2644: one Preview leaf, plain text, at most the requested length", async () => {
    const items = await syncAll(mailOptions(bodyPref(2, 100_000, [el("AirSyncBase", "Preview", 12)])));
    const preview = leaf(child(items.get("Html"), "Body")!, "Preview");
    expect(preview.length).toBeGreaterThan(0);
    expect(preview.length).toBeLessThanOrEqual(12);
    expect(preview).not.toContain("<");
    expect("See attached file".startsWith(preview.trim())).toBe(true);
  });
});

describe("Preview with plain text", () => {
  it("MS-ASAIRS_R1001036: a plain text body (Type 1) returned with Data carries no Preview; an HTML one does", async () => {
    const items = await syncAll(mailOptions(bodyPref(1, 100_000, [el("AirSyncBase", "Preview", 20)])));
    const plain = child(items.get("Plain"), "Body")!;
    expect(leaf(plain, "Data").length).toBeGreaterThan(0);
    expect(child(plain, "Preview")).toBeUndefined();
    const html = await syncAll(mailOptions(bodyPref(2, 100_000, [el("AirSyncBase", "Preview", 20)])));
    expect(leaf(child(html.get("Html"), "Body")!, "Preview").length).toBeGreaterThan(0);
  });
});

describe("Attachments", () => {
  it(
    "MS-ASAIRS_R102 MS-ASAIRS_R1327 MS-ASAIRS_R87 MS-ASAIRS_R1323: Attachments holds one Attachment per file; " +
      "MS-ASAIRS_R91 MS-ASAIRS_R92 MS-ASAIRS_R93: FileReference, Method, EstimatedDataSize are there",
    async () => {
      const items = await syncAll(mailOptions(bodyPref(2)));
      expect(child(items.get("Plain"), "Attachments")).toBeUndefined();
      const atts = child(items.get("Html"), "Attachments")!;
      expect(names(atts)).toEqual(["Attachment"]);
      const a = child(atts, "Attachment")!;
      // MS-ASAIRS_R191 MS-ASAIRS_R192 MS-ASAIRS_R193: one DisplayName string leaf.
      expect(leaf(a, "DisplayName")).toBe("notes.bin");
      // MS-ASAIRS_R210 MS-ASAIRS_R211: one FileReference string, which fetches this attachment.
      expect(leaf(a, "FileReference").length).toBeGreaterThan(0);
      // MS-ASAIRS_R220 MS-ASAIRS_R221 MS-ASAIRS_R222 MS-ASAIRS_R223 MS-ASAIRS_R224 MS-ASAIRS_R225: one Method leaf, 1 = normal attachment.
      expect(leaf(a, "Method")).toBe("1");
      // MS-ASAIRS_R198 MS-ASAIRS_R199 MS-ASAIRS_R200: one EstimatedDataSize leaf, the decoded size.
      expect(leaf(a, "EstimatedDataSize")).toBe(String(ATTACHMENT.length));
    },
  );
});

describe("Attachment Method", () => {
  it("MS-ASAIRS_R2299: an attached e-mail message (message/rfc822, .eml) has Method 5 (embedded message)", async () => {
    const user = "airs-eml@example.test";
    await createAccount(env.DB, user, PW);
    const raw =
      `From: alice@example.test\r\nTo: ${user}\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n` +
      `--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename="orig.eml"\r\n\r\n` +
      `From: carol@example.test\r\nSubject: Original\r\n\r\nold text\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="a.pdf"\r\n\r\n%PDF\r\n--b--\r\n`;
    await env.MAILBOX.getByName(user).deliver(new TextEncoder().encode(raw));
    const phone = new TestPhone(user, PW, "AIRSEML", "16.1");
    const options = mailOptions(bodyPref(1));
    const key = syncKeyOf(await phone.sync(INBOX, "0", { options }));
    const r = await phone.sync(INBOX, key, { options });
    const atts = childrenNamed(
      child(child(child(child(collectionOf(r), "Commands"), "Add"), "ApplicationData"), "Attachments")!,
      "Attachment",
    );
    expect(atts.map((a) => [childText(a, "DisplayName"), childText(a, "Method")])).toEqual([
      ["orig.eml", "5"],
      ["a.pdf", "1"],
    ]);
  });
});

describe("Body and Attachments in every protocol version served", () => {
  // "[In X] Protocol version V supports this [X] element", by version and element.
  const SUPPORT_ROWS: Record<string, Record<string, string>> = {
    "12.1": {
      Attachment: "MS-ASAIRS_R1048",
      Attachments: "MS-ASAIRS_R1053",
      Body: "MS-ASAIRS_R1057",
      "Data (Body)": "MS-ASAIRS_R1130",
      "DisplayName (Attachment)": "MS-ASAIRS_R1146",
      "EstimatedDataSize (Attachment)": "MS-ASAIRS_R1150",
      "EstimatedDataSize (Body)": "MS-ASAIRS_R1154",
      "FileReference (Attachment)": "MS-ASAIRS_R1162",
      "Method (Attachment)": "MS-ASAIRS_R1243",
      NativeBodyType: "MS-ASAIRS_R1247",
      "Truncated (Body)": "MS-ASAIRS_R1293",
      "Type (Body)": "MS-ASAIRS_R1305",
    },
    "14.0": {
      Attachment: "MS-ASAIRS_R1049",
      Attachments: "MS-ASAIRS_R1054",
      Body: "MS-ASAIRS_R1058",
      "Data (Body)": "MS-ASAIRS_R1131",
      "DisplayName (Attachment)": "MS-ASAIRS_R1147",
      "EstimatedDataSize (Attachment)": "MS-ASAIRS_R1151",
      "EstimatedDataSize (Body)": "MS-ASAIRS_R1155",
      "FileReference (Attachment)": "MS-ASAIRS_R1163",
      "Method (Attachment)": "MS-ASAIRS_R1244",
      NativeBodyType: "MS-ASAIRS_R1248",
      "Preview (Body)": "MS-ASAIRS_R1262",
      "Truncated (Body)": "MS-ASAIRS_R1294",
      "Type (Body)": "MS-ASAIRS_R1306",
    },
    "14.1": {
      Attachment: "MS-ASAIRS_R1050",
      Attachments: "MS-ASAIRS_R1055",
      Body: "MS-ASAIRS_R1059",
      "Data (Body)": "MS-ASAIRS_R1132",
      "DisplayName (Attachment)": "MS-ASAIRS_R1148",
      "EstimatedDataSize (Attachment)": "MS-ASAIRS_R1152",
      "EstimatedDataSize (Body)": "MS-ASAIRS_R1156",
      "FileReference (Attachment)": "MS-ASAIRS_R1164",
      "Method (Attachment)": "MS-ASAIRS_R1245",
      NativeBodyType: "MS-ASAIRS_R1249",
      "Preview (Body)": "MS-ASAIRS_R1263",
      "Truncated (Body)": "MS-ASAIRS_R1295",
      "Type (Body)": "MS-ASAIRS_R1307",
    },
    "16.0": {
      Attachment: "MS-ASAIRS_R1051",
      Attachments: "MS-ASAIRS_R1056",
      Body: "MS-ASAIRS_R1060",
      "Data (Body)": "MS-ASAIRS_R1133",
      "DisplayName (Attachment)": "MS-ASAIRS_R1149",
      "EstimatedDataSize (Attachment)": "MS-ASAIRS_R1153",
      "EstimatedDataSize (Body)": "MS-ASAIRS_R1157",
      "FileReference (Attachment)": "MS-ASAIRS_R1165",
      "Method (Attachment)": "MS-ASAIRS_R1246",
      NativeBodyType: "MS-ASAIRS_R1250",
      "Preview (Body)": "MS-ASAIRS_R1264",
      "Truncated (Body)": "MS-ASAIRS_R1296",
      "Type (Body)": "MS-ASAIRS_R1308",
    },
    "16.1": {
      Attachment: "MS-ASAIRS_R1000949",
      Attachments: "MS-ASAIRS_R1000951",
      Body: "MS-ASAIRS_R1000953",
      "Data (Body)": "MS-ASAIRS_R1000981",
      "DisplayName (Attachment)": "MS-ASAIRS_R100089",
      "EstimatedDataSize (Attachment)": "MS-ASAIRS_R1000993",
      "EstimatedDataSize (Body)": "MS-ASAIRS_R1000995",
      "FileReference (Attachment)": "MS-ASAIRS_R1000999",
      "Method (Attachment)": "MS-ASAIRS_R1001025",
      NativeBodyType: "MS-ASAIRS_R1001028",
      "Preview (Body)": "MS-ASAIRS_R1001039",
      "Truncated (Body)": "MS-ASAIRS_R1001059",
      "Type (Body)": "MS-ASAIRS_R1001070",
    },
  };
  const find: Record<string, (d: WbxmlElement) => WbxmlElement | undefined> = {
    Body: (d) => child(d, "Body"),
    "Type (Body)": (d) => child(child(d, "Body"), "Type"),
    "EstimatedDataSize (Body)": (d) => child(child(d, "Body"), "EstimatedDataSize"),
    "Truncated (Body)": (d) => child(child(d, "Body"), "Truncated"),
    "Data (Body)": (d) => child(child(d, "Body"), "Data"),
    "Preview (Body)": (d) => child(child(d, "Body"), "Preview"),
    Attachments: (d) => child(d, "Attachments"),
    Attachment: (d) => child(child(d, "Attachments"), "Attachment"),
    "DisplayName (Attachment)": (d) => child(child(child(d, "Attachments"), "Attachment"), "DisplayName"),
    "EstimatedDataSize (Attachment)": (d) => child(child(child(d, "Attachments"), "Attachment"), "EstimatedDataSize"),
    "FileReference (Attachment)": (d) => child(child(child(d, "Attachments"), "Attachment"), "FileReference"),
    "Method (Attachment)": (d) => child(child(child(d, "Attachments"), "Attachment"), "Method"),
    NativeBodyType: (d) => child(d, "NativeBodyType"),
  };
  for (const [version, rows] of Object.entries(SUPPORT_ROWS)) {
    it(`${version}: a truncated HTML body with its preview and an attachment carry ${Object.keys(rows).join(", ")}`, async () => {
      const items = await syncAll(mailOptions(bodyPref(2, 20, [el("AirSyncBase", "Preview", 10)])), version);
      const html = items.get("Html")!;
      for (const name of Object.keys(rows)) expect(find[name](html), `${name} (${rows[name]})`).toBeDefined();
      // Preview is a 14.0+ element: 12.1 does not get it.
      if (version === "12.1") expect(find["Preview (Body)"](html)).toBeUndefined();
    });
  }
});
