// The test Dovecot itself, from Node: LMTP delivery lands in the maildir and a maintained client (imapflow)
// reads it over implicit TLS with the test CA, with CONDSTORE/QRESYNC offered.
import { readFileSync } from "node:fs";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverLmtp, type RunningDovecot, startDovecot } from "../servers/dovecot";

let dovecot: RunningDovecot;

beforeAll(async () => {
  dovecot = await startDovecot();
});

afterAll(async () => {
  await dovecot?.stop();
});

describe("test Dovecot (test/servers/dovecot.ts)", () => {
  it("delivers by LMTP; imapflow sees the message over implicit TLS; CONDSTORE and QRESYNC are on", async () => {
    await deliverLmtp(dovecot, "alice", "From: a@example.test\nTo: alice@example.test\nSubject: Via LMTP\n\n.leading dot\nbody\n");
    const client = new ImapFlow({
      host: dovecot.host,
      port: dovecot.imapsPort,
      secure: true,
      tls: { ca: readFileSync(dovecot.caFile, "utf8"), servername: "localhost" },
      auth: { user: "alice", pass: "alice secret" },
      logger: false,
    });
    await client.connect();
    try {
      expect(client.capabilities.has("CONDSTORE")).toBe(true);
      expect(client.capabilities.has("QRESYNC")).toBe(true);
      const lock = await client.getMailboxLock("INBOX");
      try {
        const msg = await client.fetchOne("*", { source: true, envelope: true });
        // biome-ignore lint/complexity/useOptionalChain: imapflow answers false, not undefined, and false?.x does not type-check
        expect(msg && msg.envelope?.subject).toBe("Via LMTP");
        // biome-ignore lint/complexity/useOptionalChain: imapflow answers false, not undefined, and false?.x does not type-check
        expect(msg && msg.source?.toString()).toContain("\r\n.leading dot\r\nbody\r\n");
      } finally {
        lock.release();
      }
      const special = (await client.list())
        .filter((m) => m.specialUse)
        .map((m) => `${m.path}=${m.specialUse}`)
        .sort();
      expect(special).toEqual(["Drafts=\\Drafts", "INBOX=\\Inbox", "Junk=\\Junk", "Sent=\\Sent", "Trash=\\Trash"]);
    } finally {
      await client.logout();
    }
  });

  it("stops cleanly and removes its folder", async () => {
    const other = await startDovecot({ users: [{ user: "x", password: "y" }] });
    await other.stop();
    expect(() => readFileSync(`${other.dir}/dovecot.conf`)).toThrow();
  });
});
