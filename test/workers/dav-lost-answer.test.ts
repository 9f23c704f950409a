// A phone's Add to a bridged calendar or address book whose PUT reached the CalDAV/CardDAV server while its
// answer was lost (the connection dropped, the mailbox object was reset mid-request): the Sync fails
// retryably, the engine has not remembered the ClientId (it does once the store answered), and the phone
// repeats the same Sync with the same ClientId. The repeat must find the first object, never make a second
// (issue 19, a double the chaos harness can produce). Real Radicale; the lost answer is a fetch that lets the
// PUT through and then throws, as workerd does when the connection goes.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ClientAdd } from "../../src/eas/sync-types";
import { PimSource, type PimClass } from "../../src/mailbox/pim-source";
import { DavClient } from "../../src/store/dav/client";
import { DavPimStore } from "../../src/store/dav/store";
import { StoreUnavailableError } from "../../src/store/types";
import { el, type WbxmlElement } from "../../src/wbxml/index";

const account = { url: `${env.RADICALE_URL}/`, username: env.RADICALE_USER, password: env.RADICALE_PASSWORD };
const auth = `Basic ${btoa(`${env.RADICALE_USER}:${env.RADICALE_PASSWORD}`)}`;
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** Lets every request through; when armed, the next PUT reaches the server and then "the connection drops". */
let loseNextPut = false;
const lossy: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (loseNextPut && init?.method === "PUT") {
    loseNextPut = false;
    await res.arrayBuffer();
    throw new TypeError("Network connection lost.");
  }
  return res;
};

/** Resource names in a collection, as another client of the server lists them. */
async function onServer(collection: string): Promise<string[]> {
  const res = await fetch(`${env.RADICALE_URL}${collection}`, { method: "PROPFIND", headers: { Authorization: auth, Depth: "1" } });
  const text = await res.text();
  return [...text.matchAll(/<[^>]*href>([^<]+\.(?:ics|vcf))</g)].map((m) => m[1]!);
}

const data: Record<"Calendar" | "Contacts", WbxmlElement> = {
  Calendar: el(
    "AirSync",
    "ApplicationData",
    el("Calendar", "AllDayEvent", "0"),
    el("Calendar", "StartTime", "20270311T090000Z"),
    el("Calendar", "EndTime", "20270311T100000Z"),
    el("Calendar", "Subject", "Added while the line dropped"),
  ),
  Contacts: el("AirSync", "ApplicationData", el("Contacts", "FirstName", "Lost"), el("Contacts", "LastName", "Answer")),
};

describe("a device Add whose CalDAV/CardDAV PUT answer was lost, repeated with the same ClientId", () => {
  for (const cls of ["Calendar", "Contacts"] as const)
    for (const pullBetween of [false, true])
      it(`${cls}: one object on the server, the repeat answers its item id (${pullBetween ? "a pull saw it first" : "the create meets 412"})`, async () => {
        // A collection of its own (the account's others are the other tests').
        const name = `lost-${cls}-${pullBetween}-${run}`;
        const collection = `/${env.RADICALE_USER}/${name}/`;
        if (cls === "Calendar") await new DavClient(account).makeCollection(collection, "calendar", name, ["VEVENT"]);
        else await new DavClient(account).makeCollection(collection, "addressbook", name);
        await runInDurableObject(env.MAILBOX.getByName(`lost-answer-${cls}-${pullBetween}@dav.test`), async (_m, state) => {
          const store = new DavPimStore(state.storage, account, { fetch: lossy });
          const folder = (await store.refreshCollections()).find((f) => f.name === name)!;
          const source = new PimSource(store, cls as PimClass, () => ({ defaultZone: "Etc/UTC", owner: "alice@dav.test" }), {
            get: () => undefined,
            set: () => undefined,
          });
          const clientId = `c-${pullBetween}`;
          // What the sync engine hands the source (sync-engine.ts): the same addKey for every repeat.
          const add: ClientAdd = {
            clientId,
            fields: {},
            data: data[cls],
            device: { deviceId: "lostAnswerPhone", deviceType: "iPhone", protocolVersion: "14.1" },
            addKey: ["lostAnswerPhone", folder.id, "series1", clientId].join("\n"),
          };
          loseNextPut = true;
          await expect(source.add(folder.id, add)).rejects.toBeInstanceOf(StoreUnavailableError);
          expect(loseNextPut, "the PUT was sent").toBe(false);
          expect(await onServer(collection)).toHaveLength(1); // the server has it; we do not know
          if (pullBetween) await store.status(folder.id); // the engine's Sync looks at the folder first
          const itemId = await source.add(folder.id, add);
          expect(await onServer(collection)).toHaveLength(1);
          const items = await store.list(folder.id, { limit: 100 });
          expect(items.map((i) => i.itemId)).toEqual([itemId]);
          expect(items[0]!.data).toMatch(cls === "Calendar" ? /SUMMARY:Added while the line dropped/ : /FN:Lost Answer/);
          // Another Add (another ClientId) is another object.
          await source.add(folder.id, { ...add, clientId: "other", addKey: `${add.addKey}-other` });
          expect(await onServer(collection)).toHaveLength(2);
        });
      });
});
