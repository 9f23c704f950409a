// Issue 18 "done when", tried as a new user would: with `npm start` running, a phone joins the demo mailbox,
// then a real browser (Debian's Chromium through playwright-core) clicks through the support console and "My
// phones": staff sign in with the admin token, find the demo mailbox, block and unblock the phone (refused,
// then served), suspend the subscription with a note; the customer signs in (in French), reads why the service
// is suspended and wipes the phone, which is told to wipe on its next request. The demo is left as it was found
// (subscription resumed from the console, the phone's partnership removed). Screenshots: test-artifacts/try-web/.
//   npm run try:web            options: --url, --token, --user, --password, --chromium /usr/bin/chromium
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Page } from "playwright-core";
import { el, fromXml } from "../../src/wbxml/index";
import { admin, brief, check, finish, options, phone, type PhoneResponse, say, step } from "./lib";

const o = options();
const USER = o.values.get("user") ?? "demo@example.test";
const PASSWORD = o.values.get("password") ?? "demo";
const CHROMIUM = o.values.get("chromium") ?? process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const DEVICE = `tryWeb${Date.now().toString(36)}`;
const SHOTS = path.resolve(import.meta.dirname, "../../test-artifacts/try-web");
const NOTE = "Card payment refused by the bank; please update your card.";

const xmlText = (r: PhoneResponse, name: string) => new RegExp(`<(?:\\w+:)?${name}>([^<]*)</`).exec(r.xml ?? "")?.[1];
const FOLDER_SYNC = () => el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0"));

const p = phone(o, {
  user: USER,
  password: PASSWORD,
  deviceId: DEVICE,
  deviceType: "iPhone",
  protocolVersion: "16.1",
  userAgent: "Apple-iPhone16C1/2201.83",
});
console.log(`The web pages on ${o.url} with ${USER}; a phone ${DEVICE} (EAS 16.1); screenshots in ${SHOTS}`);

await step("A phone joins the demo mailbox (Provision, both phases; FolderSync)", async () => {
  const initial = await p.command(
    "Provision",
    fromXml(
      `<Provision xmlns="Provision" xmlns:settings="Settings"><settings:DeviceInformation><settings:Set><settings:Model>iPhone16,1</settings:Model><settings:OS>iOS 18.1</settings:OS><settings:FriendlyName>Try iPhone</settings:FriendlyName></settings:Set></settings:DeviceInformation><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies></Provision>`,
    ),
  );
  check(xmlText(initial, "Status") === "1", `Provision: expected Status 1\n${brief(initial)}`);
  p.config.policyKey = xmlText(initial, "PolicyKey");
  const ack = await p.command(
    "Provision",
    fromXml(
      `<Provision xmlns="Provision"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType><PolicyKey>${p.config.policyKey}</PolicyKey><Status>1</Status></Policy></Policies></Provision>`,
    ),
  );
  p.config.policyKey = xmlText(ack, "PolicyKey");
  const fs = await p.command("FolderSync", FOLDER_SYNC());
  check(xmlText(fs, "Status") === "1", `FolderSync: expected Status 1\n${brief(fs)}`);
  say(`final PolicyKey ${p.config.policyKey}; FolderSync Status 1`);
});

mkdirSync(SHOTS, { recursive: true });
const profile = mkdtempSync(path.join(os.tmpdir(), "try-web-chromium-"));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
  viewport: { width: 1100, height: 900 },
});
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

try {
  const staff = await browser.newPage();
  staff.on("dialog", (d) => d.accept()); // the pages' confirmations ("Suspend this subscription?")
  const device = staff.locator(`[data-device="${DEVICE}"]`);

  await step(`Support console: sign in at ${o.url}/admin/ with the admin token, find ${USER}`, async () => {
    await staff.goto(`${o.url}/admin/`);
    await staff.getByLabel("Your name").fill("Try");
    await staff.getByLabel("Admin token").fill(o.token);
    await staff.getByRole("button", { name: "Sign in" }).click();
    await staff.getByLabel("Find a mailbox by address").fill(USER);
    await staff.keyboard.press("Enter");
    await staff.waitForURL(/\/admin\/mailbox\?address=/);
    const text = (await device.textContent()) ?? "";
    check(text.includes("iPhone16,1") && text.includes("EAS 16.1"), `the phone's card: ${text.slice(0, 300)}`);
    say(
      `the phone is listed: ${(await device.locator("h3").textContent())?.trim()}; quirks: ${await device.locator("[data-quirks]").textContent()}`,
    );
    await shot(staff, "1-console-mailbox");
  });

  await step("Block the phone from the page: its next request is refused (Status 129); Allow: served again", async () => {
    await device.getByRole("button", { name: "Block" }).click();
    await staff.getByText("The device is blocked.").waitFor();
    const refused = await p.command("FolderSync", FOLDER_SYNC());
    check(xmlText(refused, "Status") === "129", `expected Status 129\n${brief(refused)}`);
    say("blocked → FolderSync Status 129");
    await shot(staff, "2-console-blocked");
    await device.getByRole("button", { name: "Allow" }).click();
    await staff.getByText("The device is allowed.").waitFor();
    const served = await p.command("FolderSync", FOLDER_SYNC());
    check(xmlText(served, "Status") === "1", `expected Status 1\n${brief(served)}`);
    say("allowed → FolderSync Status 1");
  });

  await step("Suspend the subscription from the page, with a note for the customer", async () => {
    await staff.getByLabel("Explanation (the customer sees it)").fill(NOTE);
    await staff.getByRole("button", { name: "Suspend", exact: true }).click();
    await staff.getByText("The subscription is suspended.").waitFor();
    await shot(staff, "3-console-suspended");
  });

  await step(`My phones: ${USER} signs in (French), reads why, wipes the phone`, async () => {
    const owner = await browser.newPage();
    await owner.setViewportSize({ width: 390, height: 844 });
    await owner.setExtraHTTPHeaders({ "accept-language": "fr-FR,fr;q=0.9" });
    await owner.goto(`${o.url}/my/`);
    await owner.getByLabel("Adresse de messagerie").fill(USER);
    await owner.getByLabel("Mot de passe").fill(PASSWORD);
    await owner.getByRole("button", { name: "Se connecter" }).click();
    await owner.locator("#suspension").waitFor();
    const why = (await owner.locator("#suspension").textContent()) ?? "";
    check(why.includes(NOTE), `the note is shown: ${why}`);
    say(`state: ${await owner.locator(".badge").first().textContent()}; ${why.replace(/\s+/g, " ").slice(0, 160)}…`);
    await shot(owner, "4-my-suspended-fr");
    await owner.getByRole("link", { name: "Effacer ce téléphone" }).first().click();
    await shot(owner, "5-my-confirm-wipe");
    await owner.getByRole("button", { name: "Oui, l'effacer" }).click();
    await owner.getByText("L'effacement est demandé.").waitFor();
    await shot(owner, "6-my-wipe-requested");
    const told = await p.command("FolderSync", FOLDER_SYNC());
    check(xmlText(told, "Status") === "140", `expected Status 140 (remote wipe requested)\n${brief(told)}`);
    say("the phone's next request → Status 140 (it must Provision and wipe)");
    const audit = await admin(o, "GET", `/audit?subject=${encodeURIComponent(`mailbox:${USER}`)}&limit=1`);
    say(`audit log: ${audit.json.entries[0].action} by ${audit.json.entries[0].actor}`);
    check(audit.json.entries[0].actor === `customer:${USER}`, "the wipe is recorded as the customer's");
  });

  await step("Leave the demo as it was: resume from the console, remove the phone's partnership", async () => {
    await staff.reload();
    await staff.getByLabel("Why (for the audit log)").fill("try:web finished");
    await staff.getByRole("button", { name: "Resume" }).click();
    await staff.getByText("The subscription is resumed.").waitFor();
    await device.getByRole("button", { name: "Remove partnership" }).click();
    await staff.getByText("The partnership is removed.").waitFor();
  });
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
finish();
