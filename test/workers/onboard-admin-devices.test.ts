// Device control through the admin API (/admin/v1, bearer token), seen by phones, inside workerd.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { runInDurableObject } from "cloudflare:test";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { createAccount } from "../../src/service/directory";
import { FolderType } from "../../src/store/types";
import { first, Phone } from "./helpers/onboard-phone";

const USER = "erin@example.test";
const PW = "admin devices pw";
const SETTINGS_GET = `<Settings xmlns="Settings"><UserInformation><Get/></UserInformation></Settings>`;

function admin(method: string, path: string, body?: unknown, token = "test-admin-token") {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return exports.default.fetch(
    new Request(`https://mail.example.test/admin/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}
const base = `/mailboxes/${encodeURIComponent(USER)}`;
const phone = (deviceId: string, version: string, deviceType = "iPhone", userAgent?: string) =>
  new Phone({ user: USER, password: PW, deviceId, version, deviceType, userAgent });

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
});

describe("listing", () => {
  it("lists every device with what it told us; problem+json for an unknown mailbox or device; bearer required", async () => {
    const p = phone("listme", "16.1");
    await p.provision(
      `<settings:DeviceInformation><settings:Set><settings:Model>iPhone16,1</settings:Model><settings:OS>iOS 18</settings:OS></settings:Set></settings:DeviceInformation>`,
    );
    const res = await admin("GET", `${base}/devices`);
    expect(res.status).toBe(200);
    const { devices } = (await res.json()) as { devices: Record<string, any>[] };
    const d = devices.find((x) => x.device_id === "listme")!;
    expect(d).toMatchObject({
      device_type: "iPhone",
      model: "iPhone16,1",
      os: "iOS 18",
      protocol_version: "16.1",
      access: { state: "allowed", by: "default" },
      wipe: { state: "none" },
      policy: { state: "provisioned" },
    });
    expect(Date.parse(d.first_seen)).toBeLessThanOrEqual(Date.parse(d.last_seen));
    expect(d.user_agent).toBe("Apple-iPhone15C2/2105.259");

    let r = await admin("GET", `/mailboxes/nobody%40example.test/devices`);
    expect(r.status).toBe(404);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    r = await admin("GET", `${base}/devices/nosuchdevice`);
    expect(r.status).toBe(404);
    r = await admin("GET", `${base}/devices`, undefined, "wrong");
    expect(r.status).toBe(401);
  });
});

describe("access rules", () => {
  it("a blocked device is refused: Status 129 on 14.0+, HTTP 403 on 12.1 — MS-ASCMD_R4874, MS-ASCMD_R4875, MS-ASCMD_R4876", async () => {
    const modern = phone("blockme", "14.1", "SAMSUNGSMG991B");
    const legacy = phone("blockme12", "12.1", "SAMSUNGSMG991B");
    expect(first((await modern.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");
    const add = await admin("POST", `${base}/device-rules`, {
      kind: "device-type",
      pattern: "samsungsmg991b",
      access: "blocked",
      note: "lost fleet",
    });
    expect(add.status).toBe(201);
    const rule = (await add.json()) as { id: string };
    const refused = await modern.send("Settings", SETTINGS_GET);
    expect(refused.status).toBe(200);
    expect(refused.xml).toMatch(/<Settings xmlns="Settings">\s*<Status>129<\/Status>\s*<\/Settings>/);
    expect((await modern.send("Provision", null)).xml).toMatch(/<Status>129<\/Status>/);
    expect((await legacy.send("Settings", SETTINGS_GET)).status).toBe(403);
    const listed = (await (await admin("GET", `${base}/devices/blockme`)).json()) as { access: { state: string; by: string } };
    expect(listed.access).toEqual({ state: "blocked", by: `rule:${rule.id}` });

    // A DeviceId allow rule beats the DeviceType block (personal exemption).
    await admin("POST", `${base}/device-rules`, { kind: "device-id", pattern: "blockme", access: "allowed" });
    expect(first((await modern.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");
    expect((await legacy.send("Settings", SETTINGS_GET)).status).toBe(403);

    expect((await admin("DELETE", `${base}/device-rules/${rule.id}`)).status).toBe(204);
    expect((await legacy.send("Settings", SETTINGS_GET)).status).toBe(200);
    expect((await admin("DELETE", `${base}/device-rules/${rule.id}`)).status).toBe(404);
  });

  it("user-agent patterns, and quarantine by default: a new device may Provision and send Settings, nothing else until allowed", async () => {
    const ua = await admin("POST", `${base}/device-rules`, { kind: "user-agent", pattern: "Outlook-iOS-Android/*", access: "blocked" });
    expect(ua.status).toBe(201);
    const outlook = phone("outlookcloud", "16.1", "Outlook", "Outlook-iOS-Android/1.0");
    expect(first((await outlook.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("129");

    expect((await admin("PUT", `${base}/device-rules/default`, { access: "quarantined" })).status).toBe(200);
    const fresh = phone("newphone", "16.1");
    const prov = await fresh.send(
      "Provision",
      `<Provision xmlns="Provision"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies></Provision>`,
    );
    expect(first(prov.xml, "Status")).toBe("1");
    expect(first((await fresh.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");
    const dev = (await (await admin("GET", `${base}/devices/newphone`)).json()) as { access: { state: string } };
    expect(dev.access.state).toBe("quarantined");
    // The user is told once, in the Inbox.
    const notices = await runInDurableObject(env.MAILBOX.getByName(USER), async (m: Mailbox) => {
      const inbox = m.store.folderByType(FolderType.Inbox)!;
      return (await m.store.listItems(inbox.id, { limit: 50 })).filter((i) => i.subject === "A new device is waiting for approval");
    });
    expect(notices).toHaveLength(1);
    await admin("POST", `${base}/device-rules`, { kind: "device-id", pattern: "newphone", access: "allowed" });
    expect(((await (await admin("GET", `${base}/devices/newphone`)).json()) as { access: { state: string } }).access.state).toBe("allowed");
    await admin("PUT", `${base}/device-rules/default`, { access: null });
  });

  it("global rules apply to every mailbox; a mailbox's own rule wins; the global default applies when the mailbox has none", async () => {
    const bad = phone("badclient", "14.1", "Gadget", "BadClient/1.0 (Linux)");
    expect(first((await bad.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");
    const add = await admin("POST", `/device-rules`, {
      kind: "user-agent",
      pattern: "badclient/*",
      access: "blocked",
      note: "known to corrupt calendars",
    });
    expect(add.status).toBe(201);
    const rule = (await add.json()) as { id: string };
    expect(first((await bad.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("129");
    expect(((await (await admin("GET", `${base}/devices/badclient`)).json()) as { access: { by: string } }).access.by).toBe(
      `global-rule:${rule.id}`,
    );
    const own = (await (
      await admin("POST", `${base}/device-rules`, { kind: "device-id", pattern: "badclient", access: "allowed" })
    ).json()) as { id: string };
    expect(first((await bad.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");
    await admin("DELETE", `${base}/device-rules/${own.id}`);
    expect((await admin("DELETE", `/device-rules/${rule.id}`)).status).toBe(204);
    expect(first((await bad.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");

    expect(
      ((await (await admin("PUT", `/device-rules/default`, { access: "blocked" })).json()) as { default_access: string }).default_access,
    ).toBe("blocked");
    expect(first((await bad.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("129");
    await admin("PUT", `${base}/device-rules/default`, { access: "allowed" });
    expect(first((await bad.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");
    await admin("PUT", `${base}/device-rules/default`, { access: null });
    await admin("PUT", `/device-rules/default`, { access: null });
    expect(first((await bad.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");
    expect(((await (await admin("GET", `/device-rules`)).json()) as { rules: unknown[] }).rules).toEqual([]);
  });

  it("a model rule applies once the device has reported its model (DeviceInformation)", async () => {
    const rule = (await (
      await admin("POST", `${base}/device-rules`, { kind: "device-model", pattern: "SM-A1*", access: "blocked" })
    ).json()) as { id: string };
    const p = phone("cheapphone", "14.1", "Android");
    expect(first((await p.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");
    await p.send(
      "Settings",
      `<Settings xmlns="Settings"><DeviceInformation><Set><Model>SM-A155F</Model></Set></DeviceInformation></Settings>`,
    );
    expect(((await (await admin("GET", `${base}/devices/cheapphone`)).json()) as { access: { state: string } }).access.state).toBe(
      "blocked",
    );
    expect(first((await p.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("129");
    await admin("DELETE", `${base}/device-rules/${rule.id}`);
    expect(first((await p.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");
  });

  it("invalid rules are refused with problem+json (zod)", async () => {
    for (const body of [
      { kind: "imei", pattern: "x", access: "blocked" },
      { kind: "device-id", pattern: "", access: "blocked" },
      { kind: "device-id", pattern: "x", access: "deny" },
    ]) {
      const r = await admin("POST", `${base}/device-rules`, body);
      expect(r.status).toBe(400);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
    }
  });
});

describe("wipe and partnerships", () => {
  it("a wipe triggered by the admin reaches a blocked device and its acknowledgement shows in the list", async () => {
    const p = phone("stolen", "14.1", "Stolen");
    await p.provision();
    await admin("POST", `${base}/device-rules`, { kind: "device-type", pattern: "Stolen", access: "blocked" });
    const w = await admin("POST", `${base}/devices/stolen/wipe`, {});
    expect(w.status).toBe(202);
    expect(((await w.json()) as { wipe: { state: string } }).wipe.state).toBe("pending");
    expect(first((await p.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("140");
    expect((await p.send("Provision", null)).xml).toContain("<RemoteWipe/>");
    await p.send("Provision", `<Provision xmlns="Provision"><RemoteWipe><Status>1</Status></RemoteWipe></Provision>`);
    const d = (await (await admin("GET", `${base}/devices/stolen`)).json()) as {
      wipe: { state: string; ack_status: number; acked_at: string };
    };
    expect(d.wipe).toMatchObject({ state: "acknowledged", ack_status: 1 });
    expect(Date.parse(d.wipe.acked_at)).toBeGreaterThan(0);
    expect((await admin("DELETE", `${base}/devices/stolen/wipe`)).status).toBe(409);
  });

  it("account-only wipe needs a 16.1 device (409 otherwise); a pending wipe can be cancelled", async () => {
    const old = phone("old14", "14.1");
    await old.send("Settings", SETTINGS_GET);
    const r = await admin("POST", `${base}/devices/old14/wipe`, { account_only: true });
    expect(r.status).toBe(409);
    const p = phone("byod", "16.1");
    await p.send("Settings", SETTINGS_GET);
    expect((await admin("POST", `${base}/devices/byod/wipe`, { account_only: true })).status).toBe(202);
    expect(((await (await admin("GET", `${base}/devices/byod`)).json()) as { wipe: { state: string } }).wipe.state).toBe(
      "account-only-pending",
    );
    expect((await admin("DELETE", `${base}/devices/byod/wipe`)).status).toBe(200);
    expect(first((await p.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");
  });

  it("removing a partnership forgets the device; its next request starts afresh", async () => {
    const p = phone("gone", "14.1");
    await p.send("Settings", SETTINGS_GET);
    expect((await admin("DELETE", `${base}/devices/gone`)).status).toBe(204);
    expect((await admin("GET", `${base}/devices/gone`)).status).toBe(404);
    await p.send("Settings", SETTINGS_GET);
    expect((await admin("GET", `${base}/devices/gone`)).status).toBe(200);
  });

  it("stale partnerships are removed by the mailbox object (for the daily cron)", async () => {
    await phone("stale", "14.1").send("Settings", SETTINGS_GET);
    const r = (await env.MAILBOX.getByName(USER).removeStaleDevices(-1)) as { removed: number; deviceIds: string[] };
    expect(r.removed).toBeGreaterThan(0);
    expect(r.deviceIds).toContain("stale");
    expect(await env.MAILBOX.getByName(USER).listDevices()).toEqual([]);
  });

  it("a stale device loses its sync state with its partnership: its old FolderSync key is refused (Status 9)", async () => {
    const p = phone("stalesync", "14.1");
    const fs = (key: string) => `<FolderSync xmlns="FolderHierarchy"><SyncKey>${key}</SyncKey></FolderSync>`;
    const r = await p.send("FolderSync", fs("0"));
    expect(first(r.xml, "Status")).toBe("1");
    const key = first(r.xml, "SyncKey")!;
    const rows = () =>
      runInDurableObject(
        env.MAILBOX.getByName(USER),
        async (_m: Mailbox, state) =>
          state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM hier_state WHERE device_id = 'stalesync'").one().n,
      );
    expect(await rows()).toBe(1);
    const removed = await env.MAILBOX.getByName(USER).removeStaleDevices(-1);
    expect(removed.deviceIds).toContain("stalesync");
    expect(await rows()).toBe(0);
    // [MS-ASCMD] 2.2.3.177.4 FolderSync Status 9: the key is unknown, the device starts over at SyncKey 0.
    expect(first((await p.send("FolderSync", fs(key))).xml, "Status")).toBe("9");
  });
});

describe("policy", () => {
  it("PATCH changes the policy; phones then must provision (14.1 → 142) and get the new settings", async () => {
    const p = phone("policyphone", "14.1");
    expect(first((await p.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");
    const res = await admin("PATCH", `${base}/policy`, {
      devicePasswordEnabled: true,
      alphanumericDevicePasswordRequired: true,
      minDevicePasswordComplexCharacters: 3,
      minDevicePasswordLength: 8,
      maxDevicePasswordFailedAttempts: 10,
      maxInactivityTimeDeviceLock: 600,
      allowSimpleDevicePassword: false,
      requireDeviceEncryption: true,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { version: number }).version).toBeGreaterThan(0);
    expect(first((await p.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("142");
    const { initial } = await p.provision();
    for (const s of [
      "<DevicePasswordEnabled>1<",
      "<AlphanumericDevicePasswordRequired>1<",
      "<MinDevicePasswordLength>8<",
      "<MaxDevicePasswordFailedAttempts>10<",
      "<MaxInactivityTimeDeviceLock>600<",
      "<AllowSimpleDevicePassword>0<",
      "<RequireDeviceEncryption>1<",
      "<MinDevicePasswordComplexCharacters>3<",
    ])
      expect(initial.xml).toContain(s);
    expect(first((await p.send("Settings", SETTINGS_GET)).xml, "Status")).toBe("1");

    const bad = await admin("PATCH", `${base}/policy`, { minDevicePasswordLength: 99 });
    expect(bad.status).toBe(400);
    expect((await admin("PATCH", `${base}/policy`, { unknownSetting: true })).status).toBe(400);
    const back = (await (await admin("GET", `${base}/policy`)).json()) as { policy: { minDevicePasswordLength: number } };
    expect(back.policy.minDevicePasswordLength).toBe(8);
  });
});

describe("out of office", () => {
  it("an admin sets it for a user; the phone reads it back with Settings Oof Get", async () => {
    const oof = { state: 1, messages: [{ appliesTo: "internal", enabled: true, replyMessage: "On leave", bodyType: "Text" }] };
    const put = await admin("PUT", `${base}/oof`, oof);
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual(oof);
    const reader = phone("oofreader", "16.1");
    await reader.provision(); // the policy test above left an enforced policy on this mailbox
    const r = await reader.send("Settings", `<Settings xmlns="Settings"><Oof><Get><BodyType>Text</BodyType></Get></Oof></Settings>`);
    expect(r.xml).toMatch(/<OofState>1<\/OofState>[\s\S]*<ReplyMessage>On leave<\/ReplyMessage>/);
    expect((await admin("PUT", `${base}/oof`, { state: 2, messages: [] })).status).toBe(400);
    expect((await admin("PUT", `${base}/oof`, { state: 5, messages: [] })).status).toBe(400);
    expect((await admin("PUT", `${base}/oof`, { state: 0, messages: [] })).status).toBe(200);
  });
});
