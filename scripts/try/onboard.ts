// Issue 5 "done when", tried as a new user would: with `npm start`, Autodiscover for the demo address returns
// the ActiveSync URL; a phone runs Provision (both phases), sends one mail to the demo address and one to an
// outside address (the local SMTP sink npm start prints), finds the first in its Inbox and both in Sent Items;
// an admin blocks the device and its next request is refused; a wipe is requested, acknowledged and recorded.
//   npm run try:onboard -- --sink http://127.0.0.1:PORT/messages   (the "Outside mail" line of npm start)
//   options: --url, --token, --user, --password, --outside someone@elsewhere.test
import { fromXml, child, childrenNamed, childText, el, type WbxmlElement } from "../../src/wbxml/index";
import { syncRequest } from "../../test/node/sync-requests";
import { assertValid } from "../../test/node/validate";
import { admin, brief, check, finish, options, phone, type Phone, type PhoneResponse, say, step } from "./lib";

const o = options();
const USER = o.values.get("user") ?? "demo@example.test";
const PASSWORD = o.values.get("password") ?? "demo";
const OUTSIDE = o.values.get("outside") ?? "someone@elsewhere.test";
const SINK = o.values.get("sink");
const run = Date.now().toString(36);
const DEVICE = `tryOnboard${run}`;
const LOST = `tryLost${run}`;

const device = (deviceId: string): Phone =>
  phone(o, {
    user: USER,
    password: PASSWORD,
    deviceId,
    deviceType: "iPhone",
    protocolVersion: "16.1",
    userAgent: "Apple-iPhone16C1/2201.83",
  });

const PROVISION_INITIAL = fromXml(
  `<Provision xmlns="Provision" xmlns:settings="Settings"><settings:DeviceInformation><settings:Set><settings:Model>iPhone16,1</settings:Model><settings:OS>iOS 18.1</settings:OS><settings:FriendlyName>Try iPhone</settings:FriendlyName></settings:Set></settings:DeviceInformation><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies></Provision>`,
);
const PROVISION_ACK = (key: string) =>
  fromXml(
    `<Provision xmlns="Provision"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType><PolicyKey>${key}</PolicyKey><Status>1</Status></Policy></Policies></Provision>`,
  );
const SETTINGS_USER = fromXml(`<Settings xmlns="Settings"><UserInformation><Get/></UserInformation></Settings>`);
const xmlText = (r: PhoneResponse, name: string) => new RegExp(`<(?:\\w+:)?${name}>([^<]*)</`).exec(r.xml ?? "")?.[1];
const coll = (r: PhoneResponse) => child(child(r.tree, "Collections"), "Collection");
const indent = (s: string) => s.split("\n").join("\n     ");

async function provision(p: Phone): Promise<void> {
  const initial = await p.command("Provision", PROVISION_INITIAL);
  check(initial.status === 200 && xmlText(initial, "Status") === "1", `Provision phase 1: expected Status 1\n${brief(initial)}`);
  const temp = xmlText(initial, "PolicyKey")!;
  say(
    `phase 1 → Status 1, temporary PolicyKey ${temp}, DevicePasswordEnabled=${xmlText(initial, "DevicePasswordEnabled") ?? "(no policy document)"}`,
  );
  p.config.policyKey = temp;
  const ack = await p.command("Provision", PROVISION_ACK(temp));
  const final = xmlText(ack, "PolicyKey");
  check(final && /^[1-9]\d*$/.test(final), `Provision phase 2: expected a final PolicyKey\n${brief(ack)}`);
  say(`phase 2 (acknowledged) → final PolicyKey ${final}`);
  p.config.policyKey = final;
}

function compose(to: string, subject: string, clientId: string): WbxmlElement {
  const mime = `From: ${USER}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSent by scripts/try/onboard.ts\r\n`;
  return el(
    "ComposeMail",
    "SendMail",
    el("ComposeMail", "ClientId", clientId),
    el("ComposeMail", "SaveInSentItems"),
    el("ComposeMail", "Mime", new TextEncoder().encode(mime)),
  );
}

/** Subjects of a folder, synced from key 0 to the end. */
async function subjects(p: Phone, folderId: string): Promise<string[]> {
  let key = childText(coll(await p.command("Sync", syncRequest(folderId, "0"))), "SyncKey")!;
  const out: string[] = [];
  for (;;) {
    const r = await p.command("Sync", syncRequest(folderId, key, [el("AirSync", "WindowSize", 200)]));
    if (!r.tree) break;
    check(childText(coll(r), "Status") === "1", `Sync ${folderId}: expected Status 1\n${brief(r)}`);
    out.push(...childrenNamed(child(coll(r), "Commands"), "Add").map((a) => childText(child(a, "ApplicationData"), "Subject") ?? ""));
    key = childText(coll(r), "SyncKey")!;
    if (!child(coll(r), "MoreAvailable")) break;
  }
  return out;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<{ value: T; after: number }> {
  const t0 = performance.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return { value: v, after: performance.now() - t0 };
    if (performance.now() - t0 > ms) fail(`${what}: not seen within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
function fail(m: string): never {
  throw new Error(m);
}

const p = device(DEVICE);
console.log(`Onboarding as a new phone: ${USER} on ${o.url}, DeviceId ${DEVICE}, EAS 16.1`);

await step("Autodiscover (POST /autodiscover/autodiscover.xml, mobilesync schema, Basic auth)", async () => {
  const body = `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"><Request><EMailAddress>${USER}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006</AcceptableResponseSchema></Request></Autodiscover>`;
  const res = await fetch(`${o.url}/autodiscover/autodiscover.xml`, {
    method: "POST",
    headers: { Authorization: p.authorization(), "Content-Type": "text/xml" },
    body,
  });
  const xml = await res.text();
  check(res.status === 200, `HTTP ${res.status}: ${xml.slice(0, 300)}`);
  assertValid("Autodiscover", xml);
  const url = /<Url>([^<]*)<\/Url>/.exec(xml)?.[1];
  say(`HTTP 200, valid against the Autodiscover XSD; Url ${url}`);
  check(url === `${o.url}/Microsoft-Server-ActiveSync`, `expected Url ${o.url}/Microsoft-Server-ActiveSync`);
  const json = await fetch(`${o.url}/autodiscover/autodiscover.json/v1.0/${USER}?Protocol=ActiveSync`);
  say(`JSON form → HTTP ${json.status} ${await json.text()}`);
});

await step("Provision, both phases (with DeviceInformation)", () => provision(p));

await step("Settings UserInformation Get with the final key", async () => {
  const r = await p.command("Settings", SETTINGS_USER);
  check(xmlText(r, "Status") === "1", `expected Status 1\n${brief(r)}`);
  say(`Status 1, PrimarySmtpAddress ${xmlText(r, "PrimarySmtpAddress")}`);
});

const folders = (await step("FolderSync: Inbox and Sent Items", async () => {
  const r = await p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
  const adds = childrenNamed(child(r.tree, "Changes"), "Add");
  const byType = (t: string) =>
    childText(
      adds.find((f) => childText(f, "Type") === t),
      "ServerId",
    )!;
  say(`Inbox ${byType("2")}, Sent Items ${byType("5")}`);
  return { inbox: byType("2"), sent: byType("5") };
}))!;

const toSelf = `Note to self ${run}`;
const toOutside = `Hello outside ${run}`;
await step(`SendMail (ComposeMail, SaveInSentItems) to ${USER} and to ${OUTSIDE}`, async () => {
  for (const [to, subject, id] of [
    [USER, toSelf, `self-${run}`],
    [OUTSIDE, toOutside, `out-${run}`],
  ]) {
    const t0 = performance.now();
    const r = await p.command("SendMail", compose(to, subject, id));
    say(
      `to ${to}: HTTP ${r.status}, ${r.raw.length} bytes${r.xml ? `\n${indent(brief(r))}` : " (accepted)"} in ${(performance.now() - t0).toFixed(0)} ms`,
    );
    check(r.status === 200 && r.raw.length === 0, "expected an empty 200 (accepted)");
  }
});

await step(`"${toSelf}" arrives in the Inbox`, async () => {
  const { after } = await eventually("the mail to self in the Inbox", async () =>
    (await subjects(p, folders.inbox)).includes(toSelf) ? true : undefined,
  );
  say(`found after ${after.toFixed(0)} ms`);
});

await step("Both are in Sent Items", async () => {
  const { value, after } = await eventually("both messages in Sent Items", async () => {
    const s = await subjects(p, folders.sent);
    return s.includes(toSelf) && s.includes(toOutside) ? s : undefined;
  });
  say(`found after ${after.toFixed(0)} ms (${value.length} messages in Sent Items)`);
});

await step(
  `The outside mail reached the local SMTP sink (${SINK ?? "--sink not given"})`,
  async () => {
    check(SINK, "pass --sink with the URL npm start prints on its 'Outside mail' line");
    const { value, after } = await eventually("the outside mail at the sink", async () => {
      const list = (await (await fetch(SINK)).json()) as { from: string; to: string[]; raw: string }[];
      return list.find((m) => Buffer.from(m.raw, "base64").toString("utf8").includes(toOutside));
    });
    say(`after ${after.toFixed(0)} ms: MAIL FROM <${value.from}> RCPT TO ${value.to.map((t) => `<${t}>`).join(", ")}`);
    check(value.to.includes(OUTSIDE), `expected RCPT TO <${OUTSIDE}>`);
  },
  { optional: true },
);

await step("The admin sees the device (GET /admin/v1/mailboxes/{address}/devices/{id})", async () => {
  const r = await admin(o, "GET", `/mailboxes/${USER}/devices/${DEVICE}`);
  check(r.status === 200, `HTTP ${r.status} ${r.text}`);
  const d = r.json;
  say(
    `model ${d.model}, OS ${d.os}, name ${d.friendly_name}, EAS ${d.protocol_version}, policy ${JSON.stringify(d.policy)}, access ${JSON.stringify(d.access ?? d.access_state)}`,
  );
});

const rule = await step("An admin blocks the device; its next request is refused (Status 129)", async () => {
  const r = await admin(o, "POST", `/mailboxes/${USER}/device-rules`, { kind: "device-id", pattern: DEVICE, access: "blocked" });
  check(r.status === 201, `POST device-rules: HTTP ${r.status} ${r.text}`);
  say(`rule ${JSON.stringify(r.json)}`);
  const refused = await p.command("Settings", SETTINGS_USER);
  say(`Settings → ${indent(brief(refused, 6))}`);
  check(xmlText(refused, "Status") === "129", "expected Status 129 (blocked by the administrator)");
  const sync = await p.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
  say(`FolderSync → Status ${xmlText(sync, "Status")}`);
  check(xmlText(sync, "Status") === "129", "expected FolderSync Status 129 too");
  return r.json as { id: string | number };
});

await step("A wipe is requested for another phone of the account, acknowledged by it and recorded", async () => {
  const lost = device(LOST);
  await provision(lost);
  const w = await admin(o, "POST", `/mailboxes/${USER}/devices/${LOST}/wipe`, {});
  check(w.status === 202, `POST wipe: HTTP ${w.status} ${w.text}`);
  say(`POST …/devices/${LOST}/wipe → 202`);
  const next = await lost.command("Settings", SETTINGS_USER);
  say(`the phone's next request (Settings) → Status ${xmlText(next, "Status")}`);
  check(xmlText(next, "Status") === "140", "expected Status 140 (remote wipe requested)");
  const directive = await lost.command("Provision", PROVISION_INITIAL);
  check(/<RemoteWipe\/>/.test(directive.xml ?? ""), `expected a RemoteWipe directive\n${brief(directive)}`);
  say("Provision → RemoteWipe directive");
  const ack = await lost.command(
    "Provision",
    fromXml(`<Provision xmlns="Provision"><RemoteWipe><Status>1</Status></RemoteWipe></Provision>`),
  );
  say(`acknowledgement (RemoteWipe Status 1) → HTTP ${ack.status}, ${xmlText(ack, "Status") ? `Status ${xmlText(ack, "Status")}` : ""}`);
  const d = await admin(o, "GET", `/mailboxes/${USER}/devices/${LOST}`);
  say(`admin sees wipe ${JSON.stringify(d.json?.wipe)}`);
  check(d.json?.wipe?.state === "acknowledged", "expected wipe state acknowledged");
});

if (rule?.id !== undefined) {
  await step(
    "Clean-up: the block rule is removed",
    async () => {
      const r = await admin(o, "DELETE", `/mailboxes/${USER}/device-rules/${rule.id}`);
      check(r.status === 204, `DELETE rule: HTTP ${r.status} ${r.text}`);
    },
    { optional: true },
  );
}

finish();
