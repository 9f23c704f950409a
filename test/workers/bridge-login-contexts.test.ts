// Issue 19 (chaos seeds 20261209–20261211): a bridged phone's request went unanswered for 300 s and never
// reached the Worker's request log. The prime suspect, fixed here: the bridged login check
// (src/service/bridge-directory.ts) was shared by the requests of an isolate as a *promise* in a module-level Map:
// a phone's FolderSync, Sync and Ping arriving together after the cached login expired all awaited the first
// one's check. On Cloudflare a request canceled by its client (a radio drop, a phone giving up) loses its
// pending I/O — its D1 query, its IMAP socket, its timers — so a promise it made may never settle, and a request
// awaiting it hangs for good (the same trap in panva/jose#509: "the isDone loop can hang forever"); the Map's
// entry, removed only when the check settled, then held every later request of that mailbox in that isolate
// once its cached login expired. (Under `wrangler dev` a phone hanging up through its entry proxy did not cancel
// the Worker's request in a check made for this fix, so the local runs may have met it another way: a check
// that never settles is what the tests below model.) The rule (platform.md, and the same fix in
// src/service/global-device-rules.ts): nothing created by one request's I/O, a pending promise included, is
// awaited by another. Only settled answers are shared; a request that finds a check in flight waits for its
// answer on its own timers and checks for itself if that answer never comes; the check runs under waitUntil.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BRIDGE_JOIN_LIMIT_MS, BridgeAuthenticator, type ImapLoginCheck, type InflightCheck } from "../../src/service/bridge-directory";
import { DEFAULT_LOCKOUT } from "../../src/service/lockout";
import type { MailboxBackendRow } from "../../src/service/mailbox-backends";
import { VerifiedCredentialCache } from "../../src/service/verified-cache";
import { StoreUnavailableError } from "../../src/store/types";

/** A backend row as the directory reads it (no D1 row behind it: lockout.ts then counts nothing). */
function row(address: string): MailboxBackendRow {
  const t = new Date(1_700_000_000_000);
  return {
    address,
    kind: "imap",
    imapHost: "127.0.0.1",
    imapPort: 1143,
    imapTls: "none",
    smtpHost: "127.0.0.1",
    smtpPort: 2525,
    smtpTls: "none",
    smtpAuth: "account",
    davUrl: null,
    push: "notify",
    failedAttempts: 0,
    lockedUntil: null,
    lastFailureAt: null,
    createdAt: t,
    updatedAt: t,
  };
}

/** A login check per call: `answers[i]` is what the i-th check does (a promise that never settles: its request vanished). */
function scriptedCheck(answers: (() => Promise<boolean>)[]) {
  const calls: string[] = [];
  const check: ImapLoginCheck = (_endpoint, credentials) => {
    const answer = answers[calls.length] ?? (() => Promise.resolve(true));
    calls.push(credentials.user);
    return answer();
  };
  return { calls, check };
}

function authenticator(check: ImapLoginCheck, now: () => number = Date.now, keepAlive: (p: Promise<unknown>) => void = () => {}) {
  const inflight = new Map<string, InflightCheck>();
  const auth = new BridgeAuthenticator(
    env.DB,
    DEFAULT_LOCKOUT,
    now,
    new VerifiedCredentialCache(120_000, 1000, now),
    check,
    inflight,
    keepAlive,
  );
  return { auth, inflight };
}

const never = () => new Promise<boolean>(() => {});
const settlesIn = (ms: number, value: boolean) => () => new Promise<boolean>((r) => setTimeout(() => r(value), ms));
const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

describe("bridged login checks in flight (per isolate)", () => {
  it("a check whose request vanished (it never settles) holds nobody: a request that joined it checks for itself once it is overdue", async () => {
    let clock = Date.now();
    const { calls, check } = scriptedCheck([never, settlesIn(5, true)]);
    const { auth } = authenticator(check, () => clock);
    const a = row("vanish@bridge.test");
    void auth.authenticate(a, "pw"); // the phone hangs up: this check's I/O is dropped, it never settles
    await tick();
    const joined = auth.authenticate(a, "pw");
    await tick();
    expect(calls).toHaveLength(1); // joined, not asked twice while the first may still answer
    clock += BRIDGE_JOIN_LIMIT_MS + 1;
    expect(await joined).toEqual({ ok: true, address: a.address, bridged: { push: "notify" } });
    expect(calls).toHaveLength(2);
    // And the address is not stuck for later requests either (the old entry stayed forever).
    clock += 121_000; // the cached success expired
    expect((await auth.authenticate(a, "pw")).ok).toBe(true);
    expect(calls).toHaveLength(3);
  });

  it("the map of checks in flight holds plain answers, never a promise, and forgets a check once it settled", async () => {
    const { check } = scriptedCheck([settlesIn(50, true)]);
    const { auth, inflight } = authenticator(check);
    const a = row("plain@bridge.test");
    const first = auth.authenticate(a, "pw");
    await tick(10);
    expect(inflight.size).toBe(1);
    for (const v of inflight.values()) {
      expect(v).not.toBeInstanceOf(Promise);
      expect(Object.values(v).some((x) => x instanceof Promise)).toBe(false);
    }
    await first;
    expect(inflight.size).toBe(0);
  });

  it("requests arriving during a check share its settled answer (one IMAP login), a refusal and an outage alike", async () => {
    const ok = scriptedCheck([settlesIn(60, true)]);
    const s1 = authenticator(ok.check);
    const a = row("share@bridge.test");
    const results = await Promise.all([0, 1, 2].map(async (i) => (await tick(i * 10), s1.auth.authenticate(a, "pw"))));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(ok.calls).toHaveLength(1);

    const wrong = scriptedCheck([settlesIn(60, false)]);
    const s2 = authenticator(wrong.check);
    const refused = await Promise.all([0, 1].map(async (i) => (await tick(i * 10), s2.auth.authenticate(a, "guess"))));
    expect(refused).toEqual([
      { ok: false, reason: "wrong_password" },
      { ok: false, reason: "wrong_password" },
    ]);
    expect(wrong.calls).toHaveLength(1);

    const down = scriptedCheck([
      () => new Promise((_, reject) => setTimeout(() => reject(new StoreUnavailableError("IMAP down", 30)), 60)),
    ]);
    const s3 = authenticator(down.check);
    const outcomes = await Promise.allSettled([0, 1].map(async (i) => (await tick(i * 10), s3.auth.authenticate(a, "pw"))));
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    expect(down.calls).toHaveLength(1);
  });

  it("the check outlives its request (waitUntil): a phone hanging up mid-check still gets its reservation returned and its answer shared", async () => {
    const kept: Promise<unknown>[] = [];
    const { check } = scriptedCheck([settlesIn(40, true)]);
    const { auth } = authenticator(check, Date.now, (p) => kept.push(p));
    void auth.authenticate(row("kept@bridge.test"), "pw");
    await tick(5);
    expect(kept).toHaveLength(1);
    await expect(kept[0]).resolves.toBeUndefined();
  });
});
