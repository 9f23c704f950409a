import { describe, expect, inject, it } from "vitest";
import { ImapSession } from "../../../src/store/imap/connection";

const dovecot = inject("dovecot");
const alice = { user: "alice", password: "alice secret" };

describe("IMAP session over cloudflare:sockets", () => {
  for (const tls of ["none", "implicit", "starttls"] as const) {
    it(`logs in with tls=${tls} and learns CONDSTORE/QRESYNC`, async () => {
      const port = tls === "implicit" ? dovecot.imapsPort : dovecot.imapPort;
      const s = await ImapSession.open({ host: dovecot.host, port, tls }, alice);
      expect(s.has("QRESYNC")).toBe(true);
      const r = await s.command(["LIST", '""', '"*"', "RETURN", "(SPECIAL-USE)"]);
      expect(r.untagged.length).toBeGreaterThan(3);
      await s.close();
    });
  }
});
