// Query parsing, both forms ([MS-ASHTTP] 2.2.1.1.1).
import { describe, expect, it } from "vitest";
import { HttpProblem } from "../../src/http/http-problem";
import { parseEasQuery } from "../../src/http/query";
import { deviceIdFromBytes } from "../../src/http/query-base64";
import { ascii, b64 } from "./helpers/eas-client";

function rejects(q: string): HttpProblem {
  try {
    parseEasQuery(q);
  } catch (e) {
    expect(e).toBeInstanceOf(HttpProblem);
    expect((e as HttpProblem).status).toBe(400);
    return e as HttpProblem;
  }
  throw new Error(`accepted: ${q}`);
}

describe("base64-encoded query (MS-ASHTTP 2.2.1.1.1.1)", () => {
  it("MS-ASHTTP_R18, MS-ASHTTP_R16: the spec vector is Sync 14.0 from v140Device, the same device as the plain example", () => {
    const q = parseEasQuery("jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l");
    expect(q).toEqual({
      form: "base64",
      cmd: "Sync",
      user: undefined,
      deviceId: "v140Device",
      deviceType: "SmartPhone",
      protocolVersion: "14.0",
      policyKey: undefined,
      locale: 0x0409,
      acceptMultiPart: false,
      params: {},
    });
    const plain = parseEasQuery("Cmd=Sync&User=rmjones&DeviceId=v140Device&DeviceType=SmartPhone");
    expect(plain.deviceId).toBe(q.deviceId);
  });

  it("Horde vector: 12.1 Provision with a binary GUID device id (hex) and a little-endian policy key", () => {
    const q = parseEasQuery("eRQJBBCuTs0Z9ZK6Vldwb/dM8JusBHx8TOgDUFBD");
    expect(q).toMatchObject({
      cmd: "Provision",
      protocolVersion: "12.1",
      locale: 1033,
      deviceId: "ae4ecd19f592ba5657706ff74cf09bac",
      policyKey: "3897326716",
      deviceType: "PPC",
    });
  });

  it("Horde vector: 12.1 SmartForward with ItemId, CollectionId and Options SaveInSent (MS-ASHTTP_R92, MS-ASHTTP_R524)", () => {
    const q = parseEasQuery("eQIJBBCuTs0Z9ZK6Vldwb/dM8JusBHVeHIQDUFBDBwEBAwYxMTkyODEBBUlOQk9Y");
    expect(q).toMatchObject({
      cmd: "SmartForward",
      policyKey: "2216451701",
      acceptMultiPart: false,
      params: { ItemId: "119281", CollectionId: "INBOX", SaveInSent: "T" },
    });
  });

  it("Horde vector: 16.0 Settings from Nine, a printable 16-byte device id kept as text, padded base64", () => {
    const q = parseEasQuery("oBEJBBBOaW5lMkVDN0VDMEJCNTREBAGJpmIHQW5kcm9pZAcBAA==");
    expect(q).toMatchObject({
      cmd: "Settings",
      protocolVersion: "16.0",
      deviceId: "Nine2EC7EC0BB54D",
      policyKey: "1655081217",
      deviceType: "Android",
      acceptMultiPart: false,
      params: { SaveInSent: "F" },
    });
  });

  it("MS-ASHTTP_R94, MS-ASHTTP_R95: the AcceptMultiPart bit of Options; User, AttachmentName, LongId and Occurrence tags", () => {
    const bytes = [
      161,
      19,
      0x09,
      0x04,
      4,
      ...ascii("dev1"),
      0,
      3,
      ...ascii("iOS"),
      7,
      1,
      0x02,
      8,
      5,
      ...ascii("alice"),
      0,
      3,
      ...ascii("a.1"),
      4,
      2,
      ...ascii("L1"),
      6,
      2,
      ...ascii("O1"),
    ];
    expect(parseEasQuery(b64(bytes))).toMatchObject({
      cmd: "ItemOperations",
      protocolVersion: "16.1",
      user: "alice",
      acceptMultiPart: true,
      params: { SaveInSent: "F", AttachmentName: "a.1", LongId: "L1", Occurrence: "O1" },
    });
  });

  it("accepts the URL-safe alphabet and percent-encoded padding", () => {
    const std = b64([141, 9, 9, 4, 3, 0xfb, 0xfb, 0xff, 0, 1, ...ascii("X")]);
    expect(std).toBe("jQkJBAP7+/8AAVg=");
    const expected = { cmd: "FolderSync", deviceId: "fbfbff", protocolVersion: "14.1", deviceType: "X" };
    expect(parseEasQuery(std)).toMatchObject(expected);
    expect(parseEasQuery(std.replace(/\+/g, "-").replace(/\//g, "_").replace(/=$/, ""))).toMatchObject(expected);
    expect(parseEasQuery(encodeURIComponent(std))).toMatchObject(expected);
  });

  it("skips unknown parameter tags by their length", () => {
    expect(parseEasQuery(b64([141, 9, 9, 4, 1, ...ascii("d"), 0, 1, ...ascii("X"), 5, 2, 0x41, 0x42, 1, 1, ...ascii("7")])).params).toEqual(
      {
        CollectionId: "7",
      },
    );
  });

  it("MS-ASHTTP_R188: malformed base64 queries are 400", () => {
    rejects("jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25"); // truncated device type
    rejects(b64([140, 0, 9])); // truncated locale
    rejects(b64([140, 0, 9, 4, 0, 0, 1, ...ascii("X")])); // device id length 0 (R32)
    rejects(b64([140, 0, 9, 4, 5, ...ascii("ab")])); // device id shorter than its length
    rejects(b64([140, 0, 9, 4, 1, ...ascii("d"), 3, 1, 2, 3, 1, ...ascii("X")])); // policy key length 3 (R38)
    rejects(b64([140, 0, 9, 4, 1, ...ascii("d"), 4, 1, 2])); // truncated policy key
    rejects(b64([140, 0, 9, 4, 1, ...ascii("d"), 0, 0])); // empty device type
    rejects(b64([140, 0, 9, 4, 1, ...ascii("d"), 0, 1, ...ascii("X"), 1, 9, ...ascii("ab")])); // truncated parameter
    rejects(b64([140, 0, 9, 4, 1, ...ascii("d"), 0, 1, ...ascii("X"), 7, 0])); // empty Options
    rejects(b64([140, 0, 9, 4, 1, ...ascii("d"), 0, 1, ...ascii("X"), 1, 1])); // tag and length without value
    rejects(b64([140, 0, 9, 4, 1, ...ascii("d"), 0, 1, ...ascii("X"), 3, 2, 0xc3, 0x28])); // ItemId not UTF-8
    rejects("a"); // not base64 (length 1 mod 4)
  });

  it("MS-ASHTTP_R24, MS-ASHTTP_R26: unknown version bytes and command codes are 400 (12.0 and 2.5 must use the plain form)", () => {
    for (const version of [25, 120, 142, 0, 255]) expect(rejects(b64([version, 0, 9, 4, 1, 0x41, 0, 1, 0x41])).message).toMatch(/version/);
    for (const code of [5, 8, 24, 200]) expect(rejects(b64([141, code, 9, 4, 1, 0x41, 0, 1, 0x41])).message).toMatch(/command code/);
  });

  it("device id string form: letters and digits up to 32 bytes as text, binary up to 16 bytes as hex, longer is 400", () => {
    expect(deviceIdFromBytes(new Uint8Array(ascii("A".repeat(32))))).toBe("A".repeat(32));
    expect(deviceIdFromBytes(new Uint8Array(16).fill(0xab))).toBe("ab".repeat(16));
    expect(deviceIdFromBytes(new Uint8Array(ascii("dev-1")))).toBe("6465762d31");
    expect(() => deviceIdFromBytes(new Uint8Array(ascii("A".repeat(33))))).toThrow(HttpProblem);
    expect(() => deviceIdFromBytes(new Uint8Array(17).fill(1))).toThrow(HttpProblem);
    rejects(b64([141, 0, 9, 4, 17, ...new Array(17).fill(1), 0, 1, 0x41]));
  });
});

describe("plain text query (MS-ASHTTP 2.2.1.1.1.2)", () => {
  it("MS-ASHTTP_R98: Cmd, User, DeviceId, DeviceType and the command parameters", () => {
    const q = parseEasQuery(
      "Cmd=SmartReply&User=alice%40example.test&DeviceId=ApplF17X&DeviceType=iPhone&ItemId=5%3A12&CollectionId=5&SaveInSent=T&LongId=L&Occurrence=O&AttachmentName=x%2Fy&Unknown=1",
    );
    expect(q).toEqual({
      form: "plain",
      cmd: "SmartReply",
      user: "alice@example.test",
      deviceId: "ApplF17X",
      deviceType: "iPhone",
      params: { ItemId: "5:12", CollectionId: "5", SaveInSent: "T", LongId: "L", Occurrence: "O", AttachmentName: "x/y" },
    });
  });

  it("MS-ASHTTP_R121, MS-ASHTTP_R122: SaveInSent is T or F", () => {
    expect(parseEasQuery("Cmd=SendMail&DeviceId=d&DeviceType=t&SaveInSent=f").params.SaveInSent).toBe("F");
    rejects("Cmd=SendMail&DeviceId=d&DeviceType=t&SaveInSent=yes");
  });

  it("MS-ASHTTP_R188: missing or malformed Cmd, DeviceId, DeviceType are 400", () => {
    expect(rejects("").message).toMatch(/query/);
    expect(rejects("User=a&DeviceId=d&DeviceType=t").message).toMatch(/Cmd/);
    expect(rejects("Cmd=Sync&DeviceType=t").message).toMatch(/DeviceId/);
    expect(rejects("Cmd=Sync&DeviceId=d").message).toMatch(/DeviceType/);
    rejects("Cmd=Sync&DeviceId=&DeviceType=t");
    rejects(`Cmd=Sync&DeviceId=${"a".repeat(33)}&DeviceType=t`);
    rejects("Cmd=Sync&DeviceId=a%2Cb&DeviceType=t"); // MS-ASHTTP_R102: no commas or special characters
    rejects("Cmd=Sync%20All&DeviceId=d&DeviceType=t");
    rejects("Cmd=Sync&DeviceId=d&DeviceType=a%20b");
    rejects("Cmd=Sync&DeviceId=d&DeviceType=t&ItemId=a%0Ab");
  });
});
