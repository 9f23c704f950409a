// [MS-ASPROV] 2.2.2 the Provision response and its EASProvisionDoc, element by element: where each element sits,
// that the settings are leaves, and that each value has the type the spec gives it. The table below is the
// spec's own rows ("[In X] The X element is an optional child element of type T of the EASProvisionDoc
// element" and "[In X] The X element cannot have child elements"), with their requirement ids.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../../src/service/directory";
import { child, childrenNamed, childText, type WbxmlElement } from "../../src/wbxml/index";
import { Phone } from "./helpers/onboard-phone";

const USER = "provdoc@example.test";
const PW = "provdoc pw";

// element: [type, id of the "child element of type" row, id of the "cannot have child elements" row]
const SETTINGS: Record<string, [string, string, string]> = {
  AllowBluetooth: ["unsignedByte", "MS-ASPROV_R70", "MS-ASPROV_R71"],
  AllowBrowser: ["boolean", "MS-ASPROV_R80", "MS-ASPROV_R81"],
  AllowCamera: ["boolean", "MS-ASPROV_R85", "MS-ASPROV_R86"],
  AllowConsumerEmail: ["boolean", "MS-ASPROV_R92", "MS-ASPROV_R93"],
  AllowDesktopSync: ["boolean", "MS-ASPROV_R97", "MS-ASPROV_R98"],
  AllowHTMLEmail: ["boolean", "MS-ASPROV_R104", "MS-ASPROV_R105"],
  AllowInternetSharing: ["boolean", "MS-ASPROV_R109", "MS-ASPROV_R110"],
  AllowIrDA: ["boolean", "MS-ASPROV_R116", "MS-ASPROV_R117"],
  AllowPOPIMAPEmail: ["boolean", "MS-ASPROV_R123", "MS-ASPROV_R124"],
  AllowRemoteDesktop: ["boolean", "MS-ASPROV_R128", "MS-ASPROV_R129"],
  AllowSMIMEEncryptionAlgorithmNegotiation: ["integer", "MS-ASPROV_R143", "MS-ASPROV_R144"],
  AllowSMIMESoftCerts: ["boolean", "MS-ASPROV_R149", "MS-ASPROV_R150"],
  AllowSimpleDevicePassword: ["boolean", "MS-ASPROV_R135", "MS-ASPROV_R137"],
  AllowStorageCard: ["boolean", "MS-ASPROV_R154", "MS-ASPROV_R155"],
  AllowTextMessaging: ["boolean", "MS-ASPROV_R160", "MS-ASPROV_R161"],
  AllowUnsignedApplications: ["boolean", "MS-ASPROV_R166", "MS-ASPROV_R167"],
  AllowUnsignedInstallationPackages: ["boolean", "MS-ASPROV_R171", "MS-ASPROV_R172"],
  AllowWiFi: ["boolean", "MS-ASPROV_R176", "MS-ASPROV_R177"], // the rows spell it AllowWifi; code page 14 and the XSD AllowWiFi
  AlphanumericDevicePasswordRequired: ["boolean", "MS-ASPROV_R182", "MS-ASPROV_R183"],
  AttachmentsEnabled: ["boolean", "MS-ASPROV_R203", "MS-ASPROV_R204"],
  DevicePasswordEnabled: ["boolean", "MS-ASPROV_R211", "MS-ASPROV_R212"],
  DevicePasswordExpiration: ["unsignedIntOrEmpty", "MS-ASPROV_R216", "MS-ASPROV_R218"],
  DevicePasswordHistory: ["unsignedInt", "MS-ASPROV_R224", "MS-ASPROV_R225"],
  MaxAttachmentSize: ["unsignedIntOrEmpty", "MS-ASPROV_R240", "MS-ASPROV_R242"],
  MaxCalendarAgeFilter: ["unsignedInt", "MS-ASPROV_R243", "MS-ASPROV_R244"],
  MaxDevicePasswordFailedAttempts: ["unsignedByteOrEmpty", "MS-ASPROV_R251", "MS-ASPROV_R252"],
  MaxEmailAgeFilter: ["unsignedInt", "MS-ASPROV_R255", "MS-ASPROV_R256"],
  MaxInactivityTimeDeviceLock: ["unsignedIntOrEmpty", "MS-ASPROV_R276", "MS-ASPROV_R277"],
  MinDevicePasswordComplexCharacters: ["unsignedByte", "MS-ASPROV_R280", "MS-ASPROV_R281"],
  MinDevicePasswordLength: ["unsignedByteOrEmpty", "MS-ASPROV_R286", "MS-ASPROV_R287"],
  PasswordRecoveryEnabled: ["boolean", "MS-ASPROV_R291", "MS-ASPROV_R292"],
  RequireDeviceEncryption: ["boolean", "MS-ASPROV_R326", "MS-ASPROV_R327"],
  RequireEncryptedSMIMEMessages: ["boolean", "MS-ASPROV_R331", "MS-ASPROV_R332"],
  RequireEncryptionSMIMEAlgorithm: ["integer", "MS-ASPROV_R336", "MS-ASPROV_R337"],
  RequireManualSyncWhenRoaming: ["boolean", "MS-ASPROV_R344", "MS-ASPROV_R345"],
  RequireSignedSMIMEAlgorithm: ["integer", "MS-ASPROV_R349", "MS-ASPROV_R350"],
  RequireSignedSMIMEMessages: ["boolean", "MS-ASPROV_R354", "MS-ASPROV_R355"],
  RequireStorageCardEncryption: ["boolean", "MS-ASPROV_R359", "MS-ASPROV_R360"],
};

const TYPE_PATTERNS: Record<string, (v: string) => boolean> = {
  boolean: (v) => v === "0" || v === "1",
  unsignedByte: (v) => /^\d{1,3}$/.test(v) && Number(v) <= 255,
  unsignedByteOrEmpty: (v) => v === "" || (/^\d{1,3}$/.test(v) && Number(v) <= 255),
  unsignedInt: (v) => /^\d{1,10}$/.test(v) && Number(v) <= 2 ** 32 - 1,
  unsignedIntOrEmpty: (v) => v === "" || (/^\d{1,10}$/.test(v) && Number(v) <= 2 ** 32 - 1),
  integer: (v) => /^-?\d+$/.test(v),
};

const elements = (e: WbxmlElement) => e.children.filter((c): c is WbxmlElement => typeof c === "object" && !(c instanceof Uint8Array));
const names = (e: WbxmlElement) => elements(e).map((c) => c.name);

let initial: WbxmlElement;
let ack: WbxmlElement;
let temp: string;
let final: string;

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
  const phone = new Phone({ user: USER, password: PW, deviceId: "provdoc161", version: "16.1" });
  const r = await phone.provision();
  initial = r.initial.body!;
  ack = r.ack.body!;
  temp = r.temp;
  final = r.final;
});

describe("Provision response to the initial request", () => {
  it(
    "MS-ASPROV_R759 MS-ASPROV_R393 MS-ASPROV_R394 MS-ASPROV_R304 MS-ASPROV_R308 MS-ASPROV_R313 MS-ASPROV_R370 MS-ASPROV_R417: " +
      "Provision holds Status 1 and Policies/Policy with PolicyType, Status, PolicyKey and Data",
    () => {
      expect([initial.ns, initial.name]).toEqual(["Provision", "Provision"]);
      expect(names(initial)).toEqual(["Status", "Policies"]);
      expect(childText(initial, "Status")).toBe("1");
      const policies = child(initial, "Policies")!;
      expect(names(policies)).toEqual(["Policy"]);
      const policy = child(policies, "Policy")!;
      expect(names(policy)).toEqual(["PolicyType", "Status", "PolicyKey", "Data"]);
      // MS-ASPROV_R377 MS-ASPROV_R378 MS-ASPROV_R441 MS-ASPROV_R466 MS-ASPROV_R495 MS-ASPROV_R703 MS-ASPROV_R678 MS-ASPROV_R688: Policy Status 1, the policy is included.
      expect(childText(policy, "Status")).toBe("1");
      // MS-ASPROV_R317 MS-ASPROV_R318 MS-ASPROV_R966 MS-ASPROV_R971: PolicyType, a string, MS-EAS-Provisioning-WBXML for 16.1.
      expect(childText(policy, "PolicyType")).toBe("MS-EAS-Provisioning-WBXML");
      // MS-ASPROV_R486: the server generates and sends the policy key.
      expect(childText(policy, "PolicyKey")).toBe(temp);
      // MS-ASPROV_R208 MS-ASPROV_R232 MS-ASPROV_R233 MS-ASPROV_R234: Data is a container of one EASProvisionDoc.
      const data = child(policy, "Data")!;
      expect(names(data)).toEqual(["EASProvisionDoc"]);
    },
  );

  it("MS-ASPROV_R235: EASProvisionDoc has only the settings the spec lists; each is a leaf of its type (ids in SETTINGS)", () => {
    const doc = child(child(child(child(initial, "Policies"), "Policy"), "Data"), "EASProvisionDoc")!;
    const allowed = new Set([...Object.keys(SETTINGS), "ApprovedApplicationList", "MaxEmailBodyTruncationSize", "MaxEmailHTMLBodyTruncationSize", "UnapprovedInROMApplicationList"]);
    for (const n of names(doc)) expect(allowed.has(n), n).toBe(true);
    for (const [name, [type]] of Object.entries(SETTINGS)) {
      const found = childrenNamed(doc, name, "Provision");
      expect(found, name).toHaveLength(1);
      expect(elements(found[0]), `${name} has no child element`).toEqual([]);
      const value = childText(doc, name, "Provision") ?? "";
      expect(TYPE_PATTERNS[type](value), `${name} = "${value}" is ${type}`).toBe(true);
    }
  });
});

describe("Provision response to the acknowledgement", () => {
  it("MS-ASPROV_R419: the acknowledgement is answered with PolicyType, Status and the final PolicyKey, no Data", () => {
    expect(names(ack)).toEqual(["Status", "Policies"]);
    const policy = child(child(ack, "Policies"), "Policy")!;
    expect(names(policy)).toEqual(["PolicyType", "Status", "PolicyKey"]);
    expect(childText(policy, "Status")).toBe("1");
    expect(childText(policy, "PolicyKey")).toBe(final);
    expect(final).not.toBe(temp);
  });
});

describe("every protocol version served", () => {
  const SUPPORT_ROWS: Record<string, string> = {
    "12.1": "MS-ASCMD_R6077 MS-ASCMD_R6100",
    "14.0": "MS-ASCMD_R6078 MS-ASCMD_R6101",
    "14.1": "MS-ASCMD_R6079 MS-ASCMD_R6102",
    "16.0": "MS-ASCMD_R6080 MS-ASCMD_R6080100601 MS-ASCMD_R6103",
    "16.1": "MS-ASCMD_R6080102301 MS-ASCMD_R6103100601",
  };
  for (const [version, ids] of Object.entries(SUPPORT_ROWS)) {
    it(`${version} supports Provision (initial request and acknowledgement) and Settings (${ids})`, async () => {
      const phone = new Phone({ user: USER, password: PW, deviceId: `provv${version.replace(".", "")}`, version });
      const { initial: first, ack: second, final: key } = await phone.provision();
      const policy = child(child(first.body!, "Policies"), "Policy")!;
      expect([childText(first.body!, "Status"), childText(policy, "Status"), childText(policy, "PolicyType")]).toEqual(["1", "1", "MS-EAS-Provisioning-WBXML"]);
      expect(child(child(policy, "Data"), "EASProvisionDoc")).toBeDefined();
      expect(childText(child(child(second.body!, "Policies"), "Policy"), "PolicyKey")).toBe(key);
      const settings = await phone.send("Settings", `<Settings xmlns="Settings"><UserInformation><Get/></UserInformation></Settings>`, { policyKey: key });
      expect([settings.status, childText(settings.body!, "Status"), childText(child(settings.body!, "UserInformation"), "Status")]).toEqual([200, "1", "1"]);
    });
  }
});
