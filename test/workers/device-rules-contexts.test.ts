// Issue 13 §8: the front-door fuzz (bench/frontdoor-fuzz.bench.ts, seed 777: 12 000 requests, 6 at a time) got
// 17 HTTP 500s that each answered 200 when replayed alone. workerd's log (13 of 13 in the re-run):
// "Cannot perform I/O on behalf of a different request (I/O type: OutgoingFactory)", thrown by the touchDevice RPC
// chained in http/device-state.ts onto `globalAccess(env)`, at 30 s intervals (the rules' cache lifetime).
// The service-wide rules were cached per isolate as a *promise*: a request that arrived while another request's
// fetch of the rules was in flight chained its own RPC onto that promise, so the RPC ran in the other request's
// I/O context when the promise settled, and workerd refused it. The rule (platform.md): nothing created by one
// request's I/O — a pending promise included — is shared with another. So only settled values are cached, and a
// request that finds none fetches the rules itself, in its own context.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { forgetGlobalAccess, GLOBAL_RULES_OBJECT, globalAccess } from "../../src/service/global-device-rules";

/** The real env and rules object, counting the fetches of the rules; the first `failFirst` fetches fail. */
function countingEnv(failFirst = 0) {
  const counter = { fetches: 0 };
  const MAILBOX = {
    getByName: (name: string) => {
      const real = env.MAILBOX.getByName(name);
      if (name !== GLOBAL_RULES_OBJECT) return real;
      return {
        listAccessRules: () => {
          counter.fetches++;
          // What a burst of cold-cache requests meets at the one rules object (issue 15 target 3).
          if (counter.fetches <= failFirst) return Promise.reject(Object.assign(new Error("object overloaded"), { overloaded: true }));
          return real.listAccessRules();
        },
      };
    },
  };
  return { env: { ...env, MAILBOX } as unknown as Env, counter };
}

beforeEach(() => forgetGlobalAccess());

describe("the service-wide device rules cache (per isolate)", () => {
  it("never hands a request another request's fetch in flight: each caller on a miss fetches for itself", async () => {
    const { env: e, counter } = countingEnv();
    const now = Date.now();
    const [a, b] = await Promise.all([globalAccess(e, now), globalAccess(e, now)]);
    expect(counter.fetches).toBe(2);
    expect(a).toEqual(b);
    expect(a.rules).toEqual([]);
  });

  it("a settled value is shared for 30 s, then read again", async () => {
    const { env: e, counter } = countingEnv();
    const t = Date.now();
    await globalAccess(e, t);
    await globalAccess(e, t + 1_000);
    await globalAccess(e, t + 29_000);
    expect(counter.fetches).toBe(1);
    await globalAccess(e, t + 31_000);
    expect(counter.fetches).toBe(2);
  });

  it("an admin change during a fetch is not undone by that fetch's older answer", async () => {
    const { env: e, counter } = countingEnv();
    const t = Date.now();
    const inFlight = globalAccess(e, t);
    forgetGlobalAccess(); // the admin route, while the fetch above is in flight
    await inFlight;
    await globalAccess(e, t + 1);
    expect(counter.fetches).toBe(2);
  });

  it("a failed read is not cached: the next request reads the rules again instead of running 30 s without them", async () => {
    await env.MAILBOX.getByName(GLOBAL_RULES_OBJECT).addAccessRule({ kind: "device-type", pattern: "BlockedPhone", access: "blocked" });
    const { env: e, counter } = countingEnv(1);
    const t = Date.now();
    // Unreadable rules must not lock everybody out: this request goes on under the mailbox's own rules.
    expect((await globalAccess(e, t)).rules).toEqual([]);
    const next = await globalAccess(e, t + 1_000);
    expect(counter.fetches).toBe(2);
    expect(next.rules.map((r) => r.pattern)).toEqual(["BlockedPhone"]);
    await globalAccess(e, t + 2_000); // and that good read is shared
    expect(counter.fetches).toBe(2);
  });
});
