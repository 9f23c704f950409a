// Basic authentication against the built-in D1 directory, login forms, lockout ([MS-ASHTTP] 2.2.1.1.2.2).
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { normaliseAddress, sameUser } from "../../src/service/address";
import { D1UserDirectory, DEFAULT_LOCKOUT, DirectoryError, createAccount, lockSeconds, setPassword } from "../../src/service/directory";
import { fromBase64 } from "../../src/formats/base64";
import { PBKDF2_ITERATIONS } from "../../src/service/password";
import { VerifiedCredentialCache } from "../../src/service/verified-cache";
import { ascii, b64, basic, plainQuery, post } from "./helpers/eas-client";

const ALICE = "alice@example.test";
const PW = "correct horse battery";

beforeAll(async () => {
  await createAccount(env.DB, "Alice@Example.TEST", PW);
});

async function row(address: string) {
  return env.DB.prepare("select * from accounts where address = ?").bind(address).first<Record<string, unknown>>();
}

describe("directory", () => {
  it("stores a salted PBKDF2-SHA256 hash, never the password", async () => {
    const r = (await row(ALICE))!;
    expect(r.iterations).toBe(PBKDF2_ITERATIONS);
    expect(fromBase64(r.salt as string)).toHaveLength(16);
    expect(fromBase64(r.password_hash as string)).toHaveLength(32);
    expect(JSON.stringify(r)).not.toContain(PW);
    expect(r.failed_attempts).toBe(0);
  });

  it("createAccount refuses a second account for the same address (409) and non-addresses (400)", async () => {
    await expect(createAccount(env.DB, "ALICE@example.test", "x")).rejects.toMatchObject({ code: "exists", status: 409 });
    await expect(createAccount(env.DB, "not an address", "x")).rejects.toBeInstanceOf(DirectoryError);
    await expect(createAccount(env.DB, "new@example.test", "")).rejects.toMatchObject({ code: "invalid_password", status: 400 });
    await expect(setPassword(env.DB, "nobody@example.test", "x")).rejects.toMatchObject({ code: "not_found", status: 404 });
  });

  it("normalises user@domain and domain\\user, lower case, IDN domains in punycode", () => {
    expect(normaliseAddress(" Alice@Example.Test ")).toBe(ALICE);
    expect(normaliseAddress("example.test\\Alice")).toBe(ALICE);
    expect(normaliseAddress("bob@bücher.example")).toBe("bob@xn--bcher-kva.example");
    for (const bad of [
      "alice",
      "CORP\\alice",
      "@example.test",
      "alice@",
      "alice@localhost",
      "a b@example.test",
      "alice@1.2.3.4",
      "x\\y@z.test",
    ]) {
      expect(normaliseAddress(bad), bad).toBeNull();
    }
    expect(sameUser("alice", ALICE)).toBe(true);
    expect(sameUser("CORP\\Alice", ALICE)).toBe(true);
    expect(sameUser("ALICE@example.test", ALICE)).toBe(true);
    expect(sameUser("bob", ALICE)).toBe(false);
    expect(sameUser("alice@other.test", ALICE)).toBe(false);
  });

  it("a PBKDF2 check costs measurable time, the verified-credential cache skips it for repeats", async () => {
    const dir = new D1UserDirectory(env.DB, DEFAULT_LOCKOUT, Date.now, new VerifiedCredentialCache());
    let t = performance.now();
    expect(await dir.authenticate(ALICE, PW)).toEqual({ ok: true, address: ALICE });
    const cold = performance.now() - t;
    t = performance.now();
    expect(await dir.authenticate(ALICE, PW)).toEqual({ ok: true, address: ALICE });
    const warm = performance.now() - t;
    console.log(`authenticate: cold (PBKDF2 ${PBKDF2_ITERATIONS}) ${cold.toFixed(1)} ms, cached ${warm.toFixed(1)} ms`);
    expect(await dir.authenticate(ALICE, PW + "x")).toMatchObject({ ok: false, reason: "wrong_password" });
    await setPassword(env.DB, ALICE, PW); // same password, new salt: the cache entry no longer matches
    expect(await dir.authenticate(ALICE, PW)).toEqual({ ok: true, address: ALICE });
  });

  it("lock durations double per further lock, capped", () => {
    expect([5, 10, 15, 20, 50, 500].map((n) => lockSeconds(n, DEFAULT_LOCKOUT))).toEqual([60, 120, 240, 480, 1800, 1800]);
  });
});

describe("POST authentication", () => {
  it("MS-ASHTTP_R178, MS-ASHTTP_R523: no credentials, wrong password, unknown account → 401 with a Basic challenge", async () => {
    for (const auth of [undefined, basic(ALICE, "wrong"), basic("nobody@example.test", PW), basic("alice", PW), "Basic " + btoa(PW)]) {
      const res = await post(plainQuery("FolderSync"), { auth });
      expect(res.status, String(auth)).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toBe('Basic realm="Mobile Sync", charset="UTF-8"');
      expect(await res.text()).not.toMatch(/at |Error/);
    }
  });

  it("valid credentials in both login forms reach the command (FolderSync without a body: HTTP 200, FolderSync Status 10)", async () => {
    for (const login of [ALICE, "ALICE@example.test", "example.test\\alice"]) {
      const res = await post(plainQuery("FolderSync"), { auth: basic(login, PW) });
      expect(res.status, login).toBe(200);
    }
  });

  it("the User parameter may be the address, the bare user or DOMAIN\\user; another user is 403", async () => {
    for (const user of [ALICE, "alice", "CORP\\alice"]) {
      expect((await post(plainQuery("FolderSync", "", "dev1", user), { auth: basic(ALICE, PW) })).status, user).toBe(200);
    }
    expect((await post(plainQuery("FolderSync", "", "dev1", "bob@example.test"), { auth: basic(ALICE, PW) })).status).toBe(403);
    const base64User = b64([141, 9, 9, 4, 4, ...ascii("dev1"), 0, 1, ...ascii("X"), 8, 3, ...ascii("bob")]);
    expect((await post(base64User, { auth: basic(ALICE, PW), headers: {} })).status).toBe(403);
  });

  it("MS-ASHTTP_R404: with the plain query MS-ASProtocolVersion is required; an unserved version is 400", async () => {
    for (const v of ["", "2.0", "17.0", "abc"]) {
      const res = await post(plainQuery("FolderSync"), { auth: basic(ALICE, PW), headers: { "MS-ASProtocolVersion": v } });
      expect(res.status, v).toBe(400);
    }
    const tooLongKey = await post(plainQuery("FolderSync"), { auth: basic(ALICE, PW), headers: { "X-MS-PolicyKey": "1".repeat(65) } });
    expect(tooLongKey.status).toBe(400);
  });

  it("MS-ASHTTP_R135, MS-ASHTTP_R409: the base64 form carries the version itself, the header is not needed", async () => {
    // The vector is Cmd 0 = Sync without a body: the empty Sync request, answered by the command (HTTP 200).
    const res = await post("jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l", { auth: basic(ALICE, PW), headers: { "MS-ASProtocolVersion": "" } });
    expect(res.status).toBe(200);
  });

  it("a bad body is answered only after the login and the command checks: 401, 403, 501 first; 400 or 413 last", async () => {
    // The body is read while the login's row is on its way (issue 15); what the device is told keeps today's order.
    const wbxml = { "MS-ASProtocolVersion": "14.1", "Content-Type": "application/vnd.ms-sync.wbxml" };
    const truncated = () => new Uint8Array([0x03, 0x01, 0x6a, 0x00, 0x45, 0x4b]); // FolderSync's tag, then the end
    const huge = () => new Uint8Array(70 * 1024).fill(0x45); // over FolderSync's 64 KiB
    for (const body of [truncated, huge]) {
      for (const auth of [undefined, basic(ALICE, "wrong"), basic("nobody@example.test", PW)]) {
        const res = await post(plainQuery("FolderSync"), { auth, headers: wbxml, body: body() });
        expect(res.status, `${body.name} ${auth}`).toBe(401);
      }
      const other = await post(plainQuery("FolderSync", "", "dev1", "bob@example.test"), {
        auth: basic(ALICE, PW),
        headers: wbxml,
        body: body(),
      });
      expect(other.status, body.name).toBe(403);
      const notIn141 = await post(plainQuery("GetAttachment", "&AttachmentName=1%3A1"), {
        auth: basic(ALICE, PW),
        headers: wbxml,
        body: body(),
      });
      expect(notIn141.status, body.name).toBe(501);
    }
    expect((await post(plainQuery("FolderSync"), { auth: basic(ALICE, PW), headers: wbxml, body: truncated() })).status).toBe(400);
    expect((await post(plainQuery("FolderSync"), { auth: basic(ALICE, PW), headers: wbxml, body: huge() })).status).toBe(413);
  });

  it("a malformed query is 400 before any password check", async () => {
    expect((await post("Cmd=Sync&DeviceType=x", { auth: basic(ALICE, PW) })).status).toBe(400);
    expect((await post("jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25", { auth: basic(ALICE, PW) })).status).toBe(400);
  });
});

describe("rate limit on failed logins", () => {
  const BOB = "bob@example.test";
  const BOB_PW = "bob's password";

  it("5 failures lock the account: even the right password gets 401, the password is not checked while locked", async () => {
    await createAccount(env.DB, BOB, BOB_PW);
    const q = plainQuery("FolderSync", "", "bobdev");
    for (let i = 1; i <= 4; i++) {
      expect((await post(q, { auth: basic(BOB, `guess ${i}`) })).status).toBe(401);
      expect((await row(BOB))!.failed_attempts).toBe(i);
    }
    // A success returns only its own reservation: the four failures it did not make stay (lockout.ts).
    expect((await post(q, { auth: basic(BOB, BOB_PW) })).status).toBe(200);
    expect((await row(BOB))!.failed_attempts).toBe(4);

    expect((await post(q, { auth: basic(BOB, "guess 5") })).status).toBe(401);
    const locked = (await row(BOB))!;
    expect(locked.failed_attempts).toBe(5);
    const until = (locked.locked_until as number) * 1000;
    expect(until).toBeGreaterThan(Date.now() + 50_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 61_000);

    const res = await post(q, { auth: basic(BOB, BOB_PW) });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Basic /);
    expect((await post(q, { auth: basic(BOB, "another guess") })).status).toBe(401);
    expect((await row(BOB))!.failed_attempts).toBe(5); // guesses during the lock are not even counted
  });

  it("when the lock has expired the right password works again; the failures stay counted until forgotten", async () => {
    await env.DB.prepare("update accounts set locked_until = ? where address = ?")
      .bind(Math.floor(Date.now() / 1000) - 1, BOB)
      .run();
    expect((await post(plainQuery("FolderSync", "", "bobdev"), { auth: basic(BOB, BOB_PW) })).status).toBe(200);
    const r = (await row(BOB))!;
    expect(r.failed_attempts).toBe(5);
    // A day without failures: forgotten, the next failure starts again at 1.
    await env.DB.prepare("update accounts set last_failure_at = ? where address = ?")
      .bind(Date.now() - DEFAULT_LOCKOUT.failureMemorySeconds * 1000 - 1, BOB)
      .run();
    expect((await post(plainQuery("FolderSync", "", "bobdev"), { auth: basic(BOB, "typo") })).status).toBe(401);
    expect((await row(BOB))!.failed_attempts).toBe(1);
  });

  it("a concurrent burst of wrong passwords gets at most failuresPerLock checks (reserved before the check)", async () => {
    const CAROL = "carol-parallel@example.test";
    await createAccount(env.DB, CAROL, "carol pw");
    const dir = new D1UserDirectory(env.DB);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => dir.authenticate(CAROL, `wrong ${i}`)));
    const wrong = results.filter((r) => !r.ok && r.reason === "wrong_password").length;
    expect(wrong).toBeLessThan(DEFAULT_LOCKOUT.failuresPerLock); // the 5th reservation answers "locked"
    expect(results.every((r) => !r.ok)).toBe(true);
    const r = (await row(CAROL))!;
    expect(r.failed_attempts).toBe(DEFAULT_LOCKOUT.failuresPerLock);
    expect(r.locked_until).not.toBeNull();
    expect(await dir.authenticate(CAROL, "carol pw")).toMatchObject({ ok: false, reason: "locked" });
  });

  // Issue 19, chaos seed 20261212: right after `wrangler dev` was killed and restarted (every cached login gone)
  // a phone got HTTP 401 for its own password. Its mailbox's two phones sent six requests at once, each with a
  // real check; each check reserves a failure before it runs (lockout.ts), the fifth reservation set the lock
  // and the sixth request was answered "locked" before the fifth could lift it. A lock set by a check still in
  // flight lasts only as long as that check: a request refused by one looks again once its refusal's time (a
  // wrong password's) has passed.
  it("a burst of the owner's right password (every cache empty) is never answered locked, and leaves nothing counted", async () => {
    const FAY = "fay-burst@example.test";
    await createAccount(env.DB, FAY, "fay pw");
    const n = DEFAULT_LOCKOUT.failuresPerLock + 3;
    // A directory each: separate isolates, nothing shared but D1.
    const results = await Promise.all(
      Array.from({ length: n }, () =>
        new D1UserDirectory(env.DB, DEFAULT_LOCKOUT, Date.now, new VerifiedCredentialCache()).authenticate(FAY, "fay pw"),
      ),
    );
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(await row(FAY)).toMatchObject({ failed_attempts: 0, locked_until: null });
  });

  it("a background phone's successes give a guesser no fresh budget", async () => {
    const DAN = "dan-background@example.test";
    await createAccount(env.DB, DAN, "dan pw");
    const guesser = new D1UserDirectory(env.DB, DEFAULT_LOCKOUT, Date.now, new VerifiedCredentialCache());
    let checked = 0;
    for (let i = 0; i < 10; i++) {
      // The owner's phone logs in between every guess, each time with a real check (no cached success).
      await new D1UserDirectory(env.DB, DEFAULT_LOCKOUT, Date.now, new VerifiedCredentialCache()).authenticate(DAN, "dan pw");
      const r = await guesser.authenticate(DAN, `guess ${i}`);
      if (!r.ok && r.reason === "wrong_password") checked++;
    }
    expect(checked).toBe(DEFAULT_LOCKOUT.failuresPerLock - 1);
  }, 30_000);

  it("a locked answer takes as long as a wrong password (no oracle)", async () => {
    const ERIN = "erin-timing@example.test";
    await createAccount(env.DB, ERIN, "erin pw");
    const dir = new D1UserDirectory(env.DB);
    const time = async (pw: string) => {
      const t = performance.now();
      const r = await dir.authenticate(ERIN, pw);
      return { ms: performance.now() - t, r };
    };
    const wrong: number[] = [];
    for (let i = 0; i < DEFAULT_LOCKOUT.failuresPerLock; i++) wrong.push((await time(`w${i}`)).ms);
    const locked: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { ms, r } = await time(`l${i}`);
      expect(r).toMatchObject({ ok: false, reason: "locked" });
      locked.push(ms);
    }
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    console.log(`wrong password ${median(wrong).toFixed(1)} ms, locked ${median(locked).toFixed(1)} ms`);
    expect(median(locked) / median(wrong)).toBeGreaterThan(0.5); // both a PBKDF2 check, not a D1 read alone
  });

  it("password spraying: one client address gets clientFailures failures across accounts (CF-Connecting-IP)", async () => {
    const policy = { ...DEFAULT_LOCKOUT, clientFailures: 3 };
    const dir = new D1UserDirectory(env.DB, policy, Date.now, new VerifiedCredentialCache());
    const victims = ["spray1@example.test", "spray2@example.test", "spray3@example.test", "spray4@example.test"];
    for (const v of victims) await createAccount(env.DB, v, "right pw");
    const spray = "203.0.113.77";
    for (const v of victims.slice(0, 3))
      expect(await dir.authenticate(v, "Summer2026!", spray)).toMatchObject({ reason: "wrong_password" });
    // The fourth account: over the client's budget, refused even with the right password, not even checked.
    expect(await dir.authenticate(victims[3], "right pw", spray)).toMatchObject({ ok: false, reason: "locked" });
    expect((await row(victims[3]))!.failed_attempts).toBe(0); // the victim's own budget is untouched
    expect(await dir.authenticate(victims[3], "right pw", "198.51.100.1")).toMatchObject({ ok: true });
    // Unknown addresses count as well (spraying a list of guessed addresses).
    const other = "192.0.2.9";
    for (let i = 0; i < 3; i++) await dir.authenticate(`nobody${i}@example.test`, "x", other);
    expect(await dir.authenticate(victims[0], "right pw", other)).toMatchObject({ ok: false, reason: "locked" });
    // Through the front door the address is CF-Connecting-IP.
    const q = plainQuery("FolderSync", "", "spraydev");
    const res = await post(q, { auth: basic(victims[1], "right pw"), headers: { "CF-Connecting-IP": other } });
    expect(res.status).toBe(200); // the default policy's budget (50) is not spent by 4 failures
  });

  it("setPassword lifts a lock", async () => {
    const dir = new D1UserDirectory(env.DB);
    await env.DB.prepare("update accounts set failed_attempts = 0, last_failure_at = null where address = ?").bind(BOB).run();
    for (let i = 0; i < 5; i++) await dir.authenticate(BOB, "nope");
    expect(await dir.authenticate(BOB, BOB_PW)).toMatchObject({ ok: false, reason: "locked" });
    await setPassword(env.DB, BOB, "new password");
    expect(await dir.authenticate(BOB, "new password")).toEqual({ ok: true, address: BOB });
    expect(await dir.authenticate(BOB, BOB_PW)).toMatchObject({ ok: false, reason: "wrong_password" });
  });

  it("the login's row is read fresh on every request: a lock written elsewhere refuses the cached password at once, and so does a new password", async () => {
    const carol = "carol@example.test";
    await createAccount(env.DB, carol, "carol pw");
    const cache = new VerifiedCredentialCache();
    const dir = new D1UserDirectory(env.DB, DEFAULT_LOCKOUT, Date.now, cache);
    expect(await dir.authenticate(carol, "carol pw")).toEqual({ ok: true, address: carol });
    // Another isolate locked the account (only the D1 row says so; seconds, as drizzle's timestamp mode stores it).
    const until = Math.floor(Date.now() / 1000) + 600;
    await env.DB.prepare("update accounts set locked_until = ? where address = ?").bind(until, carol).run();
    expect(await dir.authenticate(carol, "carol pw")).toEqual({ ok: false, reason: "locked", lockedUntil: new Date(until * 1000) });
    await env.DB.prepare("update accounts set locked_until = null where address = ?").bind(carol).run();
    expect(await dir.authenticate(carol, "carol pw")).toEqual({ ok: true, address: carol });
    await setPassword(env.DB, carol, "carol new pw");
    expect(await dir.authenticate(carol, "carol pw")).toMatchObject({ ok: false, reason: "wrong_password" });
    expect(await dir.authenticate(carol, "carol new pw")).toEqual({ ok: true, address: carol });
  });
});
