// ImapStore on a server without CONDSTORE/QRESYNC, SORT or WITHIN: the same Dovecot, with the store told to
// act as if those capabilities were missing, so the UID-diff change detection and SEARCH paths run for real.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { ImapStoreConfig } from "../../../src/store/imap/store";
import { config, itemIdFor, message, otherClient, withStore } from "./imap-helpers";

const old: ImapStoreConfig = { ...config("carol"), session: { ignoreCapabilities: ["CONDSTORE", "QRESYNC", "SORT", "WITHIN"] } };
const MB = "imap-carol@example.test";
let inboxItem: (uid: number) => string;

beforeAll(async () => {
  inboxItem = await itemIdFor("carol", "INBOX");
});

async function inboxId(): Promise<string> {
  return withStore(MB, old, async (s) => (await s.listFolders()).find((f) => f.name === "Inbox")!.id);
}

describe("ImapStore without CONDSTORE/QRESYNC (UID diff)", () => {
  it("reports adds, flag changes and expunges by other clients, each once, ascending", async () => {
    const inbox = await inboxId();
    const [a, b] = await otherClient("carol", async (c) => [await c.append("INBOX", message("A")), await c.append("INBOX", message("B"))]);
    const base = await withStore(MB, old, (s) => s.folderStatus(inbox));
    expect(await withStore(MB, old, (s) => s.changesSince(inbox, base.highestModseq, 10))).toEqual([]);

    const c3 = await otherClient("carol", async (c) => {
      await c.store("INBOX", a, "+FLAGS", "\\Flagged");
      await c.expunge("INBOX", b);
      return c.append("INBOX", message("C"));
    });
    const { changes, status, again } = await withStore(MB, old, async (s) => ({
      changes: await s.changesSince(inbox, base.highestModseq, 10),
      status: await s.folderStatus(inbox),
      again: await s.changesSince(inbox, base.highestModseq, 10),
    }));
    expect(changes.map((c) => [c.itemId, c.deleted])).toEqual([
      [inboxItem(a), false],
      [inboxItem(c3), false],
      [inboxItem(b), true],
    ]);
    expect(changes.map((c) => c.modseq)).toEqual([base.highestModseq + 1, base.highestModseq + 2, base.highestModseq + 3]);
    expect(status.highestModseq).toBe(base.highestModseq + 3);
    expect(again).toEqual(changes);
    expect(status.validity).toBe(base.validity);
    // the UID-diff path really ran: it keeps every UID with its flags
    const known = await runInDurableObject(env.MAILBOX.getByName(MB), async (_i, state) =>
      state.storage.sql.exec(`SELECT uid, flags FROM imap_uids WHERE folder = ? ORDER BY uid`, Number(inbox)).toArray(),
    );
    expect(known).toEqual([
      { uid: a, flags: "\\flagged" },
      { uid: c3, flags: "" },
    ]);
  });

  it("lists newest first and counts a window without SORT or WITHIN", async () => {
    const inbox = await inboxId();
    const { list, count } = await withStore(MB, old, async (s) => ({
      list: await s.listItems(inbox, { limit: 2 }),
      count: await s.countItems(inbox, Date.now() - 86_400_000),
    }));
    expect(list.map((m) => m.subject)).toEqual(["C", "A"]);
    expect(count).toBe(2);
  });

  it("a recreated mailbox (new UIDVALIDITY) resets the folder without replaying old items", async () => {
    await otherClient("carol", async (c) => {
      await c.run("CREATE", '"Old"');
      await c.append("Old", message("old"));
    });
    const id = await withStore(MB, old, async (s) => (await s.listFolders()).find((f) => f.name === "Old")!.id);
    const before = await withStore(MB, old, (s) => s.folderStatus(id));
    await otherClient("carol", async (c) => {
      await c.run("DELETE", '"Old"');
      await c.run("CREATE", '"Old"');
      await c.append("Old", message("new"));
    });
    const after = await withStore(MB, old, async (s) => {
      await s.listFolders();
      return s.folderStatus(id);
    });
    expect(after.validity).not.toBe(before.validity);
    expect(after.tombstoneFloor).toBeGreaterThan(before.highestModseq);
    expect(await withStore(MB, old, (s) => s.changesSince(id, after.highestModseq, 10))).toEqual([]);
  });

  it("unsolicited FETCH responses without UID (another session's flag change) are not taken for items", async () => {
    const inbox = await inboxId();
    const uid = await otherClient("carol", (c) => c.append("INBOX", message("Watched")));
    const changes = await withStore(MB, old, async (s) => {
      const base = await s.folderStatus(inbox); // leaves INBOX selected in this session
      await s.listItems(inbox, { limit: 1 });
      await otherClient("carol", (c) => c.store("INBOX", uid, "+FLAGS", "\\Answered"));
      return s.changesSince(inbox, base.highestModseq, 10);
    });
    expect(changes.map((c) => c.itemId)).toEqual([inboxItem(uid)]);
  });
});
