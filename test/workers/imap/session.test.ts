import { describe, expect, inject, it } from "vitest";
import { assertEndpointAllowed, ImapSession, Literal, verifyImapLogin } from "../../../src/store/imap/connection";
import { str } from "../../../src/store/imap/parser";
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

describe("untagged responses as they are read", () => {
  it("gives each to the command's callback before the command ends, in order; a callback that throws ends nothing", async () => {
    const s = await ImapSession.open({ host: dovecot.host, port: dovecot.imapPort, tls: "none" }, alice);
    try {
      const seen: unknown[] = [];
      let ended = false;
      const p = s.command(["LIST", '""', '"*"'], (u) => {
        expect(ended).toBe(false);
        seen.push(u);
        throw new Error("the caller's own mistake");
      });
      const r = await p.finally(() => {
        ended = true;
      });
      expect(r.untagged.length).toBeGreaterThan(3);
      expect(seen).toEqual(r.untagged);
      expect((await s.command(["NOOP"])).done.tokens[0]).toBe("OK"); // the session goes on
    } finally {
      await s.close();
    }
  });
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

describe("IMAP session on servers with fewer extensions", () => {
  const appendOnce = async (ignore: string[]) => {
    const s = await ImapSession.open(
      { host: dovecot.host, port: dovecot.imapPort, tls: "none" },
      { user: "erin", password: "erin secret" },
      { ignoreCapabilities: ignore },
    );
    try {
      const raw = new TextEncoder().encode(`Subject: ${ignore.join(",")}\r\n\r\nbody é\r\n`);
      const r = await s.command(["APPEND", "INBOX", "()", new Literal(raw)]);
      const uid = str(r.done.code![2]);
      await s.command(["SELECT", "INBOX"]);
      const f = await s.command(["UID", "FETCH", uid, "(BODY.PEEK[])"]);
      const body = f.untagged.map((u) => u.tokens[2]).find(Array.isArray) as unknown[];
      return new TextDecoder().decode(body[body.indexOf("BODY[]") + 1] as Uint8Array);
    } finally {
      await s.close();
    }
  };

  it("synchronising literals without LITERAL+, AUTHENTICATE PLAIN without SASL-IR, LOGIN without AUTH=PLAIN", async () => {
    expect(await appendOnce(["LITERAL+"])).toBe("Subject: LITERAL+\r\n\r\nbody é\r\n");
    expect(await appendOnce(["SASL-IR"])).toContain("Subject: SASL-IR");
    expect(await appendOnce(["AUTH=PLAIN", "LITERAL+"])).toContain("Subject: AUTH=PLAIN,LITERAL+");
  });
});
