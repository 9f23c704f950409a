// What a pull costs as a collection grows (real Radicale, second account): requests per pull are counted
// exactly through the client's fetch, times printed as one `DAV-BENCH {json}` line for bench/dav.bench.ts.
// RFC 6578 makes a no-change pull one REPORT whatever the size; the PROPFIND fallback lists every ETag.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { DavClient } from "../../src/store/dav/client";
import { DavPimStore } from "../../src/store/dav/store";

const N = Number(env.DAV_BENCH_OBJECTS);
const BATCH = 50;
const user = env.RADICALE_OTHER_USER;
const account = { url: env.RADICALE_URL + "/", username: user, password: env.RADICALE_PASSWORD };
const auth = "Basic " + btoa(`${user}:${env.RADICALE_PASSWORD}`);
const ics = (i: number, summary = `Event ${i}`) =>
  [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//bench//EN",
    "BEGIN:VEVENT",
    `UID:bulk-${i}`,
    "DTSTAMP:20261126T120000Z",
    `DTSTART:2027${String((i % 12) + 1).padStart(2, "0")}10T090000Z`,
    `DTEND:2027${String((i % 12) + 1).padStart(2, "0")}10T100000Z`,
    `SUMMARY:${summary}`,
    "DESCRIPTION:" + "lorem ipsum ".repeat(20),
    "END:VEVENT",
    "END:VCALENDAR",
    "",
  ].join("\r\n");

async function putOther(i: number, summary?: string) {
  const res = await fetch(`${env.RADICALE_URL}/${user}/bulk/bulk-${i}.ics`, {
    method: "PUT",
    body: ics(i, summary),
    headers: { Authorization: auth, "Content-Type": "text/calendar" },
  });
  expect(res.status).toBeLessThan(300);
}

/** One pull through a store whose fetch counts requests; returns requests and wall time. */
async function measure(mailbox: string, forceFallback: boolean, fn: (s: DavPimStore, folderId: string) => Promise<unknown>) {
  return runInDurableObject(env.MAILBOX.getByName(mailbox), async (_i, state) => {
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, init);
    };
    const s = new DavPimStore(state.storage, account, { forceFallback, fetch: counting });
    const folderId = (await s.refreshCollections())[0]!.id;
    requests = 0;
    const t0 = performance.now();
    await fn(s, folderId);
    return { requests, ms: performance.now() - t0, count: (await s.status(folderId)).count };
  });
}

const pull = (s: DavPimStore, id: string) => s.status(id);

beforeAll(async () => {
  await new DavClient(account).makeCollection(`/${user}/bulk/`, "calendar", "Bulk");
  for (let i = 0; i < N; i += 8) await Promise.all(Array.from({ length: Math.min(8, N - i) }, (_, k) => putOther(i + k)));
}, 600_000);

describe(`DAV pull cost with ${N} objects`, () => {
  it("sync-collection: initial pull = 1 REPORT + one multiget per 50; no change = 1 REPORT; one change = 2", async () => {
    const initial = await measure("scale-sync@dav.test", false, pull);
    expect(initial.count).toBe(N);
    expect(initial.requests).toBe(1 + Math.ceil(N / BATCH));
    const idle = await measure("scale-sync@dav.test", false, pull);
    expect(idle.requests).toBe(1);
    await putOther(7, "Changed");
    const one = await measure("scale-sync@dav.test", false, pull);
    expect(one.requests).toBe(2);
    expect(one.count).toBe(N);

    const fbInitial = await measure("scale-fallback@dav.test", true, pull);
    expect(fbInitial.count).toBe(N);
    expect(fbInitial.requests).toBe(1 + Math.ceil(N / BATCH));
    const fbIdle = await measure("scale-fallback@dav.test", true, pull);
    expect(fbIdle.requests).toBe(1);
    const discovery = await runInDurableObject(env.MAILBOX.getByName("scale-sync@dav.test"), async (_i, state) => {
      let requests = 0;
      const s = new DavPimStore(state.storage, account, { fetch: (a, b) => (requests++, fetch(a, b)) });
      const t0 = performance.now();
      await s.refreshCollections();
      return { requests, ms: performance.now() - t0 };
    });
    // A first sync larger than one pull's share arrives over several pulls, without duplicates, and the
    // sync token is stored only once everything is here.
    const shares: number[] = [];
    await runInDurableObject(env.MAILBOX.getByName("scale-shares@dav.test"), async (_i, state) => {
      const s = new DavPimStore(state.storage, account, { maxObjectsPerPull: 50 });
      const id = (await s.refreshCollections())[0]!.id;
      for (let k = 0; k < Math.ceil(N / 50) + 1; k++) shares.push((await s.status(id)).count);
      const uids = new Set((await s.list(id, { limit: 10_000 })).map((i) => i.uid));
      expect(uids.size).toBe(N);
      expect(state.storage.sql.exec(`SELECT sync_token FROM dav_collections`).one().sync_token).not.toBe("");
    });
    expect(shares).toEqual([...Array.from({ length: Math.ceil(N / 50) }, (_, k) => Math.min(N, (k + 1) * 50)), N]);
    console.log(
      "DAV-BENCH " + JSON.stringify({ objects: N, initial, idle, one, fallbackInitial: fbInitial, fallbackIdle: fbIdle, discovery }),
    );
  }, 600_000);
});
