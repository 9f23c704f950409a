// Upgrades without losing state (issue 17 §2): a mailbox object written by the previous release (no schema
// version, no v2 index) wakes under this code, upgrades once, in a transaction, and its phone carries on with
// the same SyncKey, devices, out-of-office, outbox and mail.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { MAILBOX_SCHEMA_VERSION, schemaVersion, upgradeSchema } from "../../src/mailbox/schema-version";
import { createAccount } from "../../src/service/directory";
import { el } from "../../src/wbxml/index";
import { TestPhone, bodyPref, idsOf, mailOptions, message, syncKeyOf } from "./helpers/phone";

const USER = "upgraded@example.test";
const PW = "upgrade-pw-1";
const stub = () => env.MAILBOX.getByName(USER);

interface Snapshot {
  devices: string[];
  folders: string[];
  items: number;
  outbox: number;
  oof: unknown;
  tables: Record<string, number>;
}

const snapshot = () =>
  runInDurableObject(stub(), async (mb: Mailbox, state): Promise<Snapshot> => {
    const tables: Record<string, number> = {};
    for (const { name } of state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'mailbox_schema'",
      )
      .toArray())
      tables[name] = Number(state.storage.sql.exec(`SELECT count(*) AS n FROM "${name}"`).one().n);
    return {
      devices: mb.listDevices().map((d) => d.deviceId),
      folders: (await mb.listFolders()).map((f) => `${f.id}:${f.name}`),
      items: Number(state.storage.sql.exec("SELECT count(*) AS n FROM items").one().n),
      outbox: (await mb.outboxStatus()).length,
      oof: mb.getOof(),
      tables,
    };
  });

it("an object of the previous release upgrades once when it wakes; nothing is lost and the phone carries on", async () => {
  await createAccount(env.DB, USER, PW);
  for (let i = 0; i < 3; i++) await runInDurableObject(stub(), (mb: Mailbox) => mb.store.appendMessage("1", message(`Old ${i}`), {}));
  const phone = new TestPhone(USER, PW, "oldphone");
  await phone.folderSync("0");
  const options = mailOptions(bodyPref(1, 500));
  const first = await phone.sync("1", syncKeyOf(await phone.sync("1", "0", { options })), { options });
  expect(idsOf(first, "Add")).toHaveLength(3);
  const key = syncKeyOf(first);
  await stub().setOof({ state: "global", message: "Away", start: null, end: null } as never);
  const mime = `From: ${USER}\r\nTo: far@remote.test\r\nSubject: queued\r\n\r\nqueued\r\n`;
  await phone.send(
    "SendMail",
    el("ComposeMail", "SendMail", el("ComposeMail", "ClientId", "up-1"), el("ComposeMail", "Mime", new TextEncoder().encode(mime))),
  );

  // Make it the previous release's storage: no version row, no v2 index.
  await runInDurableObject(stub(), (_mb, state) => {
    state.storage.sql.exec("DROP TABLE mailbox_schema");
    state.storage.sql.exec("DROP INDEX IF EXISTS outbox_created");
    expect(schemaVersion(state.storage.sql)).toBeNull();
  });
  const before = await snapshot();
  expect(before.outbox).toBe(1);

  await evictDurableObject(stub());
  const after = await snapshot(); // the first call wakes a new instance under this code
  expect(after).toEqual(before);
  const meta = await runInDurableObject(stub(), (_mb, state) => ({
    version: schemaVersion(state.storage.sql),
    at: Number(state.storage.sql.exec("SELECT upgraded_at FROM mailbox_schema").one().upgraded_at),
    index: state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'outbox_created'").toArray().length,
  }));
  expect(meta).toMatchObject({ version: MAILBOX_SCHEMA_VERSION, index: 1 });

  // The phone's SyncKey is still current: no resync, no duplicate, new mail arrives as one Add.
  await stub().deliver(message("New after upgrade"));
  const next = await phone.sync("1", key, { options });
  expect(next.status).toBe(200);
  expect(idsOf(next, "Add")).toHaveLength(1);

  // Once: a later wake does not upgrade again.
  await evictDurableObject(stub());
  const again = await runInDurableObject(stub(), (_mb, state) =>
    Number(state.storage.sql.exec("SELECT upgraded_at FROM mailbox_schema").one().upgraded_at),
  );
  expect(again).toBe(meta.at);
});

it("a migration that fails leaves the object at its previous version with its data as it was (one transaction)", async () => {
  await runInDurableObject(env.MAILBOX.getByName("upgrade-fails@example.test"), (_mb, state) => {
    const sql = state.storage.sql;
    sql.exec("DROP TABLE mailbox_schema");
    sql.exec("CREATE TABLE IF NOT EXISTS old_rows (v TEXT)");
    sql.exec("INSERT INTO old_rows VALUES ('kept')");
    const boom = {
      version: 3,
      name: "rewrites old_rows, then fails",
      up(s: SqlStorage) {
        s.exec("UPDATE old_rows SET v = 'rewritten'");
        s.exec("CREATE TABLE half_done (x)");
        throw new Error("migration failed");
      },
    };
    const ok = { version: 2, name: "adds a table", up: (s: SqlStorage) => void s.exec("CREATE TABLE IF NOT EXISTS added_v2 (x)") };
    expect(() => upgradeSchema(state.storage, [ok, boom])).toThrow("migration failed");
    expect(schemaVersion(sql)).toBe(2); // v2 committed, v3 not
    expect(sql.exec("SELECT v FROM old_rows").one().v).toBe("kept");
    expect(sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").toArray()).toEqual([]);
    expect(sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'added_v2'").toArray()).toHaveLength(1);
  });
});

it("a new object starts at the latest version without running migrations", async () => {
  const v = await runInDurableObject(env.MAILBOX.getByName("brand-new@example.test"), (_mb, state) => schemaVersion(state.storage.sql));
  expect(v).toBe(MAILBOX_SCHEMA_VERSION);
});
