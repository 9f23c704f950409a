// Issue 14 "done when", tried as a new user would: with `npm start`, a phone that speaks only EAS 2.5 (requests
// written by hand after [MS-ASCMD]/[MS-ASPROV], MS-ASProtocolVersion: 2.5, plain query, a Windows Mobile 5 user
// agent) negotiates, provisions with the WAP policy, lists folders, syncs the demo Inbox with truncated plain
// bodies and 2.5 attachment lists, fetches an attachment with GetAttachment, sends a raw MIME SendMail and waits
// in Ping until new mail arrives. Every WBXML answer is validated against the conformance kit (the 2.5 rules
// the XSDs cannot express are checked here). Last, the admin API prints the quirks of a Windows Mobile 6.1 device.
//   npm run try:eas25            options: --url, --token, --user demo@example.test, --password demo
import { child, childrenNamed, childText, el, isElement, toXml, type WbxmlElement } from "../../src/wbxml/index";
import { assertValid } from "../../test/node/validate";
import { admin, brief, check, deliver, finish, options, phone, type Phone, type PhoneResponse, say, step, within } from "./lib";

const o = options();
const USER = o.values.get("user") ?? "demo@example.test";
const PASSWORD = o.values.get("password") ?? "demo";
const run = Date.now().toString(36);
const INBOX = "1";
const WAP = "MS-WAP-Provisioning-XML";

const wm5: Phone = phone(o, {
  user: USER,
  password: PASSWORD,
  deviceId: `tryWM5${run}`,
  deviceType: "PocketPC",
  protocolVersion: "2.5",
  userAgent: "MSFT-PPC/5.1.2300",
});
const A = (name: string, ...kids: (WbxmlElement | string | number | false)[]) => el("AirSync", name, ...kids);
const P = (name: string, ...kids: (WbxmlElement | string)[]) => el("Provision", name, ...kids);
const coll = (r: PhoneResponse) => child(child(r.tree, "Collections"), "Collection");
const namespaces = (e: WbxmlElement): string[] => [e.ns, ...e.children.filter(isElement).flatMap(namespaces)];

/** A Sync response checked against the XSD; the Collection's Class (device-quirks table) is checked, then left out. */
function validSync(r: PhoneResponse): void {
  check(r.status === 200, `HTTP ${r.status}`);
  if (!r.tree) return;
  const strip = (e: WbxmlElement): WbxmlElement => ({
    ...e,
    children: e.children
      .filter((c) => !isElement(c) || !(c.ns === "AirSync" && c.name === "Class"))
      .map((c) => (isElement(c) ? strip(c) : c)),
  });
  assertValid("Sync", toXml(strip(r.tree), { opaque: "text" }));
  check(!namespaces(r.tree).includes("AirSyncBase"), "a 2.5 Sync response must not use AirSyncBase");
}

await step("OPTIONS as a 2.5 phone: 2.5 advertised, Exchange 2003 SP2's server string, the 2.5 command list", async () => {
  const r = await wm5.options({ "MS-ASProtocolVersion": "2.5" });
  check(r.status === 200, `HTTP ${r.status}`);
  const versions = r.headers.get("MS-ASProtocolVersions") ?? "";
  const commands = r.headers.get("MS-ASProtocolCommands") ?? "";
  say(`MS-ASProtocolVersions: ${versions}`);
  say(`MS-Server-ActiveSync: ${r.headers.get("MS-Server-ActiveSync")}`);
  say(`MS-ASProtocolCommands: ${commands}`);
  check(versions.split(",").includes("2.5"), "2.5 is not advertised");
  check(
    !commands.split(",").includes("Settings") && !commands.split(",").includes("ItemOperations"),
    "2.5 has no Settings or ItemOperations",
  );
});

await step(`Provision with ${WAP} (both phases)`, async () => {
  const first = await wm5.command("Provision", P("Provision", P("Policies", P("Policy", P("PolicyType", WAP)))), { validate: false });
  const policy = child(child(first.tree, "Policies"), "Policy");
  check(childText(policy, "PolicyType") === WAP, `expected PolicyType ${WAP}\n${brief(first)}`);
  const doc = childText(policy, "Data") ?? "";
  check(doc.startsWith("<wap-provisioningdoc>"), `expected a wap-provisioningdoc string in Data\n${brief(first)}`);
  // Provision.xsd knows only the 12.0+ EASProvisionDoc; the rest of the answer is validated without Data.
  const withoutData = (e: WbxmlElement): WbxmlElement => ({
    ...e,
    children: e.children.filter((c) => !isElement(c) || c.name !== "Data").map((c) => (isElement(c) ? withoutData(c) : c)),
  });
  assertValid("Provision", toXml(withoutData(first.tree!), { opaque: "text" }));
  say(`phase 1 → Data: ${doc}`);
  const temp = childText(policy, "PolicyKey")!;
  wm5.config.policyKey = temp;
  const ack = await wm5.command(
    "Provision",
    P("Provision", P("Policies", P("Policy", P("PolicyType", WAP), P("PolicyKey", temp), P("Status", "1")))),
  );
  const final = childText(child(child(ack.tree, "Policies"), "Policy"), "PolicyKey");
  check(final && /^\d+$/.test(final), `expected a final PolicyKey\n${brief(ack)}`);
  wm5.config.policyKey = final;
  say(`phase 2 (acknowledged) → final PolicyKey ${final}`);
});

await step("FolderSync", async () => {
  const r = await wm5.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
  check(childText(r.tree, "Status") === "1", brief(r));
  const adds = childrenNamed(child(r.tree, "Changes"), "Add");
  say(adds.map((a) => `${childText(a, "DisplayName")} (${childText(a, "ServerId")}, type ${childText(a, "Type")})`).join(", "));
});

await step("A long letter arrives in the demo Inbox (the demo messages are all shorter than 512 characters)", async () => {
  const body = "Dear 2.5 phone,\r\n\r\n" + "This line makes the letter longer than what Truncation 1 lets through. ".repeat(20);
  const raw = `From: Pen Friend <pen@elsewhere.test>\r\nTo: ${USER}\r\nSubject: A long letter ${run}\r\nDate: ${new Date().toUTCString()}\r\nMessage-ID: <${run}@try.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;
  const res = await fetch(`${o.url}/cdn-cgi/handler/email?${new URLSearchParams({ from: "pen@elsewhere.test", to: USER })}`, {
    method: "POST",
    body: raw,
  });
  check(res.status === 200, `email handler: HTTP ${res.status}`);
  say(`delivered, ${body.length} characters of text`);
});

let inboxKey = "";
let attachment: { name: string; display: string; size: string } | undefined;
await step("Sync the demo Inbox: Truncation 1 (512 characters), plain bodies in email:Body, 2.5 attachment lists", async () => {
  const request = (key: string) =>
    A(
      "Sync",
      A(
        "Collections",
        A(
          "Collection",
          A("Class", "Email"),
          A("SyncKey", key),
          A("CollectionId", INBOX),
          key !== "0" && A("DeletesAsMoves", 1),
          key !== "0" && A("GetChanges", 1),
          key !== "0" && A("WindowSize", 100),
          A("Options", A("FilterType", 0), A("Truncation", 1), A("RtfTruncation", 1), A("MIMESupport", 0)),
        ),
      ),
    );
  const boot = await wm5.command("Sync", request("0"), { validate: false });
  validSync(boot);
  inboxKey = childText(coll(boot), "SyncKey")!;
  let total = 0;
  let shown = 0;
  let truncated = 0;
  for (;;) {
    const r = await wm5.command("Sync", request(inboxKey), { validate: false });
    validSync(r);
    if (!r.tree) break;
    check(childText(coll(r), "Class") === "Email", "expected Class in the Collection (device-quirks table, 2.5)");
    inboxKey = childText(coll(r), "SyncKey")!;
    for (const add of childrenNamed(child(coll(r), "Commands"), "Add")) {
      total++;
      const d = child(add, "ApplicationData")!;
      const body = childText(d, "Body", "Email") ?? "";
      check(body.length <= 512, `body longer than Truncation 1 allows (${body.length})`);
      const atts = childrenNamed(child(d, "Attachments", "Email"), "Attachment", "Email");
      if (childText(d, "BodyTruncated", "Email") === "1") truncated++;
      if (atts.length && !attachment) {
        const a = atts.find((x) => childText(x, "DisplayName", "Email")?.endsWith(".pdf")) ?? atts[0];
        attachment = {
          name: childText(a, "AttName", "Email")!,
          display: childText(a, "DisplayName", "Email")!,
          size: childText(a, "AttSize", "Email")!,
        };
      }
      if (shown < 4 && (atts.length || childText(d, "BodyTruncated", "Email") === "1")) {
        shown++;
        say(
          `"${childText(d, "Subject", "Email")}": BodySize ${childText(d, "BodySize", "Email")}, BodyTruncated ${childText(d, "BodyTruncated", "Email")}, ` +
            `${body.length} characters sent; attachments: ${atts.map((x) => `${childText(x, "DisplayName", "Email")} (AttName ${childText(x, "AttName", "Email")}, AttSize ${childText(x, "AttSize", "Email")}, AttMethod ${childText(x, "AttMethod", "Email")})`).join(", ") || "none"}`,
        );
      }
    }
    if (!child(coll(r), "MoreAvailable")) break;
  }
  say(`${total} messages (${truncated} bodies cut at 512 characters), every response valid, no AirSyncBase`);
  check(total > 0 && attachment, "expected demo messages with an attachment");
  check(truncated > 0, "expected some demo bodies longer than 512 characters to be truncated");
});

await step("GetAttachment (AttachmentName = the AttName the Sync gave)", async () => {
  const r = await wm5.command("GetAttachment", null, { params: { AttachmentName: attachment!.name } });
  check(r.status === 200, `HTTP ${r.status}`);
  check(String(r.raw.length) === attachment!.size, `expected ${attachment!.size} bytes, got ${r.raw.length}`);
  say(`${attachment!.display}: HTTP 200, ${r.raw.length} bytes, Content-Type ${r.headers.get("Content-Type")}`);
});

const subject = `Sent from a 2.5 phone ${run}`;
await step("SendMail with a raw message/rfc822 body, SaveInSent=T in the query", async () => {
  const mime = `From: ${USER}\r\nTo: ${USER}\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSent by scripts/try/eas25.ts\r\n`;
  const r = await wm5.command("SendMail", null, { params: { SaveInSent: "T" }, rawBody: mime, contentType: "message/rfc822" });
  check(r.status === 200 && r.raw.length === 0, `expected an empty 200, got ${brief(r)}`);
  say("HTTP 200, empty body (success)");
});

await step("Ping: the phone waits on its Inbox; new mail ends the wait with Status 2", async () => {
  // Pick up what is already there (the message just sent to ourselves: local delivery goes through the outbox,
  // so it may take a moment) so that the Ping really waits.
  let seen = false;
  for (const until = Date.now() + 15_000; Date.now() < until; ) {
    const r = await wm5.command(
      "Sync",
      A(
        "Sync",
        A("Collections", A("Collection", A("Class", "Email"), A("SyncKey", inboxKey), A("CollectionId", INBOX), A("GetChanges", 1))),
      ),
      { validate: false },
    );
    validSync(r);
    if (r.tree) {
      inboxKey = childText(coll(r), "SyncKey") ?? inboxKey;
      const subjects = childrenNamed(child(coll(r), "Commands"), "Add").map((a) =>
        childText(child(a, "ApplicationData"), "Subject", "Email"),
      );
      seen ||= subjects.includes(subject);
      continue;
    }
    if (seen) break;
    await new Promise((res) => setTimeout(res, 300));
  }
  check(seen, `"${subject}" did not arrive in the Inbox`);
  say(`"${subject}" arrived in the Inbox and was synced`);
  const ping = wm5.command(
    "Ping",
    el(
      "Ping",
      "Ping",
      el("Ping", "HeartbeatInterval", 480),
      el("Ping", "Folders", el("Ping", "Folder", el("Ping", "Id", INBOX), el("Ping", "Class", "Email"))),
    ),
  );
  check((await within(ping, 2000)) === "pending", "the Ping answered before any new mail");
  say("Ping held for 2 s (nothing new)");
  const t0 = performance.now();
  const d = await deliver(o, "friend@elsewhere.test", USER, `Hello 2.5 phone ${run}`);
  check(d.status === 200, `email handler: HTTP ${d.status}`);
  const r = await ping;
  check(childText(r.tree, "Status") === "2", `expected Ping Status 2\n${brief(r)}`);
  say(
    `mail delivered → Ping Status 2 for folder ${childText(child(r.tree, "Folders"), "Folder")} after ${(performance.now() - t0).toFixed(0)} ms`,
  );
});

await step("The admin API prints the quirks of a Windows Mobile 6.1 device", async () => {
  const wm61 = phone(o, {
    user: USER,
    password: PASSWORD,
    deviceId: `tryWM61${run}`,
    deviceType: "PocketPC",
    protocolVersion: "12.0",
    userAgent: "MSFT-PPC/5.2.5082",
  });
  const fs = await wm61.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
  check(fs.status === 200, `FolderSync: HTTP ${fs.status}`);
  const r = await admin(o, "GET", `/mailboxes/${USER}/devices/tryWM61${run}`);
  check(r.status === 200, `HTTP ${r.status}: ${r.text}`);
  const quirks = r.json.quirks as { id: string; behaviour: string; source: string }[];
  check(
    quirks.some((q) => q.id === "class-in-sync-response"),
    `expected the Class rule\n${r.text}`,
  );
  for (const q of quirks) say(`${q.id}: ${q.behaviour} [${q.source}]`);
});

finish();
