// The Worker process restarted mid-session (what `npm start` twice does): the phone goes on with the keys it
// holds, gets only what changed, and what it did before the restart stays done. Its own `wrangler dev` on a
// private state directory, stopped and started again.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../../scripts/dev-server.mjs";
import { child, childText, childrenNamed, el } from "../../src/wbxml/index";
import { insertAccount } from "./accounts";
import { Phone, type PhoneResponse } from "./phone";
import { syncRequest } from "./sync-requests";
import { freePort } from "../free-port";

const USER = "restart@example.test";
const PW = "restart password";
const INBOX = "1";
const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-restart-"));
let server: { url: string; stop: () => Promise<void> } | undefined;

async function start(): Promise<string> {
  server = await startDevServer({ port: await freePort(), persistTo, vars: { DEMO_SEED: "false" } });
  return server!.url;
}

async function deliver(url: string, subject: string): Promise<void> {
  const raw = `From: a@example.test\r\nTo: ${USER}\r\nSubject: ${subject}\r\nMessage-ID: <${crypto.randomUUID()}@example.test>\r\n\r\n${subject}\r\n`;
  const res = await fetch(`${url}/cdn-cgi/handler/email?from=a@example.test&to=${encodeURIComponent(USER)}`, { method: "POST", body: raw });
  expect(res.status).toBe(200);
}

const coll = (r: PhoneResponse) => child(child(r.tree, "Collections"), "Collection");
const adds = (r: PhoneResponse) => childrenNamed(child(coll(r), "Commands"), "Add").map((a) => childText(a, "ServerId")!);

afterAll(async () => {
  await server?.stop();
  rmSync(persistTo, { recursive: true, force: true });
});

describe("a restart of the Worker", () => {
  it("keeps folder ids, sync keys, the device's changes and the replay of a lost response", async () => {
    let url = await start();
    await insertAccount(persistTo, USER, PW);
    for (let i = 0; i < 5; i++) await deliver(url, `before ${i}`);
    const phone = (u: string) =>
      new Phone({ baseUrl: u, user: USER, password: PW, deviceId: "restart1", deviceType: "iPhone", protocolVersion: "14.1" });
    let p = phone(url);
    const fs = await p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
    const hierKey = childText(fs.tree, "SyncKey")!;
    const k1 = childText(coll(await p.command("Sync", syncRequest(INBOX, "0"))), "SyncKey")!;
    const first = await p.command("Sync", syncRequest(INBOX, k1));
    expect(adds(first)).toHaveLength(5);
    const k2 = childText(coll(first), "SyncKey")!;
    const markRead = el(
      "AirSync",
      "Change",
      el("AirSync", "ServerId", adds(first)[0]),
      el("AirSync", "ApplicationData", el("Email", "Read", "1")),
    );
    const read = await p.command("Sync", syncRequest(INBOX, k2, [el("AirSync", "Commands", markRead)]));
    const k3 = childText(coll(read), "SyncKey")!;

    await server!.stop();
    url = await start();
    p = phone(url);

    // Same hierarchy, nothing to send; same key series, nothing new; the lost-response retry still works.
    const again = await p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", hierKey)));
    expect(childText(again.tree, "Status")).toBe("1");
    expect(childText(child(again.tree, "Changes"), "Count")).toBe("0");
    expect((await p.command("Sync", syncRequest(INBOX, k3))).raw.length).toBe(0);
    await deliver(url, "after");
    const after = await p.command("Sync", syncRequest(INBOX, k3));
    expect(adds(after)).toHaveLength(1);
    const retry = await p.command("Sync", syncRequest(INBOX, k3));
    expect(adds(retry)).toEqual(adds(after));

    const other = new Phone({
      baseUrl: url,
      user: USER,
      password: PW,
      deviceId: "restart2",
      deviceType: "iPhone",
      protocolVersion: "14.1",
    });
    const ok = childText(coll(await other.command("Sync", syncRequest(INBOX, "0"))), "SyncKey")!;
    const all = await other.command("Sync", syncRequest(INBOX, ok));
    const data = childrenNamed(child(coll(all), "Commands"), "Add").map((a) => child(a, "ApplicationData")!);
    expect(data).toHaveLength(6);
    expect(data.filter((d) => childText(d, "Read") === "1")).toHaveLength(1);
  }, 120_000);
});
