// The front door end to end: a phone talking HTTP to the Worker under `wrangler dev`.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { COMMAND_CODES } from "../../src/http/protocol";
import { insertAccount } from "./accounts";
import { Phone } from "./phone";

const url = inject("workerUrl");
const account = inject("account");

function phone(overrides: Partial<ConstructorParameters<typeof Phone>[0]> = {}): Phone {
  return new Phone({
    baseUrl: url,
    user: account.address,
    password: account.password,
    deviceId: "e2eFrontDoor1",
    deviceType: "iPhone",
    protocolVersion: "14.1",
    userAgent: "Apple-iPhone9C1/1402.100",
    ...overrides,
  });
}

let announced: string[] = [];

describe("OPTIONS", () => {
  it("MS-ASHTTP_R1107: with credentials, the versions served, the commands served and the server version", async () => {
    const res = await phone().options();
    expect(res.status).toBe(200);
    expect(res.headers.get("MS-ASProtocolVersions")).toBe("2.5,12.0,12.1,14.0,14.1,16.0,16.1");
    expect(res.headers.get("MS-Server-ActiveSync")).toBe("16.1");
    expect(res.headers.get("Allow")).toBe("OPTIONS,POST");
    const commands = res.headers.get("MS-ASProtocolCommands");
    expect(commands).not.toBeNull();
    announced = commands ? commands.split(",").filter(Boolean) : [];
    const known = new Set(COMMAND_CODES.values());
    for (const c of announced) expect(known.has(c), c).toBe(true);
  });

  it("MS-ASHTTP_R182: the path matches in any case, as on Exchange", async () => {
    const res = await phone({ path: "/microsoft-server-activesync" }).options();
    expect(res.status).toBe(200);
    expect(res.headers.get("MS-ASProtocolVersions")).toBe("2.5,12.0,12.1,14.0,14.1,16.0,16.1");
  });

  it("MS-ASHTTP_R2371: without credentials, 401 with a Basic challenge", async () => {
    const res = await fetch(`${url}/Microsoft-Server-ActiveSync`, { method: "OPTIONS" });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Basic realm=/);
  });
});

describe("POST", () => {
  it("MS-ASHTTP_R178: no credentials or a wrong password → 401 with WWW-Authenticate", async () => {
    const anon = await fetch(`${url}/Microsoft-Server-ActiveSync?Cmd=FolderSync&User=x&DeviceId=d1&DeviceType=t`, {
      method: "POST",
      headers: { "MS-ASProtocolVersion": "14.1" },
    });
    expect(anon.status).toBe(401);
    expect(anon.headers.get("WWW-Authenticate")).toMatch(/^Basic /);
    const wrong = await phone({ password: "not it" }).command("FolderSync", null);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("WWW-Authenticate")).toMatch(/^Basic /);
  });

  it("MS-ASHTTP_R186: every command the server does not announce answers 501, in both query forms", async () => {
    const p = phone();
    for (const cmd of COMMAND_CODES.values()) {
      if (announced.includes(cmd)) continue;
      expect((await p.command(cmd, null)).status, cmd).toBe(501);
      expect((await p.command(cmd, null, { base64Query: true })).status, `${cmd} (base64)`).toBe(501);
    }
  });

  it("MS-ASHTTP_R188, MS-ASHTTP_R199: a malformed query is 400, with a Content-Length and a message, never a stack", async () => {
    const p = phone();
    // identity: with Node's default Accept-Encoding the text body comes back gzip-chunked, without a length.
    const res = await fetch(`${p.url}?jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25`, {
      method: "POST",
      headers: { Authorization: p.authorization(), "Accept-Encoding": "identity" },
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(res.headers.get("Content-Length")).toBe(String(Buffer.byteLength(text)));
    expect(text).toMatch(/^Bad Request: truncated base64 query/);
    expect(text).not.toMatch(/\n\s+at /);
    expect((await phone({ deviceId: "x".repeat(33) }).command("FolderSync", null)).status).toBe(400);
  });
});

describe("lockout", () => {
  const LOCKED = { address: "locked@example.test", password: "right password" };
  beforeAll(async () => {
    await insertAccount(inject("persistTo"), LOCKED.address, LOCKED.password);
  });

  it("five wrong passwords lock the account; then even the right one gets 401", async () => {
    const right = phone({ user: LOCKED.address, password: LOCKED.password });
    expect((await right.command("Nonsense", null)).status).toBe(501);
    for (let i = 0; i < 5; i++)
      expect((await phone({ user: LOCKED.address, password: `guess${i}` }).command("Nonsense", null)).status).toBe(401);
    expect((await right.command("Nonsense", null)).status).toBe(401);
  });
});
