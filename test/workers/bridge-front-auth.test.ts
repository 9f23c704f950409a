// Issue 8 §1: devices of a bridged mailbox log in with the mail account's own password, checked by the real
// test Dovecot (IMAP LOGIN as the address); a success is cached per isolate for a short time (keyed hash);
// failures lock like built-in accounts; an unreachable server is 503, never 401. The front door hands the
// verified login to the mailbox object before the gates and marks the request as bridged.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { inject } from "vitest";
import type { EasCommand, EasRequest } from "../../src/eas/front/command";
import { handleActiveSync, type FrontDoor } from "../../src/http/activesync-route";
import { gates } from "../../src/http/gates";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { BridgeAuthenticator, BRIDGE_LOGIN_TTL_MS, type ImapLoginCheck } from "../../src/service/bridge-directory";
import { D1UserDirectory, DEFAULT_LOCKOUT, lockSeconds } from "../../src/service/directory";
import { VerifiedCredentialCache } from "../../src/service/verified-cache";
import { StoreAuthError, StoreUnavailableError } from "../../src/store/types";
import { verifyImapLogin } from "../../src/store/imap/connection";
import { BASE, basic } from "./helpers/eas-client";
import { TestPhone } from "./helpers/phone";

const dovecot = inject("dovecot");
// Dovecot answers a refused login after about 0.5 s; some tests refuse several.
vi.setConfig({ testTimeout: 20_000 });
const ANN = "ann@bridge.test"; // directory
const BEN = "ben@bridge.test"; // implicit TLS, front door
const CID = "cid@bridge.test"; // its server is down
const DEE = "dee@bridge.test"; // lockout
const ELI = "eli@bridge.test"; // autodiscover
const IKE = "ike@bridge.test"; // its object logs in for the first time with a password the server refuses
const pw = (address: string) => `${address.split("@")[0]} secret`;

async function admin(method: string, path: string, body?: unknown) {
  const res = await exports.default.fetch(
    new Request(`https://sync.example.test/admin/v1${path}`, {
      method,
      headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

function bridge(address: string, imap: { port: number; tls: "none" | "implicit" }, push: "poll" | "notify" = "poll") {
  return admin("POST", "/mailboxes", {
    address,
    backend: { kind: "imap", imap: { host: dovecot.host, ...imap }, smtp: { host: "127.0.0.1", port: 2525, tls: "none" }, push },
  });
}

beforeAll(async () => {
  expect((await bridge(ANN, { port: dovecot.imapPort, tls: "none" })).status).toBe(201);
  expect((await bridge(BEN, { port: dovecot.imapsPort, tls: "implicit" }, "notify")).status).toBe(201);
  expect((await bridge(CID, { port: 1, tls: "none" })).status).toBe(201);
  expect((await bridge(DEE, { port: dovecot.imapPort, tls: "none" })).status).toBe(201);
  expect((await bridge(ELI, { port: dovecot.imapPort, tls: "none" })).status).toBe(201);
  expect((await bridge(IKE, { port: dovecot.imapPort, tls: "none" })).status).toBe(201);
  expect((await admin("POST", "/mailboxes", { address: "builtin@local.test", password: "builtin pw" })).status).toBe(201);
});

/** The real IMAP login check, counted. */
function countingCheck() {
  const calls: string[] = [];
  const check: ImapLoginCheck = (endpoint, credentials) => {
    calls.push(credentials.user);
    return verifyImapLogin(endpoint, credentials, { timeoutMs: 5000 });
  };
  return { calls, check };
}

function directory(opts: { now?: () => number; check?: ImapLoginCheck; cache?: VerifiedCredentialCache } = {}) {
  const now = opts.now ?? Date.now;
  const bridgeAuth = new BridgeAuthenticator(
    env.DB,
    DEFAULT_LOCKOUT,
    now,
    opts.cache ?? new VerifiedCredentialCache(BRIDGE_LOGIN_TTL_MS, 1000, now),
    opts.check,
  );
  return new D1UserDirectory(env.DB, DEFAULT_LOCKOUT, now, new VerifiedCredentialCache(), bridgeAuth);
}

const backendRow = (address: string) =>
  env.DB.prepare("select failed_attempts, locked_until, updated_at from mailbox_backends where address = ?")
    .bind(address)
    .first<{ failed_attempts: number; locked_until: number | null }>();

describe("directory: bridged logins checked by the IMAP server", () => {
  it("the account's password is accepted in every login form, the IMAP login being the normalised address; the result says bridged", async () => {
    const { calls, check } = countingCheck();
    for (const login of [ANN, "ANN@Bridge.Test", "bridge.test\\ann"]) {
      expect(await directory({ check }).authenticate(login, pw(ANN))).toEqual({ ok: true, address: ANN, bridged: { push: "poll" } });
    }
    expect(calls).toEqual([ANN, ANN, ANN]);
    // Implicit TLS to Dovecot (certificate from the test CA); push mode as configured.
    expect(await directory().authenticate(BEN, pw(BEN))).toEqual({ ok: true, address: BEN, bridged: { push: "notify" } });
  });

  it("a wrong password is refused by the server: wrong_password, counted; a success returns only its own reservation", async () => {
    expect(await directory().authenticate(ANN, "not the password")).toEqual({ ok: false, reason: "wrong_password" });
    expect((await backendRow(ANN))!.failed_attempts).toBe(1);
    expect((await directory().authenticate(ANN, pw(ANN))).ok).toBe(true);
    expect((await backendRow(ANN))!.failed_attempts).toBe(1); // lockout.ts: a success erases no failure it did not make
    await env.DB.prepare("update mailbox_backends set failed_attempts = 0, last_failure_at = null where address = ?").bind(ANN).run();
  });

  it("a cached success does not reconnect; it is a keyed hash bound to the endpoint, expires after 2 minutes, and never lets another password in", async () => {
    let clock = Date.now();
    const now = () => clock;
    const { calls, check } = countingCheck();
    const cache = new VerifiedCredentialCache(BRIDGE_LOGIN_TTL_MS, 1000, now);
    const dir = directory({ now, check, cache });
    let t = performance.now();
    expect((await dir.authenticate(ANN, pw(ANN))).ok).toBe(true);
    const cold = performance.now() - t;
    t = performance.now();
    expect((await dir.authenticate(ANN, pw(ANN))).ok).toBe(true);
    const warm = performance.now() - t;
    console.log(`bridged authenticate: IMAP login ${cold.toFixed(1)} ms, cached ${warm.toFixed(1)} ms`);
    expect(calls).toHaveLength(1);
    expect(JSON.stringify([...(cache as unknown as { entries: Map<string, unknown> }).entries])).not.toContain("secret");

    expect(await dir.authenticate(ANN, "another password")).toMatchObject({ ok: false, reason: "wrong_password" });
    expect(calls).toHaveLength(2); // not a cache hit: asked the server
    expect((await dir.authenticate(ANN, pw(ANN))).ok).toBe(true);
    expect(calls).toHaveLength(2); // a refused guess does not evict the good entry

    clock += BRIDGE_LOGIN_TTL_MS + 1;
    expect((await dir.authenticate(ANN, pw(ANN))).ok).toBe(true);
    expect(calls).toHaveLength(3); // expired: asked the server again

    // Re-pointing the backend (updated_at moves) invalidates cached logins at once.
    expect((await dir.authenticate(ANN, pw(ANN))).ok).toBe(true);
    expect(calls).toHaveLength(3);
    await env.DB.prepare("update mailbox_backends set updated_at = updated_at + 1 where address = ?").bind(ANN).run();
    expect((await dir.authenticate(ANN, pw(ANN))).ok).toBe(true);
    expect(calls).toHaveLength(4);
    dir.forget(ANN);
    expect((await dir.authenticate(ANN, pw(ANN))).ok).toBe(true);
    expect(calls).toHaveLength(5);
  });

  it("concurrent requests with the same login share one IMAP login (a phone's FolderSync, Sync and Ping after the cache expired)", async () => {
    const { calls, check } = countingCheck();
    const dir = directory({ check });
    const results = await Promise.all([1, 2, 3].map(() => dir.authenticate(ANN, pw(ANN))));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(calls).toHaveLength(1);
    const before = (await backendRow(ANN))!.failed_attempts;
    const refused = await Promise.all([1, 2].map(() => directory({ check }).authenticate(ANN, "same wrong guess")));
    expect(refused).toEqual([
      { ok: false, reason: "wrong_password" },
      { ok: false, reason: "wrong_password" },
    ]);
    expect(calls).toHaveLength(2);
    expect((await backendRow(ANN))!.failed_attempts).toBe(before + 1); // one guess, counted once
    expect((await directory({ check }).authenticate(ANN, pw(ANN))).ok).toBe(true);
  });

  it("failures lock the account like a built-in one; while locked the server is not asked at all", async () => {
    let clock = Date.now();
    const now = () => clock;
    const { calls, check } = countingCheck();
    const dir = directory({ now, check });
    for (let i = 1; i < DEFAULT_LOCKOUT.failuresPerLock; i++)
      expect(await dir.authenticate(DEE, `guess ${i}`)).toEqual({ ok: false, reason: "wrong_password" });
    const locked = await dir.authenticate(DEE, "guess 5");
    expect(locked).toMatchObject({ ok: false, reason: "locked" });
    expect(calls).toHaveLength(DEFAULT_LOCKOUT.failuresPerLock);
    const row = (await backendRow(DEE))!;
    expect(row.failed_attempts).toBe(DEFAULT_LOCKOUT.failuresPerLock);
    expect(row.locked_until).toBe(clock + lockSeconds(DEFAULT_LOCKOUT.failuresPerLock, DEFAULT_LOCKOUT) * 1000);
    // Even the right password: refused without a login attempt on the server.
    expect(await dir.authenticate(DEE, pw(DEE))).toMatchObject({ ok: false, reason: "locked" });
    expect(calls).toHaveLength(DEFAULT_LOCKOUT.failuresPerLock);
    clock += lockSeconds(DEFAULT_LOCKOUT.failuresPerLock, DEFAULT_LOCKOUT) * 1000 + 1;
    expect((await dir.authenticate(DEE, pw(DEE))).ok).toBe(true);
    expect(await backendRow(DEE)).toMatchObject({ failed_attempts: DEFAULT_LOCKOUT.failuresPerLock }); // remembered (lockout.ts)
  });

  it("an unreachable server is an outage (StoreUnavailableError), not a failure: nothing counted", async () => {
    await expect(directory().authenticate(CID, pw(CID))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect((await backendRow(CID))!.failed_attempts).toBe(0);
  });
});

/** A front door with the real directory (counted IMAP logins), gates and a command that records the request. */
function probeFrontDoor(check: ImapLoginCheck, run: (req: EasRequest) => Promise<void> = async () => {}) {
  const seen: EasRequest[] = [];
  const probe: EasCommand = {
    name: "Probe",
    async handle(req) {
      seen.push(req);
      await run(req);
      return { kind: "empty" };
    },
  };
  const cache = new VerifiedCredentialCache(BRIDGE_LOGIN_TTL_MS);
  const dir = new D1UserDirectory(
    env.DB,
    DEFAULT_LOCKOUT,
    Date.now,
    new VerifiedCredentialCache(),
    new BridgeAuthenticator(env.DB, DEFAULT_LOCKOUT, Date.now, cache, check),
  );
  const fd: FrontDoor = { registry: new Map([["Probe", probe]]), gates, directory: () => dir };
  const call = (user: string, password: string) =>
    handleActiveSync(
      new Request(`${BASE}?Cmd=Probe&DeviceId=probe1&DeviceType=SmartPhone`, {
        method: "POST",
        headers: { Authorization: basic(user, password), "MS-ASProtocolVersion": "14.1" },
      }),
      env,
      fd,
    );
  return { seen, call };
}

describe("front door", () => {
  it("a bridged mailbox's request carries credentials and backendPush; the object holds the login (memory) before the command runs", async () => {
    const { calls, check } = countingCheck();
    const { seen, call } = probeFrontDoor(check, async (req) => {
      const held = await runInDurableObject(req.mailbox, async (m: Mailbox) => (m as unknown as { credentials?: unknown }).credentials);
      expect(held).toEqual(req.user === BEN ? { username: BEN, password: pw(BEN) } : undefined);
    });
    const res = await call("BEN@bridge.test", pw(BEN));
    expect(res.status).toBe(200);
    expect(seen[0]).toMatchObject({ user: BEN, credentials: { username: BEN, password: pw(BEN) }, backendPush: "notify" });
    expect((await call(BEN, pw(BEN))).status).toBe(200);
    expect(calls).toHaveLength(1); // the second request used the cached login

    const builtin = await call("builtin@local.test", "builtin pw");
    expect(builtin.status).toBe(200);
    expect(seen[2]!.credentials).toBeUndefined();
    expect(seen[2]!.backendPush).toBeUndefined();
  });

  it("the gates run before the login reaches the object: a suspended bridged mailbox's object never holds the password (issue 13 §5)", async () => {
    const { check } = countingCheck();
    const { seen, call } = probeFrontDoor(check);
    const stub = env.MAILBOX.getByName(DEE);
    await runInDurableObject(stub, async (m: Mailbox) => {
      (m as unknown as { credentials?: unknown }).credentials = undefined;
    });
    await stub.setSubscriptionState({
      subscriptionId: "s-dee",
      status: "suspended",
      reason: "illicit_use",
      version: 1,
      updatedAt: Date.now(),
    });
    await env.DB.prepare("update mailbox_backends set locked_until = null where address = ?").bind(DEE).run();
    const res = await call(DEE, pw(DEE));
    expect(res.status).not.toBe(200);
    expect(seen).toHaveLength(0);
    const held = await runInDurableObject(stub, async (m: Mailbox) => (m as unknown as { credentials?: unknown }).credentials);
    expect(held).toBeUndefined();
    await stub.setSubscriptionState({ subscriptionId: "s-dee", status: "active", reason: null, version: 2, updatedAt: Date.now() });
  });

  it("MS-ASHTTP_R178: a wrong password is 401 with the Basic challenge; an unreachable server is 503 + Retry-After (MS-ASHTTP_R273)", async () => {
    const phone = new TestPhone(BEN, "wrong password", "FRONTBEN1");
    const refused = await phone.send("FolderSync", null);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("WWW-Authenticate")).toMatch(/^Basic realm=/);
    const down = await new TestPhone(CID, pw(CID), "FRONTCID1").send("FolderSync", null);
    expect(down.status).toBe(503);
    expect(Number(down.headers.get("Retry-After"))).toBeGreaterThan(0);
  });

  it("a real device request to a bridged mailbox goes through (FolderSync)", async () => {
    const phone = new TestPhone(ANN, pw(ANN), "FRONTANN1");
    const body = await phone.folderSync("0");
    expect(body.children.find((c) => typeof c === "object" && "name" in c && c.name === "Status")).toBeTruthy();
  });

  it("StoreAuthError from the mailbox object (password changed on the server) → 401 with the challenge, and the cached login is dropped", async () => {
    const { calls, check } = countingCheck();
    const { call } = probeFrontDoor(check, async (req) => {
      if (req.deviceId === "probe1" && calls.length === 1) {
        await runInDurableObject(req.mailbox, async () => {
          throw new StoreAuthError("IMAP LOGIN: NO [AUTHENTICATIONFAILED] Authentication failed.");
        });
      }
    });
    const res = await call(BEN, pw(BEN));
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Basic realm=/);
    expect(await res.text()).not.toMatch(/IMAP|AUTHENTICATIONFAILED/);
    expect((await call(BEN, pw(BEN))).status).toBe(200);
    expect(calls).toHaveLength(2); // asked the server again instead of trusting the cache
  });
});

describe("front door and the real bridged object", () => {
  it("StoreAuthError thrown by the object's IMAP login crosses the RPC (as a plain Error named StoreAuthError) → 401 with the challenge; the cached login is dropped", async () => {
    const { calls, check } = countingCheck();
    let thrown: unknown;
    const { call } = probeFrontDoor(check, async (req) => {
      if (calls.length !== 1) return;
      // As if the password had changed on the server since the front door cached it.
      await req.mailbox.useCredentials({ username: IKE, password: "changed on the server" });
      try {
        await req.mailbox.folderSync(req.deviceId, "0");
      } catch (e) {
        thrown = e;
        throw e;
      }
    });
    const res = await call(IKE, pw(IKE));
    expect((thrown as Error).name).toBe("StoreAuthError");
    expect(thrown).not.toBeInstanceOf(StoreAuthError); // the class did not survive the trip; the name did
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Basic realm=/);
    expect((await call(IKE, pw(IKE))).status).toBe(200);
    expect(calls).toHaveLength(2);
  });
});

describe("Autodiscover", () => {
  const request = (auth: string) =>
    exports.default.fetch(
      new Request("https://sync.example.test/autodiscover/autodiscover.xml", {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "text/xml" },
        body: `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"><Request><EMailAddress>${ELI}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006</AcceptableResponseSchema></Request></Autodiscover>`,
      }),
    );

  it("checks a bridged mailbox's password with its IMAP server: 200, 401 for a wrong one, 503 when the server is down", async () => {
    const ok = await request(basic(ELI, pw(ELI)));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("Microsoft-Server-ActiveSync");
    expect((await request(basic(ELI, "wrong"))).status).toBe(401);
    const down = await request(basic(CID, pw(CID)));
    expect(down.status).toBe(503);
    expect(down.headers.get("Retry-After")).toBeTruthy();
  });
});
