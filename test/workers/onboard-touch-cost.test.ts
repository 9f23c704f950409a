// The per-request device bookkeeping must stay cheap: one small read, at most one write a minute per device.
// Also prints the measured cost (see bench/RESULTS.md).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { DeviceRegistry } from "../../src/mailbox/devices";

const USER = "touch-cost@example.test";
const seen = { deviceId: "costly", deviceType: "iPhone", userAgent: "Apple-iPhone15C2/2105.259", protocolVersion: "16.1" };

it("touch writes a device row once, then not again within a minute unless something changed", async () => {
  await runInDurableObject(env.MAILBOX.getByName(USER), (_i, state) => {
    const reg = new DeviceRegistry(state.storage.sql);
    const lastSeen = () =>
      Number(state.storage.sql.exec("SELECT last_seen FROM devices WHERE device_id = ?", seen.deviceId).one().last_seen);
    reg.touch(seen, undefined, 1_000_000);
    expect(lastSeen()).toBe(1_000_000);
    reg.touch(seen, undefined, 1_030_000);
    expect(lastSeen()).toBe(1_000_000); // within the minute: no write
    reg.touch({ ...seen, userAgent: "Apple-iPhone15C2/2201.83" }, undefined, 1_031_000);
    expect(lastSeen()).toBe(1_031_000); // the user agent changed: written at once
    reg.touch(seen, undefined, 1_100_000);
    expect(lastSeen()).toBe(1_100_000);
  });
});

it("cost: direct touch and touch over RPC", async () => {
  const stub = env.MAILBOX.getByName(USER);
  const direct = await runInDurableObject(stub, (_i, state) => {
    const reg = new DeviceRegistry(state.storage.sql);
    const n = 5000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) reg.touch(seen);
    return (performance.now() - t0) / n;
  });
  const n = 300;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await stub.touchDevice(seen);
  const rpc = (performance.now() - t0) / n;
  console.log(`device touch: direct ${(direct * 1000).toFixed(1)} µs/call, over RPC ${(rpc * 1000).toFixed(0)} µs/call`);
  // Generous bounds (2 shared cores); a per-request write or a table scan would show up here first.
  expect(direct).toBeLessThan(0.5);
  expect(rpc).toBeLessThan(10);
});
