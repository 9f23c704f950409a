// The hanging-Sync part ([MS-ASCMD] 3.1.5.4, 2.2.3.198, 2.2.3.88.2, 2.2.3.97).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hangSync, parseSyncWait } from "../../src/eas/front/sync-wait";
import { child, childText, el, type WbxmlElement } from "../../src/wbxml";
import { createStoreFolder, easRequest, folderSynced, ping, pingBody, waitsOpen, within } from "./push-helpers";
import { touchFolder } from "./helpers/store-touch";

const bounds = { minHeartbeat: 60, maxHeartbeat: 2700, maxFolders: 100 };
const sync = (...kids: WbxmlElement[]) => el("AirSync", "Sync", ...kids);
const statusAndLimit = (r: ReturnType<typeof parseSyncWait>) => {
  if (r.ok || r.response.kind !== "wbxml") throw new Error("expected an error response");
  const b = r.response.body;
  return {
    status: Number(childText(b, "Status")),
    limit: child(b, "Limit") ? Number(childText(b, "Limit")) : undefined,
    order: b.children.map((c) => (c as WbxmlElement).name),
  };
};

describe("parseSyncWait", () => {
  it("no Wait and no HeartbeatInterval: no hanging", () => {
    expect(parseSyncWait(sync(), bounds)).toEqual({ ok: true, seconds: null });
  });

  it("Wait is minutes, HeartbeatInterval seconds (MS-ASCMD_R4739, R3154)", () => {
    expect(parseSyncWait(sync(el("AirSync", "Wait", 5)), bounds)).toEqual({ ok: true, seconds: 300 });
    expect(parseSyncWait(sync(el("AirSync", "HeartbeatInterval", 480)), bounds)).toEqual({ ok: true, seconds: 480 });
  });

  it("both Wait and HeartbeatInterval → Status 4 (MS-ASCMD_R4748, R3162)", () => {
    expect(statusAndLimit(parseSyncWait(sync(el("AirSync", "Wait", 5), el("AirSync", "HeartbeatInterval", 300)), bounds))).toEqual({
      status: 4,
      limit: undefined,
      order: ["Status"],
    });
  });

  it("out of range → Status 14 with the closest allowed Limit, Status before Limit (MS-ASCMD_R4746, R3160, R3226, R3227, R4460, R4461)", () => {
    expect(statusAndLimit(parseSyncWait(sync(el("AirSync", "Wait", 0)), bounds))).toEqual({
      status: 14,
      limit: 1,
      order: ["Status", "Limit"],
    });
    expect(statusAndLimit(parseSyncWait(sync(el("AirSync", "Wait", 59)), bounds))).toMatchObject({ status: 14, limit: 45 });
    expect(statusAndLimit(parseSyncWait(sync(el("AirSync", "HeartbeatInterval", 30)), bounds))).toMatchObject({ status: 14, limit: 60 });
    expect(statusAndLimit(parseSyncWait(sync(el("AirSync", "HeartbeatInterval", 3540)), bounds))).toMatchObject({
      status: 14,
      limit: 2700,
    });
    // With Exchange's bounds the spec's own limits come back (R3228, R3229, R3230).
    const exchange = { minHeartbeat: 60, maxHeartbeat: 3540, maxFolders: 100 };
    expect(statusAndLimit(parseSyncWait(sync(el("AirSync", "Wait", 60)), exchange))).toMatchObject({ status: 14, limit: 59 });
    expect(statusAndLimit(parseSyncWait(sync(el("AirSync", "HeartbeatInterval", 3541)), exchange))).toMatchObject({
      status: 14,
      limit: 3540,
    });
  });

  it("a non-numeric Wait is a syntax error (Status 4)", () => {
    expect(statusAndLimit(parseSyncWait(sync(el("AirSync", "Wait", "soon")), bounds)).status).toBe(4);
  });
});

describe("hangSync", () => {
  it("returns 'none' when the interval elapses without changes", async () => {
    const t0 = Date.now();
    expect(await hangSync(easRequest("hang1@example.test", "d", null), ["1"], 1)).toBe("none");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it("returns 'changes' when a watched collection changes, and 'hierarchy' on a hierarchy change", async () => {
    const u = "hang2@example.test";
    const p = hangSync(easRequest(u, "d", null), ["1"], 600);
    await waitsOpen(u, 1);
    await touchFolder(u, "1");
    await env.MAILBOX.getByName(u).changed(["1"]);
    expect(await p).toBe("changes");
    await folderSynced(u, "d");
    const q = hangSync(easRequest(u, "d", null), ["1"], 600);
    await waitsOpen(u, 1);
    await createStoreFolder(u, "Later");
    await env.MAILBOX.getByName(u).hierarchyChanged();
    expect(await q).toBe("hierarchy");
  });

  it("newest wins across commands: a Ping ends the device's hanging Sync ('none'), a hanging Sync ends its Ping (Status 1)", async () => {
    const u = "hang3@example.test";
    const s = hangSync(easRequest(u, "d", null), ["1"], 600);
    await waitsOpen(u, 1);
    const p = ping(u, "d", pingBody(600, [["1", "Email"]]));
    expect(await within(s, 1000)).toBe("none");
    await waitsOpen(u, 1);
    const s2 = hangSync(easRequest(u, "d", null), ["1"], 600);
    expect(await within(p, 1000)).toMatchObject({ status: 1 });
    await waitsOpen(u, 1);
    await touchFolder(u, "1");
    await env.MAILBOX.getByName(u).changed(["1"]);
    expect(await s2).toBe("changes");
  });
});
