// Attachment download (issue 15, target 4): one phone fetches a 10 MiB attachment by ItemOperations Range
// (1 MiB per request), multipart (MS-ASAcceptMultiPart: raw bytes) and inline (base64 in WBXML), through
// `wrangler dev`. Beside it, in the same run and with the same client, the platform's floor
// (bench/attachment-floor: Worker → Durable Object → ranged R2 read → HTTP body, nothing else).
// Run: npm run bench attachments   (bench/run.mjs appends what it prints to bench/RESULTS.md)
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../scripts/dev-server.mjs";
import { child, childText, childrenNamed, el } from "../src/wbxml/index";
import { insertAccount } from "../test/node/accounts";
import { Phone } from "../test/node/phone";
import { syncRequest } from "../test/node/sync-requests";
import { freePort } from "../test/free-port";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const USER = "bench-att@example.test";
const PW = "bench password";
const SIZE = 10 * 1024 * 1024;
const RANGE = 1024 * 1024;
const ROUNDS = 3;

const blob = randomBytes(SIZE);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const want = sha(blob);
const b64 = blob.toString("base64").replace(/.{76}/g, "$&\r\n");
const mime =
  `From: Sender <s@example.test>\r\nTo: ${USER}\r\nSubject: Ten MiB\r\nDate: ${new Date().toUTCString()}\r\n` +
  `Message-ID: <att-bench@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n` +
  `--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe file.\r\n` +
  `--b\r\nContent-Type: application/octet-stream; name="file.bin"\r\nContent-Disposition: attachment; filename="file.bin"\r\n` +
  `Content-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--b--\r\n`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mibs = (bytes: number, ms: number) => bytes / 1048576 / (ms / 1000);

/** `step` bytes per request by Range; `whole`: one Fetch without Range (multipart: streamed from R2). */
async function phoneDownload(p: Phone, ref: string, multipart: boolean, whole = false) {
  const parts: Uint8Array[] = [];
  const per: number[] = [];
  const server: number[] = [];
  const t0 = performance.now();
  for (let got = 0; got < SIZE; ) {
    const t = performance.now();
    const r = await p.command(
      "ItemOperations",
      el(
        "ItemOperations",
        "ItemOperations",
        el(
          "ItemOperations",
          "Fetch",
          el("ItemOperations", "Store", "Mailbox"),
          el("AirSyncBase", "FileReference", ref),
          !whole && el("ItemOperations", "Options", el("ItemOperations", "Range", `${got}-${got + RANGE - 1}`)),
        ),
      ),
      { acceptMultiPart: multipart, validate: false },
    );
    per.push(performance.now() - t);
    const st = /dur=([0-9.]+)/.exec(r.headers.get("Server-Timing") ?? "");
    if (st) server.push(Number(st[1]));
    const props = child(child(child(r.tree, "Response"), "Fetch"), "Properties");
    const data = multipart ? r.parts![Number(childText(props, "Part"))] : Buffer.from(childText(props, "Data") ?? "", "base64");
    if (!data?.length) throw new Error(`Range ${got}: no data (HTTP ${r.status})\n${r.xml}`);
    parts.push(data);
    got += data.length;
  }
  const ms = performance.now() - t0;
  if (sha(Buffer.concat(parts)) !== want) throw new Error("downloaded bytes differ from the attachment");
  return { ms, per, server };
}

async function floorDownload(url: string, route = "range", step = RANGE) {
  const parts: Uint8Array[] = [];
  const per: number[] = [];
  const t0 = performance.now();
  for (let got = 0; got < SIZE; got += step) {
    const t = performance.now();
    const r = await fetch(`${url}/${route}?offset=${got}&length=${step}`);
    parts.push(new Uint8Array(await r.arrayBuffer()));
    per.push(performance.now() - t);
  }
  const ms = performance.now() - t0;
  if (route !== "memory" && sha(Buffer.concat(parts)) !== want) throw new Error("floor: downloaded bytes differ");
  return { ms, per, server: [] as number[] };
}

const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-bench-att-"));
const floorPersist = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-bench-att-floor-"));
const load0 = os.loadavg();
const server = await startDevServer({ port: await freePort(), persistTo, vars: { DEMO_SEED: "false" } });
const floor = await startDevServer({
  port: await freePort(),
  persistTo: floorPersist,
  config: path.join(root, "bench", "attachment-floor", "wrangler.toml"),
  migrate: false,
  testScheduled: false,
});
const lines: string[] = [];
try {
  await insertAccount(persistTo, USER, PW);
  const d = await fetch(`${server.url}/cdn-cgi/handler/email?from=s@example.test&to=${encodeURIComponent(USER)}`, {
    method: "POST",
    body: mime,
  });
  if (!d.ok) throw new Error(`delivery: HTTP ${d.status} ${await d.text()}`);
  const fp = await fetch(`${floor.url}/put`, { method: "POST", body: blob });
  if (fp.status !== 201) throw new Error(`floor put: HTTP ${fp.status}`);

  const p = new Phone({
    baseUrl: server.url,
    user: USER,
    password: PW,
    deviceId: "benchAtt",
    deviceType: "Bench",
    protocolVersion: "16.1",
  });
  const key0 = childText(
    child(child((await p.command("Sync", syncRequest("1", "0"), { validate: false })).tree, "Collections"), "Collection"),
    "SyncKey",
  )!;
  const s = await p.command("Sync", syncRequest("1", key0), { validate: false });
  const add = childrenNamed(child(child(child(s.tree, "Collections"), "Collection"), "Commands"), "Add")[0];
  const att = child(child(child(add, "ApplicationData"), "Attachments"), "Attachment");
  const ref = childText(att, "FileReference")!;
  if (!ref) throw new Error(`no FileReference in the Sync response\n${s.xml}`);

  const runs: Record<string, { ms: number; per: number[]; server: number[] }[]> = {
    memory: [],
    r2: [],
    floor: [],
    multipart: [],
    inline: [],
    floorWhole: [],
    whole: [],
    wholeInline: [],
  };
  for (let i = 0; i < ROUNDS; i++) {
    runs.memory.push(await floorDownload(floor.url, "memory"));
    runs.r2.push(await floorDownload(floor.url, "r2"));
    runs.floor.push(await floorDownload(floor.url));
    runs.multipart.push(await phoneDownload(p, ref, true));
    runs.inline.push(await phoneDownload(p, ref, false));
    runs.floorWhole.push(await floorDownload(floor.url, "range", SIZE));
    runs.whole.push(await phoneDownload(p, ref, true, true));
    runs.wholeInline.push(await phoneDownload(p, ref, false, true));
  }
  const best = (k: string) => runs[k].reduce((a, b) => (a.ms <= b.ms ? a : b));
  const floorRate = mibs(SIZE, best("floor").ms);
  const row = (name: string, k: string, against = floorRate) => {
    const r = best(k);
    const rate = mibs(SIZE, r.ms);
    const srv = r.server.length ? `${median(r.server).toFixed(1)} ms` : "—";
    return `| ${name} | ${rate.toFixed(1)} MiB/s | ${median(r.per).toFixed(1)} ms (${Math.min(...r.per).toFixed(1)}–${Math.max(...r.per).toFixed(1)}) | ${srv} | ${(against / rate).toFixed(2)}× |`;
  };
  lines.push(
    `\n## Attachment download by Range (issue 15 target 4, ${new Date().toISOString().replace(/\.\d+Z$/, "Z")})\n`,
    `${os.cpus()[0]?.model ?? "cpu"}, ${os.cpus().length} cores shared, Node ${process.version}, wrangler dev; load average ${load0.map((l) => l.toFixed(2)).join(" ")} before, ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(
        " ",
      )} after. A 10 MiB attachment in ${SIZE / RANGE} ranges of 1 MiB, one phone (16.1), requests one at a time; best of ${ROUNDS} rounds (interleaved), bytes checked by SHA-256.\n`,
    "| path | throughput | per range p50 (min–max) | mailbox object p50 | floor ÷ ours |",
    "|---|---|---|---|---|",
    row("floor's part: 1 MiB from the Worker's memory (HTTP and dev proxy only)", "memory"),
    row("floor's part: Worker → ranged R2 read → HTTP body (no Durable Object)", "r2"),
    row("floor: Worker → DO → ranged R2 read → HTTP body (bench/attachment-floor)", "floor"),
    row("ItemOperations Fetch Range, multipart (MS-ASAcceptMultiPart: T)", "multipart"),
    row("ItemOperations Fetch Range, inline base64 Data", "inline"),
    "| *whole, one request (the rows below: ratio to the whole floor)* | | | | |",
    row("floor: Worker → DO → R2 read of all 10 MiB → HTTP body", "floorWhole", mibs(SIZE, best("floorWhole").ms)),
    row("ItemOperations Fetch without Range, multipart (streamed R2 → phone)", "whole", mibs(SIZE, best("floorWhole").ms)),
    row(
      "ItemOperations Fetch without Range, inline base64 (streamed, encoded on the way)",
      "wholeInline",
      mibs(SIZE, best("floorWhole").ms),
    ),
  );
  console.log(lines.join("\n"));
} finally {
  await server.stop();
  await floor.stop();
  rmSync(persistTo, { recursive: true, force: true });
  rmSync(floorPersist, { recursive: true, force: true });
}
