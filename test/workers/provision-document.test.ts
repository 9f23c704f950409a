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
    const allowed = new Set([
      ...Object.keys(SETTINGS),
      "ApprovedApplicationList",
      "MaxEmailBodyTruncationSize",
      "MaxEmailHTMLBodyTruncationSize",
      "UnapprovedInROMApplicationList",
    ]);
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
      expect([childText(first.body!, "Status"), childText(policy, "Status"), childText(policy, "PolicyType")]).toEqual([
        "1",
        "1",
        "MS-EAS-Provisioning-WBXML",
      ]);
      expect(child(child(policy, "Data"), "EASProvisionDoc")).toBeDefined();
      expect(childText(child(child(second.body!, "Policies"), "Policy"), "PolicyKey")).toBe(key);
      const settings = await phone.send("Settings", `<Settings xmlns="Settings"><UserInformation><Get/></UserInformation></Settings>`, {
        policyKey: key,
      });
      expect([settings.status, childText(settings.body!, "Status"), childText(child(settings.body!, "UserInformation"), "Status")]).toEqual(
        [200, "1", "1"],
      );
    });
  }
});

describe("the Provision response elements in every protocol version served", () => {
  // "[In X] Protocol version V supports this [X] element", by version and element (AllowWifi is AllowWiFi on the wire).
  const SUPPORT_ROWS: Record<string, Record<string, string>> = {
    "12.1": {
      AllowBluetooth: "MS-ASPROV_R800",
      AllowBrowser: "MS-ASPROV_R804",
      AllowCamera: "MS-ASPROV_R808",
      AllowConsumerEmail: "MS-ASPROV_R812",
      AllowDesktopSync: "MS-ASPROV_R816",
      AllowHTMLEmail: "MS-ASPROV_R820",
      AllowInternetSharing: "MS-ASPROV_R824",
      AllowIrDA: "MS-ASPROV_R828",
      AllowPOPIMAPEmail: "MS-ASPROV_R832",
      AllowRemoteDesktop: "MS-ASPROV_R836",
      AllowSMIMEEncryptionAlgorithmNegotiation: "MS-ASPROV_R844",
      AllowSMIMESoftCerts: "MS-ASPROV_R848",
      AllowSimpleDevicePassword: "MS-ASPROV_R840",
      AllowStorageCard: "MS-ASPROV_R852",
      AllowTextMessaging: "MS-ASPROV_R856",
      AllowUnsignedApplications: "MS-ASPROV_R860",
      AllowUnsignedInstallationPackages: "MS-ASPROV_R864",
      AllowWifi: "MS-ASPROV_R868",
      AlphanumericDevicePasswordRequired: "MS-ASPROV_R872",
      AttachmentsEnabled: "MS-ASPROV_R884",
      "Data (container Data Type)": "MS-ASPROV_R889",
      DevicePasswordEnabled: "MS-ASPROV_R893",
      DevicePasswordExpiration: "MS-ASPROV_R897",
      DevicePasswordHistory: "MS-ASPROV_R901",
      EASProvisionDoc: "MS-ASPROV_R905",
      MaxAttachmentSize: "MS-ASPROV_R913",
      MaxCalendarAgeFilter: "MS-ASPROV_R917",
      MaxDevicePasswordFailedAttempts: "MS-ASPROV_R921",
      MaxEmailAgeFilter: "MS-ASPROV_R925",
      MaxInactivityTimeDeviceLock: "MS-ASPROV_R937",
      MinDevicePasswordComplexCharacters: "MS-ASPROV_R941",
      MinDevicePasswordLength: "MS-ASPROV_R945",
      PasswordRecoveryEnabled: "MS-ASPROV_R949",
      Policies: "MS-ASPROV_R953",
      Policy: "MS-ASPROV_R957",
      PolicyKey: "MS-ASPROV_R961",
      PolicyType: "MS-ASPROV_R967",
      Provision: "MS-ASPROV_R972",
      RequireDeviceEncryption: "MS-ASPROV_R980",
      RequireEncryptedSMIMEMessages: "MS-ASPROV_R984",
      RequireEncryptionSMIMEAlgorithm: "MS-ASPROV_R988",
      RequireManualSyncWhenRoaming: "MS-ASPROV_R992",
      RequireSignedSMIMEAlgorithm: "MS-ASPROV_R996",
      RequireSignedSMIMEMessages: "MS-ASPROV_R1000",
      RequireStorageCardEncryption: "MS-ASPROV_R1004",
      "Status (Policy)": "MS-ASPROV_R1013",
      "Status (Provision)": "MS-ASPROV_R1017",
    },
    "14.0": {
      AllowBluetooth: "MS-ASPROV_R801",
      AllowBrowser: "MS-ASPROV_R805",
      AllowCamera: "MS-ASPROV_R809",
      AllowConsumerEmail: "MS-ASPROV_R813",
      AllowDesktopSync: "MS-ASPROV_R817",
      AllowHTMLEmail: "MS-ASPROV_R821",
      AllowInternetSharing: "MS-ASPROV_R825",
      AllowIrDA: "MS-ASPROV_R829",
      AllowPOPIMAPEmail: "MS-ASPROV_R833",
      AllowRemoteDesktop: "MS-ASPROV_R837",
      AllowSMIMEEncryptionAlgorithmNegotiation: "MS-ASPROV_R845",
      AllowSMIMESoftCerts: "MS-ASPROV_R849",
      AllowSimpleDevicePassword: "MS-ASPROV_R841",
      AllowStorageCard: "MS-ASPROV_R853",
      AllowTextMessaging: "MS-ASPROV_R857",
      AllowUnsignedApplications: "MS-ASPROV_R861",
      AllowUnsignedInstallationPackages: "MS-ASPROV_R865",
      AllowWifi: "MS-ASPROV_R869",
      AlphanumericDevicePasswordRequired: "MS-ASPROV_R873",
      AttachmentsEnabled: "MS-ASPROV_R885",
      "Data (container Data Type)": "MS-ASPROV_R890",
      DevicePasswordEnabled: "MS-ASPROV_R894",
      DevicePasswordExpiration: "MS-ASPROV_R898",
      DevicePasswordHistory: "MS-ASPROV_R902",
      EASProvisionDoc: "MS-ASPROV_R906",
      MaxAttachmentSize: "MS-ASPROV_R914",
      MaxCalendarAgeFilter: "MS-ASPROV_R918",
      MaxDevicePasswordFailedAttempts: "MS-ASPROV_R922",
      MaxEmailAgeFilter: "MS-ASPROV_R926",
      MaxInactivityTimeDeviceLock: "MS-ASPROV_R938",
      MinDevicePasswordComplexCharacters: "MS-ASPROV_R942",
      MinDevicePasswordLength: "MS-ASPROV_R946",
      PasswordRecoveryEnabled: "MS-ASPROV_R950",
      Policies: "MS-ASPROV_R954",
      Policy: "MS-ASPROV_R958",
      PolicyKey: "MS-ASPROV_R962",
      PolicyType: "MS-ASPROV_R968",
      Provision: "MS-ASPROV_R973",
      RequireDeviceEncryption: "MS-ASPROV_R981",
      RequireEncryptedSMIMEMessages: "MS-ASPROV_R985",
      RequireEncryptionSMIMEAlgorithm: "MS-ASPROV_R989",
      RequireManualSyncWhenRoaming: "MS-ASPROV_R993",
      RequireSignedSMIMEAlgorithm: "MS-ASPROV_R997",
      RequireSignedSMIMEMessages: "MS-ASPROV_R1001",
      RequireStorageCardEncryption: "MS-ASPROV_R1005",
      "Status (Policy)": "MS-ASPROV_R1014",
      "Status (Provision)": "MS-ASPROV_R1018",
    },
    "14.1": {
      AllowBluetooth: "MS-ASPROV_R802",
      AllowBrowser: "MS-ASPROV_R806",
      AllowCamera: "MS-ASPROV_R810",
      AllowConsumerEmail: "MS-ASPROV_R814",
      AllowDesktopSync: "MS-ASPROV_R818",
      AllowHTMLEmail: "MS-ASPROV_R822",
      AllowInternetSharing: "MS-ASPROV_R826",
      AllowIrDA: "MS-ASPROV_R830",
      AllowPOPIMAPEmail: "MS-ASPROV_R834",
      AllowRemoteDesktop: "MS-ASPROV_R838",
      AllowSMIMEEncryptionAlgorithmNegotiation: "MS-ASPROV_R846",
      AllowSMIMESoftCerts: "MS-ASPROV_R850",
      AllowSimpleDevicePassword: "MS-ASPROV_R842",
      AllowStorageCard: "MS-ASPROV_R854",
      AllowTextMessaging: "MS-ASPROV_R858",
      AllowUnsignedApplications: "MS-ASPROV_R862",
      AllowUnsignedInstallationPackages: "MS-ASPROV_R866",
      AllowWifi: "MS-ASPROV_R870",
      AlphanumericDevicePasswordRequired: "MS-ASPROV_R874",
      AttachmentsEnabled: "MS-ASPROV_R886",
      "Data (container Data Type)": "MS-ASPROV_R891",
      DevicePasswordEnabled: "MS-ASPROV_R895",
      DevicePasswordExpiration: "MS-ASPROV_R899",
      DevicePasswordHistory: "MS-ASPROV_R903",
      EASProvisionDoc: "MS-ASPROV_R907",
      MaxAttachmentSize: "MS-ASPROV_R915",
      MaxCalendarAgeFilter: "MS-ASPROV_R919",
      MaxDevicePasswordFailedAttempts: "MS-ASPROV_R923",
      MaxEmailAgeFilter: "MS-ASPROV_R927",
      MaxInactivityTimeDeviceLock: "MS-ASPROV_R939",
      MinDevicePasswordComplexCharacters: "MS-ASPROV_R943",
      MinDevicePasswordLength: "MS-ASPROV_R947",
      PasswordRecoveryEnabled: "MS-ASPROV_R951",
      Policies: "MS-ASPROV_R955",
      Policy: "MS-ASPROV_R959",
      PolicyKey: "MS-ASPROV_R963",
      PolicyType: "MS-ASPROV_R969",
      Provision: "MS-ASPROV_R974",
      RequireDeviceEncryption: "MS-ASPROV_R982",
      RequireEncryptedSMIMEMessages: "MS-ASPROV_R986",
      RequireEncryptionSMIMEAlgorithm: "MS-ASPROV_R990",
      RequireManualSyncWhenRoaming: "MS-ASPROV_R994",
      RequireSignedSMIMEAlgorithm: "MS-ASPROV_R998",
      RequireSignedSMIMEMessages: "MS-ASPROV_R1002",
      RequireStorageCardEncryption: "MS-ASPROV_R1006",
      "Status (Policy)": "MS-ASPROV_R1015",
      "Status (Provision)": "MS-ASPROV_R1019",
    },
    "16.0": {
      AllowBluetooth: "MS-ASPROV_R803",
      AllowBrowser: "MS-ASPROV_R807",
      AllowCamera: "MS-ASPROV_R811",
      AllowConsumerEmail: "MS-ASPROV_R815",
      AllowDesktopSync: "MS-ASPROV_R819",
      AllowHTMLEmail: "MS-ASPROV_R823",
      AllowInternetSharing: "MS-ASPROV_R827",
      AllowIrDA: "MS-ASPROV_R831",
      AllowPOPIMAPEmail: "MS-ASPROV_R835",
      AllowRemoteDesktop: "MS-ASPROV_R839",
      AllowSMIMEEncryptionAlgorithmNegotiation: "MS-ASPROV_R847",
      AllowSMIMESoftCerts: "MS-ASPROV_R851",
      AllowSimpleDevicePassword: "MS-ASPROV_R843",
      AllowStorageCard: "MS-ASPROV_R855",
      AllowTextMessaging: "MS-ASPROV_R859",
      AllowUnsignedApplications: "MS-ASPROV_R863",
      AllowUnsignedInstallationPackages: "MS-ASPROV_R867",
      AllowWifi: "MS-ASPROV_R871",
      AlphanumericDevicePasswordRequired: "MS-ASPROV_R875",
      AttachmentsEnabled: "MS-ASPROV_R887",
      "Data (container Data Type)": "MS-ASPROV_R892",
      DevicePasswordEnabled: "MS-ASPROV_R896",
      DevicePasswordExpiration: "MS-ASPROV_R900",
      DevicePasswordHistory: "MS-ASPROV_R904",
      EASProvisionDoc: "MS-ASPROV_R908",
      MaxAttachmentSize: "MS-ASPROV_R916",
      MaxCalendarAgeFilter: "MS-ASPROV_R920",
      MaxDevicePasswordFailedAttempts: "MS-ASPROV_R924",
      MaxEmailAgeFilter: "MS-ASPROV_R928",
      MaxInactivityTimeDeviceLock: "MS-ASPROV_R940",
      MinDevicePasswordComplexCharacters: "MS-ASPROV_R944",
      MinDevicePasswordLength: "MS-ASPROV_R948",
      PasswordRecoveryEnabled: "MS-ASPROV_R952",
      Policies: "MS-ASPROV_R956",
      Policy: "MS-ASPROV_R960",
      PolicyKey: "MS-ASPROV_R964",
      PolicyType: "MS-ASPROV_R970",
      Provision: "MS-ASPROV_R975",
      RequireDeviceEncryption: "MS-ASPROV_R983",
      RequireEncryptedSMIMEMessages: "MS-ASPROV_R987",
      RequireEncryptionSMIMEAlgorithm: "MS-ASPROV_R991",
      RequireManualSyncWhenRoaming: "MS-ASPROV_R995",
      RequireSignedSMIMEAlgorithm: "MS-ASPROV_R999",
      RequireSignedSMIMEMessages: "MS-ASPROV_R1003",
      RequireStorageCardEncryption: "MS-ASPROV_R1007",
      "Status (Policy)": "MS-ASPROV_R1016",
      "Status (Provision)": "MS-ASPROV_R1020",
    },
    "16.1": {
      AllowBluetooth: "MS-ASPROV_R7601",
      AllowBrowser: "MS-ASPROV_R8401",
      AllowCamera: "MS-ASPROV_R9001",
      AllowConsumerEmail: "MS-ASPROV_R9601",
      AllowDesktopSync: "MS-ASPROV_R10201",
      AllowHTMLEmail: "MS-ASPROV_R10801",
      AllowInternetSharing: "MS-ASPROV_R11401",
      AllowIrDA: "MS-ASPROV_R12101",
      AllowPOPIMAPEmail: "MS-ASPROV_R12701",
      AllowRemoteDesktop: "MS-ASPROV_R13301",
      AllowSMIMEEncryptionAlgorithmNegotiation: "MS-ASPROV_R14801",
      AllowSMIMESoftCerts: "MS-ASPROV_R15301",
      AllowSimpleDevicePassword: "MS-ASPROV_R14201",
      AllowStorageCard: "MS-ASPROV_R15901",
      AllowTextMessaging: "MS-ASPROV_R16501",
      AllowUnsignedApplications: "MS-ASPROV_R17001",
      AllowUnsignedInstallationPackages: "MS-ASPROV_R17501",
      AllowWifi: "MS-ASPROV_R18101",
      AlphanumericDevicePasswordRequired: "MS-ASPROV_R18801",
      AttachmentsEnabled: "MS-ASPROV_R20701",
      "Data (container Data Type)": "MS-ASPROV_R21001",
      DevicePasswordEnabled: "MS-ASPROV_R21501",
      DevicePasswordExpiration: "MS-ASPROV_R22301",
      DevicePasswordHistory: "MS-ASPROV_R23101",
      EASProvisionDoc: "MS-ASPROV_R23501",
      MaxAttachmentSize: "MS-ASPROV_R24201",
      MaxCalendarAgeFilter: "MS-ASPROV_R25001",
      MaxDevicePasswordFailedAttempts: "MS-ASPROV_R25401",
      MaxEmailAgeFilter: "MS-ASPROV_R26301",
      MaxInactivityTimeDeviceLock: "MS-ASPROV_R27901",
      MinDevicePasswordComplexCharacters: "MS-ASPROV_R28501",
      MinDevicePasswordLength: "MS-ASPROV_R29001",
      PasswordRecoveryEnabled: "MS-ASPROV_R30201",
      Policies: "MS-ASPROV_R30601",
      Policy: "MS-ASPROV_R31101",
      PolicyKey: "MS-ASPROV_R31601",
      PolicyType: "MS-ASPROV_R31801",
      Provision: "MS-ASPROV_R32001",
      RequireDeviceEncryption: "MS-ASPROV_R33001",
      RequireEncryptedSMIMEMessages: "MS-ASPROV_R33501",
      RequireEncryptionSMIMEAlgorithm: "MS-ASPROV_R34301",
      RequireManualSyncWhenRoaming: "MS-ASPROV_R34801",
      RequireSignedSMIMEAlgorithm: "MS-ASPROV_R35301",
      RequireSignedSMIMEMessages: "MS-ASPROV_R35801",
      RequireStorageCardEncryption: "MS-ASPROV_R36401",
      "Status (Policy)": "MS-ASPROV_R38901",
      "Status (Provision)": "MS-ASPROV_R39302",
    },
  };
  const STRUCTURE: Record<string, (initial: WbxmlElement) => WbxmlElement | undefined> = {
    Provision: (r) => (r.name === "Provision" ? r : undefined),
    "Status (Provision)": (r) => child(r, "Status"),
    Policies: (r) => child(r, "Policies"),
    Policy: (r) => child(child(r, "Policies"), "Policy"),
    PolicyType: (r) => child(child(child(r, "Policies"), "Policy"), "PolicyType"),
    PolicyKey: (r) => child(child(child(r, "Policies"), "Policy"), "PolicyKey"),
    "Status (Policy)": (r) => child(child(child(r, "Policies"), "Policy"), "Status"),
    "Data (container Data Type)": (r) => child(child(child(r, "Policies"), "Policy"), "Data"),
    EASProvisionDoc: (r) => child(child(child(child(r, "Policies"), "Policy"), "Data"), "EASProvisionDoc"),
  };
  for (const [version, rows] of Object.entries(SUPPORT_ROWS)) {
    it(`${version}: the initial Provision response carries ${Object.keys(rows).length} elements of the spec's rows`, async () => {
      const phone = new Phone({ user: USER, password: PW, deviceId: `provel${version.replace(".", "")}`, version });
      const { initial: first } = await phone.provision();
      const r = first.body!;
      const doc = STRUCTURE.EASProvisionDoc(r)!;
      for (const name of Object.keys(rows)) {
        const found = STRUCTURE[name] ? STRUCTURE[name](r) : child(doc, name === "AllowWifi" ? "AllowWiFi" : name, "Provision");
        expect(found, `${name} (${rows[name]})`).toBeDefined();
      }
    });
  }
});
