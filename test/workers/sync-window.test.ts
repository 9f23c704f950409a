// [MS-ASCMD] 2.2.3.199 WindowSize on a real mailbox: the default when it is absent, and 0 or more than 512.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { createAccount } from "../../src/service/directory";
import { TestPhone, idsOf, message, moreAvailable, statusOf, syncKeyOf } from "./helpers/phone";

const USER = "window@example.test";
const PW = "window-secret";
const INBOX = "1";
const N = 520;

beforeAll(async () => {
  await createAccount(env.DB, USER, PW);
  await runInDurableObject(env.MAILBOX.getByName(USER), async (mb: Mailbox) => {
    for (let i = 0; i < N; i++) await mb.store.appendMessage(INBOX, message(`Window ${i}`), {}, Date.now() - i * 1000);
  });
}, 120_000);

describe("WindowSize", () => {
  it("MS-ASCMD_R4767: without WindowSize the server sends 100 items, then MoreAvailable", async () => {
    const phone = new TestPhone(USER, PW, "WINDOW1");
    const key = syncKeyOf(await phone.sync(INBOX, "0"));
    const r = await phone.sync(INBOX, key);
    expect(statusOf(r)).toBe("1");
    expect(idsOf(r, "Add")).toHaveLength(100);
    expect(moreAvailable(r)).toBe(true);
  });

  it("MS-ASCMD_R4768 MS-ASCMD_R3460: WindowSize 0 and WindowSize 1000 are read as 512; more than 512 changes bring MoreAvailable", async () => {
    for (const [device, size] of [
      ["WINDOW2", 0],
      ["WINDOW3", 1000],
    ] as const) {
      const phone = new TestPhone(USER, PW, device);
      const key = syncKeyOf(await phone.sync(INBOX, "0"));
      const r = await phone.sync(INBOX, key, { windowSize: size });
      expect(idsOf(r, "Add"), `WindowSize ${size}`).toHaveLength(512);
      expect(moreAvailable(r)).toBe(true);
      const rest = await phone.sync(INBOX, syncKeyOf(r), { windowSize: size });
      expect(idsOf(rest, "Add")).toHaveLength(N - 512);
      expect(moreAvailable(rest)).toBe(false);
    }
  });
});
