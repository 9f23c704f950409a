// Issue 17 "done when", tried as a new user would with `npm start` running: an admin turns on tracing for the
// demo phone's device, the phone syncs its Inbox, the admin lists and downloads the trace and reads the Sync
// request and response as XML with the password absent (the WBXML part decodes with `npm run wbxml -- decode`),
// GET /admin/v1/metrics shows the Sync with its latency, /healthz and /admin/v1/health answer.
// Every line `npm start` prints for this run is one JSON object (look at its terminal).
//   npm run try:ops [-- --url http://127.0.0.1:8787] [-- --user demo@example.test --password demo]
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { child, childText, el } from "../../src/wbxml/index";
import { syncRequest } from "../../test/node/sync-requests";
import { admin, check, deliver, finish, options, phone, say, step } from "./lib";

const o = options();
const USER = o.values.get("user") ?? "demo@example.test";
const PASSWORD = o.values.get("password") ?? "demo";
const DEVICE = `tryops${Date.now().toString(36)}`;
const mbx = `/mailboxes/${encodeURIComponent(USER)}`;
const p = phone(o, { user: USER, password: PASSWORD, deviceId: DEVICE, deviceType: "iPhone", protocolVersion: "14.1" });
type File = { key: string; cmd: string; part: string; size: number; http_status: number };
let files: File[] = [];

await step(`an admin traces device ${DEVICE} of ${USER} (1 h, bodies removed)`, async () => {
  const r = await admin(o, "POST", `${mbx}/traces`, { device_id: DEVICE });
  check(r.status === 201, `POST traces: HTTP ${r.status} ${r.text}`);
  say(`tracing until ${r.json.until}`);
});

await step("new mail arrives; the phone runs FolderSync and syncs its Inbox", async () => {
  check((await deliver(o, "alice@example.org", USER, "Traced hello")).ok, "email handler refused the message");
  await p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
  const first = await p.command("Sync", syncRequest("1", "0"));
  const key = childText(child(child(first.tree, "Collections"), "Collection"), "SyncKey");
  check(key, "no SyncKey in the first Sync");
  const r = await p.command("Sync", syncRequest("1", key));
  check(r.status === 200, `Sync: HTTP ${r.status}`);
});

await step("the admin lists the trace", async () => {
  const r = await admin(o, "GET", `${mbx}/traces?device_id=${DEVICE}`);
  check(r.status === 200, `GET traces: HTTP ${r.status}`);
  files = r.json.files;
  for (const f of files.filter((x) => x.part === "text")) say(`${f.cmd.padEnd(11)} HTTP ${f.http_status}  ${f.key}`);
  check(files.filter((f) => f.cmd === "Sync" && f.part === "text").length >= 2, "expected two Sync exchanges in the trace");
});

await step("the last Sync, request and response as XML; the password is not there", async () => {
  const last = files.filter((f) => f.cmd === "Sync" && f.part === "text").at(-1)!;
  const r = await admin(o, "GET", `${mbx}/traces/file?key=${encodeURIComponent(last.key)}`);
  check(r.status === 200, `download: HTTP ${r.status}`);
  for (const line of r.text.split("\n").slice(0, 40)) say(line);
  check(!r.text.includes(PASSWORD === "demo" ? ":demo" : PASSWORD), "the password is in the trace");
  check(!r.text.includes(Buffer.from(`${USER}:${PASSWORD}`).toString("base64")), "the Basic credentials are in the trace");
  check(/authorization: Basic \[credentials removed\]/i.test(r.text), "no redacted Authorization line");
  check(r.text.includes("<email:Subject>Traced hello</email:Subject>"), "the new mail is not in the traced response");
  const wbxml = files.find((f) => f.part === "response.wbxml" && f.key.startsWith(last.key.replace(/\.txt$/, "")));
  if (wbxml) {
    const bytes = await (
      await fetch(`${o.url}/admin/v1${mbx}/traces/file?key=${encodeURIComponent(wbxml.key)}`, {
        headers: { authorization: `Bearer ${o.token}` },
      })
    ).arrayBuffer();
    const file = path.join(os.tmpdir(), `${DEVICE}.response.wbxml`);
    writeFileSync(file, new Uint8Array(bytes));
    say(`raw response saved: npm run --silent wbxml -- decode ${file}`);
  }
});

await step("GET /admin/v1/metrics shows the Sync with its latency", async () => {
  const r = await admin(o, "GET", "/metrics");
  check(r.status === 200, `metrics: HTTP ${r.status}`);
  const h = r.json.histograms["request_ms|cmd=Sync|http=200"];
  check(h && h.count >= 2, "no Sync latency histogram");
  say(`Sync: ${h.count} requests, p50 ≤ ${h.p50_ms} ms, p99 ≤ ${h.p99_ms} ms, max ${h.max_ms} ms`);
});

await step("GET /healthz and /admin/v1/health", async () => {
  const z = await fetch(`${o.url}/healthz`);
  check(z.status === 200, `/healthz: HTTP ${z.status}`);
  const r = await admin(o, "GET", "/health");
  check(r.status === 200, `health: HTTP ${r.status}`);
  for (const [name, c] of Object.entries(r.json.checks as Record<string, { ok: boolean; ms: number; detail?: string }>))
    say(`${name.padEnd(5)} ${c.ok ? "ok " : "DOWN"} ${String(c.ms).padStart(5)} ms  ${c.detail ?? ""}`);
  say(`status: ${r.json.status} (DoH/RDAP need the internet or scripts/zone-responder.mjs)`);
});

await step("stop tracing", async () => {
  const r = await admin(o, "DELETE", `${mbx}/traces?device_id=${DEVICE}`);
  check(r.status === 200, `DELETE traces: HTTP ${r.status}`);
});

finish();
