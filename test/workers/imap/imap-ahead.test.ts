// Summaries made ahead of the listing a device will ask for next (ImapStore.summariseAhead, issue 15 target 2):
// the listing that follows is the one made without them, and reads no message; the run works in chunks that
// yield the one IMAP session to any other call, and stops when a listing of its folder comes.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Literal, q } from "../../../src/store/imap/connection";
import { ImapStore } from "../../../src/store/imap/store";
import type { MailSummary } from "../../../src/store/types";
import { config, message, otherClient, withStore } from "./imap-helpers";

const gina = config("gina");
const CHUNK = 25; // fetching.ts AHEAD_CHUNK

/** Messages of several shapes: plain, alternative, an attachment, encoded words, no Date (index from arrival). */
function shaped(i: number): string {
  const id = `<m${i}.${crypto.randomUUID()}@example.test>`;
  const head = `From: =?utf-8?q?S=C3=A9n_der?= <s${i % 7}@example.test>\nTo: a@example.test, "B, b" <b@example.test>\nMessage-ID: ${id}\n`;
  const date = i % 5 === 4 ? "" : `Date: Thu, 26 Nov 2026 10:${String(i % 60).padStart(2, "0")}:00 +0000\n`;
  const body = `Body of message ${i}. ${"lorem ipsum ".repeat(60)}\n`;
  switch (i % 4) {
    case 0:
      return message(`Message ${i}`, body);
    case 1:
      return `${head}${date}Subject: =?utf-8?b?${btoa(`Réunion ${i}`).replace(/=+$/, "")}?=\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b${i}\n\n--b${i}\nContent-Type: text/plain; charset=utf-8\n\n${body}--b${i}\nContent-Type: text/html; charset=utf-8\n\n<p>${body}</p>\n--b${i}--\n`;
    case 2:
      return `${head}${date}Subject: With attachment ${i}\nIn-Reply-To: <m${i - 1}@example.test>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x${i}\n\n--x${i}\nContent-Type: text/plain\n\n${body}--x${i}\nContent-Type: application/octet-stream; name="f${i}.bin"\nContent-Disposition: attachment; filename="f${i}.bin"\nContent-Transfer-Encoding: base64\n\n${btoa("x".repeat(300 + i))}\n--x${i}--\n`;
    default:
      return `${head}${date}Subject: Plain ${i}\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nCaf=E9 ${body}`;
  }
}

async function seed(mailbox: string, n: number): Promise<void> {
  await otherClient("gina", async (c) => {
    await c.run("CREATE", q(mailbox) as string);
    const args: (string | Literal)[] = ["APPEND", q(mailbox) as string];
    for (let j = 0; j < n; j++) {
      const d = new Date(Date.UTC(2026, 0, 1) + j * 60_000);
      const date = `${String(d.getUTCDate()).padStart(2, "0")}-${d.toUTCString().slice(8, 11)}-${d.getUTCFullYear()} ${d.toISOString().slice(11, 19)} +0000`;
      args.push("()", `"${date}"`, new Literal(new TextEncoder().encode(shaped(j).replace(/\n/g, "\r\n"))));
    }
    await c.s.command(args); // MULTIAPPEND (RFC 3502)
  });
}

const folderId = (mb: string, name: string) => withStore(mb, gina, async (s) => (await s.listFolders()).find((f) => f.name === name)!.id);
const cursorOf = (m: MailSummary) => ({ itemId: m.itemId, received: m.received });

/** A page as a device sees it: the summaries and both texts of each. */
async function pageOf(s: ImapStore, id: string, opts: Parameters<ImapStore["listItems"]>[1]) {
  const before = s.stats.bytesIn;
  const items = await s.listItems(id, opts);
  const listedBytes = s.stats.bytesIn - before;
  await s.prefetchBodies(id, items);
  const texts = [];
  for (const m of items) texts.push([await s.getBody(id, m.itemId, "plain"), await s.getBody(id, m.itemId, "html")]);
  return { items, texts, listedBytes, bytes: s.stats.bytesIn - before };
}

describe("summaries made ahead of a device's next listing (issue 15 target 2)", () => {
  it("the next page after them is the page without them, and reads no message from the server", { timeout: 60_000 }, async () => {
    await seed("AheadSame", 90);
    const [a, b] = ["imap-ahead-a@example.test", "imap-ahead-b@example.test"];
    const ids = [await folderId(a, "AheadSame"), await folderId(b, "AheadSame")];
    // With: page 1, then the next page's summaries made ahead (as after a MoreAvailable), then page 2.
    const withAhead = await withStore(a, gina, async (s) => {
      const first = await s.listItems(ids[0]!, { limit: 31 });
      const made = await s.summariseAhead(ids[0]!, { after: cursorOf(first[29]!), limit: 31 });
      return { made, second: await pageOf(s, ids[0]!, { after: cursorOf(first[29]!), limit: 31 }) };
    });
    // Without: the same two listings in another object's mirror.
    const without = await withStore(b, gina, async (s) => {
      const first = await s.listItems(ids[1]!, { limit: 31 });
      return { second: await pageOf(s, ids[1]!, { after: cursorOf(first[29]!), limit: 31 }) };
    });
    expect(withAhead.made.made).toBe(30); // the 31st of page 1 was listed (kept) already
    expect(withAhead.second.items).toHaveLength(31);
    expect(withAhead.second.items.map((m) => ({ ...m, folderId: "" }))).toEqual(without.second.items.map((m) => ({ ...m, folderId: "" })));
    expect(withAhead.second.texts).toEqual(without.second.texts);
    expect(withAhead.second.items.some((m) => m.attachments.length > 0 && m.hasHtml === false)).toBe(true);
    // Without them the listing reads its 30 new messages (~1 KB each); with them only flags, arrivals and sizes.
    expect(without.second.listedBytes).toBeGreaterThan(30_000);
    expect(withAhead.second.bytes).toBeLessThan(6_000);
  });

  it("yields the session to any other call after at most one chunk, goes on after it, and stops when the device looks at or lists its folder", {
    timeout: 60_000,
  }, async () => {
    await seed("AheadYield", 300);
    const mb = "imap-ahead-c@example.test";
    const id = await folderId(mb, "AheadYield");
    const inbox = await withStore(mb, gina, async (s) => (await s.listFolders()).find((f) => f.name === "Inbox")!.id);
    await runInDurableObject(env.MAILBOX.getByName(mb), async (_instance, state) => {
      const s = new ImapStore(state.storage, gina);
      const kept = () =>
        state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM imap_summaries WHERE folder = ?`, Number(id)).one().n;
      const until = async (ok: () => boolean) => {
        for (let i = 0; i < 2000 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
        expect(ok()).toBe(true);
      };
      try {
        const run = s.summariseAhead(id, { limit: 200 });
        await until(() => kept() >= CHUNK);
        // Another call (a Ping's look at another folder) waits for the chunk under way at most.
        const c0 = kept();
        await s.folderStatus(inbox);
        const c1 = kept();
        expect(c1 - c0).toBeLessThanOrEqual(CHUNK);
        expect(c1).toBeLessThan(200);
        // The run goes on after it…
        await until(() => kept() >= c1 + CHUNK);
        // …until the device is back for its folder (a Sync's first look): the run ends after its chunk under way.
        const c2 = kept();
        await s.folderStatus(id);
        const done = await run;
        expect(done.made).toBeLessThan(200);
        expect(kept() - c2).toBeLessThanOrEqual(CHUNK);
        // A listing of the folder stops a run as well, and lists what it needs itself.
        const again = s.summariseAhead(id, { limit: 300 });
        await until(() => kept() >= done.made + CHUNK);
        const c3 = kept();
        const page = await s.listItems(id, { limit: 10 });
        expect(page).toHaveLength(10);
        expect((await again).made).toBeLessThan(300 - done.made);
        expect(kept() - c3).toBeLessThanOrEqual(CHUNK);
        expect(kept()).toBeLessThan(300);
      } finally {
        await s.close();
      }
    });
  });
});
