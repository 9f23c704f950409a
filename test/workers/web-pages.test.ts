// The web pages (src/web/) inside workerd: sessions and their cookies, the CSRF locks, the console acting
// through the admin API, "My phones" with the phones' own directory and lockout, languages, money.
import { exports } from "cloudflare:workers";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { formatMoney, moneyText } from "../../src/formats/money";
import { createAccount, setPassword } from "../../src/service/directory";
import { observersSettled } from "../../src/http/observe";
import { explainCondition } from "../../src/web/explain";
import { pickLang } from "../../src/web/i18n";
import { newSession, openSession, sealSession, sessionSecret } from "../../src/web/session";
import { Phone } from "./helpers/onboard-phone";

const ORIGIN = "https://mail.example.test";
const TOKEN = "test-admin-token";

async function page(
  path: string,
  o: {
    method?: string;
    cookie?: string;
    form?: Record<string, string>;
    origin?: string | null;
    lang?: string;
    base?: string;
    /** The client's address as Cloudflare gives it (CF-Connecting-IP). */
    ip?: string;
  } = {},
) {
  const base = o.base ?? ORIGIN;
  const headers: Record<string, string> = {};
  if (o.cookie) headers.cookie = o.cookie;
  if (o.ip) headers["cf-connecting-ip"] = o.ip;
  if (o.lang) headers["accept-language"] = o.lang;
  if (o.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    if (o.origin !== null) headers.origin = o.origin ?? base;
  }
  const res = await exports.default.fetch(
    new Request(base + path, {
      method: o.method ?? (o.form ? "POST" : "GET"),
      headers,
      body: o.form ? new URLSearchParams(o.form).toString() : undefined,
      redirect: "manual",
    }),
  );
  return { res, html: await res.text() };
}

const cookieOf = (res: Response) => res.headers.get("set-cookie")?.split(";")[0] ?? "";
const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";

function api(method: string, path: string, body?: unknown) {
  return exports.default.fetch(
    new Request(`${ORIGIN}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

async function adminSession(base = ORIGIN) {
  const { res } = await page("/admin/login", { form: { token: TOKEN, name: "Zoé" }, base });
  expect(res.status).toBe(303);
  const cookie = cookieOf(res);
  const home = await page("/admin/", { cookie, base });
  return { cookie, csrf: csrfOf(home.html), setCookie: res.headers.get("set-cookie")! };
}

const OWNER = "web-owner@example.test";
const OWNER_PW = "owner pw";

beforeAll(async () => {
  await createAccount(env.DB, OWNER, OWNER_PW);
  await new Phone({ user: OWNER, password: OWNER_PW, deviceId: "WEBPHONE1", version: "16.1" }).provision(
    `<settings:DeviceInformation><settings:Set><settings:Model>iPhone16,1</settings:Model><settings:OS>iOS 18</settings:OS></settings:Set></settings:DeviceInformation>`,
  );
});

describe("support console sessions", () => {
  it("signs in with the admin token only; the cookie is __Host-, Secure, HttpOnly, SameSite=Strict over https", async () => {
    const signin = await page("/admin/");
    expect(signin.res.status).toBe(200);
    expect(signin.html).toContain('<label for="token">');
    expect(signin.res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const wrong = await page("/admin/login", { form: { token: "nope" } });
    expect(wrong.res.status).toBe(401);
    expect(wrong.res.headers.get("set-cookie")).toBeNull();
    const { setCookie } = await adminSession();
    expect(setCookie).toMatch(/^__Host-ms-admin=[^;]+; Max-Age=28800; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
  });

  it("the token sign-in has a budget per client address: past 10 failures in 15 minutes even the right token is refused", async () => {
    const ip = "203.0.113.7";
    for (let i = 0; i < 10; i++) expect((await page("/admin/login", { form: { token: `guess-${i}` }, ip })).res.status).toBe(401);
    for (const token of ["guess-10", TOKEN]) {
      const locked = await page("/admin/login", { form: { token }, ip });
      expect(locked.res.status).toBe(429);
      expect(Number(locked.res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(locked.res.headers.get("set-cookie")).toBeNull();
      expect(locked.html).toContain("Too many wrong tokens");
    }
    // Another address is not affected; a success gives its attempt back, so staff signing in often never run out.
    for (let i = 0; i < 12; i++) expect((await page("/admin/login", { form: { token: TOKEN }, ip: "203.0.113.8" })).res.status).toBe(303);
    expect((await page("/admin/login", { form: { token: "one-typo" }, ip: "203.0.113.8" })).res.status).toBe(401);
  });

  it("a new admin token ends console sessions even with SESSION_SECRET set; customer sessions keep theirs", async () => {
    const before = { SESSION_SECRET: "s", ADMIN_TOKEN: "old" } as unknown as Env;
    const after = { SESSION_SECRET: "s", ADMIN_TOKEN: "new" } as unknown as Env;
    const now = Date.now();
    const admin = await sealSession(sessionSecret(before, "admin")!, newSession("admin", "sam", now));
    expect(await openSession(sessionSecret(before, "admin")!, "admin", admin, now)).not.toBeNull();
    expect(await openSession(sessionSecret(after, "admin")!, "admin", admin, now)).toBeNull();
    const my = await sealSession(sessionSecret(before, "my")!, newSession("my", OWNER, now));
    expect(await openSession(sessionSecret(after, "my")!, "my", my, now)).not.toBeNull();
    expect(await openSession(sessionSecret(after, "my")!, "my", my, now + 3 * 3_600_000)).toBeNull(); // 2 h
    expect(await openSession(sessionSecret(after, "admin")!, "admin", my, now)).toBeNull();
    expect(sessionSecret({} as Env, "my")).toBeNull();
  });

  it("over http only on loopback (no Secure, no __Host- prefix); plain http elsewhere is refused", async () => {
    const { setCookie, cookie } = await adminSession("http://127.0.0.1:8787");
    expect(setCookie).toMatch(/^ms-admin=/);
    expect(setCookie).not.toContain("Secure");
    expect((await page("/admin/", { cookie, base: "http://127.0.0.1:8787" })).html).toContain("Find a mailbox");
    const far = await page("/admin/login", { form: { token: TOKEN }, base: "http://mail.example.test" });
    expect(far.res.status).toBe(403);
    expect(far.res.headers.get("set-cookie")).toBeNull();
  });

  it("refuses a POST without the form token, from another origin, or with a forged cookie", async () => {
    const { cookie, csrf } = await adminSession();
    const form = { address: OWNER, device: "WEBPHONE1", op: "block" };
    expect((await page("/admin/device", { cookie, form })).res.status).toBe(403);
    expect((await page("/admin/device", { cookie, form: { ...form, _csrf: csrf }, origin: "https://evil.example" })).res.status).toBe(403);
    expect((await page("/admin/device", { cookie, form: { ...form, _csrf: csrf }, origin: null })).res.status).toBe(403);
    const forged = `${cookie.slice(0, -3)}abc`;
    expect((await page("/admin/device", { cookie: forged, form: { ...form, _csrf: csrf } })).res.status).toBe(403);
    // A form is at most 16 KiB, and must be a form.
    expect((await page("/my/login", { form: { address: OWNER, password: "x".repeat(20_000) } })).res.status).toBe(400);
    const json = await exports.default.fetch(
      new Request(`${ORIGIN}/my/login`, { method: "POST", headers: { origin: ORIGIN, "content-type": "application/json" }, body: "{}" }),
    );
    expect(json.status).toBe(400);
    // An admin cookie is not a customer session.
    expect((await page("/my/", { cookie: cookie.replace("ms-admin", "ms-my") })).html).toContain('name="password"');
    const devices = (await (await api("GET", `/mailboxes/${OWNER}/devices`)).json()) as { devices: { access: { state: string } }[] };
    expect(devices.devices[0]!.access.state).toBe("allowed");
  });

  it("leaves the admin API's paths alone (no console headers or CSRF refusal under /admin/v1)", async () => {
    const r = await api("POST", "/no-such-route", {});
    expect(r.status).toBe(404);
    expect(r.headers.get("content-security-policy")).toBeNull();
    const ok = await api("GET", `/mailboxes/${OWNER}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-security-policy")).toBeNull();
  });
});

describe("support console actions go through the admin API", () => {
  it("blocks and allows a device by its DeviceId rule; the phone is refused, then served", async () => {
    const { cookie, csrf } = await adminSession();
    const mbx = await page(`/admin/mailbox?address=${encodeURIComponent(OWNER)}`, { cookie });
    expect(mbx.res.status).toBe(200);
    expect(mbx.html).toContain("WEBPHONE1");
    expect(mbx.html).toContain("iPhone16,1");
    const block = await page("/admin/device", { cookie, form: { address: OWNER, device: "WEBPHONE1", op: "block", _csrf: csrf } });
    expect(block.res.status).toBe(303);
    expect(block.res.headers.get("location")).toBe(`/admin/mailbox?address=${encodeURIComponent(OWNER)}&done=block`);
    const rules = (await (await api("GET", `/mailboxes/${OWNER}/device-rules`)).json()) as { rules: Record<string, string>[] };
    expect(rules.rules).toMatchObject([{ kind: "device-id", pattern: "WEBPHONE1", access: "blocked" }]);
    const phone = new Phone({ user: OWNER, password: OWNER_PW, deviceId: "WEBPHONE1", version: "16.1" });
    expect((await phone.send("FolderSync", `<FolderSync xmlns="FolderHierarchy"><SyncKey>0</SyncKey></FolderSync>`)).xml).toContain(
      "<Status>129</Status>",
    );
    // Recorded in the audit log by the admin API, under the name given at sign-in (accents dropped for the header).
    const audit = (await (await api("GET", `/audit?subject=${encodeURIComponent(`mailbox:${OWNER}`)}`)).json()) as {
      entries: { actor: string; action: string; after: Record<string, string> }[];
    };
    expect(audit.entries[0]).toMatchObject({ actor: "admin:console:Zoe", action: "device_rule.added", after: { access: "blocked" } });
    const shown = await page(`/admin/mailbox?address=${encodeURIComponent(OWNER)}&done=block`, { cookie });
    expect(shown.html).toContain("The device is blocked.");
    expect(shown.html).toContain('<span class="badge bad">blocked</span>');

    expect(
      (await page("/admin/device", { cookie, form: { address: OWNER, device: "WEBPHONE1", op: "allow", _csrf: csrf } })).res.status,
    ).toBe(303);
    const after = (await (await api("GET", `/mailboxes/${OWNER}/device-rules`)).json()) as { rules: Record<string, string>[] };
    expect(after.rules).toMatchObject([{ kind: "device-id", pattern: "WEBPHONE1", access: "allowed" }]);
    expect((await phone.send("FolderSync", `<FolderSync xmlns="FolderHierarchy"><SyncKey>0</SyncKey></FolderSync>`)).status).toBe(200);
    await page("/admin/device", { cookie, form: { address: OWNER, device: "WEBPHONE1", op: "forget-rule", _csrf: csrf } });
    expect(((await (await api("GET", `/mailboxes/${OWNER}/device-rules`)).json()) as { rules: unknown[] }).rules).toEqual([]);
  });

  it("releases a quarantined device (the mailbox quarantines new devices)", async () => {
    const address = "quarantine-web@example.test";
    await createAccount(env.DB, address, "pw");
    expect((await api("PUT", `/mailboxes/${address}/device-rules/default`, { access: "quarantined" })).status).toBe(200);
    const p = new Phone({ user: address, password: "pw", deviceId: "NEWPHONE", version: "16.1" });
    await p.provision();
    const { cookie, csrf } = await adminSession();
    const before = await page(`/admin/mailbox?address=${encodeURIComponent(address)}`, { cookie });
    expect(before.html).toContain('<span class="badge warn">quarantined</span>');
    expect(before.html).toContain("Release from quarantine");
    expect((await page("/admin/device", { cookie, form: { address, device: "NEWPHONE", op: "release", _csrf: csrf } })).res.status).toBe(
      303,
    );
    const d = (await (await api("GET", `/mailboxes/${address}/devices/NEWPHONE`)).json()) as { access: { state: string } };
    expect(d.access.state).toBe("allowed");
    expect((await p.send("FolderSync", `<FolderSync xmlns="FolderHierarchy"><SyncKey>0</SyncKey></FolderSync>`)).status).toBe(200);
  });

  it("each device shows its quirks and a traces panel: start, the stored exchanges with downloads, stop (admin API traces routes)", async () => {
    const address = "traced-web@example.test";
    await createAccount(env.DB, address, "pw");
    const p = new Phone({ user: address, password: "pw", deviceId: "TRACEDWEB", version: "16.1" });
    await p.provision();
    const { cookie, csrf } = await adminSession();
    const url = `/admin/mailbox?address=${encodeURIComponent(address)}`;
    const before = await page(url, { cookie });
    // src/eas/quirks.ts: an iPhone (DeviceType iPhone) gets the iOS contact conventions.
    expect(before.html).toMatch(/<dd data-quirks[^>]*><ul[^>]*><li><code>ios-contacts<\/code>/);
    expect(before.html).toContain("Protocol traces (off, 0 stored)");
    const start = await page("/admin/device", {
      cookie,
      form: { address, device: "TRACEDWEB", op: "trace-start", minutes: "30", reason: "customer call 4711", _csrf: csrf },
    });
    expect(start.res.status).toBe(303);
    const listing = async () =>
      (await (await api("GET", `/mailboxes/${address}/traces`)).json()) as {
        sessions: { target: string; active: boolean; until: string; started_at: string }[];
        files: { key: string; part: string; cmd: string }[];
      };
    const s = (await listing()).sessions.find((x) => x.target === "TRACEDWEB")!;
    expect(s.active).toBe(true);
    expect(Date.parse(s.until) - Date.parse(s.started_at)).toBe(30 * 60_000);
    expect((await p.send("FolderSync", `<FolderSync xmlns="FolderHierarchy"><SyncKey>0</SyncKey></FolderSync>`)).status).toBe(200);
    await observersSettled(); // its trace is stored after the answer left
    const shown = await page(url, { cookie });
    expect(shown.html).toContain("Protocol traces (on, 1 stored)");
    expect(shown.html).toContain("<td>FolderSync</td>");
    const text = (await listing()).files.find((f) => f.part === "text" && f.cmd === "FolderSync")!;
    const link = `/admin/trace?address=${encodeURIComponent(address)}&amp;key=${encodeURIComponent(text.key)}`;
    expect(shown.html).toContain(link);
    const dl = await page(link.replaceAll("&amp;", "&"), { cookie });
    expect(dl.res.status).toBe(200);
    expect(dl.res.headers.get("content-type")).toContain("text/plain");
    expect(dl.html).toContain("POST /Microsoft-Server-ActiveSync?Cmd=FolderSync");
    expect(dl.html).toMatch(/^authorization: Basic \[credentials removed\]$/im);
    // Only with a session: the file is not served to anyone else.
    expect((await page(link.replaceAll("&amp;", "&"))).res.status).toBe(303);
    expect(
      (await page("/admin/device", { cookie, form: { address, device: "TRACEDWEB", op: "trace-stop", _csrf: csrf } })).res.status,
    ).toBe(303);
    expect((await listing()).sessions.find((x) => x.target === "TRACEDWEB")!.active).toBe(false);
    const audit = (await (await api("GET", `/audit?subject=${encodeURIComponent(`mailbox:${address}`)}`)).json()) as {
      entries: { actor: string; action: string; after: { reason?: string } | null }[];
    };
    expect(audit.entries.map((e) => e.action)).toEqual(expect.arrayContaining(["trace.started", "trace.stopped"]));
    expect(audit.entries.find((e) => e.action === "trace.started")).toMatchObject({
      actor: "admin:console:Zoe",
      after: { reason: "customer call 4711" },
    });
  });

  it("remote wipe and account-only wipe (16.1) reach the phone; a pending wipe can be cancelled", async () => {
    const address = "wipes-web@example.test";
    await createAccount(env.DB, address, "pw");
    const p = new Phone({ user: address, password: "pw", deviceId: "BYODWEB", version: "16.1" });
    await p.provision();
    const { cookie, csrf } = await adminSession();
    const act = (op: string) => page("/admin/device", { cookie, form: { address, device: "BYODWEB", op, _csrf: csrf } });
    const wipeState = async () =>
      ((await (await api("GET", `/mailboxes/${address}/devices/BYODWEB`)).json()) as { wipe: { state: string } }).wipe.state;
    const html = (await page(`/admin/mailbox?address=${encodeURIComponent(address)}`, { cookie })).html;
    expect(html).toContain("Remote wipe (whole phone)");
    expect(html).toContain("Account-only wipe");
    expect((await act("wipe")).res.status).toBe(303);
    expect(await wipeState()).toBe("pending");
    expect((await page(`/admin/mailbox?address=${encodeURIComponent(address)}`, { cookie })).html).toContain("Cancel wipe");
    expect((await act("cancel-wipe")).res.status).toBe(303);
    expect(await wipeState()).toBe("none");
    expect((await act("wipe-account")).res.status).toBe(303);
    expect(await wipeState()).toBe("account-only-pending");
    // The phone meets it: Status 140, then Provision carries AccountOnlyRemoteWipe ([MS-ASPROV] 2.2.2.1) — MS-ASPROV_R6906
    expect((await p.send("FolderSync", `<FolderSync xmlns="FolderHierarchy"><SyncKey>0</SyncKey></FolderSync>`)).xml).toContain(
      "<Status>140</Status>",
    );
    const directive = await p.send(
      "Provision",
      `<Provision xmlns="Provision"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies></Provision>`,
    );
    expect(directive.xml).toMatch(/<AccountOnlyRemoteWipe\/>/);
    expect(directive.xml).not.toContain("<RemoteWipe/>");
    const audit = (await (await api("GET", `/audit?subject=${encodeURIComponent(`mailbox:${address}`)}`)).json()) as {
      entries: { actor: string; action: string }[];
    };
    expect(audit.entries.slice(0, 3).map((e) => e.action)).toEqual([
      "device.wipe_requested",
      "device.wipe_cancelled",
      "device.wipe_requested",
    ]);
  });

  it("shows the API's refusal on the page (account-only wipe of a 14.1 device: 409)", async () => {
    await new Phone({ user: OWNER, password: OWNER_PW, deviceId: "OLDPHONE", version: "14.1" }).provision();
    const { cookie, csrf } = await adminSession();
    const r = await page("/admin/device", { cookie, form: { address: OWNER, device: "OLDPHONE", op: "wipe-account", _csrf: csrf } });
    expect(r.res.status).toBe(409);
    expect(r.html).toContain("account-only wipe needs 16.1");
    expect(
      (await page("/admin/device", { cookie, form: { address: OWNER, device: "OLDPHONE", op: "remove", _csrf: csrf } })).res.status,
    ).toBe(303);
  });

  it("subscription actions: a notice of illicit use, the customer's answer, resume, suspend with a note the customer reads", async () => {
    const address = "notice-web@example.test";
    await createAccount(env.DB, address, "pw");
    const sub = (await (
      await api("POST", "/subscriptions", { mailbox: address, customer: { kind: "business", name: "N", email: address } })
    ).json()) as { id: string; price: { amount: number; currency: string } };
    await api("POST", `/subscriptions/${sub.id}/payments`, { ...sub.price, reference: "n1" });
    const { cookie, csrf } = await adminSession();
    const act = (form: Record<string, string>) =>
      page("/admin/subscription", { cookie, form: { address, sub: sub.id, _csrf: csrf, ...form } });
    const status = async () => ((await (await api("GET", `/subscriptions/${sub.id}`)).json()) as { status: string }).status;

    expect(
      (await act({ op: "notice", from_name: "Rights Holder", from_email: "legal@rights.example", description: "copies of our films" })).res
        .status,
    ).toBe(303);
    expect(await status()).toBe("suspended");
    const owner = await page("/my/", { cookie: cookieOf((await page("/my/login", { form: { address, password: "pw" } })).res) });
    expect(owner.html).toContain("reported illicit use");
    const mbx = await page(`/admin/mailbox?address=${encodeURIComponent(address)}`, { cookie });
    expect(mbx.html).toContain("copies of our films");
    const noticeId = /name="notice" value="([^"]+)"/.exec(mbx.html)![1]!;
    expect((await act({ op: "answer", notice: noticeId, answer: "licensed copies", documentation: "licence #42" })).res.status).toBe(303);
    const notices = (await (await api("GET", `/subscriptions/${sub.id}/notices`)).json()) as { notices: { answers: unknown[] }[] };
    expect(notices.notices[0]!.answers).toMatchObject([{ answer: "licensed copies", compliance_documentation: "licence #42" }]);

    expect((await act({ op: "resume", why: "documentation received" })).res.status).toBe(303);
    expect(await status()).toBe("active");
    expect((await act({ op: "suspend", reason: "other", note: "unpaid bank transfer fees" })).res.status).toBe(303);
    expect(await status()).toBe("suspended");
    const again = await page("/my/", { cookie: cookieOf((await page("/my/login", { form: { address, password: "pw" } })).res) });
    expect(again.html).toContain("unpaid bank transfer fees");
    // Refused by the API (already suspended for that reason): the page says why, with the API's status.
    const twice = await act({ op: "suspend", reason: "other", note: "again" });
    expect(twice.res.status).toBe(409);
    expect(twice.html).toContain("already suspended for other");
  });

  it("an unknown mailbox is a 404 page", async () => {
    const { cookie } = await adminSession();
    const r = await page("/admin/mailbox?address=nobody%40example.test", { cookie });
    expect(r.res.status).toBe(404);
    expect(r.html).toContain("No mailbox nobody@example.test.");
  });
});

describe("money is money", () => {
  it("minor units by the currency's own digits; the reader's locale on pages", () => {
    expect(moneyText(2400, "EUR")).toBe("24.00 EUR");
    expect(moneyText(5, "eur")).toBe("0.05 EUR");
    expect(moneyText(-1250, "EUR")).toBe("-12.50 EUR");
    expect(moneyText(2400, "JPY")).toBe("2400 JPY");
    expect(moneyText(1234, "KWD")).toBe("1.234 KWD");
    expect(formatMoney(2400, "EUR", "en-GB")).toBe("€24.00");
    expect(formatMoney(2400, "EUR", "fr-FR").replace(/\s/g, " ")).toBe("24,00 €");
    expect(formatMoney(2400, "XX", "fr-FR")).toBe("24.00 XX");
  });

  it("the admin API's mismatch message reads 24.00 EUR, and the console shows €24.00", async () => {
    const address = "money@example.test";
    await createAccount(env.DB, address, "pw");
    const sub = (await (
      await api("POST", "/subscriptions", { mailbox: address, customer: { kind: "consumer", name: "M", email: address } })
    ).json()) as { id: string };
    const r = await api("POST", `/subscriptions/${sub.id}/payments`, { amount: 24, currency: "EUR", reference: "x" });
    expect(r.status).toBe(422);
    expect(((await r.json()) as { detail: string }).detail).toMatch(/is 24\.00 EUR; payment is 0\.24 EUR$/);
    const { cookie } = await adminSession();
    const html = (await page(`/admin/mailbox?address=${encodeURIComponent(address)}`, { cookie })).html;
    expect(html).toContain("€24.00");
    expect(html).not.toContain(">2400<");
  });

  it("the subscription panel: state, term, the invoice and payment as money, the suspension history, the audit log", async () => {
    const address = "panel@example.test";
    await createAccount(env.DB, address, "pw");
    const sub = (await (
      await api("POST", "/subscriptions", { mailbox: address, customer: { kind: "business", name: "Panel SARL", email: address } })
    ).json()) as { id: string; price: { amount: number; currency: string } };
    expect((await api("POST", `/subscriptions/${sub.id}/payments`, { ...sub.price, reference: "card-panel" })).status).toBe(200);
    expect((await api("POST", `/subscriptions/${sub.id}/suspend`, { reason: "other", evidence: { note: "n" } })).status).toBe(200);
    expect((await api("POST", `/subscriptions/${sub.id}/resume`, { why: "sorted out" })).status).toBe(200);
    const { cookie } = await adminSession();
    const html = (await page(`/admin/mailbox?address=${encodeURIComponent(address)}`, { cookie })).html;
    const section = (id: string) => html.slice(html.indexOf(`aria-labelledby="${id}"`));
    const sub$ = section("sub");
    expect(sub$).toMatch(/<dt>State<\/dt><dd><span class="badge ok">active<\/span>/);
    expect(sub$).toMatch(/<dt>Term<\/dt><dd>\d+ \w+ \d{4} at \d\d:\d\d UTC → \d+ \w+ \d{4} at \d\d:\d\d UTC, renews<\/dd>/);
    // Invoices and payments: money, not cents.
    expect(sub$).toMatch(/<caption>Invoices<\/caption>[\s\S]*?<td>€24\.00<\/td><td><span class="badge ok">paid<\/span>/);
    expect(sub$).toMatch(/<caption>Payments and refunds<\/caption>[\s\S]*?<td>€24\.00<\/td>[\s\S]*?<td>card-panel<\/td>/);
    // History: the suspension, who lifted it and why.
    expect(sub$).toMatch(/<caption>Suspensions<\/caption>[\s\S]*?<td>other<\/td>[\s\S]*?by admin:token: sorted out/);
    const audit$ = section("audit");
    for (const action of ["subscription.created", "payment.confirmed", "suspension.opened", "suspension.lifted"])
      expect(audit$).toContain(action);
  });

  it("the OpenAPI document names the unit of every amount", async () => {
    const doc = (await (await exports.default.fetch(`${ORIGIN}/admin/v1/openapi.json`)).json()) as any;
    const money = doc.components.schemas.Money.properties.amount.description as string;
    expect(money).toContain("minor unit");
    expect(doc.components.schemas.Invoice.properties.amount.description).toBe(money);
    const pay = doc.paths["/subscriptions/{id}/payments"].post.requestBody.content["application/json"].schema.properties.amount;
    expect(pay.description).toBe(money);
  });
});

describe("languages and explanations", () => {
  it("picks French or English by q-value, English otherwise", () => {
    expect(pickLang("fr-FR,fr;q=0.9,en;q=0.8")).toBe("fr");
    expect(pickLang("en-US,fr;q=0.5")).toBe("en");
    expect(pickLang("de-DE,fr;q=0.3,en;q=0.2")).toBe("fr");
    expect(pickLang("de, fr;q=0")).toBe("en");
    expect(pickLang(undefined)).toBe("en");
  });

  it("explains each lost condition from the evidence the checks record", () => {
    const ns = explainCondition(
      "provider_dns",
      { ns: ["ns1.other.example"], expected: ["ns1.provider.example", "ns2.provider.example"] },
      "en",
    );
    expect(ns.found).toEqual(["Your domain's name servers are ns1.other.example."]);
    expect(ns.toDo).toBe("At your registrar, set the name servers back to ns1.provider.example and ns2.provider.example.");
    const dom = explainCondition(
      "domain_held",
      {
        ownRecord: { status: "transferred_out", expiresAt: null },
        rdap: { status: [], registrar: { name: "Other Registrar", ianaId: "1" } },
        expectedRegistrar: "4242",
      },
      "fr",
    );
    expect(dom.found).toEqual([
      "Nos registres indiquent que le domaine est transféré chez un autre bureau d'enregistrement.",
      "Le registre indique que le domaine est géré par Other Registrar.",
    ]);
    const pop = explainCondition(
      "mx_pop3",
      {
        expectedMx: ["mx1.p"],
        expectedPop3: "pop3.p",
        mx: { hosts: ["mx1.p"] },
        pop3: { name: "pop3.d.test", rcode: 3, lost: "no CNAME or A record" },
      },
      "en",
    );
    expect(pop.found).toEqual(["pop3.d.test has no record."]);
    expect(pop.toDo).toBe("Set pop3.d.test back to a CNAME record to pop3.p.");
  });
});

describe("My phones", () => {
  async function mySession(address = OWNER, password = OWNER_PW, lang?: string) {
    const { res } = await page("/my/login", { form: { address, password }, lang });
    expect(res.status).toBe(303);
    const cookie = cookieOf(res);
    const home = await page("/my/", { cookie, lang });
    return { cookie, csrf: csrfOf(home.html), html: home.html };
  }

  it("signs in with the mailbox's address and password; lists the phones; French from Accept-Language", async () => {
    const en = await mySession();
    expect(en.html).toContain("Your phones");
    expect(en.html).toContain("iPhone16,1");
    expect(en.html).toContain('<html lang="en">');
    const fr = await mySession(OWNER, OWNER_PW, "fr-FR,fr;q=0.9,en;q=0.5");
    expect(fr.html).toContain('<html lang="fr">');
    expect(fr.html).toContain("Vos téléphones");
    expect(fr.html).toContain("Effacer ce téléphone");
  });

  it("a password change ends the owner's sessions", async () => {
    const address = "reset-web@example.test";
    await createAccount(env.DB, address, "first");
    const { cookie, csrf } = await mySession(address, "first");
    expect((await page("/my/", { cookie })).html).toContain("Your phones");
    await setPassword(env.DB, address, "second");
    const after = await page("/my/", { cookie });
    expect(after.html).toContain('name="password"');
    expect(after.res.headers.get("set-cookie")).toMatch(/^__Host-ms-my=; Max-Age=0/);
    const post = await page("/my/phones/X/remove", { cookie, form: { _csrf: csrf } });
    expect(post.res.status).toBe(303);
    expect(post.res.headers.get("location")).toBe("/my/");
    expect((await mySession(address, "second")).html).toContain("Your phones");
  });

  it("wrong passwords lock the account for the phones too (the same directory and lockout)", async () => {
    const address = "locked-web@example.test";
    await createAccount(env.DB, address, "right");
    for (let i = 0; i < 4; i++) expect((await page("/my/login", { form: { address, password: "wrong" } })).res.status).toBe(401);
    const fifth = await page("/my/login", { form: { address, password: "wrong" } });
    expect(fifth.res.status).toBe(429);
    expect(fifth.html).toContain("locked until");
    // Now even the right password is refused, on the page and for a phone.
    expect((await page("/my/login", { form: { address, password: "right" } })).res.status).toBe(429);
    const phone = new Phone({ user: address, password: "right", deviceId: "LOCKED1", version: "16.1" });
    expect((await phone.send("FolderSync", `<FolderSync xmlns="FolderHierarchy"><SyncKey>0</SyncKey></FolderSync>`)).status).toBe(401);
  });

  it("sign-in failures count against the client address too, like the phones' (password spraying)", async () => {
    // 50 failures from this address across accounts already (lockout.ts DEFAULT_LOCKOUT.clientFailures).
    // (A fresh login: a recently verified password is served from the directory's cache, as for phones.)
    const address = "sprayed-web@example.test";
    await createAccount(env.DB, address, "right");
    const ip = "198.51.100.23";
    await env.DB.prepare("INSERT INTO login_client_failures (client, failures, window_start) VALUES (?, 50, ?)").bind(ip, Date.now()).run();
    const sprayed = await page("/my/login", { form: { address, password: "right" }, ip });
    expect(sprayed.res.status).toBe(429);
    expect((await page("/my/login", { form: { address, password: "right" }, ip: "198.51.100.24" })).res.status).toBe(303);
  });

  it("wipes a phone after a confirmation page; recorded in the audit log as the customer", async () => {
    const { cookie, csrf } = await mySession();
    const confirm = await page("/my/phones/WEBPHONE1/wipe", { cookie });
    expect(confirm.res.status).toBe(200);
    expect(confirm.html).toContain("Wipe this phone?");
    expect((await page("/my/phones/WEBPHONE1/wipe", { cookie, form: {} })).res.status).toBe(403);
    const done = await page("/my/phones/WEBPHONE1/wipe", { cookie, form: { _csrf: csrf } });
    expect(done.res.status).toBe(303);
    expect(done.res.headers.get("location")).toBe("/my/?done=wipe");
    const d = (await (await api("GET", `/mailboxes/${OWNER}/devices/WEBPHONE1`)).json()) as { wipe: { state: string } };
    expect(d.wipe.state).toBe("pending");
    const audit = (await (await api("GET", `/audit?subject=${encodeURIComponent(`mailbox:${OWNER}`)}`)).json()) as {
      entries: { actor: string; action: string }[];
    };
    expect(audit.entries[0]).toMatchObject({ actor: `customer:${OWNER}`, action: "device.wipe_requested" });
    // Someone else's device id is simply not found.
    expect((await page("/my/phones/SOMEONE-ELSE/remove", { cookie, form: { _csrf: csrf } })).res.status).toBe(404);
    expect((await page("/my/phones/WEBPHONE1/remove", { cookie })).html).toContain("Remove this phone?");
    expect((await page("/my/phones/WEBPHONE1/remove", { cookie, form: {} })).res.status).toBe(403);
    expect((await page("/my/phones/WEBPHONE1/remove", { cookie, form: { _csrf: csrf } })).res.status).toBe(303);
    expect((await api("GET", `/mailboxes/${OWNER}/devices/WEBPHONE1`)).status).toBe(404);
    const removed = (await (await api("GET", `/audit?subject=${encodeURIComponent(`mailbox:${OWNER}`)}`)).json()) as typeof audit;
    expect(removed.entries[0]).toMatchObject({ actor: `customer:${OWNER}`, action: "device.removed" });
  });

  it("a 16.1 phone may lose just this mailbox (account-only wipe); an older one gets the whole-phone warning", async () => {
    const address = "byod-owner@example.test";
    await createAccount(env.DB, address, "pw");
    await new Phone({ user: address, password: "pw", deviceId: "NEWIPHONE", version: "16.1" }).provision();
    await new Phone({ user: address, password: "pw", deviceId: "OLDIPHONE", version: "14.1" }).provision();
    const { cookie, csrf } = await mySession(address, "pw");
    const old = await page("/my/phones/OLDIPHONE/wipe", { cookie });
    expect(old.html).toContain("erases all of its data and returns to factory settings");
    expect(old.html).toContain("cannot remove only this mailbox");
    expect(old.html).not.toContain('name="scope"');
    // A forged account-only request for the old phone is refused; nothing is requested.
    expect((await page("/my/phones/OLDIPHONE/wipe", { cookie, form: { _csrf: csrf, scope: "account" } })).res.status).toBe(409);
    const fresh = await page("/my/phones/NEWIPHONE/wipe", { cookie, lang: "fr" });
    expect(fresh.html).toContain("Retirer seulement les données de cette boîte");
    const done = await page("/my/phones/NEWIPHONE/wipe", { cookie, form: { _csrf: csrf, scope: "account" } });
    expect(done.res.headers.get("location")).toBe("/my/?done=wipe-account");
    const state = async (id: string) =>
      ((await (await api("GET", `/mailboxes/${address}/devices/${id}`)).json()) as { wipe: { state: string } }).wipe.state;
    expect(await state("NEWIPHONE")).toBe("account-only-pending");
    expect(await state("OLDIPHONE")).toBe("none");
    const home = await page("/my/?done=wipe-account", { cookie });
    expect(home.html).toContain("Removing this mailbox&#39;s data from the phone is requested.");
    expect(home.html).toContain("Removal of this mailbox requested");
    const audit = (await (await api("GET", `/audit?subject=${encodeURIComponent(`mailbox:${address}`)}`)).json()) as {
      entries: { actor: string; action: string; after: { wipe: string } }[];
    };
    expect(audit.entries[0]).toMatchObject({
      actor: `customer:${address}`,
      action: "device.wipe_requested",
      after: { wipe: "account-only-pending" },
    });
  });

  it("a lost phone is wiped even while the subscription is suspended: the wipe passes the subscription gate, nothing else does", async () => {
    const address = "lost-suspended@example.test";
    await createAccount(env.DB, address, "pw");
    const sub = (await (
      await api("POST", "/subscriptions", { mailbox: address, customer: { kind: "business", name: "L", email: address } })
    ).json()) as { id: string; price: { amount: number; currency: string } };
    expect((await api("POST", `/subscriptions/${sub.id}/payments`, { ...sub.price, reference: "p1" })).status).toBe(200);
    const lost = new Phone({ user: address, password: "pw", deviceId: "LOSTWEB", version: "16.1" });
    await lost.provision();
    expect((await api("POST", `/subscriptions/${sub.id}/suspend`, { reason: "other", evidence: { note: "unpaid" } })).status).toBe(200);
    const FOLDER_SYNC = `<FolderSync xmlns="FolderHierarchy"><SyncKey>0</SyncKey></FolderSync>`;
    // [MS-ASCMD] 2.2.2 common status 131 AccountDisabled while suspended — MS-ASCMD_R4879
    expect((await lost.send("FolderSync", FOLDER_SYNC)).xml).toContain("<Status>131</Status>");
    const { cookie, csrf } = await mySession(address, "pw");
    expect((await page("/my/phones/LOSTWEB/wipe", { cookie, form: { _csrf: csrf } })).res.status).toBe(303);
    // 140 RemoteWipeRequested, then the directive and its acknowledgement ([MS-ASPROV] 3.2.5.1) — MS-ASCMD_R5279
    expect((await lost.send("FolderSync", FOLDER_SYNC)).xml).toContain("<Status>140</Status>");
    const directive = await lost.send(
      "Provision",
      `<Provision xmlns="Provision"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies></Provision>`,
    );
    expect(directive.xml).toMatch(/<Status>1<\/Status>\s*<RemoteWipe\/>/);
    const ack = await lost.send("Provision", `<Provision xmlns="Provision"><RemoteWipe><Status>1</Status></RemoteWipe></Provision>`);
    expect(ack.xml).toMatch(/<RemoteWipe\/>/);
    expect(((await (await api("GET", `/mailboxes/${address}/devices/LOSTWEB`)).json()) as { wipe: { state: string } }).wipe.state).toBe(
      "acknowledged",
    );
    // Wiped: the gate refuses it again like any device of the suspended mailbox.
    expect((await lost.send("FolderSync", FOLDER_SYNC)).xml).toContain("<Status>131</Status>");
  });

  it("a suspended subscription says which condition failed, what was found and what to change", async () => {
    const address = "suspended-web@example.test";
    await createAccount(env.DB, address, "pw");
    const sub = (await (
      await api("POST", "/subscriptions", { mailbox: address, customer: { kind: "business", name: "S", email: address } })
    ).json()) as { id: string; price: { amount: number; currency: string } };
    expect((await api("POST", `/subscriptions/${sub.id}/payments`, { ...sub.price, reference: "p1" })).status).toBe(200);
    // The evidence a lost mx_pop3 check records (src/service/eligibility.ts), as the sweep would suspend with it.
    const evidence = {
      checkId: "chk_test",
      lost: [
        {
          condition: "mx_pop3",
          evidence: {
            expectedMx: ["mx1.provider.example", "mx2.provider.example"],
            expectedPop3: "pop3.provider.example",
            mx: { hosts: ["mx.other-host.example"], foreign: ["mx.other-host.example"], records: ["10 mx.other-host.example."] },
            pop3: { name: "pop3.suspended.test", cname: "pop3.provider.example", chain: ["pop3.provider.example"] },
          },
        },
      ],
    };
    expect((await api("POST", `/subscriptions/${sub.id}/suspend`, { reason: "eligibility", evidence })).status).toBe(200);
    const en = await mySession(address, "pw");
    expect(en.html).toContain("Suspended");
    expect(en.html).toContain("Your domain&#39;s mail records point to us");
    expect(en.html).toContain("Your domain's MX (mail) records point to mx.other-host.example.".replaceAll("'", "&#39;"));
    expect(en.html).toContain("Set the MX records back to mx1.provider.example and mx2.provider.example.");
    expect(en.html).not.toContain("pop3.suspended.test points to");
    const fr = await mySession(address, "pw", "fr");
    expect(fr.html).toContain("Remettez les enregistrements MX vers mx1.provider.example et mx2.provider.example.");
    expect(fr.html).toContain("24,00");
  });
});
