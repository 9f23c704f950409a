// Issue 15 target 1: a built-in mailbox's Sync runs the device gates inside its own mailbox RPC (`gatedSync`: touch,
// gates, sync), one round trip per request instead of two. The gates' answers stay exactly theirs (129, 131, 140,
// 142, 144; 403 / 449 before 14.0), and a refused request applies nothing.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { handleActiveSync } from "../../src/http/activesync-route";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { PolicySchema } from "../../src/eas/policy";
import { createAccount } from "../../src/service/directory";
import { decodeWbxml, el, encodeWbxml, toXml, type WbxmlElement } from "../../src/wbxml/index";
import { syncRequest } from "../node/sync-requests";
import { BASE, basic } from "./helpers/eas-client";
import { first, Phone } from "./helpers/onboard-phone";
import { idsOf, message, statusOf, syncKeyOf, TestPhone } from "./helpers/phone";

const USER = "gated-sync@example.test";
const PW = "gated sync pw";
const INBOX = "1";
const mailbox = () => env.MAILBOX.getByName(USER);

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
  await runInDurableObject(mailbox(), async (mb: Mailbox) => {
    for (let i = 0; i < 3; i++) await mb.store.appendMessage(INBOX, message(`Gated ${i}`), {}, Date.now() - i * 1000);
  });
});

/** The RPC methods the front door called on USER's mailbox object, in order, during `run`. */
async function mailboxCalls(run: (env: Env) => Promise<void>): Promise<string[]> {
  const calls: string[] = [];
  const counted = (stub: object) =>
    new Proxy(stub, {
      get(target, p) {
        const v = Reflect.get(target, p);
        if (typeof p !== "string" || typeof v !== "function") return v;
        return (...args: unknown[]) => {
          calls.push(p);
          // An RPC stub's method is a stub too (its `apply` would be a remote method): call it as a method.
          return (target as Record<string, (...a: unknown[]) => unknown>)[p](...args);
        };
      },
    });
  const namespace = new Proxy(env.MAILBOX, {
    get(target, p) {
      if (p !== "getByName") return Reflect.get(target, p);
      return (name: string) => (name === USER ? counted(target.getByName(name)) : target.getByName(name));
    },
  });
  await run({ ...env, MAILBOX: namespace } as Env);
  return calls;
}

/** `env` whose USER object's gatedSync fails (the RPC lost, the object reset) while its other methods work. */
function envWithFailingGatedSync(): Env {
  const namespace = new Proxy(env.MAILBOX, {
    get(target, p) {
      if (p !== "getByName") return Reflect.get(target, p);
      return (name: string) => {
        const stub = target.getByName(name);
        if (name !== USER) return stub;
        return new Proxy(stub, {
          get(t, m) {
            if (m === "gatedSync") return async () => Promise.reject(new Error("the object was reset"));
            return Reflect.get(t, m);
          },
        });
      };
    },
  });
  return { ...env, MAILBOX: namespace } as Env;
}

function syncBody(key: string, commands: WbxmlElement[] = []): WbxmlElement {
  return syncRequest(INBOX, key, [commands.length > 0 && el("AirSync", "Commands", ...commands)]);
}

async function sendSync(e: Env, deviceId: string, body: WbxmlElement, version = "14.1") {
  const res = await handleActiveSync(
    new Request(`${BASE}?Cmd=Sync&User=${encodeURIComponent(USER)}&DeviceId=${deviceId}&DeviceType=SmartPhone`, {
      method: "POST",
      headers: { Authorization: basic(USER, PW), "MS-ASProtocolVersion": version, "Content-Type": "application/vnd.ms-sync.wbxml" },
      body: encodeWbxml(body),
    }),
    e,
  );
  const raw = new Uint8Array(await res.arrayBuffer());
  const wbxml = (res.headers.get("Content-Type") ?? "").includes("wbxml") && raw.length > 0;
  return { status: res.status, headers: res.headers, xml: wbxml ? toXml(decodeWbxml(raw)) : "" };
}

describe("Sync: the device gates ride on the Sync RPC", () => {
  it("a Sync page costs one mailbox RPC (touch, gates and sync together), not a touch and then a sync", async () => {
    const phone = new TestPhone(USER, PW, "ONERPC");
    const key = syncKeyOf(await phone.sync(INBOX, "0"));
    let xml = "";
    const calls = await mailboxCalls(async (e) => {
      xml = (await sendSync(e, "ONERPC", syncBody(key))).xml;
    });
    expect(xml).toMatch(/<Status>1<\/Status>/);
    expect(xml.match(/<Add>/g)).toHaveLength(3);
    expect(calls).toEqual(["gatedSync"]);
    // The touch happened: the device is recorded as seen.
    expect(await mailbox().getDevice("ONERPC")).toMatchObject({ deviceId: "ONERPC", protocolVersion: "14.1" });
  });

  it("a blocked device's Sync is refused (129 on 14.1, 403 on 12.1) and applies nothing: its Delete waits for the unblock", async () => {
    const phone = new TestPhone(USER, PW, "BLOCKSYNC");
    let key = syncKeyOf(await phone.sync(INBOX, "0"));
    const page = await phone.sync(INBOX, key);
    key = syncKeyOf(page);
    const victim = idsOf(page, "Add")[0];
    expect(victim).toBeTruthy();
    const rule = await mailbox().addAccessRule({ kind: "device-id", pattern: "BLOCKSYNC", access: "blocked" });
    const del = [el("AirSync", "Delete", el("AirSync", "ServerId", victim))];

    const refused = await sendSync(env, "BLOCKSYNC", syncBody(key, del));
    expect(refused.status).toBe(200);
    expect(refused.xml).toMatch(/<Sync xmlns="AirSync">\s*<Status>129<\/Status>\s*<\/Sync>/);
    expect((await sendSync(env, "BLOCKSYNC", syncBody(key, del), "12.1")).status).toBe(403);
    // A malformed Sync from the blocked device: still the gate's answer, not the parser's.
    const bad = await sendSync(env, "BLOCKSYNC", el("AirSync", "Sync", el("AirSync", "Collections", el("AirSync", "Collection"))));
    expect(bad.xml).toMatch(/<Status>129<\/Status>/);
    const stillThere = await runInDurableObject(mailbox(), async (mb: Mailbox) =>
      (await mb.store.listItems(INBOX, { limit: 10 })).map((i) => i.itemId),
    );
    expect(stillThere).toHaveLength(3);

    // The gated RPC failing outright (before any state came back): the gates still answer first.
    expect((await sendSync(envWithFailingGatedSync(), "BLOCKSYNC", syncBody(key, del))).xml).toMatch(/<Status>129<\/Status>/);

    // Unblocked, the same request (same key: the refused ones did not consume it) is applied.
    await mailbox().removeAccessRule(rule.id);
    const applied = await phone.sync(INBOX, key, { commands: del });
    expect(statusOf(applied)).toBe("1");
    expect(syncKeyOf(applied)).not.toBe(key);
    const after = await runInDurableObject(mailbox(), async (mb: Mailbox) => (await mb.store.listItems(INBOX, { limit: 10 })).length);
    expect(after).toBe(2);
  });

  it("a pending wipe answers Sync with 140 (449 on 12.1), even while the subscription is suspended; acknowledged, 131", async () => {
    const phone = new TestPhone(USER, PW, "WIPESYNC");
    const key = syncKeyOf(await phone.sync(INBOX, "0"));
    expect(await mailbox().requestWipe("WIPESYNC", false)).toBe(true);
    expect((await sendSync(env, "WIPESYNC", syncBody(key))).xml).toMatch(/<Sync xmlns="AirSync">\s*<Status>140<\/Status>/);
    expect((await sendSync(env, "WIPESYNC", syncBody(key), "12.1")).status).toBe(449);

    await mailbox().setSubscriptionState({
      subscriptionId: "gs-1",
      status: "suspended",
      reason: "eligibility",
      version: 1,
      updatedAt: Date.now(),
    });
    try {
      expect((await sendSync(env, "WIPESYNC", syncBody(key))).xml).toMatch(/<Status>140<\/Status>/);
      // Another device of the suspended mailbox: 131 with the state header, nothing synced.
      const other = new TestPhone(USER, PW, "SUSPSYNC");
      const r = await other.send("Sync", syncBody("0"));
      expect(r.status).toBe(200);
      expect(toXml(r.body!)).toMatch(/<Sync xmlns="AirSync">\s*<Status>131<\/Status>/);
      expect(r.headers.get("X-MS-Subscription-State")).toBe("suspended");
      expect((await sendSync(env, "SUSPSYNC", syncBody("0"), "12.1")).status).toBe(403);
      // The wipe acknowledged: refused like any other device of the suspended mailbox.
      await mailbox().provision("WIPESYNC", { protocolVersion: "14.1", wipeAck: { accountOnly: false, status: 1 } });
      expect((await sendSync(env, "WIPESYNC", syncBody(key))).xml).toMatch(/<Status>131<\/Status>/);
    } finally {
      await mailbox().setSubscriptionState({ subscriptionId: "gs-1", status: "active", reason: null, version: 2, updatedAt: Date.now() });
    }
  });

  it("an enforced policy answers Sync with 142 without a key and 144 with a wrong one; the right key syncs", async () => {
    const strict = "gated-strict@example.test";
    await createAccount(env.DB, strict, PW);
    await env.MAILBOX.getByName(strict).setPolicy(PolicySchema.parse({ devicePasswordEnabled: true }));
    const phone = new TestPhone(strict, PW, "STRICTSYNC");
    const noKey = await phone.send("Sync", syncBody("0"));
    expect(toXml(noKey.body!)).toMatch(/<Sync xmlns="AirSync">\s*<Status>142<\/Status>/);
    const wrong = await phone.send("Sync", syncBody("0"), { headers: { "X-MS-PolicyKey": "4242" } });
    expect(toXml(wrong.body!)).toMatch(/<Status>144<\/Status>/);
    const provisioned = new Phone({ user: strict, password: PW, deviceId: "STRICTSYNC", version: "14.1" });
    await provisioned.provision();
    const ok = await provisioned.send(
      "Sync",
      `<Sync xmlns="AirSync"><Collections><Collection><SyncKey>0</SyncKey><CollectionId>${INBOX}</CollectionId></Collection></Collections></Sync>`,
    );
    expect(first(ok.xml, "Status")).toBe("1");
    expect(first(ok.xml, "SyncKey")).toMatch(/^\S+$/);
  });
});

/** A Ping on the Inbox from `deviceId` (heartbeat 480 s) through the front door. */
async function sendPing(e: Env, deviceId: string, version = "14.1") {
  const body = el(
    "Ping",
    "Ping",
    el("Ping", "HeartbeatInterval", "480"),
    el("Ping", "Folders", el("Ping", "Folder", el("Ping", "Id", INBOX), el("Ping", "Class", "Email"))),
  );
  const res = await handleActiveSync(
    new Request(`${BASE}?Cmd=Ping&User=${encodeURIComponent(USER)}&DeviceId=${deviceId}&DeviceType=SmartPhone`, {
      method: "POST",
      headers: { Authorization: basic(USER, PW), "MS-ASProtocolVersion": version, "Content-Type": "application/vnd.ms-sync.wbxml" },
      body: encodeWbxml(body),
    }),
    e,
  );
  const raw = new Uint8Array(await res.arrayBuffer());
  const wbxml = (res.headers.get("Content-Type") ?? "").includes("wbxml") && raw.length > 0;
  return { status: res.status, xml: wbxml ? toXml(decodeWbxml(raw)) : "" };
}

describe("Ping: the device gates ride on the plan's RPC (issue 15 target 3)", () => {
  it("a Ping makes two round trips to the object (gates and plan together, then the wait), not three", async () => {
    // Synced to key 1 with the Inbox's three messages not fetched yet: the wait answers at once (Status 2).
    const phone = new TestPhone(USER, PW, "PINGRPC");
    syncKeyOf(await phone.sync(INBOX, "0"));
    let answer = { status: 0, xml: "" };
    const calls = await mailboxCalls(async (e) => {
      answer = await sendPing(e, "PINGRPC");
    });
    expect(answer.status).toBe(200);
    expect(answer.xml).toMatch(/<Status>2<\/Status>/);
    expect(answer.xml).toContain(`<Folder>${INBOX}</Folder>`);
    expect(calls).toEqual(["gatedPreparePing", "fetch"]);
    // The touch happened: the device is recorded as seen.
    expect(await mailbox().getDevice("PINGRPC")).toMatchObject({ deviceId: "PINGRPC", protocolVersion: "14.1" });
  });

  it("a blocked device's Ping gets the gates' answer (129 on 14.1, 403 on 12.1), does not wait and caches nothing", async () => {
    const phone = new TestPhone(USER, PW, "PINGBLOCK");
    syncKeyOf(await phone.sync(INBOX, "0"));
    const rule = await mailbox().addAccessRule({ kind: "device-id", pattern: "PINGBLOCK", access: "blocked" });
    let refused = { status: 0, xml: "" };
    const calls = await mailboxCalls(async (e) => {
      refused = await sendPing(e, "PINGBLOCK");
    });
    expect(refused.status).toBe(200);
    expect(refused.xml).toMatch(/<Status>129<\/Status>/);
    expect(calls).toEqual(["gatedPreparePing"]);
    expect((await sendPing(env, "PINGBLOCK", "12.1")).status).toBe(403);
    // No Ping parameters were cached for the refused device: an empty Ping after the unblock has nothing to reuse.
    const cached = await runInDurableObject(mailbox(), async (_mb: Mailbox, state: DurableObjectState) =>
      state.storage.sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name = 'push_ping'").one().n === 0
        ? 0
        : state.storage.sql.exec("SELECT count(*) AS n FROM push_ping WHERE device_id = ?", "PINGBLOCK").one().n,
    );
    expect(cached).toBe(0);
    await mailbox().removeAccessRule(rule.id);
  });
});
