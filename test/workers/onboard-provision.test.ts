// Provisioning ([MS-ASPROV]), the provisioning gate and remote wipe, as phones speak them (inside workerd).
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY, PolicySchema } from "../../src/eas/policy";
import { createAccount } from "../../src/service/directory";
import { first, Phone } from "./helpers/onboard-phone";

const PW = "provision pw";
const PLAIN = "plain@example.test";
const STRICT = "strict@example.test";
const mailbox = (a: string) => env.MAILBOX.getByName(a);
const SETTINGS_GET = `<Settings xmlns="Settings"><UserInformation><Get/></UserInformation></Settings>`;
const INITIAL = `<Provision xmlns="Provision"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies></Provision>`;

/** A phone the mailbox knows, with a wipe requested for it by the admin. */
async function phoneToWipe(deviceId: string, version: string, accountOnly: boolean): Promise<Phone> {
  const phone = new Phone({ user: PLAIN, password: PW, deviceId, version });
  await phone.send("Settings", SETTINGS_GET);
  expect(await mailbox(PLAIN).requestWipe(deviceId, accountOnly)).toBe(true);
  return phone;
}
const STRICT_POLICY = PolicySchema.parse({
  devicePasswordEnabled: true,
  minDevicePasswordLength: 6,
  maxInactivityTimeDeviceLock: 300,
  requireDeviceEncryption: true,
});

beforeAll(async () => {
  await createAccount(env.DB, PLAIN, PW);
  await createAccount(env.DB, STRICT, PW);
  await mailbox(STRICT).setPolicy(STRICT_POLICY);
});

describe("default policy: nothing enforced", () => {
  it("a phone that never provisions still syncs (no 449, no Status 142) — MS-ASPROV_R483 (no policy demands it)", async () => {
    for (const version of ["12.1", "14.1", "16.1"]) {
      const phone = new Phone({ user: PLAIN, password: PW, deviceId: `plain${version.replace(".", "")}`, version });
      const r = await phone.send("Settings", SETTINGS_GET);
      expect(r.status).toBe(200);
      expect(first(r.xml, "Status")).toBe("1");
    }
  });

  it("iOS still provisions and gets the full document with nothing enforced, a temporary then a final key — MS-ASPROV_R310, MS-ASPROV_R605, MS-ASPROV_R650, MS-ASPROV_R662", async () => {
    const phone = new Phone({ user: PLAIN, password: PW, deviceId: "iosplain", version: "16.1" });
    const { temp, final, initial, ack } = await phone.provision();
    expect(initial.xml).toContain("<DevicePasswordEnabled>0</DevicePasswordEnabled>");
    expect(initial.xml).toContain("<PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>");
    expect(ack.xml).not.toContain("<Data>"); // MS-ASPROV_R601
    expect(temp).not.toBe(final);
    // MS-ASPROV_R606: string form of a 32-bit unsigned integer; never 0 (iPhone OS 4 loops on it, anchors row 16).
    for (const k of [temp, final]) expect(Number(k)).toBeGreaterThan(0), expect(Number(k)).toBeLessThan(2 ** 32);
    const dev = await mailbox(PLAIN).getDevice("iosplain");
    expect(dev).toMatchObject({ policyState: "provisioned", policyKey: final, policyAckStatus: 1 });
    // A stale key with nothing enforced is not a reason to stop the phone.
    expect((await phone.send("Settings", SETTINGS_GET, { policyKey: "12345" })).status).toBe(200);
  });
});

describe("enforced policy", () => {
  it("12.1: no key → HTTP 449; after the dance the final key passes — MS-ASCMD_R7564, MS-ASCMD_R7566", async () => {
    const phone = new Phone({ user: STRICT, password: PW, deviceId: "iphone121", version: "12.1" });
    expect((await phone.send("Settings", SETTINGS_GET)).status).toBe(449);
    expect((await phone.send("Settings", SETTINGS_GET, { policyKey: "0" })).status).toBe(449);
    const { initial } = await phone.provision();
    expect(initial.xml).toContain("<DevicePasswordEnabled>1</DevicePasswordEnabled>");
    expect(initial.xml).toContain("<MinDevicePasswordLength>6</MinDevicePasswordLength>");
    expect(initial.xml).toContain("<RequireDeviceEncryption>1</RequireDeviceEncryption>");
    expect((await phone.send("Settings", SETTINGS_GET)).status).toBe(200);
    expect((await phone.send("Settings", SETTINGS_GET, { policyKey: "987654" })).status).toBe(449);
  });

  for (const version of ["14.1", "16.1"]) {
    it(`${version}: Status 142 without a key, 144 with a wrong one, 143 after the policy changes — MS-ASCMD_R4905, MS-ASCMD_R4906, MS-ASCMD_R4911, MS-ASCMD_R4912, MS-ASCMD_R4908`, async () => {
      const id = `android${version.replace(".", "")}`;
      const phone = new Phone({ user: STRICT, password: PW, deviceId: id, version, deviceType: "Android" });
      let r = await phone.send("Settings", SETTINGS_GET);
      expect(r.status).toBe(200);
      expect(r.xml).toMatch(/^<\?xml[^>]*>\s*<Settings xmlns="Settings">\s*<Status>142<\/Status>\s*<\/Settings>/);
      r = await phone.send("Settings", SETTINGS_GET, { policyKey: "4242" });
      expect(first(r.xml, "Status")).toBe("144");

      // 14.1+: DeviceInformation inside Provision is stored and answered (MS-ASPROV_R488, MS-ASPROV_R534).
      const info = `<settings:DeviceInformation><settings:Set><settings:Model>Pixel 9</settings:Model><settings:IMEI>356938035643809</settings:IMEI><settings:FriendlyName>Work phone</settings:FriendlyName><settings:OS>Android 15</settings:OS><settings:OSLanguage>fr-FR</settings:OSLanguage><settings:PhoneNumber>+33600000000</settings:PhoneNumber><settings:MobileOperator>Orange</settings:MobileOperator><settings:UserAgent>Android-Mail/2025</settings:UserAgent></settings:Set></settings:DeviceInformation>`;
      const { initial } = await phone.provision(info);
      expect(initial.xml).toMatch(/<settings:DeviceInformation>\s*<settings:Status>1<\/settings:Status>/);
      const dev = await mailbox(STRICT).getDevice(id);
      expect(dev).toMatchObject({
        model: "Pixel 9",
        imei: "356938035643809",
        friendlyName: "Work phone",
        os: "Android 15",
        osLanguage: "fr-FR",
        phoneNumber: "+33600000000",
        mobileOperator: "Orange",
        protocolVersion: version,
        deviceType: "Android",
      });

      r = await phone.send("Settings", SETTINGS_GET);
      expect(first(r.xml, "Status")).toBe("1");

      await mailbox(STRICT).setPolicy({ ...STRICT_POLICY, minDevicePasswordLength: 8 });
      r = await phone.send("Settings", SETTINGS_GET);
      expect(first(r.xml, "Status")).toBe("143");
      await phone.provision();
      expect(first((await phone.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");
    });
  }

  it("a 12.0 device gets only the settings 12.0 knows; 12.1 and later get all of them ([MS-ASWBXML] code page 14)", async () => {
    const old = new Phone({ user: STRICT, password: PW, deviceId: "wm6", version: "12.0", deviceType: "PocketPC" });
    const { initial } = await old.provision();
    expect(initial.xml).toContain("<DevicePasswordEnabled>1</DevicePasswordEnabled>");
    expect(initial.xml).toContain("<MinDevicePasswordLength>");
    expect(initial.xml).not.toContain("<RequireDeviceEncryption>");
    expect(initial.xml).not.toContain("<AllowCamera>");
    const cur = new Phone({ user: STRICT, password: PW, deviceId: "wm61", version: "12.1", deviceType: "PocketPC" });
    expect((await cur.provision()).initial.xml).toContain("<RequireDeviceEncryption>1</RequireDeviceEncryption>");
  });

  it("acknowledging a key that was never issued → Policy Status 5 — MS-ASPROV_R657, MS-ASPROV_R658, MS-ASPROV_R695, MS-ASPROV_R382", async () => {
    const phone = new Phone({ user: STRICT, password: PW, deviceId: "wrongack", version: "14.1" });
    await phone.send("Provision", INITIAL);
    const r = await phone.send(
      "Provision",
      `<Provision xmlns="Provision"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType><PolicyKey>1</PolicyKey><Status>1</Status></Policy></Policies></Provision>`,
    );
    expect(r.xml).toMatch(
      /<Status>1<\/Status>\s*<Policies>\s*<Policy>\s*<PolicyType>MS-EAS-Provisioning-WBXML<\/PolicyType>\s*<Status>5<\/Status>\s*<\/Policy>/,
    );
    expect(r.xml).not.toContain("<PolicyKey>");
  });

  it("a retried acknowledgement (lost response) gets the same final key", async () => {
    const phone = new Phone({ user: STRICT, password: PW, deviceId: "retryack", version: "14.1" });
    const { temp, final } = await phone.provision();
    const again = await phone.send(
      "Provision",
      `<Provision xmlns="Provision"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType><PolicyKey>${temp}</PolicyKey><Status>1</Status></Policy></Policies></Provision>`,
      { policyKey: temp },
    );
    expect(first(again.xml, "PolicyKey")).toBe(final);
  });

  it("an acknowledgement carrying the temporary key only in X-MS-PolicyKey is accepted (old Android clients)", async () => {
    const phone = new Phone({ user: STRICT, password: PW, deviceId: "oldandroid", version: "12.1", deviceType: "Android" });
    const init = await phone.send("Provision", INITIAL);
    const temp = first(init.xml, "PolicyKey")!;
    const ack = await phone.send(
      "Provision",
      `<Provision xmlns="Provision"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType><Status>1</Status></Policy></Policies></Provision>`,
      { policyKey: temp },
    );
    const final = first(ack.xml, "PolicyKey")!;
    expect(final).toMatch(/^[1-9]\d*$/);
    expect(final).not.toBe(temp);
    expect((await phone.send("Settings", SETTINGS_GET, { policyKey: final })).status).toBe(200);
  });

  it("unknown PolicyType → Policy Status 3 — MS-ASPROV_R380", async () => {
    const phone = new Phone({ user: STRICT, password: PW, deviceId: "wap", version: "14.1" });
    const r = await phone.send(
      "Provision",
      `<Provision xmlns="Provision"><Policies><Policy><PolicyType>MS-WAP-Provisioning-XML</PolicyType></Policy></Policies></Provision>`,
    );
    expect(r.xml).toMatch(/<PolicyType>MS-WAP-Provisioning-XML<\/PolicyType>\s*<Status>3<\/Status>/);
  });

  it("a device that could only partly apply the policy → 139, externally managed → 145 (14.0+); 403 on 12.1 — MS-ASPROV_R455, MS-ASPROV_R1046, MS-ASPROV_R461", async () => {
    for (const [status, expected] of [
      ["2", "139"],
      ["4", "145"],
    ] as const) {
      const phone = new Phone({ user: STRICT, password: PW, deviceId: `partial${status}`, version: "14.1" });
      const init = await phone.send("Provision", INITIAL);
      const temp = first(init.xml, "PolicyKey")!;
      const r = await phone.send(
        "Provision",
        `<Provision xmlns="Provision"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType><PolicyKey>${temp}</PolicyKey><Status>${status}</Status></Policy></Policies></Provision>`,
      );
      expect(first(r.xml, "Status")).toBe(expected);
      expect((await mailbox(STRICT).getDevice(`partial${status}`))?.policyState).toBe("refused");
      expect(first((await phone.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("142");
    }
  });

  it("a malformed Provision → Status 2 (protocol error) — MS-ASPROV_R395", async () => {
    const phone = new Phone({ user: STRICT, password: PW, deviceId: "garbled", version: "14.1" });
    const r = await phone.send("Provision", `<Provision xmlns="Provision"><Policies><Policy/></Policies></Provision>`);
    expect(r.xml).toMatch(/<Provision xmlns="Provision">\s*<Status>2<\/Status>\s*<\/Provision>/);
  });
});

describe("remote wipe", () => {
  it("14.1: wipe requested → Status 140, Provision carries RemoteWipe, the acknowledgement is recorded — MS-ASCMD_R5279, MS-ASPROV_R653, MS-ASPROV_R663, MS-ASPROV_R664, MS-ASPROV_R666", async () => {
    const phone = new Phone({ user: PLAIN, password: PW, deviceId: "lost141", version: "14.1" });
    await phone.provision();
    expect(await mailbox(PLAIN).requestWipe("lost141", false)).toBe(true);
    expect(first((await phone.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("140");
    const directive = await phone.send("Provision", INITIAL);
    expect(directive.xml).toMatch(/<Provision xmlns="Provision">\s*<Status>1<\/Status>\s*<RemoteWipe\/>\s*<\/Provision>/);
    expect(directive.xml).not.toContain("<Policies>");
    const ack = await phone.send("Provision", `<Provision xmlns="Provision"><RemoteWipe><Status>1</Status></RemoteWipe></Provision>`);
    expect(ack.xml).toMatch(/<Status>1<\/Status>\s*<RemoteWipe\/>/);
    const dev = await mailbox(PLAIN).getDevice("lost141");
    expect(dev).toMatchObject({ wipeState: "acknowledged", wipeAckStatus: 1 });
    expect(dev!.wipeAckedAt).toBeGreaterThan(0);
    expect(dev!.wipeSentAt).toBeGreaterThan(0);
  });

  it("12.1: a pending wipe → HTTP 449 — MS-ASCMD_R7562", async () => {
    const phone = await phoneToWipe("lost121", "12.1", false);
    expect((await phone.send("Settings", SETTINGS_GET)).status).toBe(449);
    const r = await phone.send("Provision", null);
    expect(r.xml).toContain("<RemoteWipe/>"); // MS-ASPROV_R493: an empty Provision gets the directive too
  });

  it("a failed wipe acknowledgement → Status 2 and the directive again — MS-ASPROV_R665, MS-ASPROV_R1042", async () => {
    const phone = await phoneToWipe("wipefail", "14.1", false);
    const r = await phone.send("Provision", `<Provision xmlns="Provision"><RemoteWipe><Status>2</Status></RemoteWipe></Provision>`);
    expect(r.xml).toMatch(/<Status>2<\/Status>\s*<RemoteWipe\/>/);
    expect(await mailbox(PLAIN).getDevice("wipefail")).toMatchObject({ wipeState: "pending", wipeAckStatus: 2 });
  });

  it("16.1: account-only wipe → AccountOnlyRemoteWipe, acknowledged and recorded — MS-ASPROV_R6906, MS-ASPROV_R66612, MS-ASPROV_R66601, MS-ASPROV_R66605", async () => {
    const phone = await phoneToWipe("byod161", "16.1", true);
    expect(first((await phone.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("140");
    const directive = await phone.send("Provision", INITIAL);
    expect(directive.xml).toMatch(/<Status>1<\/Status>\s*<AccountOnlyRemoteWipe\/>/);
    expect(directive.xml).not.toContain("<RemoteWipe/>");
    const ack = await phone.send(
      "Provision",
      `<Provision xmlns="Provision"><AccountOnlyRemoteWipe><Status>1</Status></AccountOnlyRemoteWipe></Provision>`,
    );
    expect(ack.xml).toMatch(/<Status>1<\/Status>\s*<AccountOnlyRemoteWipe\/>/);
    expect(await mailbox(PLAIN).getDevice("byod161")).toMatchObject({ wipeState: "account-only-acknowledged", wipeAckStatus: 1 });
  });

  it("an account-only wipe is never turned into a full wipe for a pre-16.1 request", async () => {
    const phone = await phoneToWipe("old141", "14.1", true);
    expect(first((await phone.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");
    const r = await phone.send("Provision", INITIAL);
    expect(r.xml).not.toMatch(/RemoteWipe/);
    // Even an (unexpected) account-only acknowledgement from a 14.1 request is never answered with a full wipe.
    const odd = await phone.send(
      "Provision",
      `<Provision xmlns="Provision"><AccountOnlyRemoteWipe><Status>2</Status></AccountOnlyRemoteWipe></Provision>`,
    );
    expect(odd.xml).not.toContain("<RemoteWipe/>");
  });

  it("the wipe survives a restart of the mailbox object", async () => {
    const { evictDurableObject } = await import("cloudflare:test");
    const phone = await phoneToWipe("evicted", "14.1", false);
    await evictDurableObject(mailbox(PLAIN));
    expect(first((await phone.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("140");
  });
});

it("the default policy object is what the schema fills in", () => {
  expect(PolicySchema.parse({})).toEqual(DEFAULT_POLICY);
});
