// Issue 17's "done when", end to end against `wrangler dev` (the path `npm start` uses): an admin traces the
// phone's device, the phone syncs, the trace reads as XML with the password absent (and its WBXML through
// `npm run wbxml -- decode`), GET /admin/v1/metrics shows the Sync with its latency, and every line the Worker
// logged during the run is one JSON object.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../../scripts/dev-server.mjs";
import { child, childText, el } from "../../src/wbxml/index";
import { freePort } from "../free-port";
import { Phone } from "./phone";
import { syncRequest } from "./sync-requests";
import { assertValid } from "./validate";

const USER = "traced@example.test";
const PW = "e2e trace password 77";
const TOKEN = "ops-e2e-admin-token";
const BODY = "do not log this body 9911";
const root = path.resolve(import.meta.dirname, "../..");
const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-ops-"));
let server: { url: string; stop: () => Promise<void>; log: () => string };

const admin = (method: string, p: string, body?: unknown) =>
  fetch(`${server.url}/admin/v1${p}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

beforeAll(async () => {
  server = await startDevServer({ port: await freePort(), persistTo, vars: { ADMIN_TOKEN: TOKEN, DEMO_SEED: "false" } });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(persistTo, { recursive: true, force: true });
});

it("trace one device, read it as XML without the password; metrics show the Sync; every log line is JSON", async () => {
  const logStart = server.log().length;
  expect((await admin("POST", "/mailboxes", { address: USER, password: PW })).status).toBe(201);
  const mail = `From: a@example.test\r\nTo: ${USER}\r\nSubject: Hello trace\r\nMessage-ID: <${crypto.randomUUID()}@example.test>\r\n\r\n${BODY}\r\n`;
  expect(
    (await fetch(`${server.url}/cdn-cgi/handler/email?from=a@example.test&to=${encodeURIComponent(USER)}`, { method: "POST", body: mail }))
      .status,
  ).toBe(200);
  expect((await admin("POST", `/mailboxes/${encodeURIComponent(USER)}/traces`, { device_id: "e2etrace" })).status).toBe(201);

  const phone = new Phone({
    baseUrl: server.url,
    user: USER,
    password: PW,
    deviceId: "e2etrace",
    deviceType: "iPhone",
    protocolVersion: "14.1",
  });
  await phone.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
  const k1 = childText(child(child((await phone.command("Sync", syncRequest("1", "0"))).tree, "Collections"), "Collection"), "SyncKey")!;
  const synced = await phone.command("Sync", syncRequest("1", k1));
  expect(synced.status).toBe(200);

  // The Worker stores each exchange after its answer left (the request's waitUntil): the desk sees the last Sync's
  // a moment after the phone has its answer.
  const traced = async () =>
    (
      (await (await admin("GET", `/mailboxes/${encodeURIComponent(USER)}/traces?device_id=e2etrace`)).json()) as {
        files: { key: string; cmd: string; part: string }[];
      }
    ).files;
  await expect.poll(async () => (await traced()).filter((f) => f.cmd === "Sync" && f.part === "text").length, { timeout: 10_000 }).toBe(2);
  const files = await traced();
  const text = files.filter((f) => f.cmd === "Sync" && f.part === "text").at(-1)!;
  const trace = await (await admin("GET", `/mailboxes/${encodeURIComponent(USER)}/traces/file?key=${encodeURIComponent(text.key)}`)).text();
  expect(trace).toMatch(/^POST \/Microsoft-Server-ActiveSync\?Cmd=Sync/m);
  expect(trace).toMatch(/^authorization: Basic \[credentials removed\]$/im);
  expect(trace).toContain('<Sync xmlns="AirSync"');
  expect(trace).toContain("<email:Subject>Hello trace</email:Subject>");
  expect(trace).not.toContain(PW);
  expect(trace).not.toContain(Buffer.from(`${USER}:${PW}`).toString("base64"));
  expect(trace).not.toContain(BODY);

  // The raw response through the CLI, as the support desk would: valid Sync XML.
  const wbxml = files.find((f) => f.part === "response.wbxml" && f.key.startsWith(text.key.replace(/\.txt$/, "")))!;
  const bytes = new Uint8Array(
    await (await admin("GET", `/mailboxes/${encodeURIComponent(USER)}/traces/file?key=${encodeURIComponent(wbxml.key)}`)).arrayBuffer(),
  );
  const file = path.join(persistTo, "response.wbxml");
  writeFileSync(file, bytes);
  // --opaque=text: the schema's form (opaque values such as Email2:ConversationId as text, not the reversible
  // `wbxml:opaque` marker, which no XSD allows).
  const cli = spawnSync("npx", ["tsx", "scripts/wbxml.ts", "decode", file, "--opaque=text"], { cwd: root, encoding: "utf8" });
  expect(cli.status).toBe(0);
  expect(cli.stdout).toContain("Hello trace");
  assertValid("Sync", cli.stdout);

  const m = (await (await admin("GET", "/metrics")).json()) as {
    counters: Record<string, number>;
    histograms: Record<string, { count: number; p50_ms: number }>;
  };
  expect(m.counters["requests|cmd=Sync|eas=1|http=200"]).toBeGreaterThanOrEqual(2);
  expect(m.histograms["request_ms|cmd=Sync|http=200"].count).toBeGreaterThanOrEqual(2);
  expect(m.histograms["request_ms|cmd=Sync|http=200"].p50_ms).toBeGreaterThan(0);

  // Every line the Worker wrote during the run (wrangler's own "[wrangler:…]" request lines aside) is JSON.
  await new Promise((r) => setTimeout(r, 500));
  const lines = server
    .log()
    .slice(logStart)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("[wrangler:"));
  expect(lines.length).toBeGreaterThanOrEqual(4);
  for (const l of lines) {
    expect(() => JSON.parse(l), l).not.toThrow();
    expect(l).not.toContain(PW);
    expect(l).not.toContain(BODY);
  }
  expect(lines.map((l) => JSON.parse(l).kind)).toEqual(expect.arrayContaining(["request", "admin"]));
}, 120_000);
