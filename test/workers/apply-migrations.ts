// Before each test file (setupFiles): every binding emptied and the D1 schema applied, as if the file ran in a runtime
// of its own. The workers project runs its files one after another in one runtime (isolate: false in
// vitest.config.ts: a runtime start per file cost seconds), so this is what gives each file fresh storage:
// - mailbox Durable Objects: the storage of every object used since the last file deleted (SQL tables, keys,
//   alarm), then every instance dropped, so the next request builds a new one on empty storage;
// - D1: every table dropped (foreign keys checked at the end of the batch, when nothing is left) and the migrations
//   applied again, so AUTOINCREMENT counters start over too;
// - R2: every object deleted;
// - the service-wide device rules this isolate cached, forgotten.
import { abortAllDurableObjects, applyD1Migrations, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { forgetGlobalAccess } from "../../src/service/global-device-rules";

/** Where this runtime keeps the ids of the mailbox objects used since the last emptying (see mailboxesToEmpty). */
const USED = Symbol.for("mobile-sync.test.mailboxes-used");

await abortAllDurableObjects();
for (const id of await mailboxesToEmpty())
  await runInDurableObject(env.MAILBOX.get(id), async (_mailbox, state) => {
    await state.storage.deleteAlarm();
    await state.storage.deleteAll();
  });
await abortAllDurableObjects();
used()?.clear();

const { results: tables } = await env.DB.prepare(
  "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
).all<{ name: string }>();
if (tables.length)
  await env.DB.batch([
    env.DB.prepare("PRAGMA defer_foreign_keys = on"),
    ...tables.map(({ name }) => env.DB.prepare(`DROP TABLE "${name.replaceAll('"', '""')}"`)),
  ]);
for (let page = await env.BLOBS.list({ limit: 1000 }); page.objects.length; page = await env.BLOBS.list({ limit: 1000 }))
  await env.BLOBS.delete(page.objects.map((o) => o.key));
forgetGlobalAccess();
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

/**
 * The ids of the mailbox objects that may hold something. Emptying an object costs a start of it (its schema is
 * made on start), so only those used since the last emptying are emptied: every object instance in this isolate
 * starts through DurableObjectState#blockConcurrencyWhile (the pool's wrapper calls it after construction), which
 * is wrapped once per runtime to note the object's id. Without the note (first file), every object listed.
 */
async function mailboxesToEmpty(): Promise<DurableObjectId[]> {
  const noted = used();
  if (noted) return [...noted].map((id) => env.MAILBOX.idFromString(id));
  const all = await listDurableObjectIds(env.MAILBOX);
  const ids = new Set<string>();
  const probe = env.MAILBOX.idFromName("@vitest-storage-reset"); // emptied below with the others
  await runInDurableObject(env.MAILBOX.get(probe), (_mailbox, state) => {
    const proto = Object.getPrototypeOf(state) as { blockConcurrencyWhile: DurableObjectState["blockConcurrencyWhile"] };
    const original = proto.blockConcurrencyWhile;
    proto.blockConcurrencyWhile = function <T>(this: DurableObjectState, callback: () => Promise<T>): Promise<T> {
      ids.add(this.id.toString());
      return original.call(this, callback) as Promise<T>;
    };
  });
  (globalThis as { [USED]?: Set<string> })[USED] = ids;
  return [...all, probe];
}

function used(): Set<string> | undefined {
  return (globalThis as { [USED]?: Set<string> })[USED];
}
