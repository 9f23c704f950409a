// Autodiscover ([MS-ASCMD] 2.2.1.1), XML and JSON forms, inside workerd.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { activeSyncUrl } from "../../src/http/autodiscover-route";
import { readAutodiscoverRequest } from "../../src/http/autodiscover-xml";
import { createAccount } from "../../src/service/directory";
import { basic } from "./helpers/eas-client";

const USER = "dave@example.test";
const PW = "autodiscover pw";
const MOBILESYNC = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006";
const OUTLOOK = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

const request = (email: string, schema = MOBILESYNC) =>
  `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006">
  <Request><EMailAddress>${email}</EMailAddress><AcceptableResponseSchema>${schema}</AcceptableResponseSchema></Request>
</Autodiscover>`;

function post(path: string, body: string, auth: string | null = basic(USER, PW)) {
  const headers: Record<string, string> = { "Content-Type": "text/xml" };
  if (auth) headers.Authorization = auth;
  return exports.default.fetch(new Request(`https://mail.example.test${path}`, { method: "POST", headers, body }));
}

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
});

describe("XML", () => {
  for (const path of ["/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml", "/AutoDiscover/AutoDiscover.XML"]) {
    it(`POST ${path} answers the mobilesync schema with the ActiveSync URL and the user`, async () => {
      const res = await post(path, request(USER));
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toContain("text/xml");
      const xml = await res.text();
      expect(xml).toContain(`<Response xmlns="${MOBILESYNC}">`);
      expect(xml).toMatch(/<Type>MobileSync<\/Type>\s*<Url>https:\/\/mail\.example\.test\/Microsoft-Server-ActiveSync<\/Url>/);
      expect(xml).toMatch(/<DisplayName>dave<\/DisplayName>\s*<EMailAddress>dave@example.test<\/EMailAddress>/);
    });
  }

  it("without credentials or with a wrong password → 401 with a Basic challenge — MS-ASHTTP_R178, MS-ASHTTP_R523", async () => {
    for (const auth of [null, basic(USER, "wrong")]) {
      const res = await post("/autodiscover/autodiscover.xml", request(USER), auth);
      expect(res.status).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toMatch(/^Basic realm=/);
    }
  });

  it("the Outlook schema → ErrorCode 601, not a 500 — [MS-ASCMD] 2.2.3.64 (anchors row 7)", async () => {
    const res = await post("/autodiscover/autodiscover.xml", request(USER, OUTLOOK));
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(xml).toMatch(/<Response>\s*<Error Time="[\d:.]+" Id="\d+">\s*<ErrorCode>601<\/ErrorCode>/);
  });

  it("a suspended subscription → ErrorCode 601 (no mobilesync provider now), no URL; resumed → the URL again (issue 13 §5)", async () => {
    const who = "suspended-ad@example.test";
    await createAccount(env.DB, who, PW);
    const stub = env.MAILBOX.getByName(who);
    const state = (status: "suspended" | "active", version: number) => ({
      subscriptionId: "s-ad",
      status,
      reason: status === "suspended" ? "eligibility" : null,
      version,
      updatedAt: Date.now(),
    });
    await stub.setSubscriptionState(state("suspended", 1));
    let xml = await (await post("/autodiscover/autodiscover.xml", request(who), basic(who, PW))).text();
    expect(xml).toMatch(/<ErrorCode>601<\/ErrorCode>/);
    expect(xml).not.toContain("<Url>");
    await stub.setSubscriptionState(state("active", 2));
    xml = await (await post("/autodiscover/autodiscover.xml", request(who), basic(who, PW))).text();
    expect(xml).toContain("<Url>");
  });

  it("malformed XML, two Request elements, another user's address → ErrorCode 600", async () => {
    const bodies = [
      "<Autodiscover><Request><EMailAddress>dave@example.test</EMailAddress>",
      "not xml at all",
      request(USER).replace("<Request>", "<Request><Request>").replace("</Request>", "</Request></Request>"),
      request("someone.else@example.test"),
      "",
    ];
    for (const body of bodies) {
      const res = await post("/autodiscover/autodiscover.xml", body);
      expect(res.status, body).toBe(200);
      expect(await res.text(), body).toContain("<ErrorCode>600</ErrorCode>");
    }
  });

  it("reads namespaced and prefixed requests", () => {
    expect(readAutodiscoverRequest(request("a@b.example"))).toEqual({ email: "a@b.example", schema: MOBILESYNC });
    const prefixed = `<a:Autodiscover xmlns:a="x"><a:Request><a:EMailAddress>a@b.example</a:EMailAddress><a:AcceptableResponseSchema>${MOBILESYNC}</a:AcceptableResponseSchema></a:Request></a:Autodiscover>`;
    expect(readAutodiscoverRequest(prefixed)).toEqual({ email: "a@b.example", schema: MOBILESYNC });
    expect(readAutodiscoverRequest("<a><b></a></b>")).toBeNull();
  });
});

describe("JSON", () => {
  const get = (path: string) => exports.default.fetch(new Request(`https://mail.example.test${path}`));

  it("?Email=…&Protocol=ActiveSync and the Outlook /v1.0/{email} form answer the URL", async () => {
    for (const path of [
      "/autodiscover/autodiscover.json?Email=dave%40example.test&Protocol=ActiveSync",
      "/AutoDiscover/AutoDiscover.json/v1.0/dave@example.test?Protocol=activesync",
      "/autodiscover/autodiscover.json/v1.0/unknown@example.test?Protocol=ActiveSync",
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(await res.json()).toEqual({ Protocol: "ActiveSync", Url: "https://mail.example.test/Microsoft-Server-ActiveSync" });
    }
  });

  it("another protocol or no address → 400 with an error object", async () => {
    let res = await get("/autodiscover/autodiscover.json?Email=dave%40example.test&Protocol=Rest");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ ErrorCode: "InvalidProtocol" });
    res = await get("/autodiscover/autodiscover.json?Protocol=ActiveSync");
    expect(res.status).toBe(400);
    res = await get("/autodiscover/autodiscover.json/v1.0/%E0%A4%A?Protocol=ActiveSync");
    expect(res.status).toBe(400);
  });
});

it("the URL: PUBLIC_URL when set, https on the request host otherwise, loopback keeps its scheme", () => {
  const base = env as Env;
  expect(activeSyncUrl(new Request("http://mail.example.test/x"), base)).toBe("https://mail.example.test/Microsoft-Server-ActiveSync");
  expect(activeSyncUrl(new Request("http://127.0.0.1:8787/x"), base)).toBe("http://127.0.0.1:8787/Microsoft-Server-ActiveSync");
  expect(activeSyncUrl(new Request("http://127.0.0.1:8787/x"), { ...base, PUBLIC_URL: "https://sync.example.com/" } as Env)).toBe(
    "https://sync.example.com/Microsoft-Server-ActiveSync",
  );
});
