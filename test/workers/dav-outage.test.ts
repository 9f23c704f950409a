// The DAV bridge when the server goes away (issue 8: "never lost state"), against the second loopback
// Radicale, which these tests freeze (SIGSTOP: connections hang) and kill (SIGKILL: hanging requests cut).
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { DavClient } from "../../src/store/dav/client";
import { DavPimStore, type DavPimStoreOptions } from "../../src/store/dav/store";
import { StoreUnavailableError } from "../../src/store/types";

const account = { url: env.RADICALE_OUTAGE_URL + "/", username: env.RADICALE_USER, password: env.RADICALE_PASSWORD };
const home = `/${env.RADICALE_USER}/`;
const ics = (uid: string) =>
  [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//t//EN",
    "BEGIN:VEVENT",
    `UID:${uid}`,
    "DTSTAMP:20261126T120000Z",
    "DTSTART:20270201T090000Z",
    "SUMMARY:s",
    "END:VEVENT",
    "END:VCALENDAR",
    "",
  ].join("\r\n");

function withStore<T>(fn: (store: DavPimStore) => Promise<T>, opts: DavPimStoreOptions): Promise<T> {
  return runInDurableObject(env.MAILBOX.getByName("outage@dav.test"), async (_i, state) =>
    fn(new DavPimStore(state.storage, account, opts)),
  );
}

async function control(action: "freeze" | "kill" | "start") {
  const res = await fetch(`${env.RADICALE_OUTAGE_CONTROL_URL}/${action}`, { method: "POST" });
  expect(res.status, await res.text()).toBe(200);
}

let calendarId = "";

beforeAll(async () => {
  const client = new DavClient(account);
  await client.makeCollection(`${home}calendar/`, "calendar", "Calendar");
  await withStore(async (s) => {
    calendarId = (await s.refreshCollections())[0]!.id;
    await s.put(calendarId, ics("before-outage"));
  }, {});
});

describe("DAV server outage", () => {
  it("Radicale killed mid-request → StoreUnavailableError, state intact after it returns", async () => {
    await withStore(
      async (s) => {
        const before = await s.status(calendarId);
        expect(before.count).toBe(1);
        await control("freeze"); // connections still accepted by the kernel, nobody answers
        const refused = expect(s.status(calendarId)).rejects.toBeInstanceOf(StoreUnavailableError);
        await new Promise((r) => setTimeout(r, 300));
        await control("kill"); // the hanging request is cut
        await refused;
        // Down: refused connections get the same answer, and a write is not recorded.
        await expect(s.refreshCollections()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(s.put(calendarId, ics("during-outage"))).rejects.toBeInstanceOf(StoreUnavailableError);
        await control("start");
        expect(await s.status(calendarId)).toEqual(before);
        expect(await s.getByUid(calendarId, "during-outage")).toBeNull();
        expect((await s.getByUid(calendarId, "before-outage"))?.uid).toBe("before-outage");
      },
      { timeoutMs: 10_000 },
    );
  });

  it("a server that sends headers and then stalls the body, or answers HTML for XML → StoreUnavailableError", async () => {
    const stall = new DavClient({ ...account, url: `${env.RADICALE_OUTAGE_CONTROL_URL}/broken/stall/` }, { timeoutMs: 500 });
    await expect(stall.discover()).rejects.toBeInstanceOf(StoreUnavailableError);
    const garbage = new DavClient({ ...account, url: `${env.RADICALE_OUTAGE_CONTROL_URL}/broken/garbage/` });
    await expect(garbage.listEtags("/broken/garbage/x/")).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it("a server that stops answering hits the request timeout → StoreUnavailableError", async () => {
    await withStore(
      async (s) => {
        await control("freeze");
        try {
          await expect(s.status(calendarId)).rejects.toBeInstanceOf(StoreUnavailableError);
        } finally {
          await control("kill");
          await control("start");
        }
        expect((await s.status(calendarId)).count).toBe(1);
      },
      { timeoutMs: 500 },
    );
  });
});
