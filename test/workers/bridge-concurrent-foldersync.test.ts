// Two folder-list mirrors at once in one bridged mailbox (two phones of one person set up together, or a
// FolderSync beside any other path that LISTs): they must not interleave across their IMAP awaits and leave
// the folder rows (ids, UIDVALIDITY, modseq baselines) in a state where later mail goes unseen. The store runs
// every IMAP call through its one session, one caller at a time (ImapSessions.use); these tests pin that the
// mirror, and a poll-mode Ping after it, hold under concurrent callers, a fresh account each round.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import type { EasRequest } from "../../src/eas/front/command";
import { waitForChanges } from "../../src/eas/front/wait";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { ImapStore } from "../../src/store/imap/store";
import { child, childrenNamed, childText, type WbxmlElement } from "../../src/wbxml";
import { bridgeThroughAdmin } from "./bridge-mailbox-helpers";
import { TestPhone } from "./helpers/phone";
import { baselineTaken, easRequest, waitsOpen } from "./push-helpers";

vi.setConfig({ testTimeout: 60_000 });

const dovecot = inject("dovecot");
const control = inject("controlUrl");

async function deliver(address: string, subject: string): Promise<void> {
  const r = await fetch(`${control}/lmtp?to=${encodeURIComponent(address)}`, {
    method: "POST",
    body: `From: a@example.test\r\nTo: ${address}\r\nSubject: ${subject}\r\nMessage-ID: <${crypto.randomUUID()}@example.test>\r\n\r\nhi\r\n`,
  });
  expect(r.status).toBe(204);
}

type Entry = { serverId: string; parentId: string; name: string; type: string };

function addsOf(folderSync: WbxmlElement): Entry[] {
  expect(childText(folderSync, "Status", "FolderHierarchy")).toBe("1");
  return childrenNamed(child(folderSync, "Changes", "FolderHierarchy"), "Add", "FolderHierarchy")
    .map((a) => ({
      serverId: childText(a, "ServerId", "FolderHierarchy")!,
      parentId: childText(a, "ParentId", "FolderHierarchy")!,
      name: childText(a, "DisplayName", "FolderHierarchy")!,
      type: childText(a, "Type", "FolderHierarchy")!,
    }))
    .sort((a, b) => a.serverId.localeCompare(b.serverId));
}

/** The bridged object's folder rows (imap_folders), straight from its SQLite. */
function mirroredRows(address: string) {
  return runInDurableObject(env.MAILBOX.getByName(address), async (_mb: Mailbox, state) =>
    state.storage.sql
      .exec<{ id: number; path: string; uidvalidity: number; server_modseq: number }>(
        `SELECT id, path, uidvalidity, server_modseq FROM imap_folders ORDER BY id`,
      )
      .toArray(),
  );
}

describe("concurrent folder-list mirrors of one bridged mailbox (real Dovecot)", () => {
  it("one store, four listFolders at once: one row per server mailbox, the same answer to each, and later mail is a change", async () => {
    for (const n of [4, 5, 6]) {
      const address = `mir${n}@bridge.test`;
      const cfg = {
        endpoint: { host: dovecot.host, port: dovecot.imapPort, tls: "none" as const },
        credentials: { user: address, password: `mir${n} secret` },
        idleMs: 50,
      };
      await runInDurableObject(env.MAILBOX.getByName(`store-${address}`), async (_mb, state) => {
        const store = new ImapStore(state.storage, cfg);
        try {
          const lists = await Promise.all([store.listFolders(), store.listFolders(), store.listFolders(), store.listFolders()]);
          for (const l of lists.slice(1)) expect(l, `round ${n}`).toEqual(lists[0]);
          expect(store.localFolders()).toEqual(lists[0]);
          const rows = state.storage.sql.exec<{ path: string }>(`SELECT path FROM imap_folders`).toArray();
          expect(new Set(rows.map((r) => r.path)).size).toBe(rows.length);
          expect(rows.length).toBe(lists[0].length);
          expect(lists[0].map((f) => f.type).sort()).toEqual(expect.arrayContaining([2, 3, 4, 5]));
          const inbox = lists[0].find((f) => f.type === 2)!;
          // The first look at the Inbox, again racing a listing; then mail arrives and is a change.
          const [before] = await Promise.all([store.folderStatus(inbox.id), store.listFolders()]);
          await deliver(address, `round ${n}`);
          const [after] = await Promise.all([store.folderStatus(inbox.id), store.listFolders(), store.listFolders()]);
          expect(after.validity).toBe(before.validity);
          expect(after.highestModseq).toBeGreaterThan(before.highestModseq);
          const changes = await store.changesSince(inbox.id, before.highestModseq, 10);
          expect(changes.map((c) => c.deleted)).toEqual([false]);
        } finally {
          await store.close();
        }
      });
    }
  });

  it('two phones\' FolderSyncs at once on a freshly bridged "poll" mailbox: the same complete lists, and both Pings wake for new mail', async () => {
    for (const n of [1, 2, 3]) {
      const address = `mir${n}@bridge.test`;
      await bridgeThroughAdmin(address, "poll");
      const devices = ["MIRA", "MIRB"].map((d) => `${d}${n}`);
      const phones = devices.map((d) => new TestPhone(address, `mir${n} secret`, d));
      const [a, b] = (await Promise.all(phones.map((p) => p.folderSync("0")))).map(addsOf);
      expect(b, `round ${n}`).toEqual(a);
      const rows = await mirroredRows(address);
      // Complete: one row per server mailbox (INBOX and the auto-created specials), each listed to the phones.
      expect(new Set(rows.map((r) => r.path)).size).toBe(rows.length);
      expect(a.map((e) => e.serverId).sort()).toEqual(expect.arrayContaining(rows.map((r) => String(r.id)).sort()));
      expect(a.map((e) => e.type).sort()).toEqual(expect.arrayContaining(["2", "3", "4", "5"]));
      for (const r of rows) expect(r.uidvalidity).toBeGreaterThan(0);
      const inbox = a.find((e) => e.type === "2")!.serverId;

      const waits = devices.map((d) =>
        waitForChanges(
          {
            ...easRequest(address, d, null),
            credentials: { username: address, password: `mir${n} secret` },
            backendPush: "poll",
          } as EasRequest,
          { collections: [inbox], seconds: 30, kind: "ping", pollSeconds: 1 },
        ),
      );
      await waitsOpen(address, 2);
      // The socket is registered before the first check: wait for that check to be over (its baseline taken),
      // so the mail below arrives after the devices started watching, not during it.
      for (const d of devices) await baselineTaken(address, d, inbox);
      await deliver(address, `polled ${n}`);
      const t0 = Date.now();
      expect(await Promise.all(waits), `round ${n}`).toEqual([
        { kind: "changes", folders: [inbox] },
        { kind: "changes", folders: [inbox] },
      ]);
      expect(Date.now() - t0).toBeLessThan(5000);
      // The rows are as the concurrent mirrors left them: same ids, one per mailbox.
      expect((await mirroredRows(address)).map((r) => [r.id, r.path, r.uidvalidity])).toEqual(
        rows.map((r) => [r.id, r.path, r.uidvalidity]),
      );
    }
  });
});
