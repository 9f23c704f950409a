// Mailbox lifecycle (issue 17 §6): list/search, password change, delete with nothing left behind.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { observersSettled } from "../../src/http/observe";
import { TestPhone, bodyPref, mailOptions, message, syncKeyOf } from "./helpers/phone";

function admin(method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { Authorization: "Bearer test-admin-token" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return exports.default.fetch(
    new Request(`https://mail.example.test/admin/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}
const create = (address: string, password: string) => admin("POST", "/mailboxes", { address, password });
const mbx = (a: string) => `/mailboxes/${encodeURIComponent(a)}`;
type Listing = { mailboxes: { address: string; kind: string; subscription: unknown }[]; next_cursor: string | null };

describe("listing", () => {
  it("searches by a part of the address and pages with a cursor", async () => {
    for (const a of ["ann@list.test", "bob@list.test", "cid@list.test", "dan@elsewhere.test"])
      expect((await create(a, "pw-123456")).status).toBe(201);
    const all = (await (await admin("GET", "/mailboxes?q=LIST.test")).json()) as Listing;
    expect(all.mailboxes.map((m) => m.address)).toEqual(["ann@list.test", "bob@list.test", "cid@list.test"]);
    expect(all.mailboxes[0]).toMatchObject({ kind: "built-in", subscription: null });
    const seen: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page = (await (
        await admin("GET", `/mailboxes?q=list&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)
      ).json()) as Listing;
      expect(page.mailboxes.length).toBeLessThanOrEqual(2);
      seen.push(...page.mailboxes.map((m) => m.address));
      cursor = page.next_cursor;
    }
    expect(seen).toEqual(["ann@list.test", "bob@list.test", "cid@list.test"]);
    // LIKE wildcards in q are literal.
    expect(((await (await admin("GET", "/mailboxes?q=%25")).json()) as Listing).mailboxes).toEqual([]);
  });
});

describe("password", () => {
  it("a new password works at once, the old one no longer; the audit row has no password", async () => {
    const A = "pwchange@list.test";
    await create(A, "old-password-1");
    expect((await new TestPhone(A, "old-password-1", "pwdev").send("FolderSync", null)).status).not.toBe(401);
    expect((await admin("PUT", `${mbx(A)}/password`, { password: "new-password-2" })).status).toBe(204);
    expect((await new TestPhone(A, "old-password-1", "pwdev").send("FolderSync", null)).status).toBe(401);
    expect((await new TestPhone(A, "new-password-2", "pwdev").folderSync("0")).name).toBe("FolderSync");
    const audit = await (await admin("GET", `/audit?subject=${encodeURIComponent(`mailbox:${A}`)}`)).text();
    expect(audit).toContain("mailbox.password_changed");
    expect(audit).not.toContain("new-password-2");
    expect((await admin("PUT", `${mbx("nobody@list.test")}/password`, { password: "x-123456" })).status).toBe(404);
  });
});

describe("deleting", () => {
  it("erases the object's storage, its R2 blobs and traces, its login; audit-logged; the address can start afresh", async () => {
    const A = "doomed@list.test";
    const PW = "doomed-pw-1";
    await create(A, PW);
    const stub = env.MAILBOX.getByName(A);
    const id = env.MAILBOX.idFromName(A).toString();
    // A message large enough for R2, a device with sync state, a trace, an out-of-office setting.
    await runInDurableObject(stub, (mb: Mailbox) => mb.store.appendMessage("1", message("Big", { body: "x".repeat(300_000) }), {}));
    expect((await admin("POST", `${mbx(A)}/traces`, { device_id: "doomdev" })).status).toBe(201);
    const phone = new TestPhone(A, PW, "doomdev");
    await phone.folderSync("0");
    const options = mailOptions(bodyPref(1, 1000));
    await phone.sync("1", syncKeyOf(await phone.sync("1", "0", { options })), { options });
    await observersSettled(); // the traces are stored after the answers left
    expect((await env.BLOBS.list({ prefix: `mbx/${id}/` })).objects.length).toBeGreaterThan(0);
    expect((await env.BLOBS.list({ prefix: `trace/${id}/` })).objects.length).toBeGreaterThan(0);

    const res = await admin("DELETE", `${mbx(A)}?reason=${encodeURIComponent("customer asked, ticket 77")}`);
    expect(res.status).toBe(200);
    const out = (await res.json()) as { r2_objects_deleted: number; d1_rows_deleted: Record<string, number> };
    expect(out.r2_objects_deleted).toBeGreaterThan(1);
    expect(out.d1_rows_deleted).toEqual({ accounts: 1, mailbox_backends: 0, mailboxes: 1 });

    // Nothing remains: R2, D1, the object's storage (its tables, recreated empty, hold no row; no KV, no alarm).
    expect((await env.BLOBS.list({ prefix: `mbx/${id}/` })).objects).toEqual([]);
    expect((await env.BLOBS.list({ prefix: `trace/${id}/` })).objects).toEqual([]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM accounts WHERE address = ?").bind(A).first("n")).toBe(0);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM mailboxes WHERE address = ?").bind(A).first("n")).toBe(0);
    const left = await runInDurableObject(env.MAILBOX.getByName(A), async (_mb, state) => {
      const tables = state.storage.sql
        // mailbox_schema holds only the schema version (schema-version.ts), no data of the mailbox.
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'mailbox_schema'",
        )
        .toArray()
        .map((t) => t.name);
      const rows = tables.flatMap((t) => {
        const n = Number(state.storage.sql.exec(`SELECT count(*) AS n FROM "${t}"`).one().n);
        return n ? [`${t}: ${n}`] : [];
      });
      return { rows, kv: [...(await state.storage.list()).keys()], alarm: await state.storage.getAlarm() };
    });
    expect(left).toEqual({ rows: [], kv: [], alarm: null });
    expect((await phone.send("FolderSync", null)).status).toBe(401);

    const audit = (await (await admin("GET", `/audit?subject=${encodeURIComponent(`mailbox:${A}`)}`)).json()) as {
      entries: { action: string; after: { reason: string } }[];
    };
    expect(audit.entries.find((e) => e.action === "mailbox.deleted")?.after.reason).toBe("customer asked, ticket 77");

    // The same address can be created again and starts empty.
    await create(A, "fresh-pw-2");
    const again = new TestPhone(A, "fresh-pw-2", "newdev");
    await again.folderSync("0");
    const first = await again.sync("1", "0");
    const full = await again.sync("1", syncKeyOf(first));
    expect(full.raw.length === 0 || !JSON.stringify(full.body).includes("ServerId")).toBe(true);
    expect((await admin("DELETE", mbx("nobody@list.test"))).status).toBe(404);
  });

  it("is refused while a subscription gives service; keeps the billing records once it has ended", async () => {
    const A = "billed@list.test";
    await create(A, "billed-pw-1");
    const sub = await admin("POST", "/subscriptions", {
      mailbox: A,
      customer: { kind: "business", name: "Billed SARL", email: "billing@billed.test" },
    });
    expect(sub.status).toBe(201);
    const { id } = (await sub.json()) as { id: string };
    const refused = await admin("DELETE", mbx(A));
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain(id);
    // End it (as the state machine's terminal state), then delete.
    await env.DB.prepare("UPDATE subscriptions SET status = 'terminated' WHERE id = ?").bind(id).run();
    const res = await admin("DELETE", mbx(A));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { d1_rows_deleted: Record<string, number> }).d1_rows_deleted).toEqual({
      accounts: 1,
      mailbox_backends: 0,
      mailboxes: 0,
    });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM subscriptions WHERE id = ?").bind(id).first("n")).toBe(1);
    // The order was invoiced at once (contract §6): the invoice and the order stay too.
    expect(await env.DB.prepare("SELECT count(*) AS n FROM invoices WHERE subscription_id = ?").bind(id).first("n")).toBe(1);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM orders WHERE subscription_id = ?").bind(id).first("n")).toBe(1);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM mailboxes WHERE address = ?").bind(A).first("n")).toBe(1);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM accounts WHERE address = ?").bind(A).first("n")).toBe(0);
  });
});

describe("the end of a contract", () => {
  it("the daily job erases a mailbox whose subscriptions ended more than MAILBOX_RETENTION_DAYS ago, once", async () => {
    const { runScheduled } = await import("../../src/service/cron");
    const OLD = "ended-long-ago@list.test";
    const RECENT = "ended-recently@list.test";
    const ids: Record<string, string> = {};
    for (const [a, n] of [
      [OLD, 1],
      [RECENT, 2],
    ] as const) {
      await create(a, "ended-pw-1");
      const sub = await admin("POST", "/subscriptions", {
        mailbox: a,
        customer: { kind: "business", name: `Ended ${n}`, email: `b${n}@ended.test` },
      });
      ids[a] = ((await sub.json()) as { id: string }).id;
    }
    const day = 86_400_000;
    await env.DB.prepare("UPDATE subscriptions SET status = 'terminated', ended_at = ? WHERE id = ?")
      .bind(Date.now() - 31 * day, ids[OLD])
      .run();
    await env.DB.prepare("UPDATE subscriptions SET status = 'terminated', ended_at = ? WHERE id = ?")
      .bind(Date.now() - 5 * day, ids[RECENT])
      .run();
    const run = await runScheduled({ cron: "0 3 * * *", scheduledTime: Date.now() }, env);
    expect(run.counts.mailboxesErased).toBe(1);
    expect(run.errors).toEqual([]); // state pushes to the mailboxes deleted above reach fresh, empty objects
    expect(await env.DB.prepare("SELECT count(*) AS n FROM accounts WHERE address = ?").bind(OLD).first("n")).toBe(0);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM accounts WHERE address = ?").bind(RECENT).first("n")).toBe(1);
    const audit = await (await admin("GET", `/audit?subject=${encodeURIComponent(`mailbox:${OLD}`)}`)).text();
    expect(audit).toContain("contract ended more than 30 days ago");
    expect((await runScheduled({ cron: "0 3 * * *", scheduledTime: Date.now() }, env)).counts.mailboxesErased).toBe(0);
  });
});
