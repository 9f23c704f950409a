import { describe, expect, inject, it } from "vitest";
import { assertEndpointAllowed, ImapSession, verifyImapLogin } from "../../../src/store/imap/connection";
import { StoreUnavailableError } from "../../../src/store/types";

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

describe("IMAP endpoints and login checks", () => {
  it("refuses plain IMAP to anything but loopback, before connecting", async () => {
    await expect(ImapSession.open({ host: "mail.example.net", port: 143, tls: "none" }, alice)).rejects.toThrow(/only allowed to loopback/);
    expect(() => assertEndpointAllowed({ host: "mail.example.net", port: 993, tls: "implicit" })).not.toThrow();
    expect(() => assertEndpointAllowed({ host: "::1", port: 143, tls: "none" })).not.toThrow();
    expect(() => assertEndpointAllowed({ host: "mail.example.net", port: 0, tls: "implicit" })).toThrow(/port/);
  });

  it("verifies a device's password against the server: accepted, refused, or unavailable", async () => {
    expect(await verifyImapLogin({ host: dovecot.host, port: dovecot.imapsPort, tls: "implicit" }, alice)).toBe(true);
    const flaky = inject("flakyImap");
    expect(await verifyImapLogin({ host: "127.0.0.1", port: flaky.drop, tls: "none" }, { user: "alice", password: "wrong" })).toBe(false);
    await expect(verifyImapLogin({ host: "127.0.0.1", port: 1, tls: "none" }, alice)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
