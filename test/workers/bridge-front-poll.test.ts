// Issue 8 §3 "where a server sends no notifications, poll while (and only while) a device waits": for a
// bridged mailbox with push "poll", the Worker holding a Ping or hanging Sync calls mailbox.poll(credentials)
// every BRIDGE_POLL_SECONDS, stops when the wait ends, and a failing poll never ends the wait with an error.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import type { EasRequest } from "../../src/eas/front/command";
import { hangSync } from "../../src/eas/front/sync-wait";
import {
  bridgePollSeconds,
  DEFAULT_BRIDGE_POLL_SECONDS,
  startBridgePolling,
  waitForChanges,
  type WaitingRequest,
} from "../../src/eas/front/wait";
import { child, childrenNamed, childText, el, type WbxmlElement } from "../../src/wbxml";
import { bridgeThroughAdmin } from "./bridge-mailbox-helpers";
import { TestPhone } from "./helpers/phone";
import { touchFolder } from "./helpers/store-touch";
import { baselineTaken, easRequest, waitsOpen, within } from "./push-helpers";
import type { BackendCredentials } from "../../src/mailbox/contract";

vi.setConfig({ testTimeout: 20_000 });

const CREDS: BackendCredentials = { username: "poll@bridge.test", password: "pw" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A mailbox stand-in that only counts polls (the timer's own behaviour, before the object's poll exists). */
function counting(poll: (n: number) => Promise<number> = async () => 0) {
  const calls: BackendCredentials[] = [];
  const mailbox = { poll: (c: BackendCredentials) => (calls.push(c), poll(calls.length)) };
  return {
    calls,
    req: (over: Partial<WaitingRequest> = {}) =>
      ({ mailbox, deviceId: "d", credentials: CREDS, backendPush: "poll", ...over }) as unknown as WaitingRequest,
  };
}

describe("the poll timer", () => {
  it("BRIDGE_POLL_SECONDS: whole seconds ≥ 1, default 60 (wrangler.toml [vars])", () => {
    expect(bridgePollSeconds({})).toBe(DEFAULT_BRIDGE_POLL_SECONDS);
    expect(bridgePollSeconds({ BRIDGE_POLL_SECONDS: "15" })).toBe(15);
    for (const bad of ["0", "-5", "1.5", "soon", ""]) expect(bridgePollSeconds({ BRIDGE_POLL_SECONDS: bad }), bad).toBe(60);
    expect(bridgePollSeconds()).toBe(60);
  });

  it("polls every interval with the request's credentials, and not after it is stopped", async () => {
    const { calls, req } = counting();
    const stop = startBridgePolling(req(), 1, 60);
    await sleep(2500);
    expect(calls).toEqual([CREDS, CREDS]);
    stop();
    await sleep(1300);
    expect(calls).toHaveLength(2);
  });

  it("only for a bridged mailbox with a login", async () => {
    const { calls, req } = counting();
    const stops = [
      startBridgePolling(req({ credentials: undefined, backendPush: undefined }), 1, 1),
      startBridgePolling(req({ credentials: undefined }), 1, 1),
      startBridgePolling(req({ backendPush: undefined }), 1, 1),
    ];
    await sleep(1300);
    for (const stop of stops) stop();
    expect(calls).toHaveLength(0);
  });

  it('push "notify": a safety tick at the start of the wait, then every safety interval (the object decides whether to poll)', async () => {
    const { calls, req } = counting();
    const stop = startBridgePolling(req({ backendPush: "notify" }), 1, 2);
    await sleep(300);
    expect(calls).toEqual([CREDS]); // at once: a wait shorter than the interval still gets its chance
    await sleep(1400);
    expect(calls).toHaveLength(1); // not at the poll interval (1 s)
    await sleep(700);
    expect(calls).toHaveLength(2);
    stop();
    await sleep(2200);
    expect(calls).toHaveLength(2);
  });

  it("a failing poll is logged and retried at the next tick; a slow one is never stacked", async () => {
    const failing = counting(async () => {
      throw new Error("IMAP 127.0.0.1:1 unavailable");
    });
    const stop = startBridgePolling(failing.req(), 1, 60);
    await sleep(2500);
    stop();
    expect(failing.calls).toHaveLength(2);

    const slow = counting(() => sleep(2500).then(() => 0));
    const stopSlow = startBridgePolling(slow.req(), 1, 60);
    await sleep(3300);
    stopSlow();
    expect(slow.calls).toHaveLength(1);
  });
});

describe("a waiting request drives the polls (real mailbox object for the wait, counted poll)", () => {
  /** The real object for the wait socket; poll counted and, on its 2nd call, finding a change as the bridge's would. */
  function shim(user: string, onPoll: (n: number) => Promise<void>) {
    const stub = env.MAILBOX.getByName(user);
    let polls = 0;
    const mailbox = {
      fetch: (input: RequestInfo, init?: RequestInit) => stub.fetch(input, init),
      poll: async () => {
        polls++;
        await onPoll(polls);
        return 0;
      },
    };
    const req = {
      ...easRequest(user, "d", null),
      mailbox,
      credentials: { username: user, password: "x" },
      backendPush: "poll",
    } as unknown as EasRequest;
    return { req, polls: () => polls };
  }

  it("a hanging Sync that times out was polled each interval, and the polling stopped with it", async () => {
    const s = shim("pollwait1@bridge.test", async () => {});
    const started = Date.now();
    // 2.5 s: never on a poll tick, so exactly two polls (at 1 s and 2 s) whatever the timer order.
    expect(await waitForChanges(s.req, { collections: ["1"], seconds: 2.5, kind: "sync", pollSeconds: 1 })).toEqual({ kind: "timeout" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2400);
    expect(s.polls()).toBe(2);
    await sleep(1300);
    expect(s.polls()).toBe(2);
  });

  it("a change the poll finds answers the wait (Sync 'changes'), and polling stops", async () => {
    const user = "pollwait2@bridge.test";
    const s = shim(user, async (n) => {
      if (n !== 2) return;
      await touchFolder(user, "1");
      await env.MAILBOX.getByName(user).changed(["1"]);
    });
    const t0 = Date.now();
    const outcome = waitForChanges(s.req, { collections: ["1"], seconds: 60, kind: "sync", pollSeconds: 1 });
    await waitsOpen(user, 1);
    expect(await outcome).toEqual({ kind: "changes", folders: ["1"] });
    expect(Date.now() - t0).toBeLessThan(4000);
    await sleep(1300);
    expect(s.polls()).toBe(2);
  });

  it("polls that fail do not end the wait: the hanging Sync still answers 'none' at its heartbeat", async () => {
    const s = shim("pollwait3@bridge.test", async () => {
      throw Object.assign(new Error("IMAP unavailable"), { name: "StoreUnavailableError" });
    });
    // hangSync is what Sync.ts calls; it reads BRIDGE_POLL_SECONDS (60), so the interval here is the default.
    expect(await hangSync(s.req, ["1"], 1)).toBe("none");
    const direct = await waitForChanges(s.req, { collections: ["1"], seconds: 1.5, kind: "sync", pollSeconds: 1 });
    expect(direct).toEqual({ kind: "timeout" });
    expect(s.polls()).toBe(1);
  });
});

const control = inject("controlUrl");

function inboxOf(folderSync: WbxmlElement): string {
  const adds = childrenNamed(child(folderSync, "Changes", "FolderHierarchy"), "Add", "FolderHierarchy");
  return childText(adds.find((a) => childText(a, "Type", "FolderHierarchy") === "2")!, "ServerId", "FolderHierarchy")!;
}

describe("against the real object and Dovecot", () => {
  it('mail delivered to a bridged mailbox with push "poll" reaches a waiting device through the Worker\'s polls', async () => {
    const FAY = "fay@bridge.test";
    await bridgeThroughAdmin(FAY, "poll");
    const phone = new TestPhone(FAY, "fay secret", "POLLPHONE1");
    const inbox = inboxOf(await phone.folderSync("0"));
    const req = {
      ...easRequest(FAY, "POLLPHONE1", null),
      credentials: { username: FAY, password: "fay secret" },
      backendPush: "poll",
    } as EasRequest;
    const waiting = waitForChanges(req, { collections: [inbox], seconds: 30, kind: "ping", pollSeconds: 1 });
    // Parked before the delivery: a wait that ended at once (or was refused) fails here and says how.
    const parked = await Promise.race([
      waitsOpen(FAY, 1).then(() => "parked"),
      waiting.then(
        (outcome) => ({ endedBeforeDelivery: outcome }),
        (err: unknown) => ({ refused: String(err) }),
      ),
    ]);
    expect(parked).toBe("parked");
    // The socket is registered before the wait's first check, which takes the baseline of this Inbox the
    // device never synced and may wait for the one IMAP session (another device, background work): mail
    // delivered before that is taken into the baseline and the polls never see it change.
    await baselineTaken(FAY, "POLLPHONE1", inbox);
    const lmtp = await fetch(`${control}/lmtp?to=${encodeURIComponent(FAY)}`, {
      method: "POST",
      body: "From: a@example.test\r\nTo: fay@bridge.test\r\nSubject: polled\r\n\r\nhi\r\n",
    });
    expect(lmtp.status).toBe(204);
    const t0 = Date.now();
    expect(await waiting).toEqual({ kind: "changes", folders: [inbox] });
    expect(Date.now() - t0).toBeLessThan(3000);
    // Longer than the wait's own 30 s: a wait the polls never wake ends as { kind: "timeout" } above, which says so,
    // instead of the test being cut at the default 20 s with no word of where it stood (one full-suite run did).
  }, 45_000);

  it("the whole path: a phone's Ping over HTTP to a \"poll\" mailbox is answered by the Worker's polls after LMTP delivery (BRIDGE_POLL_SECONDS)", async () => {
    const vars = env as unknown as { BRIDGE_POLL_SECONDS?: string };
    const saved = vars.BRIDGE_POLL_SECONDS;
    const bridged = async (address: string) => {
      await bridgeThroughAdmin(address, "poll");
      const phone = new TestPhone(address, `${address.split("@")[0]} secret`, "POLLPHONE2");
      const inbox = inboxOf(await phone.folderSync("0"));
      const ping = () =>
        phone.send(
          "Ping",
          el(
            "Ping",
            "Ping",
            el("Ping", "HeartbeatInterval", 120),
            el("Ping", "Folders", el("Ping", "Folder", el("Ping", "Id", inbox), el("Ping", "Class", "Email"))),
          ),
        );
      const deliver = async () => {
        const r = await fetch(`${control}/lmtp?to=${encodeURIComponent(address)}`, {
          method: "POST",
          body: `From: a@example.test\r\nTo: ${address}\r\nSubject: polled\r\n\r\nhi\r\n`,
        });
        expect(r.status).toBe(204);
      };
      /** The Ping's first check is over (its baseline of the never-synced Inbox taken): mail after it is news. */
      const watching = () => baselineTaken(address, "POLLPHONE2", inbox);
      return { ping, deliver, watching };
    };
    try {
      // Control: the default interval (60 s): mail delivered while the phone waits is not seen within 2.5 s
      // (nothing announces it: this is what polling is for).
      const kit = await bridged("kit@bridge.test");
      const unseen = kit.ping();
      await waitsOpen("kit@bridge.test", 1);
      await kit.watching();
      await kit.deliver();
      expect(await within(unseen, 2500)).toBe("pending");
      // A new Ping of the device ends the first one (Status 1) and sees the mail at once (checked at its start).
      expect(childText((await kit.ping()).body!, "Status", "Ping")).toBe("2");
      expect(childText((await unseen).body!, "Status", "Ping")).toBe("1");

      // 1 s: the Worker's first poll after the delivery answers the waiting Ping.
      vars.BRIDGE_POLL_SECONDS = "1";
      const joy = await bridged("joy@bridge.test");
      const waiting = joy.ping();
      await waitsOpen("joy@bridge.test", 1);
      await joy.watching();
      await joy.deliver();
      const t0 = Date.now();
      const answered = await within(waiting, 3000);
      expect(answered, "answered by a poll").not.toBe("pending");
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(childText((answered as Awaited<typeof waiting>).body!, "Status", "Ping")).toBe("2");
    } finally {
      vars.BRIDGE_POLL_SECONDS = saved;
    }
  });
});
