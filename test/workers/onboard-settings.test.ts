// Settings ([MS-ASCMD] 2.2.1.18) and the out-of-office decision, inside workerd.
import { env } from "cloudflare:workers";
import PostalMime from "postal-mime";
import { beforeAll, describe, expect, it } from "vitest";
import { runInDurableObject } from "cloudflare:test";
import { decideOofReply, OofStore, type IncomingForOof } from "../../src/mailbox/oof";
import { autoReplyFor } from "../../src/mailbox/oof-reply";
import { createAccount } from "../../src/service/directory";
import { first, Phone } from "./helpers/onboard-phone";
import type { OofSettings } from "../../src/mailbox/contract";

const PW = "settings pw";
const USER = "carol@example.test";
const mailbox = () => env.MAILBOX.getByName(USER);
const phone = (version: string, deviceId = `s${version.replace(".", "")}`) => new Phone({ user: USER, password: PW, deviceId, version });

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
});

describe("Settings", () => {
  it("Oof Set then Get round-trips state, period and messages — MS-ASCMD_R4387, MS-ASCMD_R4392", async () => {
    const p = phone("14.1");
    const set = await p.send(
      "Settings",
      `<Settings xmlns="Settings"><Oof><Set><OofState>2</OofState><StartTime>2026-12-20T00:00:00.000Z</StartTime><EndTime>2027-01-03T00:00:00.000Z</EndTime>
        <OofMessage><AppliesToInternal/><Enabled>1</Enabled><ReplyMessage>Back on 3 January.</ReplyMessage><BodyType>Text</BodyType></OofMessage>
        <OofMessage><AppliesToExternalUnknown/><Enabled>1</Enabled><ReplyMessage>&lt;b&gt;Away&lt;/b&gt; until January</ReplyMessage><BodyType>HTML</BodyType></OofMessage>
      </Set></Oof></Settings>`,
    );
    expect(set.xml).toMatch(/<Settings xmlns="Settings">\s*<Status>1<\/Status>\s*<Oof>\s*<Status>1<\/Status>\s*<\/Oof>/);
    const get = await p.send("Settings", `<Settings xmlns="Settings"><Oof><Get><BodyType>Text</BodyType></Get></Oof></Settings>`);
    expect(first(get.xml, "OofState")).toBe("2");
    expect(first(get.xml, "StartTime")).toBe("2026-12-20T00:00:00.000Z");
    expect(first(get.xml, "EndTime")).toBe("2027-01-03T00:00:00.000Z");
    expect(get.xml).toMatch(
      /<AppliesToInternal\/>\s*<Enabled>1<\/Enabled>\s*<ReplyMessage>Back on 3 January.<\/ReplyMessage>\s*<BodyType>TEXT<\/BodyType>/,
    );
    // Stored as HTML, asked for as text: converted.
    expect(get.xml).toMatch(/<AppliesToExternalUnknown\/>\s*<Enabled>1<\/Enabled>\s*<ReplyMessage>Away until January<\/ReplyMessage>/);
    const html = await p.send("Settings", `<Settings xmlns="Settings"><Oof><Get><BodyType>HTML</BodyType></Get></Oof></Settings>`);
    expect(html.xml).toContain("<ReplyMessage>&lt;html&gt;&lt;body&gt;Back on 3 January.&lt;/body&gt;&lt;/html&gt;</ReplyMessage>");
  });

  it("Oof Set: time-based without times → 5 (invalid arguments), end before start → 6 (conflicting) — MS-ASCMD_R5582, MS-ASCMD_R5583", async () => {
    const p = phone("14.1");
    let r = await p.send(
      "Settings",
      `<Settings xmlns="Settings"><Oof><Set><OofState>2</OofState><StartTime>garbage</StartTime><EndTime>2027-01-03T00:00:00.000Z</EndTime></Set></Oof></Settings>`,
    );
    expect(r.xml).toMatch(/<Oof>\s*<Status>5<\/Status>/);
    r = await p.send(
      "Settings",
      `<Settings xmlns="Settings"><Oof><Set><OofState>2</OofState><StartTime>2027-01-03T00:00:00.000Z</StartTime><EndTime>2026-01-03T00:00:00.000Z</EndTime></Set></Oof></Settings>`,
    );
    expect(r.xml).toMatch(/<Oof>\s*<Status>6<\/Status>/);
    r = await p.send(
      "Settings",
      `<Settings xmlns="Settings"><Oof><Set><OofMessage><Enabled>1</Enabled></OofMessage></Set></Oof></Settings>`,
    );
    expect(r.xml).toMatch(/<Oof>\s*<Status>2<\/Status>/);
    // Nothing of the refused requests was stored.
    expect((await mailbox().getOof()).state).toBe(2);
  });

  it("DeviceInformation Set is stored and shown to admins — MS-ASCMD_R4392", async () => {
    const p = phone("12.1", "iphone12");
    const r = await p.send(
      "Settings",
      `<Settings xmlns="Settings"><DeviceInformation><Set><Model>iPhone15C2</Model><IMEI>359999999999999</IMEI><FriendlyName>Carol's iPhone</FriendlyName><OS>iOS 18.1 22B83</OS><OSLanguage>en</OSLanguage><PhoneNumber>+4915100000</PhoneNumber><UserAgent>Apple-iPhone15C2/2201.83</UserAgent><EnableOutboundSMS>0</EnableOutboundSMS><MobileOperator>Telekom</MobileOperator></Set></DeviceInformation></Settings>`,
    );
    expect(r.xml).toMatch(/<DeviceInformation>\s*<Status>1<\/Status>\s*<\/DeviceInformation>/);
    const dev = (await mailbox().listDevices()).find((d) => d.deviceId === "iphone12");
    expect(dev).toMatchObject({
      model: "iPhone15C2",
      imei: "359999999999999",
      friendlyName: "Carol's iPhone",
      os: "iOS 18.1 22B83",
      osLanguage: "en",
      phoneNumber: "+4915100000",
      userAgent: "Apple-iPhone15C2/2201.83",
      enableOutboundSms: false,
      mobileOperator: "Telekom",
      protocolVersion: "12.1",
    });
  });

  it("UserInformation Get: EmailAddresses before 14.1, Accounts from 14.1 — [MS-ASCMD] 2.2.3.192", async () => {
    const old = await phone("14.0").send("Settings", `<Settings xmlns="Settings"><UserInformation><Get/></UserInformation></Settings>`);
    expect(old.xml).toMatch(
      /<UserInformation>\s*<Status>1<\/Status>\s*<Get>\s*<EmailAddresses>\s*<SMTPAddress>carol@example.test<\/SMTPAddress>\s*<\/EmailAddresses>/,
    );
    expect(old.xml).not.toContain("<Accounts>");
    const cur = await phone("16.1").send("Settings", `<Settings xmlns="Settings"><UserInformation><Get/></UserInformation></Settings>`);
    expect(cur.xml).toMatch(
      /<Accounts>\s*<Account>\s*<UserDisplayName>carol<\/UserDisplayName>\s*<EmailAddresses>\s*<SMTPAddress>carol@example.test<\/SMTPAddress>\s*<PrimarySmtpAddress>carol@example.test<\/PrimarySmtpAddress>/,
    );
  });

  it("DevicePassword Set: 7 when recovery is not enabled, 5 when too long, 1 and stored when enabled — MS-ASCMD_R4399, MS-ASCMD_R4400, MS-ASCMD_R4401, MS-ASCMD_R4402", async () => {
    const p = phone("14.1", "pwdphone");
    const set = (pw: string) =>
      p.send("Settings", `<Settings xmlns="Settings"><DevicePassword><Set><Password>${pw}</Password></Set></DevicePassword></Settings>`);
    expect((await set("1234")).xml).toMatch(/<DevicePassword>\s*<Status>7<\/Status>/);
    const { policy } = await mailbox().getPolicy();
    await mailbox().setPolicy({ ...policy, passwordRecoveryEnabled: true });
    await p.provision();
    expect((await set("x".repeat(256))).xml).toMatch(/<DevicePassword>\s*<Status>5<\/Status>/);
    expect((await set("1234")).xml).toMatch(/<DevicePassword>\s*<Status>1<\/Status>/);
    expect(await mailbox().deviceRecoveryPassword("pwdphone")).toBe("1234");
    await mailbox().setPolicy(policy);
  });

  it("RightsManagementInformation Get: no templates on 14.1+, protocol error before — MS-ASCMD_R7083, MS-ASCMD_R7085", async () => {
    const r = await phone("14.1").send(
      "Settings",
      `<Settings xmlns="Settings"><RightsManagementInformation><Get/></RightsManagementInformation></Settings>`,
    );
    expect(r.xml).toMatch(/<RightsManagementInformation>\s*<Status>1<\/Status>\s*<Get>\s*<rightsmanagement:RightsManagementTemplates\/>/);
    const old = await phone("14.0").send(
      "Settings",
      `<Settings xmlns="Settings"><Oof><Set><OofState>1</OofState></Set></Oof><RightsManagementInformation><Get/></RightsManagementInformation></Settings>`,
    );
    expect(old.xml).toMatch(/<Settings xmlns="Settings">\s*<Status>2<\/Status>\s*<\/Settings>/);
    expect((await mailbox().getOof()).state).not.toBe(1); // nothing of the refused request applied
  });

  it("a body that is not a Settings request → Status 2 — MS-ASCMD_R4388", async () => {
    const r = await phone("14.1").send("Settings", `<Ping xmlns="Ping"><HeartbeatInterval>60</HeartbeatInterval></Ping>`);
    expect(r.xml).toMatch(/<Settings xmlns="Settings">\s*<Status>2<\/Status>\s*<\/Settings>/);
  });
});

describe("out-of-office replies", () => {
  const on: OofSettings = {
    state: 1,
    messages: [
      { appliesTo: "internal", enabled: true, replyMessage: "inside", bodyType: "Text" },
      { appliesTo: "external-unknown", enabled: true, replyMessage: "outside", bodyType: "Text" },
    ],
  };
  const now = new Date("2026-12-24T10:00:00Z");
  const from = (address: string, headers: [string, string][] = []) => ({
    from: { address },
    headers: headers.map(([key, value]) => ({ key, value })),
  });

  it("answers people, internal and external with their own message", () => {
    expect(decideOofReply(on, USER, from("boss@example.test"), now)).toMatchObject({ reply: true, message: { replyMessage: "inside" } });
    expect(decideOofReply(on, USER, from("Client@Other.Example"), now)).toMatchObject({
      reply: true,
      to: "client@other.example",
      message: { replyMessage: "outside" },
    });
  });

  it("never answers lists, bulk, automatic mail or bounces (RFC 3834)", () => {
    const cases: [IncomingForOof, string][] = [
      [from("news@shop.example", [["Precedence", "bulk"]]), "precedence bulk"],
      [from("list@lists.example", [["Precedence", "list"]]), "precedence list"],
      [from("spam@junk.example", [["Precedence", "junk"]]), "precedence junk"],
      [from("dev@lists.example", [["List-Id", "<dev.lists.example>"]]), "mailing list"],
      [from("robot@example.org", [["Auto-Submitted", "auto-generated"]]), "auto-submitted"],
      [from("MAILER-DAEMON@mx.example"), "automated sender"],
      [{ envelopeFrom: "", from: { address: "someone@example.org" }, headers: [] }, "no sender (bounce)"],
      [from("x@example.org", [["X-Auto-Response-Suppress", "OOF, AutoReply"]]), "suppressed by sender"],
    ];
    for (const [msg, reason] of cases) expect(decideOofReply(on, USER, msg, now)).toEqual({ reply: false, reason });
    expect(decideOofReply(on, USER, from("x@example.org", [["Auto-Submitted", "no"]]), now).reply).toBe(true);
  });

  it("time-based: only inside the period", () => {
    const timed: OofSettings = { ...on, state: 2, start: "2026-12-20T00:00:00.000Z", end: "2027-01-03T00:00:00.000Z" };
    expect(decideOofReply(timed, USER, from("a@example.org"), now).reply).toBe(true);
    expect(decideOofReply(timed, USER, from("a@example.org"), new Date("2027-01-04T00:00:00Z")).reply).toBe(false);
  });

  const incoming = (sender: string, extra = "") =>
    new TextEncoder().encode(
      `From: Friend <${sender}>\r\nTo: ${USER}\r\nSubject: Lunch?\r\nMessage-ID: <m1@example.org>\r\n${extra}Date: Thu, 24 Dec 2026 09:00:00 +0000\r\n\r\nHungry?\r\n`,
    );

  it("once per sender per period (stored in the mailbox object); a new Set starts a new period; the reply is marked auto-replied", async () => {
    await mailbox().setOof(on);
    const reply = (raw: Uint8Array) =>
      runInDurableObject(mailbox(), (_i, state) => autoReplyFor(new OofStore(state.storage.sql), USER, raw, now));
    const raw = await reply(incoming("friend@example.org"));
    const parsed = await PostalMime.parse(raw!);
    expect(parsed.headers.find((h) => h.key === "auto-submitted")?.value).toBe("auto-replied");
    expect(parsed.inReplyTo).toBe("<m1@example.org>");
    expect(parsed.subject).toBe("Automatic reply: Lunch?");
    expect(parsed.to?.[0]?.address).toBe("friend@example.org");
    expect(parsed.from?.address).toBe(USER);
    expect(parsed.text?.trim()).toBe("outside");
    expect(await reply(incoming("friend@example.org"))).toBeNull();
    expect(await reply(incoming("list@example.org", "List-Id: <l.example.org>\r\n"))).toBeNull();
    await mailbox().setOof(on);
    expect(await reply(incoming("friend@example.org"))).not.toBeNull();
    await mailbox().setOof({ state: 0, messages: [] });
    expect(await reply(incoming("new@example.org"))).toBeNull();
  });

  it("delivery into the Inbox queues the auto-reply in the outbox, once", async () => {
    await mailbox().setOof(on);
    await mailbox().deliver(incoming("visitor@example.org"));
    await mailbox().deliver(incoming("visitor@example.org"));
    await mailbox().deliver(incoming("news@example.org", "Precedence: bulk\r\n"));
    const queued = (await mailbox().outboxStatus()).flatMap((e) => e.recipients.map((r) => r.rcpt));
    expect(queued.filter((r) => r === "visitor@example.org")).toHaveLength(1);
    expect(queued).not.toContain("news@example.org");
    await mailbox().setOof({ state: 0, messages: [] });
  });
});
