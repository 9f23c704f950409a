// Calendar, contacts, tasks and notes on the phone end to end (issue 7 "Done when"): a scripted phone
// against the Worker under `wrangler dev`, every decoded response validated by the kit (Phone.command).
import { beforeAll, describe, expect, inject, it } from "vitest";
// @ts-expect-error plain ESM demo data shared with `npm start`
import { demoCalendarIcs, demoContactsVcf } from "../../scripts/demo-pim.mjs";
import { encodeTimeZone } from "../../src/formats/timezone-blob";
import { timeZoneForZone } from "../../src/formats/timezone-rule";
import { child, childText, childrenNamed, el, type WbxmlElement } from "../../src/wbxml/index";
import { insertAccount } from "./accounts";
import { Phone, type PhoneResponse } from "./phone";
import { syncRequest } from "./sync-requests";

const url = inject("workerUrl");
const persistTo = inject("persistTo");
const adminToken = inject("adminToken");
const USER = "pim-e2e@example.test";
const PW = "pim e2e password";

async function admin(method: string, file: string, body?: string, type = "text/plain") {
  const res = await fetch(`${url}/admin/v1/mailboxes/${encodeURIComponent(USER)}/${file}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, "content-type": type },
    body,
  });
  return { status: res.status, text: await res.text() };
}

const coll = (r: PhoneResponse) => child(child(r.tree, "Collections"), "Collection");
const commands = (r: PhoneResponse, op: string) => childrenNamed(child(coll(r), "Commands"), op);
const A = (name: string, ...kids: (WbxmlElement | string | number | false | undefined)[]) => el("AirSync", name, ...kids);
const C = (name: string, ...kids: (WbxmlElement | string | number)[]) => el("Calendar", name, ...kids);
const options = A(
  "Options",
  A("FilterType", 0),
  el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1), el("AirSyncBase", "TruncationSize", 32768)),
);

/** Sync a collection to the end from SyncKey 0; returns the key and every Add's ServerId → ApplicationData. */
async function syncAll(p: Phone, id: string, supported?: WbxmlElement): Promise<{ key: string; items: Map<string, WbxmlElement> }> {
  const boot = await p.command("Sync", syncRequest(id, "0", [supported]));
  expect(childText(coll(boot), "Status")).toBe("1");
  let key = childText(coll(boot), "SyncKey")!;
  const items = new Map<string, WbxmlElement>();
  for (;;) {
    const r = await p.command("Sync", syncRequest(id, key, [A("WindowSize", 2), options]));
    if (r.raw.length === 0) break;
    expect(childText(coll(r), "Status")).toBe("1");
    for (const a of commands(r, "Add")) items.set(childText(a, "ServerId")!, child(a, "ApplicationData")!);
    key = childText(coll(r), "SyncKey")!;
    if (!child(coll(r), "MoreAvailable")) break;
  }
  return { key, items };
}

let folders: Map<number, string>;

beforeAll(async () => {
  await insertAccount(persistTo, USER, PW);
  expect((await admin("PUT", "calendar.ics", demoCalendarIcs(), "text/calendar")).status).toBe(200);
  expect((await admin("PUT", "contacts.vcf", demoContactsVcf(), "text/vcard")).status).toBe(200);
}, 60_000);

describe("PIM on the phone", () => {
  const iphone = new Phone({
    baseUrl: url,
    user: USER,
    password: PW,
    deviceId: "pimIphone161",
    deviceType: "iPhone",
    protocolVersion: "16.1",
    userAgent: "Apple-iPhone/2001.1",
  });
  const android = new Phone({
    baseUrl: url,
    user: USER,
    password: PW,
    deviceId: "pimAndroid141",
    deviceType: "Android",
    protocolVersion: "14.1",
    userAgent: "Android-Mail/2024",
  });

  it("FolderSync shows Calendar (8), Contacts (9), Tasks (7) and Notes (10)", async () => {
    const fs = await iphone.command("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
    folders = new Map(
      childrenNamed(child(fs.tree, "Changes"), "Add").map((a) => [Number(childText(a, "Type")), childText(a, "ServerId")!]),
    );
    for (const t of [7, 8, 9, 10]) expect(folders.get(t), `folder type ${t}`).toBeDefined();
  });

  it("syncs each to the end; adds an event (ClientId retry does not duplicate); deletes one occurrence by InstanceId; the admin export has it all", async () => {
    const cal = folders.get(8)!;
    const { key, items } = await syncAll(iphone, cal);
    expect(items.size).toBe(5);
    const standup = [...items.entries()].find(([, d]) => childText(d, "Subject", "Calendar") === "Team stand-up")!;
    expect(childrenNamed(child(standup[1], "Exceptions", "Calendar"), "Exception", "Calendar")).toHaveLength(2);
    for (const t of [7, 9, 10]) await syncAll(iphone, folders.get(t)!);

    const add = A(
      "Add",
      A("ClientId", "client-event-1"),
      A(
        "ApplicationData",
        C("Timezone", encodeTimeZone(timeZoneForZone("Europe/Paris", 2026))),
        C("AllDayEvent", 0),
        C("StartTime", "20261203T130000Z"),
        C("EndTime", "20261203T140000Z"),
        C("Subject", "Dentist"),
        C("BusyStatus", 2),
        C("Sensitivity", 0),
        C("MeetingStatus", 0),
        C("ClientUid", "dentist-uid-1"),
      ),
    );
    const added = await iphone.command("Sync", syncRequest(cal, key, [A("Commands", add)]));
    const resp = child(child(coll(added), "Responses"), "Add");
    expect(childText(resp, "Status")).toBe("1");
    const serverId = childText(resp, "ServerId")!;
    const key2 = childText(coll(added), "SyncKey")!;
    const again = await iphone.command("Sync", syncRequest(cal, key2, [A("Commands", add)]));
    expect(childText(child(child(coll(again), "Responses"), "Add"), "ServerId")).toBe(serverId); // MS-ASCMD ClientId
    let key3 = childText(coll(again), "SyncKey")!;

    // 16.1: the device deletes next Friday's stand-up occurrence by InstanceId (MS-ASCAL_R2113).
    const exc = childrenNamed(child(standup[1], "Exceptions", "Calendar"), "Exception", "Calendar");
    const moved = exc.find((e) => !child(e, "Deleted", "Calendar"))!;
    const movedId = childText(moved, "InstanceId", "AirSyncBase")!;
    const del = await iphone.command(
      "Sync",
      syncRequest(cal, key3, [A("Commands", A("Delete", A("ServerId", standup[0]), el("AirSyncBase", "InstanceId", movedId)))]),
    );
    expect(childText(coll(del), "Status")).toBe("1");
    key3 = childText(coll(del), "SyncKey")!;

    const ics = await admin("GET", "calendar.ics");
    expect(ics.text).toContain("SUMMARY:Dentist");
    expect(ics.text).toContain("DTSTART;TZID=Europe/Paris:20261203T140000");
    expect(ics.text.match(/SUMMARY:Dentist/g)).toHaveLength(1);
    expect(ics.text).not.toContain("Team stand-up (moved)");

    // A server-side change reaches the device as a Change.
    const edited = ics.text.replace("SUMMARY:Call with the New York office", "SUMMARY:Call with New York (moved room)");
    expect((await admin("PUT", "calendar.ics", edited, "text/calendar")).status).toBe(200);
    const down = await iphone.command("Sync", syncRequest(cal, key3, [options]));
    const change = commands(down, "Change");
    expect(change).toHaveLength(1);
    expect(childText(child(change[0], "ApplicationData"), "Subject", "Calendar")).toBe("Call with New York (moved room)");

    const estimate = await iphone.command(
      "GetItemEstimate",
      el(
        "GetItemEstimate",
        "GetItemEstimate",
        el(
          "GetItemEstimate",
          "Collections",
          el(
            "GetItemEstimate",
            "Collection",
            el("AirSync", "SyncKey", childText(coll(down), "SyncKey")!),
            el("GetItemEstimate", "CollectionId", cal),
            options,
          ),
        ),
      ),
    );
    expect(childText(child(child(estimate.tree, "Response"), "Collection"), "Estimate")).toBe("0");
  });

  it("a 14.1 phone edits a contact's name with a Supported list: photo, third work phone, labels and birthday stay (anchors §3 row 15)", async () => {
    const contacts = folders.get(9)!;
    const supported = A(
      "Supported",
      ...[
        "FirstName",
        "LastName",
        "MiddleName",
        "FileAs",
        "BusinessPhoneNumber",
        "Business2PhoneNumber",
        "MobilePhoneNumber",
        "Email1Address",
        "Email2Address",
        "Email3Address",
      ].map((n) => el("Contacts", n)),
    );
    const { key, items } = await syncAll(android, contacts, supported);
    expect(items.size).toBe(3);
    const [adaId, ada] = [...items.entries()].find(([, d]) => childText(d, "LastName", "Contacts") === "Lovelace")!;
    expect(childText(ada, "Birthday", "Contacts")).toBe("1815-12-10T08:00:00.000Z"); // Android convention
    expect(child(ada, "Picture", "Contacts")).toBeDefined();
    const change = A(
      "Change",
      A("ServerId", adaId),
      A(
        "ApplicationData",
        el("Contacts", "FirstName", "Augusta Ada"),
        el("Contacts", "LastName", "King"),
        el("Contacts", "FileAs", "King, Augusta Ada"),
        el("Contacts", "BusinessPhoneNumber", childText(ada, "BusinessPhoneNumber", "Contacts")!),
        el("Contacts", "Business2PhoneNumber", childText(ada, "Business2PhoneNumber", "Contacts")!),
        el("Contacts", "MobilePhoneNumber", childText(ada, "MobilePhoneNumber", "Contacts")!),
        el("Contacts", "Email1Address", childText(ada, "Email1Address", "Contacts")!),
        el("Contacts", "Email2Address", childText(ada, "Email2Address", "Contacts")!),
      ),
    );
    const r = await android.command("Sync", syncRequest(contacts, key, [A("Commands", change)]));
    expect(childText(coll(r), "Status")).toBe("1");
    expect(child(coll(r), "Responses")).toBeUndefined(); // no failure to report

    const vcf = (await admin("GET", "contacts.vcf")).text;
    const card = vcf.split("END:VCARD").find((c) => c.includes("demo-ada@"))!;
    expect(card).toContain("N:King;Augusta Ada;");
    expect(card).toContain("FN:King\\, Augusta Ada");
    for (const kept of [
      "+44 20 7946 0003",
      "X-ABLABEL:LAB",
      "ITEM2.X-ABLABEL:WEEKEND",
      "PHOTO",
      "St James",
      "NOTE:Wrote the first published algorithm.",
    ])
      expect(card.toUpperCase()).toContain(kept.toUpperCase());
    expect(card).toMatch(/BDAY[^:]*:1815-?12-?10/);

    // ItemOperations Fetch of the card (MS-ASCMD 2.2.1.10): the same properties as Sync, Class Contacts.
    const fetched = await android.command(
      "ItemOperations",
      el(
        "ItemOperations",
        "ItemOperations",
        el("ItemOperations", "Fetch", el("ItemOperations", "Store", "Mailbox"), A("CollectionId", contacts), A("ServerId", adaId)),
      ),
    );
    const fetch = child(child(fetched.tree, "Response"), "Fetch")!;
    expect(childText(fetch, "Status")).toBe("1");
    expect(childText(fetch, "Class", "AirSync")).toBe("Contacts");
    expect(childText(child(fetch, "Properties"), "FirstName", "Contacts")).toBe("Augusta Ada");

    // The other phone gets the edit, with the photo.
    const down = await iphone.command("Sync", syncRequest(contacts, "0"));
    const all = await syncAll(iphone, contacts);
    void down;
    const mine = [...all.items.values()].find((d) => childText(d, "LastName", "Contacts") === "King")!;
    expect(childText(mine, "FirstName", "Contacts")).toBe("Augusta Ada");
    expect(child(mine, "Picture", "Contacts")).toBeDefined();
  });

  it("an iMIP invitation mailed in shows as a meeting request (14.1 and 16.1), sits tentative in the calendar; accepting it updates the calendar", async () => {
    const ics = [
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//Organizer//EN",
      "METHOD:REQUEST",
      "BEGIN:VEVENT",
      "UID:e2e-meeting@organizer.example",
      "SEQUENCE:0",
      "DTSTAMP:20261120T100000Z",
      "DTSTART;TZID=America/New_York:20261207T100000",
      "DTEND;TZID=America/New_York:20261207T110000",
      "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4",
      "SUMMARY:Weekly sync with NY",
      "LOCATION:Zoom",
      "ORGANIZER;CN=Olga:mailto:olga@organizer.example",
      `ATTENDEE;CN=Me;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${USER}`,
      "END:VEVENT",
      "END:VCALENDAR",
      "",
    ].join("\r\n");
    const mime = [
      "From: Olga <olga@organizer.example>",
      `To: ${USER}`,
      "Subject: Invitation: Weekly sync with NY",
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <${crypto.randomUUID()}@organizer.example>`,
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="b"',
      "",
      "--b",
      "Content-Type: text/plain",
      "",
      "Join us.",
      "--b",
      "Content-Type: text/calendar; charset=utf-8; method=REQUEST",
      "",
      ics,
      "--b--",
      "",
    ].join("\r\n");
    const res = await fetch(`${url}/cdn-cgi/handler/email?from=olga@organizer.example&to=${encodeURIComponent(USER)}`, {
      method: "POST",
      body: mime,
    });
    expect(res.status, await res.text()).toBe(200);

    let requestId = "";
    for (const p of [android, iphone]) {
      const inbox = await syncAll(p, "1");
      const invite = [...inbox.items.entries()].find(([, d]) => childText(d, "MessageClass", "Email") === "IPM.Schedule.Meeting.Request")!;
      expect(invite, p.config.protocolVersion).toBeDefined();
      const mr = child(invite[1], "MeetingRequest", "Email")!;
      expect(childText(mr, "StartTime", "Email")).toBe("2026-12-07T15:00:00.000Z");
      expect(childText(mr, "InstanceType", "Email")).toBe("1");
      expect(child(child(mr, "Recurrences", "Email"), "Recurrence", "Email")).toBeDefined();
      requestId = invite[0];
    }
    const cal = (await admin("GET", "calendar.ics")).text;
    expect(cal).toContain("UID:e2e-meeting@organizer.example");
    expect(cal).toContain("X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE");

    const answer = el(
      "MeetingResponse",
      "MeetingResponse",
      el(
        "MeetingResponse",
        "Request",
        el("MeetingResponse", "UserResponse", 1),
        el("MeetingResponse", "CollectionId", "1"),
        el("MeetingResponse", "RequestId", requestId),
      ),
    );
    for (let i = 0; i < 2; i++) {
      const r = await android.command("MeetingResponse", answer);
      expect(childText(child(r.tree, "Result"), "Status")).toBe("1");
      expect(childText(child(r.tree, "Result"), "CalendarId")).toMatch(new RegExp(`^${folders.get(8)}:`));
    }
    const after = (await admin("GET", "calendar.ics")).text;
    expect(after).toContain(`PARTSTAT=ACCEPTED:mailto:${USER}`);
  });

  it("npm start's demo seed creates the mailbox with its calendar and address book", async () => {
    // @ts-expect-error plain ESM helper shared with `npm start`
    const { seedDemo } = await import("../../scripts/seed-demo.mjs");
    const address = `seed-${Date.now()}@example.test`;
    expect((await seedDemo(url, { adminToken, address, password: "seed pw" })).created).toBe(true);
    const get = (file: string) =>
      fetch(`${url}/admin/v1/mailboxes/${encodeURIComponent(address)}/${file}`, {
        headers: { authorization: `Bearer ${adminToken}` },
      }).then((r) => r.text());
    expect((await get("calendar.ics")).match(/BEGIN:VEVENT/g)).toHaveLength(6);
    expect((await get("contacts.vcf")).match(/BEGIN:VCARD/g)).toHaveLength(3);
  });
});
