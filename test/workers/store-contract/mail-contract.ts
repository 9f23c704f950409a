// The MailStore contract (src/store/types.ts): what every mail backend promises the sync engine, written
// once and run against each backend (the built-in store, ImapStore on Dovecot, the bridge). A new backend
// is done when it passes. Each test works in folders it creates under a unique name, so a backend whose
// account is shared by the tests of one file (a real IMAP server) still gives exact counts.
import { describe, expect, it } from "vitest";
import {
  FolderType,
  type FolderTypeValue,
  isSearchable,
  type MailStore,
  type StoreChange,
  StoreFolderError,
  type StoreFolder,
  StoreNotFoundError,
} from "../../../src/store/types";
import type { MailBackend } from "./backend";
import { binary, plainMessage, richMessage, tag, textImageText } from "./fixtures";

const DEFAULTS = [FolderType.Inbox, FolderType.Drafts, FolderType.DeletedItems, FolderType.SentItems] as const;
const PIM_TYPES: FolderTypeValue[] = [
  FolderType.Calendar,
  FolderType.Contacts,
  FolderType.Tasks,
  FolderType.UserCalendar,
  FolderType.UserContacts,
];

/** A new top-level mail folder with a unique name. */
async function scratch(s: MailStore, label = "C"): Promise<StoreFolder> {
  return s.createFolder("0", `${label}-${tag()}`, FolderType.UserMail);
}

/** Every change after `from`, paged by the last modseq seen, `page` at a time. */
async function allChanges(s: MailStore, folderId: string, from: number, page = 100): Promise<StoreChange[]> {
  const out: StoreChange[] = [];
  for (let since = from, i = 0; i < 1000; i++) {
    const batch = await s.changesSince(folderId, since, page);
    expect(batch.length).toBeLessThanOrEqual(page);
    if (batch.length === 0) return out;
    out.push(...batch);
    since = batch[batch.length - 1]!.modseq;
  }
  throw new Error("changesSince never ran dry");
}

function ascending(changes: StoreChange[]): boolean {
  return changes.every((c, i) => i === 0 || c.modseq > changes[i - 1]!.modseq);
}

export function mailStoreContract(b: MailBackend): void {
  describe(`MailStore contract: ${b.name}`, () => {
    describe("folders", () => {
      it("lists the default folders once each, folderByType answers them synchronously, ids stable across listings and restarts", async () => {
        const first = await b.run(async (s) => {
          const list = await s.listFolders();
          for (const type of DEFAULTS) {
            const f = s.folderByType(type);
            expect(f, `default folder of type ${type}`).not.toBeNull();
            expect(list.filter((x) => x.type === type)).toEqual([f]);
            expect(f!.itemClass).toBe("Email");
          }
          const ids = new Set(list.map((f) => f.id));
          expect(ids.size).toBe(list.length);
          for (const f of list) {
            expect(f.id).toMatch(/^[\x21-\x7e]{1,64}$/); // an EAS ServerId
            expect(f.parentId === "0" || ids.has(f.parentId), `parent of ${f.name}`).toBe(true);
          }
          expect(await s.listFolders()).toEqual(list);
          return list;
        });
        await b.restart();
        await b.run(async (s) => {
          expect(await s.listFolders()).toEqual(first);
          expect(s.folderByType(FolderType.Inbox)).toEqual(first.find((f) => f.type === FolderType.Inbox));
        });
      });

      it("create, rename and move keep the id; children follow; refusals carry their code", async () => {
        await b.run(async (s) => {
          const name = `Projects-${tag()}`;
          const projects = await s.createFolder("0", name, FolderType.UserMail);
          expect(projects).toMatchObject({ parentId: "0", name, type: FolderType.UserMail, itemClass: "Email" });
          const alpha = await s.createFolder(projects.id, "Alpha", FolderType.UserMail);
          expect(alpha).toMatchObject({ parentId: projects.id, name: "Alpha", type: FolderType.UserMail });
          const beta = await s.createFolder(projects.id, "Beta", FolderType.UserMail);
          const item = await s.appendMessage(alpha.id, plainMessage({ subject: "Stays put" }));
          const own = await s.appendMessage(projects.id, plainMessage({ subject: "Own" }));
          const inBeta = await s.appendMessage(beta.id, plainMessage({ subject: "Travels" }));
          const status = { projects: await s.folderStatus(projects.id), beta: await s.folderStatus(beta.id) };

          const renamed = await s.updateFolder(projects.id, `${name}-done`, "0");
          expect(renamed).toEqual({ ...projects, name: `${name}-done` });
          const listed = await s.listFolders();
          expect(listed.find((f) => f.id === projects.id)).toEqual(renamed);
          expect(listed.find((f) => f.id === alpha.id)).toEqual(alpha);
          expect(listed.some((f) => f.name === name)).toBe(false);
          // The items of a renamed folder's subtree keep their ids too.
          expect((await s.getSummary(alpha.id, item))?.subject).toBe("Stays put");
          expect((await s.getSummary(projects.id, own))?.subject).toBe("Own");
          expect(await s.folderStatus(projects.id)).toEqual(status.projects);

          const moved = await s.updateFolder(beta.id, "Beta", "0");
          expect(moved).toEqual({ ...beta, parentId: "0" });
          const back = await s.updateFolder(beta.id, "Gamma", alpha.id);
          expect(back).toEqual({ ...beta, name: "Gamma", parentId: alpha.id });
          // A folder moved twice keeps its items, their ids and its validity.
          expect((await s.getSummary(beta.id, inBeta))?.subject).toBe("Travels");
          expect(await s.folderStatus(beta.id)).toEqual(status.beta);
          expect(await s.changesSince(beta.id, status.beta.highestModseq, 10)).toEqual([]);

          await expect(s.createFolder(projects.id, "Alpha", FolderType.UserMail)).rejects.toMatchObject({ code: "exists" });
          await expect(s.updateFolder(beta.id, "Alpha", projects.id)).rejects.toMatchObject({ code: "exists" });
          await expect(s.createFolder("no-such-parent", "X", FolderType.UserMail)).rejects.toMatchObject({ code: "parent-not-found" });
          await expect(s.createFolder("0", "", FolderType.UserMail)).rejects.toMatchObject({ code: "invalid" });
          await expect(s.createFolder("0", `Inbox-${tag()}`, FolderType.Inbox)).rejects.toMatchObject({ code: "invalid" });
          await expect(s.updateFolder(projects.id, name, alpha.id)).rejects.toMatchObject({ code: "invalid" }); // under its own child
          await expect(s.updateFolder(projects.id, name, projects.id)).rejects.toMatchObject({ code: "invalid" }); // under itself
          await expect(s.updateFolder("no-such-folder", "X", "0")).rejects.toBeInstanceOf(StoreNotFoundError);
          for (const type of DEFAULTS) {
            const f = s.folderByType(type)!;
            await expect(s.updateFolder(f.id, `Renamed-${tag()}`, "0"), `rename type ${type}`).rejects.toMatchObject({ code: "special" });
            await expect(s.deleteFolder(f.id), `delete type ${type}`).rejects.toMatchObject({ code: "special" });
          }
          // Nothing refused above changed the tree.
          expect((await s.listFolders()).filter((f) => [projects.id, alpha.id, beta.id].includes(f.id))).toHaveLength(3);
        });
      });

      it("delete drops the subtree and its items; ids are never reused", async () => {
        await b.run(async (s) => {
          const name = `Doomed-${tag()}`;
          const top = await s.createFolder("0", name, FolderType.UserMail);
          const child = await s.createFolder(top.id, "Child", FolderType.UserMail);
          const item = await s.appendMessage(child.id, plainMessage());
          await s.deleteFolder(top.id);
          const ids = (await s.listFolders()).map((f) => f.id);
          expect(ids).not.toContain(top.id);
          expect(ids).not.toContain(child.id);
          await expect(s.folderStatus(child.id)).rejects.toBeInstanceOf(StoreNotFoundError);
          await expect(s.listItems(top.id, { limit: 5 })).rejects.toBeInstanceOf(StoreNotFoundError);
          await expect(s.appendMessage(top.id, plainMessage())).rejects.toBeInstanceOf(StoreNotFoundError);
          expect(await s.getSummary(child.id, item).catch((e: unknown) => (e instanceof StoreNotFoundError ? null : e))).toBeNull();
          await expect(s.deleteFolder(top.id)).rejects.toBeInstanceOf(StoreNotFoundError);
          const again = await s.createFolder("0", name, FolderType.UserMail);
          const child2 = await s.createFolder(again.id, "Child", FolderType.UserMail);
          expect([top.id, child.id]).not.toContain(again.id);
          expect([top.id, child.id]).not.toContain(child2.id);
          expect((await s.folderStatus(again.id)).count).toBe(0);
        });
      });

      if (b.caps.pimFolders === "own") {
        it("declares PIM folders of its own: createFolder makes calendars and address books; mail never goes into them", async () => {
          await b.run(async (s) => {
            const cal = await s.createFolder("0", `Team-${tag()}`, FolderType.UserCalendar);
            expect(cal.itemClass).toBe("Calendar");
            const book = await s.createFolder("0", `Book-${tag()}`, FolderType.UserContacts);
            expect(book.itemClass).toBe("Contacts");
            // The default calendar (meeting requests go there) is one of the listed folders.
            const listed = await s.listFolders();
            expect(listed).toContainEqual(s.folderByType(FolderType.Calendar));
            // Its own calendars are folders like the others: renamed in place, deleted; the default one is special.
            const renamed = await s.updateFolder(cal.id, `Team (old) ${tag()}`, "0");
            expect(renamed).toMatchObject({ id: cal.id, itemClass: "Calendar", type: FolderType.UserCalendar });
            await s.deleteFolder(book.id);
            expect((await s.listFolders()).map((f) => f.id)).not.toContain(book.id);
            const main = s.folderByType(FolderType.Calendar)!;
            await expect(s.updateFolder(main.id, `Cal ${tag()}`, "0")).rejects.toMatchObject({ code: "special" });
            await expect(s.deleteFolder(main.id)).rejects.toMatchObject({ code: "special" });
            await mailStaysOut(s, cal);
          });
        });
      } else {
        it(`declares PIM folders ${b.caps.pimFolders === "listed" ? "listed from elsewhere" : "absent"}: createFolder refuses PIM types; mail never goes into a listed one`, async () => {
          await b.run(async (s) => {
            for (const type of PIM_TYPES)
              await expect(s.createFolder("0", `Pim-${tag()}`, type), `type ${type}`).rejects.toMatchObject({ code: "invalid" });
            const pim = (await s.listFolders()).filter((f) => f.itemClass !== "Email");
            if (b.caps.pimFolders === "none") {
              expect(pim).toEqual([]);
              expect(s.folderByType(FolderType.Calendar)).toBeNull();
            } else {
              expect(pim).toContainEqual(s.folderByType(FolderType.Calendar));
              // Listed from elsewhere: changed there, not through this store.
              for (const f of pim) {
                await expect(s.updateFolder(f.id, `X ${tag()}`, "0"), f.name).rejects.toBeInstanceOf(StoreFolderError);
                await expect(s.deleteFolder(f.id), f.name).rejects.toBeInstanceOf(StoreFolderError);
                await expect(s.emptyFolder(f.id, false), f.name).rejects.toBeInstanceOf(StoreFolderError);
              }
              const mailFolder = await scratch(s);
              await expect(s.createFolder(pim[0]!.id, `Sub ${tag()}`, FolderType.UserMail)).rejects.toMatchObject({ code: "invalid" });
              await expect(s.updateFolder(mailFolder.id, mailFolder.name, pim[0]!.id)).rejects.toMatchObject({ code: "invalid" });
              expect(pim.length).toBeGreaterThan(0);
              for (const f of pim) await mailStaysOut(s, f);
            }
          });
        });
      }
    });

    describe("items", () => {
      it("append: the summary, raw MIME and body come back as given; the folder's count and counter move", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const before = await s.folderStatus(f.id);
          expect(before).toMatchObject({ count: 0, tombstoneFloor: 0 });
          const date = Date.UTC(2026, 9, 1, 8, 30, 0);
          const received = Date.UTC(2026, 9, 2, 7, 0, 0);
          const raw = plainMessage({
            subject: "Quarterly report",
            body: "Numbers are up.\nMore soon.",
            date,
            messageId: "<q3@contract.test>",
          });
          const id = await s.appendMessage(f.id, raw, { flagged: true }, received);
          expect(id).toMatch(/^[\x21-\x7e]{1,64}$/);
          const after = await s.folderStatus(f.id);
          expect(after.count).toBe(1);
          expect(after.validity).toBe(before.validity);
          expect(after.highestModseq).toBeGreaterThan(before.highestModseq);

          const m = (await s.getSummary(f.id, id))!;
          expect(m).toMatchObject({
            itemId: id,
            folderId: f.id,
            modseq: after.highestModseq,
            received,
            date,
            subject: "Quarterly report",
            messageId: "<q3@contract.test>",
            importance: "normal",
            flags: { seen: false, flagged: true, answered: false, forwarded: false },
            size: raw.byteLength,
            hasHtml: false,
            preview: "Numbers are up. More soon.",
            attachments: [],
          });
          expect(m.from).toContain("sender@example.test");
          expect(m.to).toContain("reader@example.test");
          expect(m.cc).toContain("copy@example.test");
          expect(await s.getMime(f.id, id)).toEqual(raw);
          const plain = (await s.getBody(f.id, id, "plain"))!;
          expect(plain.data).toContain("Numbers are up.");
          expect(plain.size).toBe(new TextEncoder().encode(plain.data).byteLength);
          expect(await s.changesSince(f.id, before.highestModseq, 10)).toEqual([{ itemId: id, modseq: m.modseq, deleted: false }]);
          expect(await s.listItems(f.id, { limit: 10 })).toEqual([m]);
          expect(await s.countItems(f.id)).toBe(1);
        });
      });

      it("HTML and attachments: hasHtml, both renditions, attachments by part id, byte-identical", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const data = binary(3000);
          const id = await s.appendMessage(f.id, richMessage("Rich", data, "data.bin"));
          const m = (await s.getSummary(f.id, id))!;
          expect(m.hasHtml).toBe(true);
          expect(m.preview).toBe("Plain text of Rich.");
          expect(m.attachments).toHaveLength(1);
          const info = m.attachments[0]!;
          expect(info).toMatchObject({
            filename: "data.bin",
            contentType: "application/octet-stream",
            size: data.byteLength,
            inline: false,
          });
          expect((await s.getBody(f.id, id, "html"))!.data).toContain("<b>Rich</b>");
          expect((await s.getBody(f.id, id, "plain"))!.data).toContain("Plain text of Rich.");
          const att = (await s.getAttachment(f.id, id, info.partId))!;
          expect(att.info).toEqual(info);
          expect(att.data).toEqual(data);
          expect(await s.getAttachment(f.id, id, "99")).toBeNull();
        });
      });

      it("a 1.5 MB message (attachment after the first megabyte) comes back whole and byte-identical", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const data = binary(1_100_000, 11);
          const raw = richMessage("Large", data, "large.bin");
          expect(raw.byteLength).toBeGreaterThan(1_450_000);
          const id = await s.appendMessage(f.id, raw);
          const m = (await s.getSummary(f.id, id))!;
          expect(m.size).toBe(raw.byteLength);
          expect(m.attachments.map((a) => [a.filename, a.size])).toEqual([["large.bin", data.byteLength]]);
          expect(await s.getMime(f.id, id)).toEqual(raw);
          expect((await s.getAttachment(f.id, id, m.attachments[0]!.partId))!.data).toEqual(data);
          expect((await s.getBody(f.id, id, "plain"))!.data).toContain("Plain text of Large.");
        });
      });

      it("openAttachment, where a store has it, streams exactly getAttachment's bytes, or a range of them cut at the end, and says their sizes; unknown parts are null", async () => {
        await b.run(async (s) => {
          if (!s.openAttachment) return; // optional: callers then send getAttachment's bytes
          const f = await scratch(s);
          const big = binary(1_100_000, 13);
          const small = binary(2_000, 17);
          for (const [data, name] of [
            [big, "stream.bin"],
            [small, "small.bin"],
          ] as const) {
            const id = await s.appendMessage(f.id, richMessage("Streamed", data, name));
            const partId = (await s.getSummary(f.id, id))!.attachments[0]!.partId;
            const read = async (range?: { start: number; end: number }) => {
              const o = (await s.openAttachment!(f.id, id, partId, range))!;
              const bytes = new Uint8Array(await new Response(o.body).arrayBuffer());
              expect(bytes.byteLength).toBe(o.length);
              expect(o.total).toBe(data.byteLength);
              return bytes;
            };
            expect(await read()).toEqual(data);
            expect(await read({ start: 1000, end: 1999 })).toEqual(data.slice(1000, 2000));
            expect(await read({ start: data.byteLength - 10, end: data.byteLength + 500 })).toEqual(data.slice(-10)); // cut at the end
            expect(await read({ start: data.byteLength + 5, end: data.byteLength + 50 })).toEqual(new Uint8Array(0)); // past it
            expect(await s.openAttachment(f.id, id, "99")).toBeNull();
          }
        });
      });

      // Apple Mail writes a plain-text message with a picture as text, image, text in one multipart/mixed:
      // the body is both text parts, whatever the size of the picture between them.
      it("the plain rendition holds every inline text part, for a big message as for a small one", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          for (const size of [1000, 400_000]) {
            const id = await s.appendMessage(f.id, textImageText(`Picture ${size}`, binary(size, 5)));
            const plain = (await s.getBody(f.id, id, "plain"))!.data;
            expect(plain, `picture of ${size} bytes`).toContain("Part A, before the picture.");
            expect(plain, `picture of ${size} bytes`).toContain("Part B, after the picture.");
            const m = (await s.getSummary(f.id, id))!;
            expect(m.attachments.map((a) => [a.contentType, a.size])).toEqual([["image/jpeg", size]]);
            // hasHtml says whether getBody(…, "html") has something, whatever the path the store reads it by.
            expect((await s.getBody(f.id, id, "html")) !== null, `picture of ${size} bytes`).toBe(m.hasHtml);
          }
        });
      });

      it("unknown folders are not found; unknown items read as null and refuse writes", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const id = await s.appendMessage(f.id, plainMessage());
          for (const bad of ["no-such-folder", "0", "x; DROP TABLE items", "9".repeat(40)]) {
            await expect(s.folderStatus(bad), bad).rejects.toBeInstanceOf(StoreNotFoundError);
            await expect(s.listItems(bad, { limit: 5 }), bad).rejects.toBeInstanceOf(StoreNotFoundError);
            await expect(s.changesSince(bad, 0, 5), bad).rejects.toBeInstanceOf(StoreNotFoundError);
            await expect(s.appendMessage(bad, plainMessage()), bad).rejects.toBeInstanceOf(StoreNotFoundError);
          }
          for (const bad of ["no-such-item", "", "1-1-1", "999999"]) {
            expect(await s.getSummary(f.id, bad), bad).toBeNull();
            expect(await s.getMime(f.id, bad), bad).toBeNull();
            expect(await s.getBody(f.id, bad, "plain"), bad).toBeNull();
            expect(await s.getAttachment(f.id, bad, "1"), bad).toBeNull();
            await expect(s.setFlags(f.id, bad, { seen: true }), bad).rejects.toBeInstanceOf(StoreNotFoundError);
            await expect(s.deleteItem(f.id, bad), bad).rejects.toBeInstanceOf(StoreNotFoundError);
          }
          // An item id is only valid in its folder.
          const other = await scratch(s);
          expect(await s.getSummary(other.id, id)).toBeNull();
          await expect(s.deleteItem(other.id, id)).rejects.toBeInstanceOf(StoreNotFoundError);
          expect((await s.folderStatus(f.id)).count).toBe(1);
        });
      });

      it("importMessage takes the Date header as the arrival time, never one in the future", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const past = Date.UTC(2024, 4, 6, 12, 0, 0);
          const a = await s.importMessage(f.id, plainMessage({ date: past }), { seen: true });
          expect(await s.getSummary(f.id, a)).toMatchObject({ received: past, date: past, flags: { seen: true } });
          const t0 = Date.now();
          const b2 = await s.importMessage(f.id, plainMessage({ date: Date.UTC(2099, 0, 1) }));
          const received = (await s.getSummary(f.id, b2))!.received;
          expect(received).toBeLessThanOrEqual(Date.now());
          expect(received).toBeGreaterThanOrEqual(t0 - 2000);
        });
      });

      it("importMessage stores a Message-ID once per folder: a copy already there (appended, its answer lost) is that item", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const other = await scratch(s);
          const messageId = `<once-${tag()}@contract.test>`;
          const first = await s.appendMessage(f.id, plainMessage({ messageId }), { seen: true });
          expect(await s.importMessage(f.id, plainMessage({ messageId }), { seen: true })).toBe(first);
          expect((await s.folderStatus(f.id)).count).toBe(1);
          // Once per folder, not per mailbox; and a message without the id is not taken for it.
          expect(await s.importMessage(other.id, plainMessage({ messageId }))).not.toBe(first);
          expect((await s.folderStatus(other.id)).count).toBe(1);
          expect(await s.importMessage(f.id, plainMessage({ messageId: `<other-${tag()}@contract.test>` }))).not.toBe(first);
          expect((await s.folderStatus(f.id)).count).toBe(2);
        });
      });
    });

    describe("change counters (modseq) and changesSince", () => {
      it("every add, flag change and expunge advances highestModseq; changesSince reports each item's latest, ascending", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const st0 = await s.folderStatus(f.id);
          const ids: string[] = [];
          let last = st0.highestModseq;
          const advanced = async () => {
            const now = (await s.folderStatus(f.id)).highestModseq;
            expect(now).toBeGreaterThan(last);
            last = now;
          };
          for (let i = 0; i < 4; i++) {
            ids.push(await s.appendMessage(f.id, plainMessage()));
            await advanced();
          }
          await s.setFlags(f.id, ids[0]!, { seen: true });
          await advanced();
          await s.setFlags(f.id, ids[1]!, { flagged: true });
          await advanced();
          await s.deleteItem(f.id, ids[2]!);
          await advanced();

          const changes = await s.changesSince(f.id, st0.highestModseq, 100);
          expect(ascending(changes)).toBe(true);
          expect(changes.every((c) => c.modseq > st0.highestModseq && c.modseq <= last)).toBe(true);
          // One entry per item, in the order of their last change.
          expect(changes.map((c) => [c.itemId, c.deleted])).toEqual([
            [ids[3], false],
            [ids[0], false],
            [ids[1], false],
            [ids[2], true],
          ]);
          expect(changes[changes.length - 1]!.modseq).toBe(last);
          for (const c of changes.filter((x) => !x.deleted)) expect((await s.getSummary(f.id, c.itemId))!.modseq).toBe(c.modseq);
          expect(await s.changesSince(f.id, last, 100)).toEqual([]);
          expect(await s.changesSince(f.id, st0.highestModseq, 2)).toEqual(changes.slice(0, 2));
          expect(await allChanges(s, f.id, st0.highestModseq, 1)).toEqual(changes);
          expect(await s.changesSince(f.id, st0.highestModseq, 0)).toEqual([]);
        });
      });

      it("the first add to a new folder nobody has looked at yet is a change too", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const id = await s.appendMessage(f.id, plainMessage());
          const m = (await s.getSummary(f.id, id))!;
          expect(await s.changesSince(f.id, 0, 10)).toEqual([{ itemId: id, modseq: m.modseq, deleted: false }]);
          expect((await s.folderStatus(f.id)).highestModseq).toBe(m.modseq);
          // The same for a folder an item is moved into.
          const g = await scratch(s);
          const moved = await s.moveItem(f.id, id, g.id);
          expect((await s.changesSince(g.id, 0, 10)).map((c) => c.itemId)).toEqual([moved]);
        });
      });

      it("setting flags an item already has is not a change", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const id = await s.appendMessage(f.id, plainMessage(), { seen: true });
          const before = await s.folderStatus(f.id);
          await s.setFlags(f.id, id, { seen: true });
          await s.setFlags(f.id, id, {});
          expect(await s.folderStatus(f.id)).toEqual(before);
          expect(await s.changesSince(f.id, before.highestModseq, 10)).toEqual([]);
        });
      });

      it("the counter is per folder: a change elsewhere does not move this folder's status", async () => {
        await b.run(async (s) => {
          const a = await scratch(s);
          const other = await scratch(s);
          await s.appendMessage(a.id, plainMessage());
          const before = await s.folderStatus(a.id);
          const otherBefore = await s.folderStatus(other.id);
          await s.appendMessage(other.id, plainMessage());
          expect(await s.folderStatus(a.id)).toEqual(before);
          expect(await s.changesSince(a.id, before.highestModseq, 10)).toEqual([]);
          expect((await s.folderStatus(other.id)).highestModseq).toBeGreaterThan(otherBefore.highestModseq);
        });
      });
    });

    describe("flags", () => {
      it("each of the four flags sets and clears on its own; flags not named are kept", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const id = await s.appendMessage(f.id, plainMessage());
          const flags = async () => (await s.getSummary(f.id, id))!.flags;
          expect(await flags()).toEqual({ seen: false, flagged: false, answered: false, forwarded: false });
          await s.setFlags(f.id, id, { seen: true, answered: true });
          expect(await flags()).toEqual({ seen: true, flagged: false, answered: true, forwarded: false });
          await s.setFlags(f.id, id, { flagged: true, forwarded: true });
          expect(await flags()).toEqual({ seen: true, flagged: true, answered: true, forwarded: true });
          await s.setFlags(f.id, id, { seen: false });
          expect(await flags()).toEqual({ seen: false, flagged: true, answered: true, forwarded: true });
          await s.setFlags(f.id, id, { flagged: false, answered: false, forwarded: false });
          expect(await flags()).toEqual({ seen: false, flagged: false, answered: false, forwarded: false });
          // Listings show the same item as getSummary, flags and counter included.
          expect((await s.listItems(f.id, { limit: 10 })).find((m) => m.itemId === id)).toEqual(await s.getSummary(f.id, id));
          const all = await s.appendMessage(f.id, plainMessage(), { seen: true, flagged: true, answered: true, forwarded: true });
          expect((await s.getSummary(f.id, all))!.flags).toEqual({ seen: true, flagged: true, answered: true, forwarded: true });
        });
      });
    });

    describe("replacing a message (drafts)", () => {
      it("replaceMessage keeps the id, flags and arrival; the summary and MIME are the new message's, byte for byte; the modseq rises and is one change", async () => {
        await b.run(async (s) => {
          expect(typeof s.replaceMessage).toBe("function"); // every backend keeps a phone's draft edits (issue 16)
          const f = await scratch(s);
          const received = Date.UTC(2026, 5, 2, 8, 0, 0);
          const id = await s.appendMessage(f.id, plainMessage({ subject: "Draft v1" }), { seen: true }, received);
          const before = (await s.getSummary(f.id, id))!;
          const v2 = plainMessage({ subject: "Draft v2" });
          await s.replaceMessage!(f.id, id, v2);
          const after = (await s.getSummary(f.id, id))!;
          expect(after).toMatchObject({ itemId: id, subject: "Draft v2", received, flags: { seen: true } });
          expect(after.modseq).toBeGreaterThan(before.modseq);
          expect((await s.folderStatus(f.id)).count).toBe(1);
          expect(await s.getMime(f.id, id)).toEqual(v2);
          expect(await allChanges(s, f.id, before.modseq)).toEqual([{ itemId: id, modseq: after.modseq, deleted: false }]);
          await expect(s.replaceMessage!(f.id, "999999", plainMessage())).rejects.toBeInstanceOf(StoreNotFoundError);
        });
      });

      it("a draft edited again and again (an attachment added, then dropped) stays one item under one id: listings, changes, flags, search and restarts agree", async () => {
        const subject = `Draft ${tag()}`;
        const { f, id, first } = await b.run(async (s) => {
          const f = await scratch(s, "Drafts");
          const other = await s.appendMessage(f.id, plainMessage({ subject: "Unrelated" }), {}, Date.UTC(2026, 5, 1, 8));
          const id = await s.appendMessage(f.id, plainMessage({ subject: `${subject} v1` }), { seen: true }, Date.UTC(2026, 5, 2, 8));
          const first = (await s.folderStatus(f.id)).highestModseq;
          // The page being rendered has v1's text read ahead (where a backend does): an edit is never served stale.
          await s.prefetchBodies?.(f.id, [(await s.getSummary(f.id, id))!]);
          expect((await s.getBody(f.id, id, "plain"))!.data).toContain(`${subject} v1`);
          const v2 = richMessage(`${subject} v2`, binary(3000));
          await s.replaceMessage!(f.id, id, v2);
          expect(await s.getMime(f.id, id)).toEqual(v2);
          const withPart = (await s.getSummary(f.id, id))!;
          expect(withPart.attachments.map((a) => a.filename)).toEqual(["report.bin"]);
          expect((await s.getAttachment(f.id, id, withPart.attachments[0]!.partId))!.data).toEqual(binary(3000));
          await s.prefetchBodies?.(f.id, [(await s.getSummary(f.id, id))!]);
          await s.replaceMessage!(f.id, id, plainMessage({ subject: `${subject} v3`, body: "marmoset words" }));
          expect((await s.getBody(f.id, id, "plain"))!.data).toContain("marmoset words");
          expect((await s.getSummary(f.id, id))!.attachments).toEqual([]);
          expect((await s.listItems(f.id, { limit: 10 })).map((m) => [m.itemId, m.subject])).toEqual([
            [id, `${subject} v3`],
            [other, "Unrelated"],
          ]);
          // The cursor of a listing may name the draft: the next page is the rest.
          expect(
            (await s.listItems(f.id, { limit: 10, after: { received: Date.UTC(2026, 5, 2, 8), itemId: id } })).map((m) => m.itemId),
          ).toEqual([other]);
          await s.setFlags(f.id, id, { flagged: true });
          return { f, id, first };
        });
        await b.restart();
        await b.run(async (s) => {
          const now = (await s.getSummary(f.id, id))!;
          expect(now).toMatchObject({ itemId: id, subject: `${subject} v3`, flags: { seen: true, flagged: true } });
          const changes = await allChanges(s, f.id, first);
          expect(changes).toEqual([{ itemId: id, modseq: now.modseq, deleted: false }]);
          if (isSearchable(s)) {
            const found = await s.searchMail({ folderIds: [f.id], words: ["marmoset"], offset: 0, limit: 10 });
            expect(found.hits.map((h) => h.itemId)).toEqual([id]);
          }
          await s.deleteItem(f.id, id);
          expect(await s.getSummary(f.id, id)).toBeNull();
          const last = await allChanges(s, f.id, now.modseq);
          expect(last).toEqual([{ itemId: id, modseq: (await s.folderStatus(f.id)).highestModseq, deleted: true }]);
          expect((await s.folderStatus(f.id)).count).toBe(1);
        });
      });

      it("a replaced draft moved away leaves one tombstone under its id; it arrives with its new content", async () => {
        await b.run(async (s) => {
          const src = await scratch(s, "DraftSrc");
          const dst = await scratch(s, "DraftDst");
          const id = await s.appendMessage(src.id, plainMessage({ subject: "v1" }));
          await s.replaceMessage!(src.id, id, plainMessage({ subject: "v2" }));
          const before = await s.folderStatus(src.id);
          const moved = await s.moveItem(src.id, id, dst.id);
          expect((await s.getSummary(dst.id, moved))!.subject).toBe("v2");
          expect(await s.changesSince(src.id, before.highestModseq, 10)).toEqual([
            { itemId: id, modseq: (await s.folderStatus(src.id)).highestModseq, deleted: true },
          ]);
          await expect(s.replaceMessage!(src.id, id, plainMessage())).rejects.toBeInstanceOf(StoreNotFoundError);
        });
      });
    });

    describe("moves and deletes", () => {
      it("a move is a tombstone in the source and a new, never reused id in the destination; flags, arrival and body kept", async () => {
        await b.run(async (s) => {
          const src = await scratch(s, "Src");
          const dst = await scratch(s, "Dst");
          const received = Date.UTC(2026, 5, 1, 12, 0, 0);
          const raw = plainMessage({ subject: "Move me" });
          const id = await s.appendMessage(src.id, raw, { seen: true, flagged: true }, received);
          const srcBefore = await s.folderStatus(src.id);
          const dstBefore = await s.folderStatus(dst.id);
          const moved = await s.moveItem(src.id, id, dst.id);
          expect(moved).not.toBe(id);
          expect(await s.getSummary(src.id, id)).toBeNull();
          const m = (await s.getSummary(dst.id, moved))!;
          expect(m).toMatchObject({ itemId: moved, folderId: dst.id, subject: "Move me", received, flags: { seen: true, flagged: true } });
          expect(await s.getMime(dst.id, moved)).toEqual(raw);
          const srcAfter = await s.folderStatus(src.id);
          expect(srcAfter.count).toBe(srcBefore.count - 1);
          expect(await s.changesSince(src.id, srcBefore.highestModseq, 10)).toEqual([
            { itemId: id, modseq: srcAfter.highestModseq, deleted: true },
          ]);
          expect((await s.folderStatus(dst.id)).count).toBe(dstBefore.count + 1);
          expect(await s.changesSince(dst.id, dstBefore.highestModseq, 10)).toEqual([{ itemId: moved, modseq: m.modseq, deleted: false }]);

          const back = await s.moveItem(dst.id, moved, src.id);
          expect([id, moved]).not.toContain(back);
          expect((await s.getSummary(src.id, back))!.subject).toBe("Move me");

          await expect(s.moveItem(src.id, back, src.id)).rejects.toMatchObject({ code: "invalid" });
          await expect(s.moveItem(src.id, back, "no-such-folder")).rejects.toBeInstanceOf(StoreNotFoundError);
          await expect(s.moveItem(src.id, id, dst.id)).rejects.toBeInstanceOf(StoreNotFoundError); // already moved away
          await expect(s.moveItem("no-such-folder", back, dst.id)).rejects.toBeInstanceOf(StoreNotFoundError);
          expect((await s.folderStatus(src.id)).count).toBe(1);
        });
      });

      it("a delete leaves a tombstone; the item reads as gone and a second delete is not found", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const keep = await s.appendMessage(f.id, plainMessage());
          const id = await s.appendMessage(f.id, plainMessage());
          const before = await s.folderStatus(f.id);
          await s.deleteItem(f.id, id);
          const after = await s.folderStatus(f.id);
          expect(after.count).toBe(before.count - 1);
          expect(after.highestModseq).toBeGreaterThan(before.highestModseq);
          expect(await s.changesSince(f.id, before.highestModseq, 10)).toEqual([
            { itemId: id, modseq: after.highestModseq, deleted: true },
          ]);
          expect(await s.getSummary(f.id, id)).toBeNull();
          expect(await s.getMime(f.id, id)).toBeNull();
          expect(await s.getBody(f.id, id, "plain")).toBeNull();
          await expect(s.deleteItem(f.id, id)).rejects.toBeInstanceOf(StoreNotFoundError);
          await expect(s.setFlags(f.id, id, { seen: true })).rejects.toBeInstanceOf(StoreNotFoundError);
          expect((await s.listItems(f.id, { limit: 10 })).map((m) => m.itemId)).toEqual([keep]);
        });
      });

      it("emptyFolder: a tombstone per item; subfolders stay unless asked, then go; the folder itself stays", async () => {
        await b.run(async (s) => {
          const f = await scratch(s, "Trash");
          const sub = await s.createFolder(f.id, "Old", FolderType.UserMail);
          const inSub = await s.appendMessage(sub.id, plainMessage());
          const first = [await s.appendMessage(f.id, plainMessage()), await s.appendMessage(f.id, plainMessage())];
          const before = await s.folderStatus(f.id);
          await s.emptyFolder(f.id, false);
          const after = await s.folderStatus(f.id);
          expect(after.count).toBe(0);
          const gone = await s.changesSince(f.id, before.highestModseq, 10);
          expect(gone.every((c) => c.deleted)).toBe(true);
          expect(gone.map((c) => c.itemId).sort()).toEqual([...first].sort());
          expect(after.highestModseq).toBe(gone[gone.length - 1]!.modseq);
          expect((await s.folderStatus(sub.id)).count).toBe(1);
          expect(await s.getSummary(sub.id, inSub)).not.toBeNull();

          await s.appendMessage(f.id, plainMessage());
          await s.emptyFolder(f.id, true);
          const ids = (await s.listFolders()).map((x) => x.id);
          expect(ids).toContain(f.id);
          expect(ids).not.toContain(sub.id);
          expect(await s.listItems(f.id, { limit: 10 })).toEqual([]);
          expect((await s.folderStatus(f.id)).count).toBe(0);
        });
      });
    });

    describe("listing", () => {
      it("listItems pages newest first along its keyset cursor, every item once; `since` and countItems agree", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const base = Date.UTC(2026, 2, 1, 9, 0, 0);
          const arrived = new Map<string, number>();
          for (let i = 0; i < 11; i++) {
            const received = base + Math.floor(i / 3) * 60_000; // groups of three with the same arrival time
            arrived.set(await s.appendMessage(f.id, plainMessage(), {}, received), received);
          }
          const whole = await s.listItems(f.id, { limit: 100 });
          expect(whole.map((m) => m.itemId).sort()).toEqual([...arrived.keys()].sort());
          for (const m of whole) expect(m.received).toBe(arrived.get(m.itemId));
          expect(whole.every((m, i) => i === 0 || m.received <= whole[i - 1]!.received)).toBe(true);

          const paged: string[] = [];
          let after: { received: number; itemId: string } | undefined;
          for (let guard = 0; guard < 20; guard++) {
            const page = await s.listItems(f.id, { limit: 4, ...(after ? { after } : {}) });
            expect(page.length).toBeLessThanOrEqual(4);
            if (page.length === 0) break;
            paged.push(...page.map((m) => m.itemId));
            const last = page[page.length - 1]!;
            after = { received: last.received, itemId: last.itemId };
          }
          expect(paged).toEqual(whole.map((m) => m.itemId));

          const since = base + 2 * 60_000;
          const recent = await s.listItems(f.id, { limit: 100, since });
          expect(recent.map((m) => m.itemId)).toEqual(whole.filter((m) => m.received >= since).map((m) => m.itemId));
          expect(recent).toHaveLength(5);
          expect(await s.countItems(f.id, since)).toBe(5);
          expect(await s.countItems(f.id)).toBe(11);
          expect(await s.listItems(f.id, { limit: 0 })).toEqual([]);
          expect(await s.listItems(f.id, { limit: 100, since: base + 3_600_000 })).toEqual([]);
        });
      });
    });

    describe("edges a phone reaches", () => {
      it("a folder update that changes nothing, or only the letter case, is not refused as 'exists'", async () => {
        await b.run(async (s) => {
          const name = `Case-${tag()}`;
          const f = await s.createFolder("0", name, FolderType.UserMail);
          expect(await s.updateFolder(f.id, name, "0")).toEqual(f);
          const upper = await s.updateFolder(f.id, name.toUpperCase(), "0");
          expect(upper).toEqual({ ...f, name: name.toUpperCase() });
          expect((await s.listFolders()).find((x) => x.id === f.id)).toEqual(upper);
        });
      });

      it("folder names with accents, symbols and characters outside the BMP round-trip", async () => {
        await b.run(async (s) => {
          const t = tag();
          const top = await s.createFolder("0", `Réunions ✓ ${t}`, FolderType.UserMail);
          const child = await s.createFolder(top.id, "日本語 & Co", FolderType.UserMail);
          const idea = await s.createFolder("0", `Ideas 💡 ${t}`, FolderType.UserMail);
          const listed = await s.listFolders();
          expect(listed.find((f) => f.id === top.id)?.name).toBe(`Réunions ✓ ${t}`);
          expect(listed.find((f) => f.id === child.id)).toMatchObject({ name: "日本語 & Co", parentId: top.id });
          expect(listed.find((f) => f.id === idea.id)?.name).toBe(`Ideas 💡 ${t}`);
          const renamed = await s.updateFolder(idea.id, `Idées 🚀 ${t}`, top.id);
          expect(renamed).toEqual({ ...idea, name: `Idées 🚀 ${t}`, parentId: top.id });
          const id = await s.appendMessage(renamed.id, plainMessage({ subject: "Ünïcödé 🚀" }));
          expect((await s.getSummary(renamed.id, id))?.subject).toBe("Ünïcödé 🚀");
        });
      });

      it("the listItems cursor still works when the item it names is gone", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const base = Date.UTC(2026, 3, 1, 9, 0, 0);
          for (let i = 0; i < 6; i++) await s.appendMessage(f.id, plainMessage(), {}, base + i * 60_000);
          const whole = (await s.listItems(f.id, { limit: 100 })).map((m) => m.itemId);
          const first = await s.listItems(f.id, { limit: 3 });
          const last = first[first.length - 1]!;
          await s.deleteItem(f.id, last.itemId);
          const rest = await s.listItems(f.id, { limit: 100, after: { received: last.received, itemId: last.itemId } });
          expect(rest.map((m) => m.itemId)).toEqual(whole.slice(3));
        });
      });

      it("summary fields from the headers: addresses, importance, threading; no Date or a bad one is no date", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const raw = (headers: string[], body = "Text.") =>
            new TextEncoder().encode([...headers, "Content-Type: text/plain; charset=utf-8", "", body, ""].join("\r\n"));
          const a = await s.appendMessage(
            f.id,
            raw([
              'From: "Doe, Jane" <jane@example.test>',
              "To: a@example.test, Bob <b@example.test>",
              "Reply-To: lists@example.test",
              "Subject: =?UTF-8?B?UmU6IMOJdMOpIDIwMjc=?=",
              "Date: Tue, 1 Jun 2027 08:00:00 +0200",
              "Message-ID: <child@example.test>",
              "In-Reply-To: <parent@example.test>",
              "References: <root@example.test> <parent@example.test>",
              "Importance: High",
            ]),
          );
          expect(await s.getSummary(f.id, a)).toMatchObject({
            from: '"Doe, Jane" <jane@example.test>',
            to: 'a@example.test, "Bob" <b@example.test>',
            replyTo: "lists@example.test",
            subject: "Re: Été 2027",
            threadTopic: "Été 2027",
            date: Date.UTC(2027, 5, 1, 6, 0, 0),
            messageId: "<child@example.test>",
            inReplyTo: "<parent@example.test>",
            references: "<root@example.test> <parent@example.test>",
            importance: "high",
          });
          const low = await s.appendMessage(f.id, raw(["From: x@example.test", "Subject: low", "X-Priority: 5 (Lowest)"]));
          const bad = await s.appendMessage(f.id, raw(["From: x@example.test", "Subject: bad date", "Date: not a date"]));
          const low2 = (await s.getSummary(f.id, low))!;
          expect(low2).toMatchObject({ importance: "low", subject: "low", cc: "", to: "" });
          expect(low2.date).toBeUndefined();
          expect((await s.getSummary(f.id, bad))!.date).toBeUndefined();
        });
      });

      it("an HTML-only message: the plain rendition and the preview carry no markup; the preview is at most 255 characters", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const words = Array.from({ length: 120 }, (_, i) => `word${i}`).join(" ");
          const html = `<html><head><style>p { color: red }</style></head><body><p>Hello <b>there</b>,</p>\r\n<p>${words}</p></body></html>`;
          const raw = new TextEncoder().encode(
            [
              "From: a@example.test",
              "Subject: html only",
              "MIME-Version: 1.0",
              "Content-Type: text/html; charset=utf-8",
              "",
              html,
              "",
            ].join("\r\n"),
          );
          const id = await s.appendMessage(f.id, raw);
          const m = (await s.getSummary(f.id, id))!;
          expect(m.hasHtml).toBe(true);
          expect(m.preview.length).toBeLessThanOrEqual(255);
          expect(m.preview).toMatch(/^Hello there, word0 word1 /);
          expect(m.preview).not.toMatch(/[<>]|color/);
          const plain = (await s.getBody(f.id, id, "plain"))!.data;
          expect(plain).toContain("word119");
          expect(plain).not.toMatch(/<p>|<b>|color: red/);
          expect((await s.getBody(f.id, id, "html"))!.data).toContain("<b>there</b>");
        });
      });

      it("an inline image keeps its Content-ID and is inline; a text/calendar REQUEST makes a meeting request", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const png = binary(500, 3);
          const b64 = btoa(String.fromCharCode(...png));
          const related = [
            "From: a@example.test",
            "Subject: with picture",
            "MIME-Version: 1.0",
            'Content-Type: multipart/related; boundary="rel"',
            "",
            "--rel",
            "Content-Type: text/html; charset=utf-8",
            "",
            '<p>Look: <img src="cid:logo@example.test"></p>',
            "--rel",
            "Content-Type: image/png",
            "Content-ID: <logo@example.test>",
            "Content-Disposition: inline",
            "Content-Transfer-Encoding: base64",
            "",
            b64,
            "--rel--",
            "",
          ].join("\r\n");
          const pic = await s.appendMessage(f.id, new TextEncoder().encode(related));
          const m = (await s.getSummary(f.id, pic))!;
          expect(m.attachments).toHaveLength(1);
          expect(m.attachments[0]).toMatchObject({ contentType: "image/png", contentId: "logo@example.test", inline: true, size: 500 });
          expect((await s.getAttachment(f.id, pic, m.attachments[0]!.partId))!.data).toEqual(png);

          const ics = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "METHOD:REQUEST",
            "PRODID:-//x//EN",
            "BEGIN:VEVENT",
            "UID:inv-1",
            "DTSTAMP:20270101T000000Z",
            "DTSTART:20270201T090000Z",
            "DTEND:20270201T100000Z",
            "SUMMARY:Planning",
            "ORGANIZER:mailto:boss@example.test",
            "END:VEVENT",
            "END:VCALENDAR",
          ].join("\r\n");
          const invite = [
            "From: boss@example.test",
            "Subject: Invitation: Planning",
            "MIME-Version: 1.0",
            'Content-Type: multipart/alternative; boundary="alt"',
            "",
            "--alt",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "You are invited.",
            "--alt",
            "Content-Type: text/calendar; charset=utf-8; method=REQUEST",
            "",
            ics,
            "--alt--",
            "",
          ].join("\r\n");
          const inv = await s.appendMessage(f.id, new TextEncoder().encode(invite));
          expect(await s.getSummary(f.id, inv)).toMatchObject({
            contentClass: "urn:content-classes:calendarmessage",
            calendarMethod: "REQUEST",
          });
        });
      });

      it("a message that is barely MIME (no header fields, bare text) is kept byte for byte with an empty summary", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const raw = new TextEncoder().encode("\r\nJust a line of text, no header at all.\r\n");
          const id = await s.appendMessage(f.id, raw);
          expect(await s.getMime(f.id, id)).toEqual(raw);
          const m = (await s.getSummary(f.id, id))!;
          expect(m).toMatchObject({ subject: "", from: "", to: "", size: raw.byteLength, attachments: [], hasHtml: false });
          expect(m.messageId).toBeUndefined();
          expect(m.preview).toBe("Just a line of text, no header at all.");
        });
      });

      it("limits are bounds: zero or negative gives nothing, a huge one is clamped, not an error", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          for (let i = 0; i < 3; i++) await s.appendMessage(f.id, plainMessage());
          for (const limit of [0, -1, -1000]) {
            expect(await s.listItems(f.id, { limit }), `listItems ${limit}`).toEqual([]);
            expect(await s.changesSince(f.id, 0, limit), `changesSince ${limit}`).toEqual([]);
          }
          expect(await s.listItems(f.id, { limit: 1e12 }), "listItems 1e12").toHaveLength(3);
          expect(await s.changesSince(f.id, 0, Number.MAX_SAFE_INTEGER), "changesSince MAX_SAFE_INTEGER").toHaveLength(3);
          expect(await s.changesSince(f.id, -5, 10), "changesSince from -5").toHaveLength(3);
        });
      });

      it("calls at the same time (two devices) are all applied, each once", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const first = await Promise.all([0, 1, 2, 3].map((i) => s.appendMessage(f.id, plainMessage({ subject: `Parallel ${i}` }))));
          expect(new Set(first).size).toBe(4);
          await Promise.all([
            s.setFlags(f.id, first[0]!, { seen: true }),
            s.setFlags(f.id, first[1]!, { flagged: true }),
            s.deleteItem(f.id, first[2]!),
            s.appendMessage(f.id, plainMessage({ subject: "Parallel 4" })),
            s.folderStatus(f.id),
            s.listItems(f.id, { limit: 10 }),
          ]);
          const st = await s.folderStatus(f.id);
          expect(st.count).toBe(4);
          const changes = await s.changesSince(f.id, 0, 100);
          expect(new Set(changes.map((c) => c.modseq)).size).toBe(changes.length);
          expect(changes.filter((c) => c.deleted).map((c) => c.itemId)).toEqual([first[2]]);
          expect((await s.getSummary(f.id, first[0]!))!.flags.seen).toBe(true);
          expect((await s.getSummary(f.id, first[1]!))!.flags.flagged).toBe(true);
        });
      });

      it("emptying the Deleted Items folder itself (EAS EmptyFolderContents) leaves it in place, empty, with tombstones", async () => {
        await b.run(async (s) => {
          const trash = s.folderByType(FolderType.DeletedItems)!;
          const src = await scratch(s);
          const moved = await s.moveItem(src.id, await s.appendMessage(src.id, plainMessage()), trash.id);
          const sub = await s.createFolder(trash.id, `Sub-${tag()}`, FolderType.UserMail);
          const before = await s.folderStatus(trash.id);
          await s.emptyFolder(trash.id, true);
          const after = await s.folderStatus(trash.id);
          expect(after.count).toBe(0);
          expect(after.validity).toBe(before.validity);
          const changes = await s.changesSince(trash.id, before.highestModseq, 1000);
          expect(changes).toContainEqual(expect.objectContaining({ itemId: moved, deleted: true }));
          expect(changes.length).toBe(before.count);
          const ids = (await s.listFolders()).map((x) => x.id);
          expect(ids).toContain(trash.id);
          expect(ids).not.toContain(sub.id);
          expect(s.folderByType(FolderType.DeletedItems)).toEqual(trash);
        });
      });
    });

    describe("tombstones and restarts", () => {
      it("pruneTombstones drops old tombstones and raises tombstoneFloor; newer ones stay", async () => {
        await b.run(async (s) => {
          const f = await scratch(s);
          const a = await s.appendMessage(f.id, plainMessage());
          await s.appendMessage(f.id, plainMessage());
          await s.deleteItem(f.id, a);
          const st = await s.folderStatus(f.id);
          expect(s.pruneTombstones(Date.now() - 3_600_000)).toBe(0);
          expect(await s.folderStatus(f.id)).toEqual(st);
          expect(s.pruneTombstones(Date.now() + 1000)).toBeGreaterThanOrEqual(1);
          const after = await s.folderStatus(f.id);
          expect(after.tombstoneFloor).toBe(st.highestModseq);
          expect(after.highestModseq).toBe(st.highestModseq);
          expect(after.validity).toBe(st.validity);
          expect(await s.changesSince(f.id, 0, 10)).not.toContainEqual(expect.objectContaining({ itemId: a }));
        });
      });

      it("after a restart: same folders, status and summaries; the counter carries on; ids keep their meaning", async () => {
        const before = await b.run(async (s) => {
          const f = await scratch(s);
          const id = await s.appendMessage(f.id, plainMessage({ subject: "Survivor" }), { flagged: true });
          const rich = await s.appendMessage(f.id, richMessage("Rich survivor", binary(2000, 9)));
          return {
            f,
            id,
            rich: await s.getSummary(f.id, rich),
            folders: await s.listFolders(),
            status: await s.folderStatus(f.id),
            summary: await s.getSummary(f.id, id),
          };
        });
        await b.restart();
        await b.run(async (s) => {
          expect(await s.listFolders()).toEqual(before.folders);
          expect(await s.folderStatus(before.f.id)).toEqual(before.status);
          expect(await s.getSummary(before.f.id, before.id)).toEqual(before.summary);
          const rich = before.rich!;
          expect(await s.getSummary(before.f.id, rich.itemId)).toEqual(rich);
          expect((await s.getAttachment(before.f.id, rich.itemId, rich.attachments[0]!.partId))!.data).toEqual(binary(2000, 9));
          const next = await s.appendMessage(before.f.id, plainMessage());
          expect((await s.getSummary(before.f.id, next))!.modseq).toBeGreaterThan(before.status.highestModseq);
          expect(next).not.toBe(before.id);
          await s.setFlags(before.f.id, before.id, { seen: true });
          expect((await s.getSummary(before.f.id, before.id))!.flags).toMatchObject({ seen: true, flagged: true });
        });
      });
    });
  });
}

/** Mail is never appended, imported or moved into a folder that holds calendars or contacts. */
async function mailStaysOut(s: MailStore, pim: StoreFolder): Promise<void> {
  await expect(s.appendMessage(pim.id, plainMessage()), pim.name).rejects.toBeInstanceOf(StoreFolderError);
  await expect(s.importMessage(pim.id, plainMessage()), pim.name).rejects.toBeInstanceOf(StoreFolderError);
  const f = await scratch(s);
  const id = await s.appendMessage(f.id, plainMessage());
  await expect(s.moveItem(f.id, id, pim.id), pim.name).rejects.toMatchObject({ code: "invalid" });
  expect(await s.getSummary(f.id, id)).not.toBeNull();
}
