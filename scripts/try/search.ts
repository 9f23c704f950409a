// Issue 16 "done when", tried as a new user would, against a running `npm start`:
//  - a phone searches the demo mailbox for a word of its oldest message (Search Store=Mailbox), fetches the
//    result by its LongId (ItemOperations) and replies to it (SmartReply by LongId);
//  - an admin adds a second mailbox on the demo domain with a name and a calendar: GAL search and
//    ResolveRecipients find it by name, with availability from its calendar; a mailbox of another domain
//    with the same name is never found; Find (16.1) finds both the mail and the colleague;
//  - a draft saved from one device appears on another; sent (SendMail, then the phone removes its draft, as
//    phones do), it leaves Drafts on the other device too;
//  - a conversation (two messages to oneself) is moved whole with ItemOperations Move (MoveAlways), found by
//    its email2:ConversationId with Search.
//   npm run try:search [-- --url http://127.0.0.1:8787] [-- --token dev-admin-token]
import { child, childrenNamed, childText, el, type WbxmlElement } from "../../src/wbxml/index";
import { admin, brief, check, finish, options, phone, type PhoneResponse, say, step } from "./lib";

const o = options();
const USER = o.values.get("user") ?? "demo@example.test";
const PASSWORD = o.values.get("password") ?? "demo";
const DOMAIN = USER.split("@")[1]!;
const run = Date.now().toString(36);
const COLLEAGUE = `lena.moretti.${run}@${DOMAIN}`;
const STRANGER = `lena.${run}@elsewhere-${run}.test`;
const DRAFTS = "2";
// The colleague's name is new on each run (earlier runs' colleagues stay in the address book).
const LAST = `Moretti-${run}`;

const device = (deviceId: string, protocolVersion = "16.1") =>
  phone(o, { user: USER, password: PASSWORD, deviceId, deviceType: "iPhone", protocolVersion, userAgent: "Apple-iPhone15C2/2201.83" });
const a = device(`trySearchA${run}`);
const b = device(`trySearchB${run}`);
const s = (name: string, ...c: Parameters<typeof el>[2][]) => el("Search", name, ...c);
const rr = (name: string, ...c: Parameters<typeof el>[2][]) => el("ResolveRecipients", name, ...c);
const store = (r: PhoneResponse) => child(child(r.tree, "Response"), "Store");
const results = (r: PhoneResponse) => childrenNamed(store(r), "Result").filter((x) => x.children.length > 0);
const collection = (r: PhoneResponse) => child(child(r.tree, "Collections"), "Collection");

const tomorrow = new Date(Date.now() + 86_400_000);
const day = `${tomorrow.getUTCFullYear()}${String(tomorrow.getUTCMonth() + 1).padStart(2, "0")}${String(tomorrow.getUTCDate()).padStart(2, "0")}`;
const isoDay = `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`;

function syncBody(collectionId: string, key: string, extra: WbxmlElement[] = []): WbxmlElement {
  return el(
    "AirSync",
    "Sync",
    el(
      "AirSync",
      "Collections",
      el("AirSync", "Collection", el("AirSync", "SyncKey", key), el("AirSync", "CollectionId", collectionId), ...extra),
    ),
  );
}

async function syncDrafts(p: typeof a, key: string, extra: WbxmlElement[] = []): Promise<PhoneResponse> {
  const r = await p.command("Sync", syncBody(DRAFTS, key, extra));
  check(r.status === 200, `Sync: HTTP ${r.status}`);
  return r;
}

let longId = "";
let subject = "";

await step("FolderSync (demo account, EAS 16.1)", async () => {
  const r = await a.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
  check(childText(r.tree, "Status") === "1", brief(r));
});

await step('Search Store=Mailbox for "welcome" (a word of the oldest demo message)', async () => {
  const r = await a.command(
    "Search",
    s(
      "Search",
      s(
        "Store",
        s("Name", "Mailbox"),
        s("Query", s("And", el("AirSync", "Class", "Email"), s("FreeText", "welcome"))),
        s(
          "Options",
          s("Range", "0-9"),
          s("DeepTraversal"),
          el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1), el("AirSyncBase", "TruncationSize", 200)),
        ),
      ),
    ),
  );
  const hit = results(r)[0];
  check(hit, `no result:\n${brief(r)}`);
  longId = childText(hit, "LongId") ?? "";
  subject = childText(child(hit, "Properties"), "Subject", "Email") ?? "";
  check(longId, "the result has no LongId");
  say(`found "${subject}" (LongId ${longId}), Total ${childText(store(r), "Total")}, Server-Timing ${r.headers.get("Server-Timing")}`);
});

await step("ItemOperations Fetch by that LongId", async () => {
  const r = await a.command(
    "ItemOperations",
    el(
      "ItemOperations",
      "ItemOperations",
      el(
        "ItemOperations",
        "Fetch",
        el("ItemOperations", "Store", "Mailbox"),
        el("Search", "LongId", longId),
        el("ItemOperations", "Options", el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1))),
      ),
    ),
  );
  const fetch = child(child(r.tree, "Response"), "Fetch");
  check(childText(fetch, "Status") === "1", brief(r));
  const got = childText(child(fetch, "Properties"), "Subject", "Email");
  check(got === subject, `fetched "${got}", expected "${subject}"`);
  say(
    `"${got}": ${(childText(child(child(fetch, "Properties"), "Body", "AirSyncBase"), "Data", "AirSyncBase") ?? "").slice(0, 60).replace(/\s+/g, " ")}…`,
  );
});

await step(
  "an admin adds a colleague on the demo domain (mailbox, GAL details, a calendar with a meeting tomorrow 09:00–10:00 UTC)",
  async () => {
    check((await admin(o, "POST", "/mailboxes", { address: COLLEAGUE, password: "colleague secret" })).status === 201, "POST /mailboxes");
    const gal = await admin(o, "PUT", `/gal/${COLLEAGUE}`, {
      displayName: `Lena ${LAST}`,
      firstName: "Lena",
      lastName: LAST,
      title: "Controller",
    });
    check(gal.status === 200, gal.text);
    const ics = [
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//try//EN",
      "BEGIN:VEVENT",
      `UID:try-${run}@example.test`,
      "DTSTAMP:20260101T000000Z",
      `DTSTART:${day}T090000Z`,
      `DTEND:${day}T100000Z`,
      "SUMMARY:Quarter close",
      "END:VEVENT",
      "END:VCALENDAR",
      "",
    ].join("\r\n");
    const res = await fetch(`${o.url}/admin/v1/mailboxes/${COLLEAGUE}/calendar.ics`, {
      method: "PUT",
      headers: { authorization: `Bearer ${o.token}`, "content-type": "text/calendar" },
      body: ics,
    });
    check(res.status === 200, `PUT calendar.ics: HTTP ${res.status} ${await res.text()}`);
    check(
      (await admin(o, "POST", "/mailboxes", { address: STRANGER, password: "stranger secret" })).status === 201,
      "POST /mailboxes (other domain)",
    );
    check((await admin(o, "PUT", `/gal/${STRANGER}`, { displayName: "Lena Stranger" })).status === 200, "PUT /gal (other domain)");
    say(`${COLLEAGUE} (and ${STRANGER} on another domain, also named Lena)`);
  },
);

await step('Search Store=GAL for "lena mor": the colleague (and earlier runs\' colleagues), never the other domain', async () => {
  const r = await a.command(
    "Search",
    s("Search", s("Store", s("Name", "GAL"), s("Query", `lena ${LAST.slice(0, 3)}`), s("Options", s("Range", "0-99")))),
  );
  const found = results(r).map((x) => childText(child(x, "Properties"), "EmailAddress", "GAL"));
  check(found.includes(COLLEAGUE), `colleague not found:\n${brief(r)}`);
  check(!r.xml?.includes(STRANGER), `another domain's address was returned:\n${brief(r)}`);
  say(`found ${found.join(", ")}`);
});

await step("ResolveRecipients with Availability for tomorrow 08:00–12:00 UTC", async () => {
  const r = await a.command(
    "ResolveRecipients",
    rr(
      "ResolveRecipients",
      rr("To", `Lena ${LAST}`),
      rr("Options", rr("Availability", rr("StartTime", `${isoDay}T08:00:00.000Z`), rr("EndTime", `${isoDay}T12:00:00.000Z`))),
    ),
  );
  const resp = child(r.tree, "Response");
  const rec = child(resp, "Recipient");
  check(childText(resp, "Status") === "1" && childText(rec, "EmailAddress") === COLLEAGUE, brief(r, 20));
  const merged = childText(child(rec, "Availability"), "MergedFreeBusy");
  check(merged === "00220000", `MergedFreeBusy ${merged}, expected 00220000 (busy 09:00–10:00)`);
  say(`${childText(rec, "DisplayName")} <${COLLEAGUE}>: MergedFreeBusy ${merged} (30-minute slots from 08:00)`);
  const other = await a.command("ResolveRecipients", rr("ResolveRecipients", rr("To", STRANGER)));
  check(childText(child(other.tree, "Response"), "Status") === "4", `the other domain's address resolved:\n${brief(other)}`);
  say(`${STRANGER}: not resolved (Status 4)`);
});

await step("Find (16.1): the mail and the colleague", async () => {
  const f = (name: string, ...c: Parameters<typeof el>[2][]) => el("Find", name, ...c);
  const mail = await a.command(
    "Find",
    f("Find", f("SearchId", crypto.randomUUID()), f("ExecuteSearch", f("MailBoxSearchCriterion", f("Query", f("FreeText", "welcome"))))),
  );
  check(childrenNamed(child(mail.tree, "Response"), "Result").length > 0, brief(mail));
  const gal = await a.command(
    "Find",
    f("Find", f("SearchId", crypto.randomUUID()), f("ExecuteSearch", f("GalSearchCriterion", f("Query", f("FreeText", LAST))))),
  );
  check(gal.xml?.includes(COLLEAGUE), brief(gal));
  say(`mail: Total ${childText(child(mail.tree, "Response"), "Total")}; GAL: ${COLLEAGUE}`);
});

await step("SmartReply by LongId (to the colleague)", async () => {
  const mime = `From: ${USER}\r\nTo: ${COLLEAGUE}\r\nSubject: RE: ${subject}\r\nContent-Type: text/plain\r\n\r\nThanks, found it with search.\r\n`;
  const r = await a.command(
    "SmartReply",
    el(
      "ComposeMail",
      "SmartReply",
      el("ComposeMail", "ClientId", `try-reply-${run}`),
      el("ComposeMail", "Source", el("ComposeMail", "LongId", longId)),
      el("ComposeMail", "Mime", new TextEncoder().encode(mime)),
    ),
  );
  check(r.status === 200 && r.raw.length === 0, brief(r));
  say("accepted (empty 200)");
});

let keyA = "";
let keyB = "";
let draftId = "";
const draftSubject = `Draft from device A ${run}`;

await step("a draft saved on device A (Sync Add in Drafts, MIME body) appears on device B with its Subject", async () => {
  keyA = childText(collection(await syncDrafts(a, "0")), "SyncKey")!;
  keyA = childText(collection(await syncDrafts(a, keyA)), "SyncKey") ?? keyA;
  keyB = childText(collection(await syncDrafts(b, "0")), "SyncKey")!;
  keyB = childText(collection(await syncDrafts(b, keyB)), "SyncKey") ?? keyB;
  const mime = `To: ${COLLEAGUE}\r\nSubject: ${draftSubject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNot finished yet.\r\n`;
  const add = await syncDrafts(a, keyA, [
    el(
      "AirSync",
      "Commands",
      el(
        "AirSync",
        "Add",
        el("AirSync", "ClientId", `draft-${run}`),
        el("AirSync", "ApplicationData", el("AirSyncBase", "Body", el("AirSyncBase", "Type", 4), el("AirSyncBase", "Data", mime))),
      ),
    ),
  ]);
  const resp = child(child(collection(add), "Responses"), "Add");
  check(childText(resp, "Status") === "1", brief(add));
  draftId = childText(resp, "ServerId")!;
  keyA = childText(collection(add), "SyncKey")!;
  const seen = await syncDrafts(b, keyB, [el("AirSync", "Options", el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1)))]);
  keyB = childText(collection(seen), "SyncKey") ?? keyB;
  const adds = childrenNamed(child(collection(seen), "Commands"), "Add");
  const mine = adds.find((x) => childText(x, "ServerId") === draftId);
  const got = childText(child(mine, "ApplicationData"), "Subject", "Email");
  check(got === draftSubject, `device B sees Subject "${got}", expected "${draftSubject}"`);
  say(`device B: ${draftId} "${got}"`);
});

await step("device A sends it (SendMail) and removes its draft; device B sees it leave Drafts", async () => {
  const mime = `From: ${USER}\r\nTo: ${COLLEAGUE}\r\nSubject: ${draftSubject}\r\nContent-Type: text/plain\r\n\r\nFinished.\r\n`;
  const sent = await a.command(
    "SendMail",
    el("ComposeMail", "SendMail", el("ComposeMail", "ClientId", `send-${run}`), el("ComposeMail", "Mime", new TextEncoder().encode(mime))),
  );
  check(sent.status === 200 && sent.raw.length === 0, brief(sent));
  const del = await syncDrafts(a, keyA, [el("AirSync", "Commands", el("AirSync", "Delete", el("AirSync", "ServerId", draftId)))]);
  check(del.status === 200, brief(del));
  const seen = await syncDrafts(b, keyB);
  const gone = childrenNamed(child(collection(seen), "Commands"), "Delete").map((x) => childText(x, "ServerId"));
  check(gone.includes(draftId), `device B was not told: ${brief(seen)}`);
  say(`device B: Delete ${draftId}`);
});

await step("a conversation of two messages to oneself is moved whole: ItemOperations Move with MoveAlways (14.0+)", async () => {
  const word = `Kayak${run}`;
  const first = `<kayak-${run}-0@${DOMAIN}>`; // the first message's Message-ID: the reply names it
  const send = async (n: number, extra: string) => {
    const mime = `From: ${USER}\r\nTo: ${USER}\r\nSubject: ${n ? "Re: " : ""}${word} trip\r\nMessage-ID: <kayak-${run}-${n}@${DOMAIN}>\r\n${extra}Content-Type: text/plain\r\n\r\nPaddles ready (${n}).\r\n`;
    const r = await a.command(
      "SendMail",
      el(
        "ComposeMail",
        "SendMail",
        el("ComposeMail", "ClientId", `kayak-${run}-${n}`),
        el("ComposeMail", "Mime", new TextEncoder().encode(mime)),
      ),
    );
    check(r.status === 200 && r.raw.length === 0, brief(r));
  };
  await send(0, "");
  await send(1, `In-Reply-To: ${first}\r\nReferences: ${first}\r\n`);
  const inbox = (extra: WbxmlElement[]) =>
    a.command("Search", s("Search", s("Store", s("Name", "Mailbox"), s("Query", s("And", ...extra)), s("Options", s("Range", "0-9")))));
  let found: PhoneResponse | undefined;
  for (let i = 0; i < 50; i++) {
    found = await inbox([el("AirSync", "CollectionId", "1"), s("FreeText", word)]);
    if (results(found).length >= 2) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  check(found && results(found).length === 2, `the two messages did not arrive in the Inbox:\n${found && brief(found)}`);
  const id = child(child(results(found)[0], "Properties"), "ConversationId", "Email2")?.children[0];
  check(id instanceof Uint8Array, `no email2:ConversationId in the results:\n${brief(found)}`);
  const fs = await a.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
  const created = await a.command(
    "FolderCreate",
    el(
      "FolderHierarchy",
      "FolderCreate",
      el("FolderHierarchy", "SyncKey", childText(fs.tree, "SyncKey")!),
      el("FolderHierarchy", "ParentId", "0"),
      el("FolderHierarchy", "DisplayName", `Kayak ${run}`),
      el("FolderHierarchy", "Type", 12),
    ),
  );
  const dst = childText(created.tree, "ServerId");
  check(dst, brief(created));
  const io = (name: string, ...c: Parameters<typeof el>[2][]) => el("ItemOperations", name, ...c);
  const moved = await a.command(
    "ItemOperations",
    io("ItemOperations", io("Move", io("ConversationId", id), io("DstFldId", dst), io("Options", io("MoveAlways")))),
  );
  check(childText(child(child(moved.tree, "Response"), "Move"), "Status") === "1", brief(moved));
  const after = await inbox([s("ConversationId", id)]);
  const where = results(after).map((x) => childText(x, "CollectionId", "AirSync"));
  // Sent Items copies (if any) stay where they are ([MS-ASCON] 3.2.5.3.2: every folder but Sent Items).
  check(where.filter((c) => c === dst).length === 2 && !where.includes("1"), `the conversation is in ${where.join(", ")}, expected ${dst}`);
  say(`Move Status 1: both messages of "${word} trip" are now in folder ${dst} ("Kayak ${run}"); its next mail goes there too`);
});

finish();
