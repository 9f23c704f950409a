// The built-in store's texts of a Sync page read together (store/builtin/page-bodies.ts): after prefetchBodies
// names the page, a page of getBody calls costs one statement per body type, not one per item; the texts are the
// same as read alone; a write in between (a replaced draft) and the next getBody reads the new text.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import type { BuiltinStore } from "../../src/store/builtin";
import { FolderType } from "../../src/store/types";

const enc = new TextEncoder();
const message = (i: number, body: string) =>
  enc.encode(`From: A <a@example.test>\r\nTo: b@example.test\r\nSubject: Page item ${i}\r\nContent-Type: text/plain\r\n\r\n${body}\r\n`);

/** SQLite statements `fn` runs. */
async function statements(s: BuiltinStore, fn: () => Promise<unknown>): Promise<number> {
  const before = s.sqlStats().statements;
  await fn();
  return s.sqlStats().statements - before;
}

it("a named page's texts come from one read per type, equal to those read alone, and a write voids them", async () => {
  await runInDurableObject(env.MAILBOX.getByName("page-bodies@example.test"), async (mb: Mailbox) => {
    const s = mb.store as BuiltinStore;
    const drafts = s.folderByType(FolderType.Drafts)!.id;
    for (let i = 0; i < 20; i++) await s.appendMessage(drafts, message(i, `Body number ${i}.`));
    const page = await s.listItems(drafts, { limit: 20 });
    expect(page).toHaveLength(20);

    const alone = new Map<string, string | undefined>();
    const alone1 = await statements(s, async () => {
      for (const m of page) alone.set(m.itemId, (await s.getBody(drafts, m.itemId, "plain"))?.data);
    });

    await s.prefetchBodies(drafts, page);
    const batched = new Map<string, string | undefined>();
    const batched1 = await statements(s, async () => {
      for (const m of page) batched.set(m.itemId, (await s.getBody(drafts, m.itemId, "plain"))?.data);
    });
    expect(batched).toEqual(alone);
    expect(alone.get(page[0]!.itemId)).toContain("Body number");
    expect(alone1).toBe(20); // one statement an item
    expect(batched1).toBe(1); // one for the page
    const again = await statements(s, () => s.getBody(drafts, page[3]!.itemId, "plain"));
    expect(again).toBe(0); // served from the batch
    expect(await s.getBody(drafts, page[3]!.itemId, "html")).toBeNull(); // the other type: read, as alone (none)

    // A write in between (a draft rewritten in place, same id): the next getBody reads the new text.
    await s.prefetchBodies(drafts, page);
    expect((await s.getBody(drafts, page[0]!.itemId, "plain"))?.data).toBe(alone.get(page[0]!.itemId));
    await s.replaceMessage(drafts, page[1]!.itemId, message(1, "Rewritten on another device."));
    expect((await s.getBody(drafts, page[1]!.itemId, "plain"))?.data).toContain("Rewritten on another device.");
    // An item not on the page, an unknown item, an unknown folder: as alone.
    expect(await s.getBody(drafts, "999999", "plain")).toBeNull();
    await expect(s.getBody("999999", page[0]!.itemId, "plain")).rejects.toMatchObject({ name: "StoreNotFoundError" });
  });
});
