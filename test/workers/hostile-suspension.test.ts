// Issue 13 §5: suspension is airtight. The outbox holds the owner's mail (sent mail, out-of-office and iMIP
// replies alike) while the subscription is suspended, sends it on resumption and bounces it once it has ended;
// service notices (another envelope sender) still go.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import type { MailboxSubscriptionState } from "../../src/mailbox/contract";
import { makeDeps } from "../../src/service/deps";
import { createAccount } from "../../src/service/directory";
import { pushState, type Subscription } from "../../src/service/subscriptions";
import { FolderType } from "../../src/store/types";
import { sinkMessages } from "./helpers/smtp-sink";

const mail = (from: string, to: string, subject: string) =>
  new TextEncoder().encode(
    `From: <${from}>\r\nTo: <${to}>\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHello.\r\n`,
  );

const state = (status: MailboxSubscriptionState["status"], version: number): MailboxSubscriptionState => ({
  subscriptionId: "sub-hold",
  status,
  reason: status === "suspended" ? "illicit_use" : null,
  version,
  updatedAt: Date.now(),
});

async function relayed(subject: string) {
  return (await sinkMessages()).filter((m) => m.text.includes(`Subject: ${subject}`));
}

describe("the outbox and the subscription", () => {
  it("suspended: the owner's mail is held (not sent, not dropped); resumed: sent; notices always go", async () => {
    const me = "held-owner@example.test";
    await createAccount(env.DB, me, "held-pw");
    const stub = env.MAILBOX.getByName(me);
    await stub.setSubscriptionState(state("suspended", 1));
    await stub.queueOutgoing(mail(me, "friend@remote.test", "Held while suspended"), { from: me });
    await stub.queueOutgoing(mail("notices@service.test", me.replace("@", "+x@"), "Service notice"), { from: "" });
    await runDurableObjectAlarm(stub);
    expect(await relayed("Held while suspended")).toHaveLength(0);
    expect(await stub.outboxStatus()).toMatchObject([{ from: me, attempts: 0 }]);

    await stub.setSubscriptionState(state("active", 2));
    await runDurableObjectAlarm(stub);
    expect(await relayed("Held while suspended")).toHaveLength(1);
    expect(await stub.outboxStatus()).toEqual([]);
  });

  it("ended (terminated): held mail is bounced to the owner, never sent", async () => {
    const me = "ended-owner@example.test";
    await createAccount(env.DB, me, "ended-pw");
    const stub = env.MAILBOX.getByName(me);
    await stub.setSubscriptionState(state("suspended", 1));
    await stub.queueOutgoing(mail(me, "friend@remote.test", "Never leaves"), { from: me });
    await runDurableObjectAlarm(stub);
    await stub.setSubscriptionState(state("terminated", 2));
    await runDurableObjectAlarm(stub);
    expect(await relayed("Never leaves")).toHaveLength(0);
    expect(await stub.outboxStatus()).toEqual([]);
    const subjects = await runInDurableObject(stub, async (m: Mailbox) => {
      const inbox = m.store.folderByType(FolderType.Inbox)!;
      const items = await m.store.listItems(inbox.id, { limit: 10 });
      return items.map((s) => s.subject);
    });
    expect(subjects.some((s) => /Undeliverable/.test(s))).toBe(true);
  });
});

describe("a subscription change reaches the mailbox object reliably", () => {
  it("a failed push is retried within seconds until the object acknowledges it", async () => {
    const address = "push-retry@example.test";
    let calls = 0;
    const real = env.MAILBOX.getByName(address);
    const flaky = {
      setSubscriptionState: async (s: MailboxSubscriptionState) => {
        if (++calls < 3) throw new Error("Durable Object reset because its code was updated"); // transient
        return real.setSubscriptionState(s);
      },
      endAllWaits: (reason: string) => real.endAllWaits(reason),
    };
    const fakeEnv = { ...env, MAILBOX: { getByName: () => flaky } } as unknown as Env;
    const d = makeDeps(fakeEnv);
    const sub = {
      id: "sub-retry",
      mailboxAddress: address,
      status: "suspended",
      version: 3,
      updatedAt: new Date(),
    } as unknown as Subscription;
    expect(await pushState(d, sub, [0, 10, 10, 10])).toBe(true);
    expect(calls).toBe(3);
    expect(await real.getSubscriptionState()).toMatchObject({ subscriptionId: "sub-retry", status: "suspended", version: 3 });
  });
});
