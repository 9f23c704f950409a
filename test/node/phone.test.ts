// The phone client itself, against a scripted HTTP server: the queries it builds are what the front door's
// parser reads, its bodies are WBXML, and it validates (or rightly skips) decoded responses.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseEasQuery } from "../../src/http/query";
import { decodeWbxml, el, encodeWbxml } from "../../src/wbxml/index";
import { Phone, parseMultipart } from "./phone";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
const seen: Seen[] = [];
let reply: { status: number; type?: string; body?: Uint8Array } = { status: 200 };
let server: http.Server;
let baseUrl = "";

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(reply.status, reply.type ? { "Content-Type": reply.type } : {});
      res.end(reply.body ? Buffer.from(reply.body) : undefined);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function phone(extra: Partial<ConstructorParameters<typeof Phone>[0]> = {}) {
  return new Phone({
    baseUrl,
    user: "ann@example.test",
    password: "pä:ss",
    deviceId: "annDevice1",
    deviceType: "Android",
    protocolVersion: "14.1",
    ...extra,
  });
}

const folderSync = el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0"));
const validResponse = el(
  "FolderHierarchy",
  "FolderSync",
  el("FolderHierarchy", "Status", "1"),
  el("FolderHierarchy", "SyncKey", "1"),
  el("FolderHierarchy", "Changes", el("FolderHierarchy", "Count", "0")),
);

it("plain query: headers, Basic credentials (UTF-8) and a WBXML body; the response is decoded and validated", async () => {
  reply = { status: 200, type: "application/vnd.ms-sync.wbxml", body: encodeWbxml(validResponse) };
  const res = await phone({ policyKey: "123", userAgent: "UA/1" }).command("FolderSync", folderSync);
  const req = seen.at(-1)!;
  expect(req.method).toBe("POST");
  expect(parseEasQuery(req.url.split("?")[1])).toMatchObject({
    form: "plain",
    cmd: "FolderSync",
    user: "ann@example.test",
    deviceId: "annDevice1",
    deviceType: "Android",
  });
  expect(req.headers["ms-asprotocolversion"]).toBe("14.1");
  expect(req.headers["x-ms-policykey"]).toBe("123");
  expect(req.headers["user-agent"]).toBe("UA/1");
  expect(req.headers["content-type"]).toBe("application/vnd.ms-sync.wbxml");
  expect(Buffer.from(req.headers.authorization!.slice(6), "base64").toString("utf8")).toBe("ann@example.test:pä:ss");
  expect(decodeWbxml(new Uint8Array(req.body))).toEqual(folderSync);
  expect(res.status).toBe(200);
  expect(res.tree).toEqual(validResponse);
  expect(res.xml).toContain('<FolderSync xmlns="FolderHierarchy">');
});

it("MS-ASHTTP_R408, MS-ASHTTP_R160: base64 query carries version, policy key, parameters and Options; no version or policy headers", async () => {
  reply = { status: 200 };
  await phone({ policyKey: "3897326716", protocolVersion: "16.1" }).command("SmartReply", null, {
    base64Query: true,
    params: { ItemId: "5:1", CollectionId: "5", SaveInSent: "T" },
    rawBody: "Subject: x\r\n\r\ny",
    contentType: "message/rfc822",
  });
  const req = seen.at(-1)!;
  expect(parseEasQuery(req.url.split("?")[1])).toMatchObject({
    form: "base64",
    cmd: "SmartReply",
    protocolVersion: "16.1",
    deviceId: "annDevice1",
    deviceType: "Android",
    policyKey: "3897326716",
    user: "ann@example.test",
    locale: 0x0409,
    acceptMultiPart: false,
    params: { ItemId: "5:1", CollectionId: "5", SaveInSent: "T" },
  });
  expect(req.headers["ms-asprotocolversion"]).toBeUndefined();
  expect(req.headers["x-ms-policykey"]).toBeUndefined();
  expect(req.headers["content-type"]).toBe("message/rfc822");
  expect(req.body.toString()).toBe("Subject: x\r\n\r\ny");
});

it("throws with xmllint's output when a response is invalid; skips empty bodies, schema-less commands, and on request", async () => {
  const invalid = el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "1"), el("FolderHierarchy", "Status", "1"));
  reply = { status: 200, type: "application/vnd.ms-sync.wbxml", body: encodeWbxml(invalid) };
  await expect(phone().command("FolderSync", folderSync)).rejects.toThrow(/FolderSync response fails the XSD[\s\S]*invalid/);
  expect((await phone().command("FolderSync", folderSync, { validate: false })).tree).toEqual(invalid);
  expect((await phone().command("GetAttachment", null)).tree).toEqual(invalid); // no schema for GetAttachment
  reply = { status: 200, type: "application/vnd.ms-sync.wbxml" };
  expect((await phone().command("Sync", null)).tree).toBeUndefined();
});

it("OPTIONS with credentials, header overrides and removal", async () => {
  reply = { status: 200 };
  await phone().options();
  expect(seen.at(-1)!.method).toBe("OPTIONS");
  expect(seen.at(-1)!.headers.authorization).toMatch(/^Basic /);
  await phone().command("Ping", null, { headers: { Authorization: null, "ms-asprotocolversion": "12.1" }, acceptMultiPart: true });
  const req = seen.at(-1)!;
  expect(req.headers.authorization).toBeUndefined();
  expect(req.headers["ms-asprotocolversion"]).toBe("12.1");
  expect(req.headers["ms-asacceptmultipart"]).toBe("T");
});

it("reads a multipart ItemOperations response ([MS-ASCMD] 2.2.1.10.1.1): validates part 0, returns every part", async () => {
  const wbxml = encodeWbxml(el("ItemOperations", "ItemOperations", el("ItemOperations", "Status", "1")));
  const attachment = new TextEncoder().encode("%PDF-1.4 …");
  const header = new DataView(new ArrayBuffer(4 + 2 * 8));
  header.setInt32(0, 2, true);
  header.setInt32(4, 20, true);
  header.setInt32(8, wbxml.length, true);
  header.setInt32(12, 20 + wbxml.length, true);
  header.setInt32(16, attachment.length, true);
  const body = new Uint8Array([...new Uint8Array(header.buffer), ...wbxml, ...attachment]);
  reply = { status: 200, type: "application/vnd.ms-sync.multipart", body };
  const res = await phone().command("ItemOperations", null, { acceptMultiPart: true });
  expect(res.parts).toHaveLength(2);
  expect(res.parts![1]).toEqual(attachment);
  expect(res.tree).toEqual(el("ItemOperations", "ItemOperations", el("ItemOperations", "Status", "1")));
  expect(() => parseMultipart(body.slice(0, 30))).toThrow(/out of bounds/);
  expect(() => parseMultipart(new Uint8Array([9, 0, 0, 0]))).toThrow(/PartsCount/);
});
