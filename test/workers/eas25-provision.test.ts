// Provision for a 2.5 client (issue 14): the MS-WAP-Provisioning-XML policy type with the wap-provisioningdoc
// Windows Mobile 5 applies ([MS-ASPROV] 2.2.2.24.2), the 449 gate, remote wipe.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY, PolicySchema, wapProvisioningDoc } from "../../src/eas/policy";
import { createAccount } from "../../src/service/directory";
import { first, Phone } from "./helpers/onboard-phone";

const PW = "provision 2.5 pw";
const PLAIN = "wm5-plain@example.test";
const STRICT = "wm5-strict@example.test";
const mailbox = (a: string) => env.MAILBOX.getByName(a);
const WAP = "MS-WAP-Provisioning-XML";
const FOLDERSYNC = `<FolderSync xmlns="FolderHierarchy"><SyncKey>0</SyncKey></FolderSync>`;
const initial = (type: string) =>
  `<Provision xmlns="Provision"><Policies><Policy><PolicyType>${type}</PolicyType></Policy></Policies></Provision>`;
const STRICT_POLICY = PolicySchema.parse({
  devicePasswordEnabled: true,
  minDevicePasswordLength: 6,
  maxInactivityTimeDeviceLock: 270,
  maxDevicePasswordFailedAttempts: 8,
  requireDeviceEncryption: true,
});
const wm5 = (user: string, deviceId: string) =>
  new Phone({ user, password: PW, deviceId, deviceType: "PocketPC", version: "2.5", userAgent: "MSFT-PPC/5.1.2300" });

beforeAll(async () => {
  await createAccount(env.DB, PLAIN, PW);
  await createAccount(env.DB, STRICT, PW);
  await mailbox(STRICT).setPolicy(STRICT_POLICY);
});

describe("wapProvisioningDoc ([MS-ASPROV] 2.2.2.24.2)", () => {
  it("the default policy: no password (4131 = 1), no wipe (4133 = 1), no Registry settings", () => {
    expect(wapProvisioningDoc(DEFAULT_POLICY)).toBe(
      `<wap-provisioningdoc><characteristic type="SecurityPolicy"><parm name="4131" value="1"/><parm name="4133" value="1"/></characteristic></wap-provisioningdoc>`,
    );
  });

  it("a password policy: LASSD settings (lock after 5 min, wipe after 8, codeword after 4, 6 characters, PIN allowed)", () => {
    const doc = wapProvisioningDoc(STRICT_POLICY);
    expect(doc).toContain(`<parm name="4131" value="0"/><parm name="4133" value="0"/>`);
    expect(doc).toContain(
      `<characteristic type="HKLM\\Comm\\Security\\Policy\\LASSD\\AE\\{50C13377-C66D-400C-889E-C316FC4AB374}"><parm name="AEFrequencyType" value="1"/><parm name="AEFrequencyValue" value="5"/></characteristic>`,
    );
    expect(doc).toContain(`<parm name="DeviceWipeThreshold" value="8"/>`);
    expect(doc).toContain(`<parm name="CodewordFrequency" value="4"/>`);
    expect(doc).toContain(
      `<characteristic type="HKLM\\Comm\\Security\\Policy\\LASSD\\LAP\\lap_pw"><parm name="MinimumPasswordLength" value="6"/>`,
    );
    expect(doc).toContain(`<parm name="PasswordComplexity" value="2"/>`);
    const alnum = wapProvisioningDoc({ ...STRICT_POLICY, alphanumericDevicePasswordRequired: true, maxInactivityTimeDeviceLock: null });
    expect(alnum).toContain(`<parm name="PasswordComplexity" value="0"/>`);
    expect(alnum).toContain(`<parm name="AEFrequencyType" value="0"/><parm name="AEFrequencyValue" value="0"/>`);
    // Balanced: every characteristic is closed.
    expect(doc.match(/<characteristic /g)?.length).toBe(doc.match(/<\/characteristic>/g)?.length);
  });
});

describe("a 2.5 phone against an enforced policy", () => {
  it("MS-ASPROV_R318, MS-ASPROV_R965: HTTP 449 until provisioned; the WAP policy in Data as a string; acknowledged with the temporary key", async () => {
    const phone = wm5(STRICT, "wm5strict1");
    const gated = await phone.send("FolderSync", FOLDERSYNC);
    expect(gated.status).toBe(449);
    expect(gated.headers.get("MS-Server-ActiveSync")).toBe("6.5.7638.1");
    const init = await phone.send("Provision", initial(WAP));
    expect(init.status).toBe(200);
    expect(first(init.xml, "PolicyType")).toBe(WAP);
    expect(first(init.xml, "Status")).toBe("1");
    // The Data element carries text (the XML document), not an EASProvisionDoc element.
    expect(init.xml).not.toContain("EASProvisionDoc");
    const data = /<Data>([\s\S]*?)<\/Data>/.exec(init.xml)?.[1] ?? "";
    expect(data).toMatch(/^&lt;wap-provisioningdoc&gt;/);
    expect(data).toContain("MinimumPasswordLength");
    const temp = first(init.xml, "PolicyKey")!;
    const ack = await phone.send(
      "Provision",
      `<Provision xmlns="Provision"><Policies><Policy><PolicyType>${WAP}</PolicyType><PolicyKey>${temp}</PolicyKey><Status>1</Status></Policy></Policies></Provision>`,
      { policyKey: temp },
    );
    expect(first(ack.xml, "PolicyType")).toBe(WAP);
    expect(ack.xml).not.toContain("<Data>");
    const final = first(ack.xml, "PolicyKey")!;
    expect(final).not.toBe(temp);
    const fs = await phone.send("FolderSync", FOLDERSYNC, { policyKey: final });
    expect(fs.status).toBe(200);
    expect(await mailbox(STRICT).getDevice("wm5strict1")).toMatchObject({ policyState: "provisioned", protocolVersion: "2.5" });
  });

  it("MS-ASPROV_R380: the 12.0+ policy type from a 2.5 request is Policy Status 3 (and the 2.5 type from 14.1 too)", async () => {
    const r = await wm5(STRICT, "wm5wrongtype").send("Provision", initial("MS-EAS-Provisioning-WBXML"));
    expect(r.xml).toMatch(/<Policy>\s*<PolicyType>MS-EAS-Provisioning-WBXML<\/PolicyType>\s*<Status>3<\/Status>\s*<\/Policy>/);
    const modern = new Phone({ user: STRICT, password: PW, deviceId: "modernwap", version: "14.1" });
    expect((await modern.send("Provision", initial(WAP))).xml).toMatch(/<Status>3<\/Status>\s*<\/Policy>/);
  });
});

describe("remote wipe of a 2.5 phone", () => {
  it("a pending wipe → 449; Provision carries RemoteWipe; the acknowledgement is recorded", async () => {
    const phone = wm5(PLAIN, "wm5lost");
    expect((await phone.send("FolderSync", FOLDERSYNC)).status).toBe(200);
    expect(await mailbox(PLAIN).requestWipe("wm5lost", false)).toBe(true);
    expect((await phone.send("FolderSync", FOLDERSYNC)).status).toBe(449);
    const directive = await phone.send("Provision", initial(WAP));
    expect(directive.xml).toMatch(/<Status>1<\/Status>\s*<RemoteWipe\/>/);
    const ack = await phone.send("Provision", `<Provision xmlns="Provision"><RemoteWipe><Status>1</Status></RemoteWipe></Provision>`);
    expect(ack.xml).toMatch(/<Status>1<\/Status>\s*<RemoteWipe\/>/);
    expect(await mailbox(PLAIN).getDevice("wm5lost")).toMatchObject({ wipeState: "acknowledged", wipeAckStatus: 1 });
  });
});
