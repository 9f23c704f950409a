// Search on a bridged mailbox through the mailbox object: search.ts → BridgeMailStore → ImapStore (UID SEARCH on
// the test Dovecot); the result's LongId fetches the message with ItemOperations.
import { beforeAll, describe, expect, it } from "vitest";
import { otherClient } from "./imap/imap-helpers";
import { account, backend, message } from "./bridge-mailbox-helpers";

const kate = account("kate");
const mb = kate.mailbox;
const options = { bodyPreferences: [{ type: 1, truncationSize: 200 }], mimeSupport: 0, protocolVersion: "16.1" };

beforeAll(async () => {
  await mb().setBackend(backend({ dav: true }));
  await mb().useCredentials(kate.login);
  await otherClient("kate", async (c) => {
    await c.append("INBOX", message("Regatta results"));
    await c.append("INBOX", message("Canteen menu"));
  });
});

describe("Search on a bridged mailbox", () => {
  it("finds mail with the IMAP server's SEARCH, in every mail folder (not the DAV collections), and fetches it by LongId", async () => {
    const r = await mb().search({
      collectionIds: [],
      deepTraversal: false,
      classes: [],
      freeText: "regat",
      range: { start: 0, end: 9 },
      options,
    });
    expect(r.status).toBe(1);
    expect(r.total).toBe(1);
    expect(r.hits.map((h) => h.item.subject)).toEqual(["Regatta results"]);
    const [fetched] = await mb().itemOperationsFetch([
      { kind: "item", collectionId: "", serverId: "", longId: r.hits[0]!.longId, options },
    ]);
    expect(fetched).toMatchObject({ status: 1, longId: r.hits[0]!.longId });
    expect(fetched!.kind === "item" && fetched!.item?.subject).toBe("Regatta results");
    expect(
      (
        await mb().search({
          collectionIds: [],
          deepTraversal: false,
          classes: [],
          freeText: "zeppelin",
          range: { start: 0, end: 9 },
          options,
        })
      ).total,
    ).toBe(0);
    expect(await mb().rebuildSearchIndex()).toEqual({ rebuilt: true });
  });
});
