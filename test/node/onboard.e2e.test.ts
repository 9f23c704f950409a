// Getting a phone on board, end to end against `wrangler dev`: Autodiscover, Provision (both phases, 12.1 / 14.1 /
// 16.1), Settings, remote wipe and device control through the admin API. Every WBXML response is decoded and
// validated by the Phone client (../shared/conformance/validate Provision|Settings); Autodiscover XML here.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { fromXml } from "../../src/wbxml/index";
import { Phone, type PhoneResponse } from "./phone";
import { assertValid } from "./validate";

const url = inject("workerUrl");
const token = inject("adminToken");
const PW = "e2e onboard password";
const PLAIN = "onboard-plain@example.test";
const STRICT = "onboard-strict@example.test";
const MOBILESYNC = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006";

function admin(method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(`${url}/admin/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

function phone(user: string, deviceId: string, protocolVersion: string, deviceType = "iPhone"): Phone {
  return new Phone({ baseUrl: url, user, password: PW, deviceId, deviceType, protocolVersion, userAgent: "Apple-iPhone16C1/2201.83" });
}

const PROVISION_INITIAL = (info = "") =>
  fromXml(
    `<Provision xmlns="Provision" xmlns:settings="Settings">${info}<Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies></Provision>`,
  );
const PROVISION_ACK = (key: string, status = 1) =>
  fromXml(
    `<Provision xmlns="Provision"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType><PolicyKey>${key}</PolicyKey><Status>${status}</Status></Policy></Policies></Provision>`,
  );
const SETTINGS_USER = fromXml(`<Settings xmlns="Settings"><UserInformation><Get/></UserInformation></Settings>`);
const text = (r: PhoneResponse, name: string) => new RegExp(`<(?:\\w+:)?${name}>([^<]*)</`).exec(r.xml ?? "")?.[1];

/** Both phases; every response validated by Phone.command. Leaves the final key on the phone. */
async function provision(p: Phone, info = ""): Promise<{ initial: PhoneResponse; ack: PhoneResponse }> {
  const initial = await p.command("Provision", PROVISION_INITIAL(info));
  expect(initial.status).toBe(200);
  const temp = text(initial, "PolicyKey")!;
  p.config.policyKey = temp;
  const ack = await p.command("Provision", PROVISION_ACK(temp));
  p.config.policyKey = text(ack, "PolicyKey");
  expect(p.config.policyKey).toMatch(/^[1-9]\d*$/);
  return { initial, ack };
}

beforeAll(async () => {
  for (const address of [PLAIN, STRICT]) expect((await admin("POST", "/mailboxes", { address, password: PW })).status).toBe(201);
  expect(
    (
      await admin("PATCH", `/mailboxes/${STRICT}/policy`, {
        devicePasswordEnabled: true,
        minDevicePasswordLength: 6,
        maxInactivityTimeDeviceLock: 900,
        maxDevicePasswordFailedAttempts: 8,
        requireDeviceEncryption: true,
      })
    ).status,
  ).toBe(200);
});

describe("Autodiscover (responses validated against the Autodiscover XSDs)", () => {
  const body = (email: string, schema = MOBILESYNC) =>
    `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"><Request><EMailAddress>${email}</EMailAddress><AcceptableResponseSchema>${schema}</AcceptableResponseSchema></Request></Autodiscover>`;
  const post = (path: string, xml: string) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { Authorization: phone(PLAIN, "x", "14.1").authorization(), "Content-Type": "text/xml" },
      body: xml,
    });

  it("the demo address gets the ActiveSync URL, on any case of the path", async () => {
    for (const path of ["/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"]) {
      const res = await post(path, body(PLAIN));
      expect(res.status).toBe(200);
      const xml = await res.text();
      assertValid("Autodiscover", xml);
      expect(xml).toContain(`<Url>${url}/Microsoft-Server-ActiveSync</Url>`);
      expect(xml).toContain(`<EMailAddress>${PLAIN}</EMailAddress>`);
    }
  });

  it("Outlook's schema → ErrorCode 601, malformed → 600, both schema-valid; no credentials → 401", async () => {
    let res = await post(
      "/autodiscover/autodiscover.xml",
      body(PLAIN, "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"),
    );
    let xml = await res.text();
    assertValid("Autodiscover", xml);
    expect(xml).toContain("<ErrorCode>601</ErrorCode>");
    res = await post("/autodiscover/autodiscover.xml", "<Autodiscover><Request>");
    xml = await res.text();
    assertValid("Autodiscover", xml);
    expect(xml).toContain("<ErrorCode>600</ErrorCode>");
    res = await fetch(`${url}/autodiscover/autodiscover.xml`, { method: "POST", body: body(PLAIN) });
    expect(res.status).toBe(401);
  });

  it("JSON: {Protocol, Url}", async () => {
    const res = await fetch(`${url}/autodiscover/autodiscover.json/v1.0/${PLAIN}?Protocol=ActiveSync`);
    expect(await res.json()).toEqual({ Protocol: "ActiveSync", Url: `${url}/Microsoft-Server-ActiveSync` });
  });
});

describe("Provision", () => {
  it("default policy, 16.1: an iPhone provisions (both phases) and nothing is enforced — MS-ASPROV_R310, MS-ASPROV_R605", async () => {
    const p = phone(PLAIN, "e2eIphone161", "16.1");
    const { initial, ack } = await provision(
      p,
      `<settings:DeviceInformation><settings:Set><settings:Model>iPhone16,1</settings:Model><settings:OS>iOS 18.1</settings:OS><settings:FriendlyName>Demo iPhone</settings:FriendlyName></settings:Set></settings:DeviceInformation>`,
    );
    expect(initial.xml).toContain("<DevicePasswordEnabled>0</DevicePasswordEnabled>");
    expect(ack.xml).not.toContain("EASProvisionDoc");
    const s = await p.command("Settings", SETTINGS_USER);
    expect(text(s, "Status")).toBe("1");
    const dev = (await (await admin("GET", `/mailboxes/${PLAIN}/devices/e2eIphone161`)).json()) as Record<string, any>;
    expect(dev).toMatchObject({
      model: "iPhone16,1",
      os: "iOS 18.1",
      friendly_name: "Demo iPhone",
      protocol_version: "16.1",
      policy: { state: "provisioned" },
    });
  });

  it("enforced policy, 12.1: HTTP 449 until provisioned — MS-ASCMD_R7564, MS-ASCMD_R7566", async () => {
    const p = phone(STRICT, "e2eIphone121", "12.1");
    expect((await p.command("Settings", SETTINGS_USER)).status).toBe(449);
    const { initial } = await provision(p);
    expect(initial.xml).toContain("<MinDevicePasswordLength>6</MinDevicePasswordLength>");
    expect((await p.command("Settings", SETTINGS_USER)).status).toBe(200);
    p.config.policyKey = "77";
    expect((await p.command("Settings", SETTINGS_USER)).status).toBe(449);
  });

  it("12.0: the document holds only 12.0's settings and still validates", async () => {
    const p = phone(STRICT, "e2eWm60", "12.0", "PocketPC");
    const { initial } = await provision(p);
    expect(initial.xml).toContain("<MinDevicePasswordLength>6</MinDevicePasswordLength>");
    expect(initial.xml).not.toContain("<RequireDeviceEncryption>");
  });

  for (const version of ["14.1", "16.1"]) {
    it(`enforced policy, ${version}: Status 142, then 144 for a wrong key, Policy Status 5 for a wrong acknowledgement — MS-ASCMD_R4906, MS-ASCMD_R4912, MS-ASPROV_R658`, async () => {
      const p = phone(STRICT, `e2eAndroid${version.replace(".", "")}`, version, "Android");
      expect(text(await p.command("Settings", SETTINGS_USER), "Status")).toBe("142");
      p.config.policyKey = "31337";
      expect(text(await p.command("Settings", SETTINGS_USER), "Status")).toBe("144");
      await p.command("Provision", PROVISION_INITIAL());
      const wrong = await p.command("Provision", PROVISION_ACK("1"));
      expect(wrong.xml).toMatch(/<Policy>\s*<PolicyType>MS-EAS-Provisioning-WBXML<\/PolicyType>\s*<Status>5<\/Status>/);
      await provision(p);
      expect(text(await p.command("Settings", SETTINGS_USER), "Status")).toBe("1");
    });
  }
});

describe("device control", () => {
  it("wipe: admin triggers it, the phone gets 140 then RemoteWipe, its acknowledgement is recorded — MS-ASPROV_R663, MS-ASPROV_R666", async () => {
    const p = phone(PLAIN, "e2eLost", "14.1");
    await provision(p);
    expect((await admin("POST", `/mailboxes/${PLAIN}/devices/e2eLost/wipe`, {})).status).toBe(202);
    expect(text(await p.command("Settings", SETTINGS_USER), "Status")).toBe("140");
    const directive = await p.command("Provision", PROVISION_INITIAL());
    expect(directive.xml).toMatch(/<Status>1<\/Status>\s*<RemoteWipe\/>/);
    const ack = await p.command(
      "Provision",
      fromXml(`<Provision xmlns="Provision"><RemoteWipe><Status>1</Status></RemoteWipe></Provision>`),
    );
    expect(ack.xml).toContain("<RemoteWipe/>");
    const dev = (await (await admin("GET", `/mailboxes/${PLAIN}/devices/e2eLost`)).json()) as {
      wipe: { state: string; ack_status: number };
    };
    expect(dev.wipe).toMatchObject({ state: "acknowledged", ack_status: 1 });
  });

  it("account-only wipe on 16.1 — MS-ASPROV_R66605", async () => {
    const p = phone(PLAIN, "e2eByod", "16.1");
    await provision(p);
    expect((await admin("POST", `/mailboxes/${PLAIN}/devices/e2eByod/wipe`, { account_only: true })).status).toBe(202);
    const directive = await p.command("Provision", PROVISION_INITIAL());
    expect(directive.xml).toContain("<AccountOnlyRemoteWipe/>");
    await p.command(
      "Provision",
      fromXml(`<Provision xmlns="Provision"><AccountOnlyRemoteWipe><Status>1</Status></AccountOnlyRemoteWipe></Provision>`),
    );
    const dev = (await (await admin("GET", `/mailboxes/${PLAIN}/devices/e2eByod`)).json()) as { wipe: { state: string } };
    expect(dev.wipe.state).toBe("account-only-acknowledged");
  });

  it("an admin blocks the device and its next request is refused (129 / 403) — MS-ASCMD_R4874", async () => {
    const p = phone(PLAIN, "e2eBlocked", "14.1");
    expect(text(await p.command("Settings", SETTINGS_USER), "Status")).toBe("1");
    expect(
      (await admin("POST", `/mailboxes/${PLAIN}/device-rules`, { kind: "device-id", pattern: "e2eBlocked", access: "blocked" })).status,
    ).toBe(201);
    const refused = await p.command("Settings", SETTINGS_USER);
    expect(refused.xml).toMatch(/<Settings xmlns="Settings">\s*<Status>129<\/Status>\s*<\/Settings>/);
    p.config.protocolVersion = "12.1";
    expect((await p.command("Settings", SETTINGS_USER)).status).toBe(403);
  });
});

describe("Settings (responses validated)", () => {
  it("Oof Set/Get, DeviceInformation, UserInformation (12.1 and 16.1), DevicePassword, RightsManagementInformation", async () => {
    const p = phone(PLAIN, "e2eSettings", "16.1");
    const set = await p.command(
      "Settings",
      fromXml(
        `<Settings xmlns="Settings"><Oof><Set><OofState>1</OofState><OofMessage><AppliesToInternal/><Enabled>1</Enabled><ReplyMessage>Away</ReplyMessage><BodyType>Text</BodyType></OofMessage><OofMessage><AppliesToExternalKnown/><Enabled>0</Enabled></OofMessage></Set></Oof><DeviceInformation><Set><Model>Pixel</Model><OS>Android 15</OS></Set></DeviceInformation></Settings>`,
      ),
    );
    expect(set.xml).toMatch(/<Oof>\s*<Status>1<\/Status>/);
    expect(set.xml).toMatch(/<DeviceInformation>\s*<Status>1<\/Status>/);
    const get = await p.command(
      "Settings",
      fromXml(
        `<Settings xmlns="Settings"><Oof><Get><BodyType>Text</BodyType></Get></Oof><UserInformation><Get/></UserInformation><RightsManagementInformation><Get/></RightsManagementInformation><DevicePassword><Set><Password>1234</Password></Set></DevicePassword></Settings>`,
      ),
    );
    expect(get.xml).toMatch(/<OofState>1<\/OofState>/);
    expect(get.xml).toMatch(/<ReplyMessage>Away<\/ReplyMessage>/);
    expect(get.xml).toContain("<PrimarySmtpAddress>onboard-plain@example.test</PrimarySmtpAddress>");
    expect(get.xml).toMatch(/<DevicePassword>\s*<Status>7<\/Status>/);
    p.config.protocolVersion = "12.1";
    const old = await p.command("Settings", SETTINGS_USER);
    expect(old.xml).toMatch(/<EmailAddresses>\s*<SMTPAddress>onboard-plain@example.test<\/SMTPAddress>/);
  });
});
