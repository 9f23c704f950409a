// The Workers email() handler (Email Routing): known recipients get the message in their Inbox,
// unknown ones are refused with setReject.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import worker from "../../src/index";
import { envelopeAddress } from "../../src/service/accounts";

function fakeMessage(to: string, raw: Uint8Array, calls: string[]): ForwardableEmailMessage {
  return {
    from: "sender@elsewhere.example",
    to,
    headers: new Headers({ subject: "hi" }),
    rawSize: raw.byteLength,
    raw: new Response(raw).body!,
    setReject: (reason: string) => calls.push(`reject:${reason}`),
    forward: async () => {
      calls.push("forward");
    },
    reply: async () => {
      calls.push("reply");
    },
  } as unknown as ForwardableEmailMessage;
}

const raw = (subject: string) =>
  new TextEncoder().encode(`From: sender@elsewhere.example\r\nTo: erin@example.test\r\nSubject: ${subject}\r\n\r\nHello Erin\r\n`);

async function inboxSubjects(address: string): Promise<string[]> {
  return runInDurableObject(env.MAILBOX.getByName(address), async (mb: Mailbox) =>
    (await mb.store.listItems("1", { limit: 50 })).map((s) => s.subject).sort(),
  );
}

beforeAll(async () => {
  await env.DB.prepare(
    "INSERT INTO accounts (address, password_hash, salt, iterations, created_at) VALUES ('erin@example.test', 'x', 'y', 1, 0)",
  ).run();
});

it("delivers to a known mailbox, matching the address case-insensitively and without +tag", async () => {
  const calls: string[] = [];
  await worker.email(fakeMessage("erin@example.test", raw("One"), calls), env);
  await worker.email(fakeMessage("<Erin@Example.TEST>", raw("Two"), calls), env);
  await worker.email(fakeMessage("erin+lists@example.test", raw("Three"), calls), env);
  expect(calls).toEqual([]);
  expect(await inboxSubjects("erin@example.test")).toEqual(["One", "Three", "Two"]);
});

it("refuses mail for an address without an account, and stores nothing", async () => {
  const calls: string[] = [];
  await worker.email(fakeMessage("nobody@example.test", raw("Lost"), calls), env);
  expect(calls).toEqual(["reject:unknown mailbox"]);
  expect(await inboxSubjects("nobody@example.test")).toEqual([]);
});

it("normalises envelope addresses", () => {
  expect(envelopeAddress("  <Demo@Example.Test> ")).toBe("demo@example.test");
});

it("refuses a message over the size limit (MAX_SEND_BYTES) without reading it all, whatever rawSize claims; stores nothing", async () => {
  const small = { ...env, MAX_SEND_BYTES: "2000" } as unknown as Env;
  const big = new TextEncoder().encode(
    `From: sender@elsewhere.example\r\nTo: erin@example.test\r\nSubject: Too big\r\n\r\n${"x".repeat(5000)}\r\n`,
  );
  const calls: string[] = [];
  await worker.email(fakeMessage("erin@example.test", big, calls), small);
  // A lying rawSize: the stream is cut at the limit all the same.
  const liar = { ...fakeMessage("erin@example.test", big, calls), rawSize: 100 } as ForwardableEmailMessage;
  await worker.email(liar, small);
  expect(calls).toEqual([
    "reject:552 5.3.4 message too large (at most 2000 bytes)",
    "reject:552 5.3.4 message too large (at most 2000 bytes)",
  ]);
  expect(await inboxSubjects("erin@example.test")).not.toContain("Too big");
});
