// `npm start` runs plain Node scripts (scripts/*.mjs) outside vitest's resolver: a TypeScript import they
// pull in must load there too (the local SMTP relay broke once on an extensionless import in test/smtp-sink.ts).
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";
// @ts-expect-error plain ESM script without type declarations
import { demoMessages } from "../../scripts/demo-mail.mjs";
// @ts-expect-error plain ESM script without type declarations
import { demoCalendarIcs, demoContactsVcf } from "../../scripts/demo-pim.mjs";
// @ts-expect-error plain ESM script without type declarations
import { seedDemo } from "../../scripts/seed-demo.mjs";
import { child, childText, childrenNamed, el } from "../../src/wbxml/index";
import { Phone } from "./phone";
import { syncRequest } from "./sync-requests";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

it("scripts/local-relay.mjs starts and stops the loopback relay under plain Node (npm start's path)", () => {
  const script = `
    const { startLocalRelay } = await import("./scripts/local-relay.mjs");
    const relay = await startLocalRelay({});
    console.log(JSON.stringify(relay.vars));
    await relay.stop();`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8", timeout: 30_000 });
  const vars = JSON.parse(out.trim().split("\n").pop()!);
  expect(vars.SMTP_HOST).toBe("127.0.0.1");
  expect(Number(vars.SMTP_PORT)).toBeGreaterThan(0);
});

// Issue 19: the first `npm start` stopped at any instant (Ctrl-C, a crash) must be finished by the next one.
// The interrupted start is the seed with a fetch that lets request N reach the Worker and then dies before the
// answer is read (the process stopped with the request on the wire); the next start is an ordinary seed.
describe("npm start's demo seed is resumable and idempotent", () => {
  const url = inject("workerUrl");
  const adminToken = inject("adminToken");
  const mail = () => demoMessages({ bigAttachmentBytes: 200_000 });
  const MESSAGES = (demoMessages({ bigAttachmentBytes: 1 }) as unknown[]).length; // 26
  // Requests of a first seed: POST account, MESSAGES imports, PUT calendar, PUT contacts, GET subscriptions,
  // POST subscription (the order), POST payment.
  const ORDER = 1 + MESSAGES + 2 + 2;
  const points: [string, number][] = [
    ["right after the account exists", 1],
    ["after 12 of the messages", 1 + 12],
    ["after the calendar, before the contacts", 1 + MESSAGES + 1],
    ["between the order and its payment", ORDER],
  ];

  class Stopped extends Error {}
  const dyingAfter =
    (n: number): typeof fetch =>
    async (input, init) => {
      const res = await fetch(input, init);
      if (--n <= 0) throw new Stopped(`stopped after ${String(input)}`);
      return res;
    };
  const admin = async (route: string) => {
    const r = await fetch(url + route, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(r.status, route).toBe(200);
    return r;
  };

  async function inboxCount(address: string): Promise<number> {
    const p = new Phone({
      baseUrl: url,
      user: address,
      password: "demo pw",
      deviceId: "seedCheck",
      deviceType: "iPhone",
      protocolVersion: "16.1",
    });
    const fs = await p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
    expect(childText(fs.tree, "Status")).toBe("1"); // not 131: the subscription reached the mailbox object
    let key = childText(child(child((await p.command("Sync", syncRequest("1", "0"))).tree, "Collections"), "Collection"), "SyncKey")!;
    let n = 0;
    for (;;) {
      const r = await p.command("Sync", syncRequest("1", key, [el("AirSync", "WindowSize", 100)]));
      if (!r.tree) return n;
      const c = child(child(r.tree, "Collections"), "Collection");
      n += childrenNamed(child(c, "Commands"), "Add").length;
      key = childText(c, "SyncKey")!;
      if (!child(c, "MoreAvailable")) return n;
    }
  }

  for (const [what, n] of points)
    it(`interrupted ${what}: the next start finishes the demo (${MESSAGES} messages once, calendar, contacts, active subscription)`, async () => {
      const address = `seed-${n}-${Date.now()}@example.test`;
      const opts = { adminToken, address, password: "demo pw", messages: mail };
      await expect(seedDemo(url, { ...opts, fetch: dyingAfter(n) })).rejects.toBeInstanceOf(Stopped);
      const next = await seedDemo(url, opts);
      expect(next).toMatchObject({ created: false, resumed: true });
      const box = `/admin/v1/mailboxes/${encodeURIComponent(address)}`;
      const view = (await (await admin(box)).json()) as any;
      expect(view.subscription.status).toBe("active");
      expect(view.device_gate_state).toMatchObject({ status: "active", subscriptionId: view.subscription.id });
      const subs = (await (await admin(`/admin/v1/subscriptions?mailbox=${encodeURIComponent(address)}`)).json()) as any;
      expect(subs.subscriptions).toHaveLength(1); // ordered once
      expect((await (await admin(`${box}/calendar.ics`)).text()).match(/BEGIN:VEVENT/g)?.length).toBe(
        (demoCalendarIcs() as string).match(/BEGIN:VEVENT/g)!.length,
      );
      expect((await (await admin(`${box}/contacts.vcf`)).text()).match(/BEGIN:VCARD/g)?.length).toBe(
        (demoContactsVcf() as string).match(/BEGIN:VCARD/g)!.length,
      );
      expect(await inboxCount(address)).toBe(MESSAGES);
      // A finished seed is not run again (a third start touches nothing).
      const calls: string[] = [];
      const third = await seedDemo(url, {
        ...opts,
        fetch: (i: RequestInfo | URL, init?: RequestInit) => (calls.push(`${init?.method} ${String(i)}`), fetch(i, init)),
      });
      expect(third).toMatchObject({ created: false, resumed: false });
      expect(calls.filter((c) => !c.startsWith("GET"))).toHaveLength(1); // the POST that answers 409
    }, 60_000);
});
