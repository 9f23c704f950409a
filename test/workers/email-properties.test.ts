// [MS-ASEMAIL] 2.2.2 message properties as a device receives them in Sync: values and formats of each element,
// flags set by one device as another sees them, and a bad flag status from a device.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../../src/service/directory";
import { child, childrenNamed, childText, el, type WbxmlElement } from "../../src/wbxml/index";
import { TestPhone, bodyPref, collectionOf, mailOptions, syncKeyOf } from "./helpers/phone";

const USER = "props@example.test";
const PW = "props-secret";
const INBOX = "1";

const RAW =
  `From: "Alice Example" <alice@example.test>\r\nTo: Bob <bob@example.test>, carol@example.test\r\n` +
  `Cc: Dan <dan@example.test>, erin@example.test\r\nReply-To: replies@example.test, Frank <frank@example.test>\r\n` +
  `Subject: Properties\r\nImportance: high\r\nDate: Tue, 03 Mar 2026 10:20:30 +0000\r\n` +
  `Message-ID: <props-1@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n`;

const elements = (e: WbxmlElement) => e.children.filter((c): c is WbxmlElement => typeof c === "object" && !(c instanceof Uint8Array));

function leaf(e: WbxmlElement, name: string, ns = "Email"): string {
  const found = childrenNamed(e, name, ns);
  expect(found, `${e.name}/${name}`).toHaveLength(1);
  expect(elements(found[0])).toEqual([]);
  return childText(e, name, ns) ?? "";
}

async function firstSync(
  deviceId: string,
  version = "16.1",
): Promise<{ phone: TestPhone; key: string; item: WbxmlElement; serverId: string }> {
  const phone = new TestPhone(USER, PW, deviceId, version);
  const options = mailOptions(bodyPref(1));
  const key0 = syncKeyOf(await phone.sync(INBOX, "0", { options }));
  const r = await phone.sync(INBOX, key0, { options });
  const add = child(child(collectionOf(r), "Commands"), "Add")!;
  return { phone, key: syncKeyOf(r), item: child(add, "ApplicationData")!, serverId: childText(add, "ServerId")! };
}

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
  await env.MAILBOX.getByName(USER).deliver(new TextEncoder().encode(RAW));
});

describe("message properties", () => {
  it("MS-ASEMAIL_R786 MS-ASEMAIL_R787 MS-ASEMAIL_R788 MS-ASEMAIL_R329 MS-ASEMAIL_R330 MS-ASEMAIL_R331: To and Cc list every address, comma-separated", async () => {
    const { item } = await firstSync("PROPS1");
    expect(
      leaf(item, "To")
        .split(", ")
        .map((a) => a.match(/[\w.]+@[\w.]+/)![0]),
    ).toEqual(["bob@example.test", "carol@example.test"]);
    expect(
      leaf(item, "Cc")
        .split(", ")
        .map((a) => a.match(/[\w.]+@[\w.]+/)![0]),
    ).toEqual(["dan@example.test", "erin@example.test"]);
    // MS-ASEMAIL_R476: From, a string.
    expect(leaf(item, "From")).toContain("alice@example.test");
    // MS-ASEMAIL_R398 MS-ASEMAIL_R399 MS-ASEMAIL_R400: DisplayTo, display names separated by semi-colons.
    expect(leaf(item, "DisplayTo")).toBe("Bob; carol@example.test");
  });

  it("MS-ASEMAIL_R709 MS-ASEMAIL_R710 MS-ASEMAIL_R711: ReplyTo lists every address, separated by semi-colons", async () => {
    const { item } = await firstSync("PROPS2");
    const replyTo = leaf(item, "ReplyTo");
    expect(replyTo.split("; ").map((a) => a.match(/[\w.]+@[\w.]+/)![0])).toEqual(["replies@example.test", "frank@example.test"]);
    expect(replyTo).not.toContain(",");
  });

  it(
    "MS-ASEMAIL_R364 MS-ASEMAIL_R482 MS-ASEMAIL_R483 MS-ASEMAIL_R641 MS-ASEMAIL_R642 MS-ASEMAIL_R584 MS-ASEMAIL_R587 MS-ASEMAIL_R589 " +
      "MS-ASEMAIL_R341 MS-ASEMAIL_R342 MS-ASEMAIL_R780 MS-ASEMAIL_R1416: DateReceived, Importance, Read, MessageClass, ContentClass, ThreadTopic, Subject",
    async () => {
      const { item } = await firstSync("PROPS3");
      expect(leaf(item, "DateReceived")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(leaf(item, "Importance")).toBe("2"); // Importance: high
      expect(leaf(item, "Read")).toBe("0"); // not viewed yet
      expect(leaf(item, "MessageClass")).toBe("IPM.Note");
      expect(leaf(item, "ContentClass")).toBe("urn:content-classes:message");
      expect(leaf(item, "ThreadTopic")).toBe("Properties");
      expect(leaf(item, "Subject")).toBe("Properties");
    },
  );

  it(
    "MS-ASEMAIL_R434 MS-ASEMAIL_R1069 MS-ASEMAIL_R436 MS-ASEMAIL_R469 MS-ASEMAIL_R472 MS-ASEMAIL_R752 MS-ASEMAIL_R753 MS-ASEMAIL_R758: " +
      "a flag set on one device reaches another as one Flag holding one Status (2) and one FlagType",
    async () => {
      const a = await firstSync("PROPS4");
      const b = await firstSync("PROPS5");
      expect(elements(child(b.item, "Flag")!)).toEqual([]); // not flagged: an empty Flag
      const set = await a.phone.sync(INBOX, a.key, {
        commands: [
          el(
            "AirSync",
            "Change",
            el("AirSync", "ServerId", a.serverId),
            el(
              "AirSync",
              "ApplicationData",
              el("Email", "Flag", el("Email", "Status", "2"), el("Email", "FlagType", "Flag for follow up")),
            ),
          ),
        ],
      });
      expect(childText(collectionOf(set), "Status")).toBe("1");
      const r = await b.phone.sync(INBOX, b.key);
      const change = child(child(collectionOf(r), "Commands"), "Change")!;
      const flags = childrenNamed(child(change, "ApplicationData")!, "Flag");
      expect(flags).toHaveLength(1);
      expect(leaf(flags[0], "Status")).toBe("2");
      expect(leaf(flags[0], "FlagType")).toBe("Flag for follow up");
    },
  );

  it("MS-ASEMAIL_R757: a flag Status other than 0, 1 or 2 from the device is answered with Sync Status 6", async () => {
    const a = await firstSync("PROPS6");
    const r = await a.phone.sync(INBOX, a.key, {
      commands: [
        el(
          "AirSync",
          "Change",
          el("AirSync", "ServerId", a.serverId),
          el("AirSync", "ApplicationData", el("Email", "Flag", el("Email", "Status", "7"))),
        ),
      ],
    });
    const c = collectionOf(r);
    const status = childText(child(child(c, "Responses"), "Change"), "Status") ?? childText(c, "Status");
    expect(status).toBe("6");
  });
});

describe("[MS-ASDTYPE] data types on the wire", () => {
  // The decoder turns STR_I into a string child and OPAQUE into a Uint8Array child; it refuses string tables
  // (STR_T), so a string child is an inline string on the wire.
  const inlineText = (e: WbxmlElement, name: string, ns = "Email"): string => {
    const found = childrenNamed(e, name, ns)[0];
    expect(found.children, `${ns}:${name}`).toHaveLength(1);
    expect(typeof found.children[0], `${ns}:${name} is an inline string`).toBe("string");
    return found.children[0] as string;
  };

  it(
    "MS-ASDTYPE_R5 MS-ASDTYPE_R7 MS-ASDTYPE_R15 MS-ASDTYPE_R16 MS-ASDTYPE_R20 MS-ASDTYPE_R87 MS-ASDTYPE_R91 MS-ASDTYPE_R123: " +
      "boolean 0/1, dateTime YYYY-MM-DDTHH:MM:SS.MSSZ in UTC, integer, string and unsignedByte values travel as inline strings",
    async () => {
      const { item } = await firstSync("PROPS7");
      expect(inlineText(item, "Read")).toMatch(/^[01]$/); // boolean
      const received = inlineText(item, "DateReceived"); // dateTime
      expect(received).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Math.abs(Date.parse(received) - Date.now())).toBeLessThan(10 * 60_000); // received just now, given in UTC
      expect(inlineText(child(item, "Body", "AirSyncBase")!, "EstimatedDataSize", "AirSyncBase")).toMatch(/^\d+$/); // integer
      expect(inlineText(item, "Subject")).toBe("Properties"); // string
      const importance = Number(inlineText(item, "Importance")); // unsignedByte
      expect(importance).toBeGreaterThanOrEqual(0);
      expect(importance).toBeLessThanOrEqual(255);
    },
  );
});

describe("the message properties in every protocol version served", () => {
  // "[In X] Protocol version V supports this [X] element", by version and element.
  const SUPPORT_ROWS: Record<string, Record<string, string>> = {
    "12.1": {
      Cc: "MS-ASEMAIL_R1167",
      ContentClass: "MS-ASEMAIL_R1175",
      DateReceived: "MS-ASEMAIL_R1195",
      DisplayTo: "MS-ASEMAIL_R1217",
      Flag: "MS-ASEMAIL_R1237",
      From: "MS-ASEMAIL_R1245",
      Importance: "MS-ASEMAIL_R1254",
      InternetCPID: "MS-ASEMAIL_R1263",
      MessageClass: "MS-ASEMAIL_R1314",
      Read: "MS-ASEMAIL_R1338",
      ReplyTo: "MS-ASEMAIL_R1372",
      ThreadTopic: "MS-ASEMAIL_R1430",
      To: "MS-ASEMAIL_R1438",
    },
    "14.0": {
      Cc: "MS-ASEMAIL_R1168",
      ContentClass: "MS-ASEMAIL_R1176",
      DateReceived: "MS-ASEMAIL_R1196",
      DisplayTo: "MS-ASEMAIL_R1218",
      Flag: "MS-ASEMAIL_R1238",
      From: "MS-ASEMAIL_R1246",
      Importance: "MS-ASEMAIL_R1255",
      InternetCPID: "MS-ASEMAIL_R1264",
      MessageClass: "MS-ASEMAIL_R1315",
      Read: "MS-ASEMAIL_R1339",
      ReplyTo: "MS-ASEMAIL_R1373",
      ThreadTopic: "MS-ASEMAIL_R1431",
      To: "MS-ASEMAIL_R1439",
    },
    "14.1": {
      Cc: "MS-ASEMAIL_R1169",
      ContentClass: "MS-ASEMAIL_R1177",
      DateReceived: "MS-ASEMAIL_R1197",
      DisplayTo: "MS-ASEMAIL_R1219",
      Flag: "MS-ASEMAIL_R1239",
      From: "MS-ASEMAIL_R1247",
      Importance: "MS-ASEMAIL_R1256",
      InternetCPID: "MS-ASEMAIL_R1265",
      MessageClass: "MS-ASEMAIL_R1316",
      Read: "MS-ASEMAIL_R1340",
      ReplyTo: "MS-ASEMAIL_R1374",
      ThreadTopic: "MS-ASEMAIL_R1432",
      To: "MS-ASEMAIL_R1440",
    },
    "16.0": {
      Cc: "MS-ASEMAIL_R1170",
      ContentClass: "MS-ASEMAIL_R1178",
      DateReceived: "MS-ASEMAIL_R1198",
      DisplayTo: "MS-ASEMAIL_R1220",
      Flag: "MS-ASEMAIL_R1240",
      From: "MS-ASEMAIL_R1248",
      Importance: "MS-ASEMAIL_R1257",
      InternetCPID: "MS-ASEMAIL_R1266",
      MessageClass: "MS-ASEMAIL_R1317",
      Read: "MS-ASEMAIL_R1341",
      ReplyTo: "MS-ASEMAIL_R1375",
      ThreadTopic: "MS-ASEMAIL_R1433",
      To: "MS-ASEMAIL_R1441",
    },
    "16.1": {
      ContentClass: "MS-ASEMAIL_R11780",
      DateReceived: "MS-ASEMAIL_R11990",
      DisplayTo: "MS-ASEMAIL_R12210",
      Flag: "MS-ASEMAIL_R12410",
      From: "MS-ASEMAIL_R12490",
      Importance: "MS-ASEMAIL_R12580",
      InternetCPID: "MS-ASEMAIL_R12670",
      MessageClass: "MS-ASEMAIL_R13170",
      Read: "MS-ASEMAIL_R13410",
      ReplyTo: "MS-ASEMAIL_R13750",
      ThreadTopic: "MS-ASEMAIL_R14330",
      To: "MS-ASEMAIL_R14410",
    },
  };
  for (const [version, rows] of Object.entries(SUPPORT_ROWS)) {
    it(`${version}: a synced message carries ${Object.keys(rows).join(", ")}`, async () => {
      const { item } = await firstSync(`PROPSV${version.replace(".", "")}`, version);
      for (const name of Object.keys(rows)) expect(childrenNamed(item, name, "Email"), `${name} (${rows[name]})`).toHaveLength(1);
    });
  }
});
