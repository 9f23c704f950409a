// Issue 13 §7 inside workerd: the hostile corpus (test/fixtures/hostile/corpus.ts) delivered into a mailbox
// object and synced to the end with bodies (the Node end-to-end test does the same over HTTP, with the kit).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createAccount } from "../../src/service/directory";
import { child, childrenNamed, childText, el } from "../../src/wbxml/index";
import { hostileCorpus, plain, seed } from "../fixtures/hostile/corpus";
import { collectionOf, TestPhone } from "./helpers/phone";

describe("the hostile corpus in a mailbox object", () => {
  it("delivered, then a 12.0 and a 16.1 phone sync Inbox and Calendar with bodies to the end", async () => {
    const me = "corpus-w@example.test";
    await createAccount(env.DB, me, "corpus-pw");
    const stub = env.MAILBOX.getByName(me);
    const all = [plain(me, "Before"), seed(me), ...hostileCorpus(me), plain(me, "After")];
    for (const m of all) await stub.deliver(new TextEncoder().encode(m.raw));
    for (const v of ["12.0", "16.1"]) {
      const phone = new TestPhone(me, "corpus-pw", `CORPUS${v.replace(".", "")}`, v);
      const fs = await phone.folderSync("0");
      const folders = childrenNamed(child(fs, "Changes"), "Add");
      for (const type of ["2", "8"]) {
        const id = childText(folders.find((f) => childText(f, "Type") === type)!, "ServerId")!;
        let r = await phone.sync(id, "0");
        let key = childText(collectionOf(r), "SyncKey")!;
        let adds = 0;
        for (let page = 0; page < 40; page++) {
          r = await phone.sync(id, key, {
            windowSize: 4,
            options: el(
              "AirSync",
              "Options",
              el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 2), el("AirSyncBase", "TruncationSize", 4096)),
            ),
          });
          expect(r.status, `${v} type ${type} page ${page}`).toBe(200);
          if (r.raw.length === 0) break;
          expect(childText(collectionOf(r), "Status")).toBe("1");
          key = childText(collectionOf(r), "SyncKey")!;
          adds += childrenNamed(child(collectionOf(r), "Commands"), "Add").length;
          if (!child(collectionOf(r), "MoreAvailable")) break;
        }
        if (type === "2") expect(adds, v).toBe(all.length);
      }
    }
  }, 120_000);
});
