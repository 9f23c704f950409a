// The store contract against DavPimStore on the test Radicale (test/servers/radicale.ts): the store's
// mirror (collections ↔ folder ids, hrefs ↔ item ids, ETags, modseq) lives in a mailbox object's SQLite, a
// new DavPimStore per call as the bridge builds one per login. DAV holds calendars and contacts only: the
// mail side of a bridged mailbox is IMAP (imap.test.ts), the two together bridge.test.ts.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll } from "vitest";
import { DavPimStore } from "../../../src/store/dav";
import type { PimBackend } from "./backend";
import { makeDavCollections } from "./dav-account";
import { pimStoreContract } from "./pim-contract";

// RADICALE_CONTRACT_USER of test/servers/radicale.ts.
const account = { url: `${env.RADICALE_URL}/`, username: "contract@dav.test", password: "contract secret" };
const stub = () => env.MAILBOX.getByName("contract-dav@example.test");

beforeAll(() => makeDavCollections(account));

const dav: PimBackend = {
  name: "CalDAV/CardDAV (Radicale)",
  caps: { notes: false, uidChange: false },
  run: (fn) => runInDurableObject(stub(), async (_mb, state) => fn(new DavPimStore(state.storage, account))),
  restart: () => evictDurableObject(stub()),
};

pimStoreContract(dav);
