// Issue 18 "done when", in a real browser: Debian's Chromium driven by playwright-core (no browser download)
// against `wrangler dev`, whose eligibility checks read DNS and RDAP from a local responder
// (scripts/zone-responder.mjs). An admin finds the demo mailbox (seeded as `npm start` does), traces its phone,
// blocks and unblocks it (the phone is refused in between), checks eligibility after the MX left the provider (suspended, with what was seen);
// the customer signs in, reads which condition failed and what to change, and wipes the phone, which is
// told to wipe on its next request. Screenshots of every page: test-artifacts/web/ (gitignored); every page is
// checked with axe-core (WCAG 2.1 A/AA).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
// @ts-expect-error plain ESM helpers
import { startDevServer } from "../../scripts/dev-server.mjs";
// @ts-expect-error plain ESM helpers
import { seedDemo } from "../../scripts/seed-demo.mjs";
// @ts-expect-error plain ESM helpers
import { startZoneResponder } from "../../scripts/zone-responder.mjs";
import { fromXml } from "../../src/wbxml/index";
import { freePort } from "../free-port";
import { Phone, type PhoneResponse } from "./phone";

const TOKEN = "web-e2e-token";
const DOMAIN = "bakery.test";
const USER = `anne@${DOMAIN}`;
const PASSWORD = "anne web password";
const DEVICE = "WebE2EPhone1";
const ARTIFACTS = path.resolve(import.meta.dirname, "../../test-artifacts/web");
/** Debian's chromium (apt-get install chromium; scripts/test.mjs and .ci/run install it). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

type Zone = { records: Record<string, Record<string, string[]>>; rdap: Record<string, unknown>; servfail: string[] };
const zone: Zone = { records: {}, rdap: {}, servfail: [] };
function compliant() {
  zone.records[DOMAIN] = { NS: ["ns1.provider.test.", "ns2.provider.test."], MX: ["10 mx1.provider.test."] };
  zone.records[`pop3.${DOMAIN}`] = { CNAME: ["pop3.provider.test."] };
  zone.records["pop3.provider.test"] = { A: ["192.0.2.110"] };
  zone.rdap[DOMAIN] = { status: ["active"], expiresAt: "2031-01-01T00:00:00Z", registrar: { name: "Provider Registrar", ianaId: "4242" } };
}

let server: { url: string; stop: () => Promise<void> };
let responder: { url: string; close: () => Promise<void> };
let persistTo: string;
let userDataDir: string;
let browser: BrowserContext;
let phone: Phone;

async function admin(method: string, route: string, body?: unknown) {
  const res = await fetch(`${server.url}/admin/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const xmlText = (r: PhoneResponse, name: string) => new RegExp(`<(?:\\w+:)?${name}>([^<]*)</`).exec(r.xml ?? "")?.[1];
const FOLDER_SYNC = fromXml(`<FolderSync xmlns="FolderHierarchy"><SyncKey>0</SyncKey></FolderSync>`);

beforeAll(async () => {
  compliant();
  mkdirSync(ARTIFACTS, { recursive: true });
  responder = await startZoneResponder({ zone });
  persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-web-e2e-"));
  userDataDir = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-chromium-"));
  const [started, launched] = await Promise.all([
    startDevServer({
      port: await freePort(),
      persistTo,
      vars: {
        ADMIN_TOKEN: TOKEN,
        DEMO_SEED: "false",
        DOH_URL: `${responder.url}/dns-query`,
        RDAP_URL: responder.url,
        PROVIDER_NAMESERVERS: "ns1.provider.test,ns2.provider.test",
        PROVIDER_MX_HOSTS: "mx1.provider.test,mx2.provider.test",
        PROVIDER_POP3_HOST: "pop3.provider.test",
        PROVIDER_REGISTRAR: "4242",
      },
    }),
    // A fresh profile (--user-data-dir through playwright's persistent context), nothing fetched from the network.
    chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1100, height: 900 },
    }),
  ]);
  server = started;
  browser = launched;

  // The demo mailbox as `npm start` seeds it (scripts/seed-demo.mjs: account, calendar, contacts, a paid
  // subscription), on the test's domain and without the demo mail.
  const demo = await seedDemo(server.url, { adminToken: TOKEN, address: USER, password: PASSWORD, messages: () => [] });
  expect(demo.created).toBe(true);
  expect((await admin("GET", `/subscriptions/${demo.subscription}`)).json.status).toBe("active");
  // The phone on board: both Provision phases with its DeviceInformation (every response validated by Phone).
  phone = new Phone({
    baseUrl: server.url,
    user: USER,
    password: PASSWORD,
    deviceId: DEVICE,
    deviceType: "iPhone",
    protocolVersion: "16.1",
    userAgent: "Apple-iPhone16C1/2201.83",
  });
  const initial = await phone.command(
    "Provision",
    fromXml(
      `<Provision xmlns="Provision" xmlns:settings="Settings"><settings:DeviceInformation><settings:Set><settings:Model>iPhone16,1</settings:Model><settings:OS>iOS 18.1</settings:OS><settings:FriendlyName>Anne's iPhone</settings:FriendlyName></settings:Set></settings:DeviceInformation><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies></Provision>`,
    ),
  );
  phone.config.policyKey = xmlText(initial, "PolicyKey");
  const ack = await phone.command(
    "Provision",
    fromXml(
      `<Provision xmlns="Provision"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType><PolicyKey>${phone.config.policyKey}</PolicyKey><Status>1</Status></Policy></Policies></Provision>`,
    ),
  );
  phone.config.policyKey = xmlText(ack, "PolicyKey");
  expect((await phone.command("FolderSync", FOLDER_SYNC)).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await responder?.close();
  for (const dir of [persistTo, userDataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * Saves a screenshot, then checks the page with axe-core against WCAG 2.1 A and AA (labels, contrast, names,
 * landmarks, lang): every page the tests see must pass. Open <details> first so their content is checked too.
 */
async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  await page.evaluate(AXE); // through the DevTools protocol: the page's CSP allows only its own script
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })`,
  )) as { violations: { id: string; help: string; nodes: { target: string[] }[] }[]; passes: unknown[] };
  expect(result.passes.length).toBeGreaterThan(10); // axe ran
  expect(result.violations.map((v) => `${name}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

it("support staff: sign in, find the mailbox, block and unblock its phone, see a lost condition after a check", async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/admin/`);
  await shot(page, "admin-1-sign-in");
  await page.getByLabel("Your name").fill("Sam");
  await page.getByLabel("Admin token").fill(TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Find a mailbox by address").fill(USER);
  await page.keyboard.press("Enter"); // the keyboard alone is enough
  await page.waitForURL(/\/admin\/mailbox\?address=/);
  const device = page.locator(`[data-device="${DEVICE}"]`);
  expect(await device.textContent()).toContain("iPhone16,1");
  expect(await device.textContent()).toContain("Apple-iPhone16C1/2201.83");
  expect(await device.textContent()).toContain("EAS 16.1");
  expect(await device.locator("[data-quirks]").textContent()).toContain("ios-contacts"); // src/eas/quirks.ts
  // Trace the phone while support works on it (src/admin/traces-routes.ts through the page).
  await device.getByText("Protocol traces (off, 0 stored)").click();
  await shot(page, "admin-2-mailbox"); // with the traces form open, so axe checks it too
  await device.getByLabel("Reason (kept in the audit log)").fill("customer call");
  await device.getByRole("button", { name: "Start tracing" }).click();
  await page.getByText("Tracing started").waitFor();

  await device.getByRole("button", { name: "Block" }).click();
  await page.getByText("The device is blocked.").waitFor();
  expect(await device.locator(".badge").first().textContent()).toBe("blocked");
  const refused = await phone.command("FolderSync", FOLDER_SYNC);
  expect(xmlText(refused, "Status")).toBe("129"); // [MS-ASCMD] common status 129 BlockedByAdmin ... the XSD-validated answer
  await shot(page, "admin-3-blocked");

  await device.getByRole("button", { name: "Allow" }).click();
  await page.getByText("The device is allowed.").waitFor();
  expect(await device.locator(".badge").first().textContent()).toBe("allowed");
  expect((await phone.command("FolderSync", FOLDER_SYNC)).status).toBe(200);

  // The customer moved their MX elsewhere; staff check now from the page.
  zone.records[DOMAIN]!.MX = ["10 mx.elsewhere.test."];
  await page.getByRole("button", { name: "Check now" }).click();
  await page.getByText("Eligibility checked.").waitFor();
  const mx = page.locator('tr[data-condition="mx_pop3"]');
  expect(await mx.locator(".badge").textContent()).toBe("lost");
  expect(await mx.textContent()).toContain("MX mx.elsewhere.test");
  expect(await mx.textContent()).toContain("MX mx1.provider.test, mx2.provider.test");
  // The four conditions, each with what was seen, what was expected and when it was checked.
  expect(await page.locator("tr[data-condition]").count()).toBe(4);
  expect(await mx.locator("td").last().textContent()).toMatch(/\d{4} at \d\d:\d\d UTC$/);
  expect(await page.locator('section[aria-labelledby="sub"] .badge').first().textContent()).toBe("suspended");
  // Both FolderSyncs since tracing began are stored (refused: 129 in a 200; then served), downloadable.
  await device.getByText("Protocol traces (on, 2 stored)").click();
  expect(await device.locator("td", { hasText: "FolderSync" }).count()).toBe(2);
  await shot(page, "admin-4-suspended");
  // Support on a phone: the page fits the screen (wide tables scroll inside their box).
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
  await shot(page, "admin-5-mailbox-phone");
  await page.close();
}, 60_000);

it("the customer: sign in, see which condition failed and what to change, wipe the phone (French, phone-sized)", async () => {
  const page = await browser.newPage();
  await page.setViewportSize({ width: 390, height: 844 }); // a phone's screen
  await page.setExtraHTTPHeaders({ "accept-language": "fr-FR,fr;q=0.9,en;q=0.5" });
  await page.goto(`${server.url}/my/`);
  await shot(page, "my-1-sign-in-fr");
  await page.getByLabel("Adresse de messagerie").fill(USER);
  await page.getByLabel("Mot de passe").fill(PASSWORD);
  await page.getByRole("button", { name: "Se connecter" }).click();
  const why = page.locator('[data-condition="mx_pop3"]');
  await why.waitFor();
  const text = (await why.textContent()) ?? "";
  expect(text).toContain("Les enregistrements de messagerie de votre domaine pointent vers nous");
  expect(text).toContain("pointent vers mx.elsewhere.test");
  expect(text).toContain("Remettez les enregistrements MX vers mx1.provider.test et mx2.provider.test.");
  expect(await page.locator(".badge").first().textContent()).toBe("Suspendu");
  expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
  await shot(page, "my-2-suspended-fr");

  await page.setExtraHTTPHeaders({ "accept-language": "en" });
  await page.reload();
  expect(await page.locator('[data-condition="mx_pop3"]').textContent()).toContain(
    "Set the MX records back to mx1.provider.test and mx2.provider.test.",
  );
  await page.getByRole("link", { name: "Wipe this phone" }).click();
  await page.getByRole("heading", { name: "Wipe this phone?" }).waitFor();
  await shot(page, "my-3-confirm-wipe");
  await page.getByRole("button", { name: "Yes, wipe it" }).click();
  await page.getByText("The wipe is requested.").waitFor();
  await shot(page, "my-4-wipe-requested");
  await page.close();

  const dev = await admin("GET", `/mailboxes/${encodeURIComponent(USER)}/devices/${DEVICE}`);
  expect(dev.json.wipe.state).toBe("pending");
  // The phone is told at once, though the subscription is suspended: 140 RemoteWipeRequested, not 131.
  const told = await phone.command("FolderSync", FOLDER_SYNC);
  expect(xmlText(told, "Status")).toBe("140");
  const audit = await admin("GET", `/audit?subject=${encodeURIComponent(`mailbox:${USER}`)}`);
  expect(audit.json.entries[0]).toMatchObject({ actor: `customer:${USER}`, action: "device.wipe_requested" });
}, 60_000);
