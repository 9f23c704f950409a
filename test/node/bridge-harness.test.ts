// The bridge's servers as the end-to-end tests use them (bridge-setup.ts, bridge-client.ts), checked without the
// Worker: a login added while Dovecot runs works by address over IMAP, LMTP delivers to it, the submission
// server insists on AUTH with that login, and the account's calendar and address book exist on Radicale.
import "./bridge-env";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { bridgeServers, dav, davCollection, deliver, newBridgeAccount, withImap } from "./bridge-client";

/** A bare SMTP dialogue; returns each reply's first line. */
async function smtpDialogue(port: number, lines: string[]): Promise<string[]> {
  const sock = net.connect(port, "127.0.0.1");
  sock.setEncoding("utf8");
  const replies: string[] = [];
  let buf = "";
  let waiting: (() => void) | null = null;
  sock.on("data", (d: string) => {
    buf += d;
    for (let i = buf.indexOf("\r\n"); i >= 0; i = buf.indexOf("\r\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (/^\d{3}-/.test(line)) continue;
      replies.push(line);
      waiting?.();
    }
  });
  const next = (n: number) => new Promise<void>((r) => (waiting = () => replies.length >= n && r()));
  await next(1);
  for (const line of lines) {
    const p = next(replies.length + 1);
    sock.write(line + "\r\n");
    await p;
  }
  sock.end();
  return replies;
}

describe("bridge servers (bridge-setup.ts)", () => {
  it("a login added at run time: IMAP by address, LMTP delivery into its INBOX, special-use folders", async () => {
    const a = await newBridgeAccount("harness");
    await deliver(a, "Harness delivery");
    await withImap(a, async (c) => {
      const lock = await c.getMailboxLock("INBOX");
      try {
        const msg = await c.fetchOne("*", { envelope: true });
        // biome-ignore lint/complexity/useOptionalChain: imapflow answers false, not undefined, and false?.x does not type-check
        expect(msg && msg.envelope?.subject).toBe("Harness delivery");
      } finally {
        lock.release();
      }
      expect(c.capabilities.has("METADATA")).toBe(true);
      const special = (await c.list())
        .filter((m) => m.specialUse)
        .map((m) => m.specialUse)
        .sort();
      expect(special).toEqual(["\\Drafts", "\\Inbox", "\\Junk", "\\Sent", "\\Trash"]);
    });
    await expect(withImap({ ...a, password: "wrong" }, async () => undefined)).rejects.toThrow();
  });

  it("the submission server wants AUTH with the account's own login", async () => {
    const a = await newBridgeAccount("harness-smtp");
    const plain = (pw: string) => Buffer.from(`\0${a.address}\0${pw}`).toString("base64");
    const r = await smtpDialogue(bridgeServers().smtp.port, [
      "EHLO test",
      `MAIL FROM:<${a.address}>`,
      `AUTH PLAIN ${plain("wrong")}`,
      `AUTH PLAIN ${plain(a.password)}`,
      `MAIL FROM:<${a.address}>`,
      "QUIT",
    ]);
    expect(r.map((l) => l.slice(0, 3))).toEqual(["220", "250", "530", "535", "235", "250", "221"]);
  });

  it("Radicale: the account's calendar and address book", async () => {
    const a = await newBridgeAccount("harness-dav");
    const prop = `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>`;
    const cal = await dav(a, "PROPFIND", davCollection(a, "calendar"), prop, [207], { Depth: "0" });
    expect(cal.text).toMatch(/calendar/);
    const card = await dav(a, "PROPFIND", davCollection(a, "contacts"), prop, [207], { Depth: "0" });
    expect(card.text).toMatch(/addressbook/);
  });
});
