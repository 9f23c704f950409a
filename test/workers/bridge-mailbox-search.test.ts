// Search on a bridged mailbox through the mailbox object: search.ts → BridgeMailStore → ImapStore (UID SEARCH on
// the test Dovecot); the result's LongId fetches the message with ItemOperations.
import { beforeAll, describe, expect, it } from "vitest";
import { otherClient } from "./imap/imap-helpers";
import { account, backend, message, RpcDevice } from "./bridge-mailbox-helpers";
import { bytesHex } from "../../src/formats/hex";
import { childText } from "../../src/wbxml/index";
import { conversationIdOf } from "../../src/store/conversation";

const threaded = (subject: string, id: string, refs?: string) =>
  message(subject).replace(
    /Message-ID: <[^>]+>/,
    `Message-ID: <${id}>${refs ? `\r\nReferences: <${refs}>\r\nIn-Reply-To: <${refs}>` : ""}`,
  );

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

  it("conversations: the same ConversationId as the built-in store, Search by it (UID SEARCH on the root), Move of the whole thread", async () => {
    await otherClient("kate", async (c) => {
      await c.run("CREATE", "Archive");
      await c.run("CREATE", "Voyages");
      await c.append("INBOX", threaded("Sailing plan", "sail-root@example.test"));
      await c.append("INBOX", threaded("Re: Sailing plan", "sail-reply@example.test", "sail-root@example.test"));
      await c.append("Archive", threaded("Re: Sailing plan (old)", "sail-old@example.test", "sail-root@example.test"));
      await c.append("INBOX", threaded("Sailing plan B", "other@example.test"));
    });
    const search = (over: { freeText?: string; conversationId?: string }) =>
      mb().search({ collectionIds: [], deepTraversal: false, classes: [], range: { start: 0, end: 9 }, options, ...over });
    const found = await search({ freeText: "sailing" });
    expect(found.total).toBe(4);
    const root = found.hits.find((h) => h.item.subject === "Sailing plan")!;
    const id = bytesHex(root.item.conversationId!);
    expect(id).toBe(conversationIdOf({ subject: "", messageId: "<sail-root@example.test>" }));
    expect(root.item.conversationIndex).toHaveLength(5);
    const thread = await search({ conversationId: id });
    expect(thread.hits.map((h) => h.item.subject).sort()).toEqual(["Re: Sailing plan", "Re: Sailing plan (old)", "Sailing plan"]);
    expect(thread.total).toBe(3);
    // An id never seen on this account names nothing.
    expect((await search({ conversationId: "cd".repeat(16) })).total).toBe(0);
    // ItemOperations Move through the store's moveItem (UID MOVE): the thread leaves INBOX and Archive.
    const folders = await mb().listFolders();
    const voyages = folders.find((f) => f.name === "Voyages")!.id;
    expect(await mb().moveConversation("kate-phone", id, voyages, true)).toBe(1);
    const left = await otherClient("kate", async (c) => ({
      inbox: (await c.uids("INBOX")).length,
      archive: (await c.uids("Archive")).length,
      voyages: (await c.uids("Voyages")).length,
    }));
    expect(left).toEqual({ inbox: 3, archive: 0, voyages: 3 }); // Regatta, Canteen, Plan B stay
    expect((await search({ conversationId: id })).hits.every((h) => h.collectionId === voyages)).toBe(true);

    // MoveAlways on a bridged mailbox: the next reply is delivered by the IMAP server into INBOX; the next Sync of
    // the Inbox moves it to the destination before reading the Inbox, so the phone never gets it there.
    const phone = new RpcDevice(mb, "kate-phone", "kate");
    const inboxId = folders.find((f) => f.type === 2)!.id;
    const { key } = await phone.syncToEnd(inboxId);
    await otherClient("kate", (c) =>
      c.append("INBOX", threaded("Re: Sailing plan (later)", "sail-later@example.test", "sail-root@example.test")),
    );
    await otherClient("kate", (c) => c.append("INBOX", threaded("Harbour fees", "fees@example.test")));
    const next = await phone.sync(inboxId, key);
    const added = (next?.commands ?? []).filter((c) => c.op === "Add").map((c) => childText(c.data, "Subject", "Email") ?? "");
    expect(added).toEqual(["Harbour fees"]);
    const now = await otherClient("kate", async (c) => ({
      inbox: (await c.uids("INBOX")).length,
      voyages: (await c.uids("Voyages")).length,
    }));
    expect(now).toEqual({ inbox: 4, voyages: 4 });
  });
});
