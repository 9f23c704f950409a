// Issue 8 §1: an admin bridges a mailbox through POST /admin/v1/mailboxes {address, backend}; D1 (directory,
// push webhook) and the mailbox object (its stores) both get the backend; GET shows it with the Dovecot push
// driver URL; PUT re-points it. Exactly one of password/backend; plain connections only to loopback.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { D1UserDirectory } from "../../src/service/directory";
import { oxSecret } from "../../src/service/mailbox-backends";

const BASE = "https://sync.example.test/admin/v1";

async function api(method: string, path: string, body?: unknown) {
  const res = await exports.default.fetch(
    new Request(BASE + path, {
      method,
      headers: { authorization: "Bearer test-admin-token", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

let n = 0;
const unique = () => `user${++n}-${crypto.randomUUID().slice(0, 6)}@bridged.example`;

const backend = (over: Record<string, unknown> = {}) => ({
  kind: "imap",
  imap: { host: "imap.provider.example", port: 993, tls: "implicit" },
  smtp: { host: "smtp.provider.example", port: 587, tls: "starttls" },
  ...over,
});

describe("POST /admin/v1/mailboxes with a backend", () => {
  it("writes mailbox_backends, mailboxes, domains and an audit row, and hands the backend to the mailbox object", async () => {
    const address = unique();
    const r = await api("POST", "/mailboxes", {
      address: address.toUpperCase(),
      backend: backend({ dav: { url: "https://dav.provider.example/" }, push: "notify" }),
    });
    expect(r.status).toBe(201);
    const expected = {
      kind: "imap",
      imap: { host: "imap.provider.example", port: 993, tls: "implicit" },
      smtp: { host: "smtp.provider.example", port: 587, tls: "starttls", auth: "account" },
      dav: { url: "https://dav.provider.example/" },
      push: "notify",
    };
    expect(r.json).toEqual({ address, backend: expected });
    const row = await env.DB.prepare("select * from mailbox_backends where address = ?").bind(address).first<Record<string, unknown>>();
    expect(row).toMatchObject({
      kind: "imap",
      imap_host: "imap.provider.example",
      imap_port: 993,
      imap_tls: "implicit",
      smtp_auth: "account",
      dav_url: "https://dav.provider.example/",
      push: "notify",
      failed_attempts: 0,
      locked_until: null,
    });
    expect(await env.DB.prepare("select domain from mailboxes where address = ?").bind(address).first("domain")).toBe("bridged.example");
    expect(await env.DB.prepare("select status from domains where name = 'bridged.example'").first("status")).toBe("active");
    expect(await env.DB.prepare("select count(*) as n from accounts where address = ?").bind(address).first("n")).toBe(0);
    const audit = await env.DB.prepare("select action, after from audit_log where subject = ?")
      .bind(`mailbox:${address}`)
      .first<{ action: string; after: string }>();
    expect(audit?.action).toBe("mailbox.created");
    expect(JSON.parse(audit!.after)).toMatchObject({ backend: expected });
    expect(await env.MAILBOX.getByName(address).getBackend()).toEqual(expected);
  });

  it('defaults: push "poll" (works with any server), smtp auth "account", no DAV; host names in lower case', async () => {
    const address = unique();
    const r = await api("POST", "/mailboxes", {
      address,
      backend: backend({ imap: { host: "IMAP.Provider.EXAMPLE", port: 143, tls: "starttls" } }),
    });
    expect(r.status).toBe(201);
    expect(await env.MAILBOX.getByName(address).getBackend()).toEqual({
      kind: "imap",
      imap: { host: "imap.provider.example", port: 143, tls: "starttls" },
      smtp: { host: "smtp.provider.example", port: 587, tls: "starttls", auth: "account" },
      push: "poll",
    });
  });

  it("exactly one of password and backend (400 naming the rule)", async () => {
    const both = await api("POST", "/mailboxes", { address: unique(), password: "pw", backend: backend() });
    expect(both.status).toBe(400);
    expect(both.json.detail).toMatch(/exactly one of password .* or backend/);
    expect((await api("POST", "/mailboxes", { address: unique() })).status).toBe(400);
  });

  it('tls "none" only to loopback, for IMAP and SMTP alike; DAV over http: only to loopback, never with credentials in the URL', async () => {
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ imap: { host: "imap.provider.example", port: 143, tls: "none" } }, /backend\.imap: .*only allowed to loopback/],
      [{ smtp: { host: "smtp.provider.example", port: 25, tls: "none" } }, /backend\.smtp: plain SMTP .*only allowed to loopback/],
      [{ dav: { url: "http://dav.provider.example/" } }, /backend\.dav\.url: plain http: is only allowed to loopback/],
      [{ dav: { url: "https://user:pw@dav.provider.example/" } }, /must not carry credentials/],
      [{ dav: { url: "ftp://dav.provider.example/" } }, /only https:/],
    ];
    for (const [over, message] of refused) {
      const address = unique();
      const r = await api("POST", "/mailboxes", { address, backend: backend(over) });
      expect(r.status, JSON.stringify(over)).toBe(400);
      expect(r.json.detail).toMatch(message);
      expect(await env.DB.prepare("select count(*) as n from mailbox_backends where address = ?").bind(address).first("n")).toBe(0);
      expect(await env.MAILBOX.getByName(address).getBackend()).toBeNull();
    }
    const schema: Record<string, unknown>[] = [
      { imap: { host: "imap.provider.example", port: 0, tls: "implicit" } },
      { imap: { host: "imap.provider.example", port: 993, tls: "ssl" } },
      { imap: { host: "bad host/name", port: 993, tls: "implicit" } },
      { kind: "pop3" },
      { push: "idle" },
      { extra: true },
    ];
    for (const over of schema)
      expect((await api("POST", "/mailboxes", { address: unique(), backend: backend(over) })).status, JSON.stringify(over)).toBe(400);
    const local = await api("POST", "/mailboxes", {
      address: unique(),
      backend: backend({
        imap: { host: "127.0.0.1", port: 1143, tls: "none" },
        smtp: { host: "localhost", port: 2525, tls: "none" },
        dav: { url: "http://127.0.0.1:5232/" },
      }),
    });
    expect(local.status).toBe(201);
  });

  it("409 for an address that already has a login, built in or bridged, either way round", async () => {
    const bridged = unique();
    expect((await api("POST", "/mailboxes", { address: bridged, backend: backend() })).status).toBe(201);
    const again = await api("POST", "/mailboxes", { address: bridged, backend: backend({ push: "notify" }) });
    expect(again.status).toBe(409);
    expect((await env.MAILBOX.getByName(bridged).getBackend())?.push).toBe("poll"); // the first one stands
    expect((await api("POST", "/mailboxes", { address: bridged, password: "pw" })).status).toBe(409);
    const builtin = unique();
    expect((await api("POST", "/mailboxes", { address: builtin, password: "pw" })).status).toBe(201);
    expect((await api("POST", "/mailboxes", { address: builtin, backend: backend() })).status).toBe(409);
    expect(await env.MAILBOX.getByName(builtin).getBackend()).toBeNull();
  });
});

describe("a mailbox object that already holds built-in mail", () => {
  it("cannot be bridged: 409, and nothing is left in D1", async () => {
    const address = unique();
    await env.MAILBOX.getByName(address).deliver(new TextEncoder().encode("From: a@example.test\r\nSubject: kept here\r\n\r\nx\r\n"));
    const r = await api("POST", "/mailboxes", { address, backend: backend() });
    expect(r.status).toBe(409);
    expect(r.json.detail).toMatch(/cannot be bridged/);
    expect(await env.DB.prepare("select count(*) as n from mailbox_backends where address = ?").bind(address).first("n")).toBe(0);
    expect(await env.MAILBOX.getByName(address).getBackend()).toBeNull();
  });
});

describe("GET /admin/v1/mailboxes/{address}", () => {
  it('shows the backend and, for push "notify", the OX driver URL: http(s)://<imap host>:<HMAC(NOTIFY_SECRET, "ox:"+host)>@<worker>/notify/ox', async () => {
    const address = unique();
    await api("POST", "/mailboxes", { address, backend: backend({ push: "notify" }) });
    const r = await api("GET", `/mailboxes/${address}`);
    expect(r.status).toBe(200);
    expect(r.json.account).toBeNull();
    const secret = await oxSecret("test-notify-secret", "imap.provider.example");
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const url = `https://imap.provider.example:${secret}@sync.example.test/notify/ox`;
    expect(r.json.backend).toMatchObject({
      kind: "imap",
      imap: { host: "imap.provider.example", port: 993, tls: "implicit" },
      push: "notify",
      locked_until: null,
      push_notification: { driver_url: url, dovecot: `push_notification_driver = ox:url=${url} user_from_metadata` },
    });
    // The secret depends on the server: another server's URL does not carry this one.
    expect(await oxSecret("test-notify-secret", "imap2.provider.example")).not.toBe(secret);
  });

  it('no driver URL for push "poll"; a built-in mailbox has no backend', async () => {
    const polled = unique();
    await api("POST", "/mailboxes", { address: polled, backend: backend() });
    expect((await api("GET", `/mailboxes/${polled}`)).json.backend).toMatchObject({ push: "poll", push_notification: null });
    // Its mail lives on the provider's servers: importing into the built-in store is refused.
    const imported = await exports.default.fetch(
      new Request(`${BASE}/mailboxes/${polled}/messages`, {
        method: "POST",
        headers: { authorization: "Bearer test-admin-token", "content-type": "message/rfc822" },
        body: "Subject: x\r\n\r\nx",
      }),
    );
    expect(imported.status).toBe(409);
    const builtin = unique();
    await api("POST", "/mailboxes", { address: builtin, password: "pw" });
    expect((await api("GET", `/mailboxes/${builtin}`)).json.backend).toBeNull();
  });
});

describe("PUT /admin/v1/mailboxes/{address}/backend", () => {
  it("re-points a bridged mailbox in D1 and in the object, with an audit row; 404 for a mailbox that is not bridged", async () => {
    const address = unique();
    await api("POST", "/mailboxes", { address, backend: backend() });
    const before = await env.DB.prepare("select updated_at from mailbox_backends where address = ?")
      .bind(address)
      .first<number>("updated_at");
    await new Promise((r) => setTimeout(r, 5));
    const next = backend({ imap: { host: "imap2.provider.example", port: 993, tls: "implicit" }, push: "notify" });
    const r = await api("PUT", `/mailboxes/${address}/backend`, next);
    expect(r.status).toBe(200);
    expect(r.json.backend).toMatchObject({ imap: { host: "imap2.provider.example" }, push: "notify" });
    const row = await env.DB.prepare("select imap_host, push, updated_at from mailbox_backends where address = ?")
      .bind(address)
      .first<Record<string, unknown>>();
    expect(row).toMatchObject({ imap_host: "imap2.provider.example", push: "notify" });
    expect(row!.updated_at as number).toBeGreaterThan(before!);
    expect((await env.MAILBOX.getByName(address).getBackend())?.imap.host).toBe("imap2.provider.example");
    expect(
      await env.DB.prepare("select count(*) as n from audit_log where subject = ? and action = 'mailbox.backend_changed'")
        .bind(`mailbox:${address}`)
        .first("n"),
    ).toBe(1);

    expect(
      (await api("PUT", `/mailboxes/${address}/backend`, backend({ imap: { host: "imap.provider.example", port: 143, tls: "none" } })))
        .status,
    ).toBe(400);
    const builtin = unique();
    await api("POST", "/mailboxes", { address: builtin, password: "pw" });
    expect((await api("PUT", `/mailboxes/${builtin}/backend`, backend())).status).toBe(404);
    expect(await env.MAILBOX.getByName(builtin).getBackend()).toBeNull();
  });

  it("DELETE …/backend makes it a built-in mailbox with the given password (the object forgets its backend); 404 when not bridged", async () => {
    const address = unique();
    await api("POST", "/mailboxes", { address, backend: backend() });
    expect((await api("DELETE", `/mailboxes/${address}/backend`, {})).status).toBe(400); // a login is required
    const r = await api("DELETE", `/mailboxes/${address}/backend`, { password: "now built in" });
    expect(r.status).toBe(200);
    expect(await env.DB.prepare("select count(*) as n from mailbox_backends where address = ?").bind(address).first("n")).toBe(0);
    expect(await env.MAILBOX.getByName(address).getBackend()).toBeNull();
    expect(await new D1UserDirectory(env.DB).authenticate(address, "now built in")).toEqual({ ok: true, address });
    expect((await api("GET", `/mailboxes/${address}`)).json).toMatchObject({ backend: null, account: { locked_until: null } });
    expect(
      await env.DB.prepare("select count(*) as n from audit_log where subject = ? and action = 'mailbox.unbridged'")
        .bind(`mailbox:${address}`)
        .first("n"),
    ).toBe(1);
    expect((await api("DELETE", `/mailboxes/${address}/backend`, { password: "again" })).status).toBe(404);
  });

  it("the OpenAPI document describes the backend", async () => {
    const doc = (await (await exports.default.fetch(new Request(BASE + "/openapi.json"))).json()) as {
      components: { schemas: Record<string, unknown> };
      paths: Record<string, unknown>;
    };
    expect(doc.components.schemas.BridgeBackend).toBeTruthy();
    expect(Object.keys(doc.paths["/mailboxes/{address}/backend"] as object).sort()).toEqual(["delete", "put"]);
  });
});
