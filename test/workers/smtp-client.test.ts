// The SMTP client inside workerd against the real loopback sink: implicit TLS, STARTTLS and plain, AUTH,
// per-recipient replies, dot-stuffing; its configuration rules; and the alarm multiplexer.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import PostalMime from "postal-mime";
import { describe, expect, it } from "vitest";
import { AlarmMux } from "../../src/mailbox/alarms";
import { SmtpError, smtpConfigFromEnv, smtpSend, type SmtpConfig } from "../../src/mailbox/smtp-client";

const [implicitPort, starttlsPort] = env.SMTP_SINK_TLS_PORTS.split(",").map(Number) as [number, number];

interface SinkMessage {
  user: string;
  secure: boolean;
  from: string;
  to: string[];
  raw: string;
}

async function arrived(rcpt: string): Promise<SinkMessage & { text: string }> {
  const list = await (await fetch(`${env.SMTP_SINK_URL}/messages`)).json<SinkMessage[]>();
  const m = list.find((x) => x.to.includes(rcpt));
  if (!m) throw new Error(`nothing for ${rcpt}`);
  return { ...m, text: new TextDecoder().decode(Uint8Array.from(atob(m.raw), (c) => c.charCodeAt(0))) };
}

const base: SmtpConfig = {
  host: "localhost",
  port: 0,
  tls: "none",
  user: env.SMTP_USER,
  password: env.SMTP_PASSWORD,
  helo: "test.local",
  timeoutMs: 5000,
};
const msg = (to: string, body = "hi") =>
  new TextEncoder().encode(`From: a@local.test\r\nTo: ${to}\r\nSubject: smtp client\r\n\r\n${body}\r\n`);

describe("smtpSend", () => {
  it("implicit TLS (the default), with AUTH", async () => {
    const r = await smtpSend(
      { ...base, port: implicitPort, tls: "implicit" },
      "a@local.test",
      ["tls1@remote.test"],
      msg("tls1@remote.test"),
    );
    expect(r).toMatchObject([{ rcpt: "tls1@remote.test", ok: true }]);
    expect(await arrived("tls1@remote.test")).toMatchObject({ secure: true, user: "relay", from: "a@local.test" });
  });

  it("STARTTLS, with AUTH after the upgrade", async () => {
    const r = await smtpSend(
      { ...base, port: starttlsPort, tls: "starttls" },
      "a@local.test",
      ["tls2@remote.test"],
      msg("tls2@remote.test"),
    );
    expect(r[0]!.ok).toBe(true);
    expect(await arrived("tls2@remote.test")).toMatchObject({ secure: true, user: "relay" });
  });

  it("a refused password is a temporary failure (a configuration problem the admin can fix), not a bounce", async () => {
    const err = await smtpSend(
      { ...base, port: implicitPort, tls: "implicit", password: "wrong" },
      "a@local.test",
      ["x@remote.test"],
      msg("x@remote.test"),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(SmtpError);
    expect(err.permanent).toBe(false);
    expect(err.reply?.code).toBe(535);
  });

  it("one reply per recipient: 250, 550 (permanent), 451 (temporary) in one transaction", async () => {
    const rcpts = ["ok3@remote.test", "reject3@remote.test", "tempfail3@remote.test"];
    const r = await smtpSend({ ...base, port: Number(env.SMTP_PORT) }, "a@local.test", rcpts, msg(rcpts.join(", ")));
    expect(r.map((x) => [x.rcpt, x.ok, x.permanent, x.reply.code])).toEqual([
      ["ok3@remote.test", true, false, 250],
      ["reject3@remote.test", false, true, 550],
      ["tempfail3@remote.test", false, false, 451],
    ]);
    expect((await arrived("ok3@remote.test")).to).toEqual(["ok3@remote.test"]);
    expect((await arrived("ok3@remote.test")).user).toBe("relay");
  });

  it("dot-stuffing and bare LF line ends: the body arrives exactly (RFC 5321 4.5.2)", async () => {
    const body = "first\n.\n..two dots\n.single\nlast";
    await smtpSend({ ...base, port: Number(env.SMTP_PORT) }, "a@local.test", ["dots@remote.test"], msg("dots@remote.test", body));
    const parsed = await PostalMime.parse((await arrived("dots@remote.test")).text);
    expect(parsed.text?.replace(/\r\n/g, "\n").trim()).toBe(body);
  });

  it("a closed port is a temporary SmtpError", async () => {
    const err = await smtpSend({ ...base, port: 1 }, "a@local.test", ["x@remote.test"], msg("x@remote.test")).catch((e) => e);
    expect(err).toBeInstanceOf(SmtpError);
    expect(err.permanent).toBe(false);
  });
});

describe("smtpConfigFromEnv", () => {
  it("defaults to implicit TLS on 465, allows no clear text to a remote host, none without SMTP_HOST", () => {
    expect(smtpConfigFromEnv({ SMTP_HOST: "smtp.example.net" })).toMatchObject({ tls: "implicit", port: 465 });
    expect(smtpConfigFromEnv({ SMTP_HOST: "smtp.example.net", SMTP_TLS: "starttls" })).toMatchObject({ port: 587 });
    expect(() => smtpConfigFromEnv({ SMTP_HOST: "smtp.example.net", SMTP_TLS: "none" })).toThrow(/loopback/);
    expect(() => smtpConfigFromEnv({ SMTP_HOST: "h", SMTP_TLS: "ssl" })).toThrow();
    expect(smtpConfigFromEnv({})).toBeNull();
  });
});

describe("AlarmMux", () => {
  it("keeps the storage alarm at the earliest slot and runs only the due ones", async () => {
    const stub = env.MAILBOX.getByName("alarm-mux@local.test");
    await runInDurableObject(stub, async (_m, state) => {
      const mux = new AlarmMux(state.storage);
      const t = Date.now();
      await mux.schedule("a", t + 60_000);
      await mux.schedule("b", t + 5_000);
      expect(await state.storage.getAlarm()).toBe(t + 5_000);
      await mux.schedule("a", t + 90_000); // a later request never postpones an earlier one
      expect(mux.nextDue("a")).toBe(t + 60_000);
      const ran: string[] = [];
      await mux.run({ a: async () => (ran.push("a"), null), b: async () => (ran.push("b"), t + 120_000) }, t + 6_000);
      expect(ran).toEqual(["b"]);
      expect(await state.storage.getAlarm()).toBe(t + 60_000);
      await mux.run({ a: async () => (ran.push("a"), null), b: async () => (ran.push("b"), null) }, t + 60_000);
      expect(ran).toEqual(["b", "a"]);
      expect(mux.nextDue("a")).toBeNull();
      expect(await state.storage.getAlarm()).toBe(t + 120_000);
    });
  });
});
