// From an authenticated request to the command and back: EasRequest, gates, EasResponse → HTTP, error mapping.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { EasHttpError, type EasCommand, type EasRequest, type EasResponse } from "../../src/eas/command";
import { defaultFrontDoor, handleActiveSync, type FrontDoor } from "../../src/http/activesync-route";
import { errorResponse } from "../../src/http/errors";
import type { Gate } from "../../src/http/gates";
import { createAccount } from "../../src/service/directory";
import { StoreUnavailableError } from "../../src/store/types";
import { decodeWbxml, el, encodeWbxml } from "../../src/wbxml/index";
import { BASE, ascii, b64, basic } from "./helpers/eas-client";

const CAROL = "carol@example.test";
const PW = "carol's secret";
const AUTH = basic("Carol@Example.test", PW);

beforeAll(async () => {
  await createAccount(env.DB, CAROL, PW);
});

function command(name: string, handle: (req: EasRequest) => Promise<EasResponse>): EasCommand {
  return { name, handle };
}

function frontDoor(cmds: EasCommand[], gates: Gate[] = []): FrontDoor {
  return { ...defaultFrontDoor, registry: new Map(cmds.map((c) => [c.name, c])), gates };
}

function request(query: string, init: { headers?: Record<string, string>; body?: BodyInit } = {}) {
  return new Request(`${BASE}?${query}`, {
    method: "POST",
    headers: { Authorization: AUTH, "MS-ASProtocolVersion": "14.1", ...init.headers },
    body: init.body,
  });
}

describe("dispatch", () => {
  it("builds the EasRequest from query and headers and routes to the mailbox object of the normalised address", async () => {
    let seen: EasRequest | undefined;
    const fd = frontDoor([
      command("SendMail", async (req) => {
        seen = req;
        expect(await req.mailbox.health()).toEqual({ ok: true });
        return { kind: "empty" };
      }),
    ]);
    const mime = new TextEncoder().encode("Subject: hi\r\n\r\nbody");
    const res = await handleActiveSync(
      request("Cmd=SendMail&User=carol&DeviceId=ApplX1&DeviceType=iPhone&SaveInSent=T", {
        headers: { "MS-ASProtocolVersion": "12.1", "X-MS-PolicyKey": "1234", "User-Agent": "Apple-iPhone/1", "Content-Type": "message/rfc822" },
        body: mime,
      }),
      env,
      fd,
    );
    expect(res.status).toBe(200); // MS-ASHTTP_R175
    expect(await res.text()).toBe("");
    expect(seen).toMatchObject({
      cmd: "SendMail",
      user: CAROL,
      deviceId: "ApplX1",
      deviceType: "iPhone",
      protocolVersion: "12.1",
      policyKey: "1234",
      userAgent: "Apple-iPhone/1",
      params: { SaveInSent: "T" },
      acceptMultiPart: false,
      body: null,
      contentType: "message/rfc822",
    });
    expect(seen!.rawBody).toEqual(mime);
    // The stub is the object named by the address: the same id as getByName(CAROL).
    expect(seen!.mailbox.id.toString()).toBe(env.MAILBOX.idFromName(CAROL).toString());
    await runInDurableObject(seen!.mailbox, async () => {});
  });

  it("MS-ASHTTP_R154, MS-ASHTTP_R94: AcceptMultiPart from the header (plain) and from the Options bit (base64)", async () => {
    const flags: boolean[] = [];
    const fd = frontDoor([command("ItemOperations", async (req) => (flags.push(req.acceptMultiPart), { kind: "empty" }))]);
    await handleActiveSync(request("Cmd=ItemOperations&DeviceId=d&DeviceType=t", { headers: { "MS-ASAcceptMultiPart": "T" } }), env, fd);
    await handleActiveSync(request("Cmd=ItemOperations&DeviceId=d&DeviceType=t", { headers: { "MS-ASAcceptMultiPart": "F" } }), env, fd);
    await handleActiveSync(request(b64([141, 19, 9, 4, 1, ...ascii("d"), 0, 1, ...ascii("t"), 7, 1, 2]), { headers: {} }), env, fd);
    expect(flags).toEqual([true, false, true]);
  });

  it("runs the gates in order after authentication; the first Response stops the request", async () => {
    const calls: string[] = [];
    let ran = false;
    const fd = frontDoor(
      [command("Ping", async () => ((ran = true), { kind: "empty" }))],
      [
        async (req) => (calls.push(`a:${req.user}`), null),
        async () => (calls.push("b"), new Response(null, { status: 449 })),
        async () => (calls.push("c"), null),
      ],
    );
    expect((await handleActiveSync(request("Cmd=Ping&DeviceId=d&DeviceType=t"), env, fd)).status).toBe(449);
    expect(calls).toEqual([`a:${CAROL}`, "b"]);
    expect(ran).toBe(false);
    calls.length = 0;
    const anon = new Request(`${BASE}?Cmd=Ping&DeviceId=d&DeviceType=t`, { method: "POST", headers: { "MS-ASProtocolVersion": "14.1" } });
    expect((await handleActiveSync(anon, env, fd)).status).toBe(401);
    expect(calls).toEqual([]);
  });

  it("maps EasResponse kinds to HTTP", async () => {
    const responses: Record<string, EasResponse> = {
      Raw: { kind: "raw", body: "PART", contentType: "application/vnd.ms-sync.multipart", headers: { "X-A": "1" } },
      Http: { kind: "http", status: 449 },
      Down: { kind: "http", status: 503 },
    };
    const fd = frontDoor(Object.keys(responses).map((n) => command(n, async () => responses[n])));
    const raw = await handleActiveSync(request("Cmd=Raw&DeviceId=d&DeviceType=t"), env, fd);
    expect([raw.status, raw.headers.get("Content-Type"), raw.headers.get("X-A"), new TextDecoder().decode(await raw.arrayBuffer())]).toEqual([
      200,
      "application/vnd.ms-sync.multipart",
      "1",
      "PART",
    ]);
    expect((await handleActiveSync(request("Cmd=Http&DeviceId=d&DeviceType=t"), env, fd)).status).toBe(449);
    const down = await handleActiveSync(request("Cmd=Down&DeviceId=d&DeviceType=t"), env, fd);
    expect(down.status).toBe(503);
    expect(down.headers.get("Retry-After")).toMatch(/^\d+$/);
  });
});

describe("WBXML bodies", () => {
  const echo = frontDoor([
    command("FolderSync", async (req) => {
      expect(req.body).toEqual(el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
      return { kind: "wbxml", body: el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "Status", "1"), el("FolderHierarchy", "SyncKey", "1")) };
    }),
    command("Ping", async (req) => {
      expect(req.body).toBeNull();
      expect(req.rawBody).toHaveLength(0);
      return { kind: "empty" };
    }),
  ]);
  const folderSync0 = encodeWbxml(el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));

  it("MS-ASHTTP_R143, MS-ASHTTP_R438, MS-ASHTTP_R219: decodes the request body, encodes the response as application/vnd.ms-sync.wbxml", async () => {
    for (const contentType of ["application/vnd.ms-sync.wbxml", "application/vnd.ms-sync", "Application/Vnd.Ms-Sync.WBXML; charset=utf-8", ""]) {
      const headers: Record<string, string> = contentType ? { "Content-Type": contentType } : {};
      const res = await handleActiveSync(request("Cmd=FolderSync&DeviceId=d&DeviceType=t", { headers, body: folderSync0 }), env, echo);
      expect(res.status, contentType).toBe(200);
      expect(res.headers.get("Content-Type")).toBe("application/vnd.ms-sync.wbxml");
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(res.headers.get("Content-Length") ?? String(bytes.length)).toBe(String(bytes.length));
      expect(decodeWbxml(bytes)).toEqual(el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "Status", "1"), el("FolderHierarchy", "SyncKey", "1")));
    }
  });

  it("MS-ASHTTP_R514: an empty body is null (Ping and Sync may come without one)", async () => {
    const res = await handleActiveSync(request("Cmd=Ping&DeviceId=d&DeviceType=t", { headers: { "Content-Type": "application/vnd.ms-sync.wbxml" } }), env, echo);
    expect(res.status).toBe(200);
  });

  it("MS-ASHTTP_R188: a WBXML body that does not decode is 400, the command never runs", async () => {
    for (const body of [new Uint8Array([3, 1, 106, 0, 0x45]), new Uint8Array([3, 1, 106, 0, 0x80, 1]), new Uint8Array([1, 2, 3]), folderSync0.slice(0, -1)]) {
      const res = await handleActiveSync(
        request("Cmd=FolderSync&DeviceId=d&DeviceType=t", { headers: { "Content-Type": "application/vnd.ms-sync.wbxml" }, body }),
        env,
        echo,
      );
      expect(res.status).toBe(400);
      expect(await res.text()).not.toMatch(/\n\s+at /); // a message, never a stack
    }
  });
});

describe("errors (never a stack)", () => {
  it("MS-ASHTTP_R186: an unknown or unbuilt command is 501", async () => {
    const fd = frontDoor([]);
    for (const cmd of ["Sync", "GetHierarchy", "Nonsense"]) {
      const res = await handleActiveSync(request(`Cmd=${cmd}&DeviceId=d&DeviceType=t`), env, fd);
      expect(res.status, cmd).toBe(501);
    }
  });

  it("MS-ASHTTP_R273, MS-ASHTTP_R287, MS-ASHTTP_R288: a backend outage is 503 with Retry-After", async () => {
    const fd = frontDoor([
      command("StoreDown", async () => {
        throw new StoreUnavailableError("imap.example.test: connection refused", 7);
      }),
      command("CmdDown", async () => {
        throw new EasHttpError(503, "backend down", { "Retry-After": "11" });
      }),
      command("Overloaded", async () => {
        throw Object.assign(new Error("Durable Object is overloaded. Too many requests queued."), { overloaded: true });
      }),
      command("Reset", async () => {
        throw Object.assign(new Error("Durable Object reset because its code was updated."), { retryable: true });
      }),
      command("StoreDownInObject", async (req) => {
        // Thrown inside the mailbox object: matched by name and retryAfterSeconds, whatever the trip keeps of the class.
        await runInDurableObject(req.mailbox, async () => {
          throw new StoreUnavailableError("dav.example.test timed out", 9);
        });
        return { kind: "empty" };
      }),
    ]);
    const expected: Record<string, string> = { StoreDown: "7", CmdDown: "11", Overloaded: "30", Reset: "30", StoreDownInObject: "9" };
    for (const [cmd, retryAfter] of Object.entries(expected)) {
      const res = await handleActiveSync(request(`Cmd=${cmd}&DeviceId=d&DeviceType=t`), env, fd);
      expect(res.status, cmd).toBe(503);
      expect(res.headers.get("Retry-After"), cmd).toBe(retryAfter);
      expect(await res.text()).not.toMatch(/imap|dav\.|Durable|at /);
    }
  });

  it("MS-ASHTTP_R184: any other exception is 500 with no details", async () => {
    const fd = frontDoor([
      command("Bug", async () => {
        throw new TypeError("cannot read properties of undefined (reading 'secret')");
      }),
    ]);
    const res = await handleActiveSync(request("Cmd=Bug&DeviceId=d&DeviceType=t"), env, fd);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("Internal Server Error\n");
  });

  it("EasHttpError keeps its status (400 bad body from a command)", async () => {
    const res = errorResponse(new EasHttpError(400, "Sync: missing Collections"));
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain("Collections");
  });
});
