// Admin bulk import of an mbox archive (issue 15 target 5): streamed, filed in batches (one RPC, one transaction
// each) into the built-in store with the full-text index, large parts in R2; one result per message; posting the
// archive again (after a cut) imports only what is missing; hostile input is a 4xx, never a 5xx.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { makeAdminApp } from "../../src/admin";
import type { Mailbox } from "../../src/mailbox/mailbox";

const TOKEN = "test-admin-token"; // vitest.config.ts binding
const BASE = "https://mail.example.test/admin/v1";
let n = 0;
const unique = () => `imp${++n}-${crypto.randomUUID().slice(0, 6)}@example.test`;

async function newMailbox(): Promise<string> {
  const address = unique();
  const r = await exports.default.fetch(
    new Request(`${BASE}/mailboxes`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ address, password: "pw" }),
    }),
  );
  expect(r.status).toBe(201);
  return address;
}

type Report = {
  messages: number;
  imported: number;
  duplicates: number;
  skipped: number;
  batches: number;
  results: { n: number; status: string; item_id?: string; folder_id?: string; reason?: string }[];
};

async function post(address: string, body: BodyInit, query = "", vars: Record<string, string> = {}, headers: Record<string, string> = {}) {
  const init = { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/mbox", ...headers }, body };
  const path = `/mailboxes/${encodeURIComponent(address)}/import${query}`;
  const res = Object.keys(vars).length
    ? await makeAdminApp().request(path, init, { ...env, ...vars } as unknown as Env)
    : await exports.default.fetch(new Request(BASE + path, init));
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : undefined) as Report & { title?: string; detail?: string } };
}

const DATE = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toUTCString();

function message(i: number, extra = ""): string {
  return (
    `From: Sender ${i} <s${i}@example.test>\nTo: me@example.test\nSubject: Archived ${i}\nDate: ${DATE(i)}\n` +
    `Message-ID: <archived-${i}@example.test>\n${extra}\nBody of archived message ${i}, word zebra${i}.\nFrom the desk of ${i}\n`
  );
}

function mbox(messages: string[]): string {
  return messages.map((m) => `From sender@example.test Mon Jan  1 00:00:00 2024\n${m.replace(/^(>*From )/gm, ">$1")}\n`).join("");
}

function bigAttachmentMessage(bytes: number): string {
  const data = "A".repeat(Math.ceil((bytes * 4) / 3)).replace(/.{76}/g, "$&\n");
  return (
    `From: big@example.test\nSubject: With a big file\nDate: ${DATE(0)}\nMessage-ID: <big@example.test>\nMIME-Version: 1.0\n` +
    `Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nSee the file.\n--b\n` +
    `Content-Type: application/octet-stream; name="f.bin"\nContent-Disposition: attachment; filename="f.bin"\n` +
    `Content-Transfer-Encoding: base64\n\n${data}\n--b--\n`
  );
}

describe("POST /mailboxes/{address}/import", () => {
  it("files an archive in batches with one result per message; the same archive again (or after a cut) doubles nothing", async () => {
    const address = await newMailbox();
    const noId = `From: x@example.test\nSubject: no id\nDate: ${DATE(5)}\n\nA message without Message-ID.\n`;
    const garbage = "\u0000\u0001\u0002 not a mail at all \u00ff\n\n\n--\n";
    const msgs = [
      ...Array.from({ length: 300 }, (_, i) => message(i)),
      noId,
      message(7), // the same message twice in one archive
      "", // an empty message
      garbage,
      bigAttachmentMessage(400_000),
    ];
    const archive = mbox(msgs);
    // The first 120 messages only (a cut), then the whole archive.
    const cut = await post(address, mbox(msgs.slice(0, 120)));
    expect(cut.status).toBe(200);
    expect(cut.json).toMatchObject({ messages: 120, imported: 120, duplicates: 0, skipped: 0, batches: 1 });

    const first = await post(address, archive);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ messages: msgs.length, imported: 300 - 120 + 3, duplicates: 120 + 1, skipped: 1 });
    expect(first.json.batches).toBeGreaterThanOrEqual(2); // at most 250 messages per batch
    const r = first.json.results;
    expect(r.map((x) => x.n)).toEqual(msgs.map((_, i) => i + 1));
    expect(r[0]).toMatchObject({ status: "duplicate", item_id: cut.json.results[0].item_id });
    expect(r[200]).toMatchObject({ status: "imported", folder_id: "1" });
    expect(r[300].status).toBe("imported"); // no Message-ID
    expect(r[301]).toMatchObject({ status: "duplicate", item_id: r[7].item_id });
    expect(r[302]).toEqual({ n: 303, status: "skipped", reason: "empty message" });
    expect(r[303].status).toBe("imported"); // not MIME: stored as text (issue 13: store first)
    expect(r[304].status).toBe("imported");

    const again = await post(address, archive);
    expect(again.json).toMatchObject({ messages: msgs.length, imported: 0, duplicates: msgs.length - 1, skipped: 1 });
    expect(again.json.results[300].item_id).toBe(r[300].item_id); // by the bytes' hash: no Message-ID to go by

    await runInDurableObject(env.MAILBOX.getByName(address), async (mb: Mailbox, state) => {
      const sql = state.storage.sql;
      expect(sql.exec<{ n: number }>(`SELECT count(*) AS n FROM items WHERE folder = 1`).one().n).toBe(303);
      // In the full-text index, in the same transactions.
      const hit = sql.exec<{ n: number }>(`SELECT count(*) AS n FROM mail_fts WHERE mail_fts MATCH 'zebra123'`).one().n;
      expect(hit).toBe(1);
      // Arrival time is the Date header; the attachment went to R2 and comes back.
      const s = (await mb.store.getSummary("1", r[200].item_id!))!;
      expect(s.received).toBe(Date.parse(DATE(200)));
      expect(s.subject).toBe("Archived 200");
      const big = (await mb.store.getSummary("1", r[304].item_id!))!;
      const att = (await mb.store.getAttachment("1", big.itemId, big.attachments[0].partId))!;
      expect(att.data.byteLength).toBeGreaterThanOrEqual(400_000);
      const listed = await env.BLOBS.list({ prefix: `mbx/${state.id.toString()}/` });
      expect(listed.objects.some((o) => o.key.endsWith("/part-1") || /part-/.test(o.key))).toBe(true);
      // mboxrd unescaping: the body's "From the desk" line comes back as written.
      const body = (await mb.store.getBody("1", r[5].item_id!, "plain"))!;
      expect(body.data).toContain("\nFrom the desk of 5");
    });
  }, 60_000);

  it("into Sent Items; a message over the size limit is skipped, the rest stands", async () => {
    const address = await newMailbox();
    const huge = message(1, "X-Pad: " + "p".repeat(6000) + "\n");
    const res = await post(address, mbox([message(0), huge, message(2)]), "?folder=sent", { MAX_SEND_BYTES: "5000" });
    expect(res.status).toBe(200);
    expect(res.json.results.map((x) => x.status)).toEqual(["imported", "skipped", "imported"]);
    expect(res.json.results[1].reason).toMatch(/larger than the message-size limit of 5000 bytes/);
    expect(res.json.results[0].folder_id).not.toBe("1");
  });

  it("hostile input is a 4xx: not an mbox, unknown mailbox, bad folder, too large declared or streamed", async () => {
    const address = await newMailbox();
    expect((await post(address, "Subject: a bare message\n\nhi\n")).json).toMatchObject({ status: 400, title: "Not an mbox archive" });
    expect((await post(address, "")).status).toBe(400);
    expect((await post("nobody@example.test", mbox([message(1)]))).status).toBe(404);
    expect((await post(address, mbox([message(1)]), "?folder=calendar")).status).toBe(400);
    const body = mbox(Array.from({ length: 50 }, (_, i) => message(i)));
    const declared = await post(address, body, "", { IMPORT_MAX_BYTES: "1000" });
    expect(declared.status).toBe(413);
    // Streamed without a length: cut where the limit is passed, with the results so far.
    const bytes = new TextEncoder().encode(body);
    const stream = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (let i = 0; i < bytes.length; i += 512) ctl.enqueue(bytes.subarray(i, i + 512));
        ctl.close();
      },
    });
    const streamed = await post(address, stream, "", { IMPORT_MAX_BYTES: "4000" });
    expect(streamed.status).toBe(413);
    expect(streamed.json.imported).toBeGreaterThan(0);
    expect(streamed.json.imported).toBeLessThan(50);
    expect(streamed.json.results).toHaveLength(streamed.json.messages);
    // One endless line: refused at the limit, not read to its end.
    const endless = new ReadableStream<Uint8Array>({
      pull(ctl) {
        ctl.enqueue(new Uint8Array(1024).fill(0x78));
      },
    });
    expect((await post(address, endless, "", { IMPORT_MAX_BYTES: "8000" })).status).toBe(413);
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await (await exports.default.fetch(new Request(BASE + "/openapi.json"))).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain("/mailboxes/{address}/import");
  });
});
