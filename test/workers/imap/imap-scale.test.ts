// What a request costs the IMAP store as the folder grows (500 vs 5 000 messages in Dovecot): each call in
// its own short session (TLS + login included), as a phone's request would. Prints one IMAP-BENCH line
// (bench/imap.bench.ts records it). Commands and bytes per call must not depend on the folder size (the
// first listing of a folder reads every UID's arrival time once: the "cold" figure).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Literal, q } from "../../../src/store/imap/connection";
import type { ImapStore } from "../../../src/store/imap/store";
import { config, itemIdFor, message, otherClient, withStore } from "./imap-helpers";

const frank = config("frank");
const MB = "imap-frank@example.test";
type Cost = { ms: number; commands: number; bytesIn: number };

async function measure(fn: (s: ImapStore) => Promise<unknown>): Promise<Cost> {
  return withStore(MB, frank, async (s) => {
    const t = performance.now();
    await fn(s);
    const ms = performance.now() - t;
    return { ms: Math.round(ms * 10) / 10, commands: s.stats.commands, bytesIn: s.stats.bytesIn };
  });
}

async function seed(mailbox: string, n: number): Promise<void> {
  await otherClient("frank", async (c) => {
    await c.run("CREATE", q(mailbox) as string);
    const start = Date.UTC(2026, 0, 1);
    for (let i = 0; i < n; i += 250) {
      const args: (string | Literal)[] = ["APPEND", q(mailbox) as string];
      for (let j = i; j < Math.min(n, i + 250); j++) {
        const d = new Date(start + j * 60_000);
        const date = `${String(d.getUTCDate()).padStart(2, "0")}-${d.toUTCString().slice(8, 11)}-${d.getUTCFullYear()} ${d.toISOString().slice(11, 19)} +0000`;
        args.push(
          "()",
          `"${date}"`,
          new Literal(new TextEncoder().encode(message(`Message ${j}`, `Body of message ${j}.\n`).replace(/\n/g, "\r\n"))),
        );
      }
      await c.s.command(args); // MULTIAPPEND (RFC 3502)
    }
  });
}

describe("ImapStore cost per call against folder size", () => {
  it("folderStatus, listItems pages and changesSince cost the same commands at 500 and 5 000 messages", { timeout: 120_000 }, async () => {
    const figures: Record<string, Record<string, Cost>> = {};
    for (const n of [500, 5000]) {
      const name = `Scale${n}`;
      await seed(name, n);
      const id = await withStore(MB, frank, async (s) => (await s.listFolders()).find((f) => f.name === name)!.id);
      const middleId = (await itemIdFor("frank", name))(n / 2);
      const middle = { received: (await withStore(MB, frank, (s) => s.getSummary(id, middleId)))!.received, itemId: middleId };
      await measure((s) => s.folderStatus(id)); // first look: baseline
      const f: Record<string, Cost> = {};
      f.statusNoChange = await measure((s) => s.folderStatus(id));
      f.firstPageCold = await measure((s) => s.listItems(id, { limit: 100 }));
      f.firstPageWarm = await measure((s) => s.listItems(id, { limit: 100 }));
      await measure((s) => s.listItems(id, { limit: 100, after: middle }));
      f.middlePageWarm = await measure((s) => s.listItems(id, { limit: 100, after: middle }));
      await otherClient("frank", async (c) => {
        for (const uid of [1, 2, 3, 4, 5]) await c.store(name, uid, "+FLAGS", "\\Seen");
      });
      f.changesSince5 = await measure(async (s) => {
        const st = await s.folderStatus(id);
        const changes = await s.changesSince(id, st.highestModseq - 5, 100);
        expect(changes).toHaveLength(5);
      });
      const page = await withStore(MB, frank, (s) => s.listItems(id, { limit: 100, after: middle }));
      expect(page.map((m) => m.subject)).toEqual(Array.from({ length: 100 }, (_, i) => `Message ${n / 2 - 2 - i}`));
      figures[n] = f;
    }
    console.log(`IMAP-BENCH ${JSON.stringify(figures)}`);
    for (const k of Object.keys(figures[500]!)) expect(figures[5000]![k]!.commands, k).toBe(figures[500]![k]!.commands);
    // A page read from the kept order costs its page, not its folder (ids grow by a digit or so).
    for (const k of ["firstPageWarm", "middlePageWarm"])
      expect(Math.abs(figures[5000]![k]!.bytesIn - figures[500]![k]!.bytesIn), k).toBeLessThan(1000);
    expect(figures[5000]!.statusNoChange!.bytesIn).toBeLessThan(figures[500]!.statusNoChange!.bytesIn + 100);
  });

  it("a page's bodies cost no FETCH once parsed (imap_bodies), and one FETCH for the page when not (prefetchBodies): same text (issue 15)", {
    timeout: 60_000,
  }, async () => {
    await seed("Prefetch", 120);
    const id = await withStore(MB, frank, async (s) => (await s.listFolders()).find((f) => f.name === "Prefetch")!.id);
    const forgetBodies = () =>
      runInDurableObject(env.MAILBOX.getByName(MB), (_mb, state) => void state.storage.sql.exec(`DELETE FROM imap_bodies`));
    const read = (prefetch: boolean) =>
      withStore(MB, frank, async (s) => {
        const page = await s.listItems(id, { limit: 100 });
        const listed = s.stats.commands;
        if (prefetch) await s.prefetchBodies(id, page);
        const bodies = [];
        for (const m of page) bodies.push((await s.getBody(id, m.itemId, "plain"))?.data);
        return { bodies, commands: s.stats.commands - listed, subjects: page.map((m) => m.subject) };
      });
    const first = await read(false); // the first listing parses each message once: its summary and its text
    expect(first.commands).toBe(0);
    expect(first.bodies[0]).toBe("Body of message 119.\n");
    expect(first.subjects[99]).toBe("Message 20");
    await forgetBodies(); // summaries kept, texts not (a mirror from before imap_bodies)
    const one = await read(false);
    expect(one.commands).toBe(200); // BODYSTRUCTURE, then the message, for each of 100
    await forgetBodies();
    const together = await read(true);
    expect(together.commands).toBe(1); // 100 small messages: one UID FETCH
    const again = await read(true);
    expect(again.commands).toBe(0);
    for (const r of [one, together, again]) expect(r.bodies).toEqual(first.bodies);
  });

  it("a Sync's two looks at a folder (folderStatus, then its page) cost one EXAMINE, which also gives the count (issue 15 target 2)", async () => {
    await seed("Looks", 30);
    const id = await withStore(MB, frank, async (s) => (await s.listFolders()).find((f) => f.name === "Looks")!.id);
    await withStore(MB, frank, (s) => s.listItems(id, { limit: 10 })); // baseline, order kept, summaries parsed
    const r = await withStore(MB, frank, async (s) => {
      const st = await s.folderStatus(id);
      const afterStatus = s.stats.commands;
      const page = await s.listItems(id, { limit: 10 });
      return { st, afterStatus, all: s.stats.commands, page };
    });
    expect(r.st.count).toBe(30);
    expect(r.afterStatus).toBe(1); // EXAMINE (CONDSTORE): UIDVALIDITY, HIGHESTMODSEQ, EXISTS
    expect(r.all).toBe(1); // no second look, and no FETCH: flags, arrival and size were kept by the first listing
    expect(r.page.map((m) => m.subject)).toEqual(Array.from({ length: 10 }, (_, i) => `Message ${29 - i}`));

    // Another client flags one message, expunges another and appends a third: the next page shows all three,
    // reading only the changes (CHANGEDSINCE, with their flags) and the new message.
    await otherClient("frank", async (c) => {
      await c.store("Looks", 30, "+FLAGS", "\\Flagged \\Seen");
      await c.expunge("Looks", 29);
      await c.append("Looks", message("Message 30").replace(/\n/g, "\r\n"));
    });
    const next = await withStore(MB, frank, async (s) => {
      await s.folderStatus(id);
      const page = await s.listItems(id, { limit: 3 });
      return { page, commands: s.stats.commands };
    });
    expect(next.page.map((m) => m.subject)).toEqual(["Message 30", "Message 29", "Message 27"]);
    expect(next.page[1]!.flags).toMatchObject({ flagged: true, seen: true });
    expect(next.page[2]!.flags).toMatchObject({ flagged: false, seen: false });
    // EXAMINE, the changes (with their flags and arrival of the new UID), then the new message only:
    // its flags, then its body for the summary.
    expect(next.commands).toBeLessThanOrEqual(5);
    // The same as read from the server (nothing kept).
    await runInDurableObject(env.MAILBOX.getByName(MB), (_mb, state) => void state.storage.sql.exec(`DELETE FROM imap_meta`));
    const fresh = await withStore(MB, frank, (s) => s.listItems(id, { limit: 3 }));
    expect(fresh.map((m) => [m.itemId, m.flags, m.received, m.size])).toEqual(
      next.page.map((m) => [m.itemId, m.flags, m.received, m.size]),
    );
  });

  it("a look is taken again once a command went out on the session or LOOK_REUSE_MS passed: another client's change is seen", async () => {
    await seed("Looks2", 5);
    const kept = { ...frank, idleMs: 5_000 }; // one session across the wait
    const id = await withStore(MB, kept, async (s) => (await s.listFolders()).find((f) => f.name === "Looks2")!.id);
    await withStore(MB, kept, (s) => s.folderStatus(id)); // baseline
    const flag = (uid: number) => otherClient("frank", (c) => c.store("Looks2", uid, "+FLAGS", "\\Seen"));
    const afterWait = await withStore(MB, kept, async (s) => {
      const st = await s.folderStatus(id);
      await flag(1);
      await new Promise((r) => setTimeout(r, 300));
      return s.changesSince(id, st.highestModseq, 10);
    });
    expect(afterWait).toHaveLength(1);
    const afterCommand = await withStore(MB, kept, async (s) => {
      const st = await s.folderStatus(id);
      await flag(2);
      await s.listFolders(); // LIST: a command on the same session
      return s.changesSince(id, st.highestModseq, 10);
    });
    expect(afterCommand).toHaveLength(1);
  });
});
