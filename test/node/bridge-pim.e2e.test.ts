// Calendar and contacts of a bridged mailbox end to end (issue 8 §5, §6): the phone's calendar and address
// book are the account's collections on Radicale (CalDAV/CardDAV), reached by the Worker with the account's
// own login. Both directions: what the phone creates is on Radicale, what is put on Radicale reaches the phone.
import "./bridge-env";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeTimeZone } from "../../src/formats/timezone-blob";
import { timeZoneForZone } from "../../src/formats/timezone-rule";
import { child, childText, el, type WbxmlElement } from "../../src/wbxml/index";
import {
  A,
  type BridgeAccount,
  bridgedPhone,
  bridgeMailbox,
  collection,
  dav,
  davCollection,
  folderOfType,
  folderSync,
  newBridgeAccount,
  syncMore,
} from "./bridge-client";
import type { Phone } from "./phone";
import { syncRequest } from "./sync-requests";

let account: BridgeAccount;
let phone: Phone;
const C = (name: string, ...kids: (WbxmlElement | string | number)[]) => el("Calendar", name, ...kids);
const K = (name: string, value: string) => el("Contacts", name, value);
const PIM_OPTIONS = A(
  "Options",
  A("FilterType", 0),
  el("AirSyncBase", "BodyPreference", el("AirSyncBase", "Type", 1), el("AirSyncBase", "TruncationSize", 32768)),
);

/** Every object's text in a Radicale collection (PROPFIND Depth 1, then GET each). */
async function davObjects(which: "calendar" | "contacts"): Promise<string[]> {
  const base = davCollection(account, which);
  const list = await dav(
    account,
    "PROPFIND",
    base,
    `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`,
    [207],
    { Depth: "1" },
  );
  const hrefs = [...list.text.matchAll(/<(?:\w+:)?href>([^<]+)<\/(?:\w+:)?href>/g)].map((m) => m[1]!).filter((h) => /\.(ics|vcf)$/.test(h));
  const origin = new URL(base).origin;
  return Promise.all(hrefs.map(async (h) => (await dav(account, "GET", origin + h, undefined, [200])).text));
}

/** SyncKey 0 then every page: the key and the Adds by ServerId. */
async function syncFolder(id: string): Promise<{ key: string; items: Map<string, WbxmlElement> }> {
  const boot = await phone.command("Sync", syncRequest(id, "0"));
  expect(childText(collection(boot), "Status")).toBe("1");
  return syncMore(phone, id, childText(collection(boot), "SyncKey")!, 50, PIM_OPTIONS);
}

async function addFromPhone(
  folderId: string,
  key: string,
  clientId: string,
  data: WbxmlElement[],
): Promise<{ key: string; serverId: string }> {
  const r = await phone.command(
    "Sync",
    syncRequest(folderId, key, [A("Commands", A("Add", A("ClientId", clientId), A("ApplicationData", ...data)))]),
  );
  const c = collection(r);
  expect(childText(c, "Status"), r.xml).toBe("1");
  const resp = child(child(c, "Responses"), "Add");
  expect(childText(resp, "Status"), r.xml).toBe("1");
  return { key: childText(c, "SyncKey")!, serverId: childText(resp, "ServerId")! };
}

let calendarId: string;
let contactsId: string;

beforeAll(async () => {
  account = await newBridgeAccount("pim");
  const res = await bridgeMailbox(account);
  expect(res.status, await res.clone().text()).toBe(201);
  phone = bridgedPhone(account, "bridgePim161");
  const fs = await folderSync(phone);
  calendarId = folderOfType(fs.folders, 8).id;
  contactsId = folderOfType(fs.folders, 9).id;
});

describe("calendar and contacts of a bridged mailbox (CalDAV/CardDAV on Radicale)", () => {
  it("an event created on the phone appears in Radicale; one created in Radicale appears on the phone", async () => {
    let { key, items } = await syncFolder(calendarId);
    expect(items.size).toBe(0);
    const added = await addFromPhone(calendarId, key, "bridge-evt-1", [
      C("Timezone", encodeTimeZone(timeZoneForZone("Europe/Paris", 2026))),
      C("AllDayEvent", 0),
      C("StartTime", "20261210T090000Z"),
      C("EndTime", "20261210T100000Z"),
      C("Subject", "Planning from the phone"),
      C("BusyStatus", 2),
      C("Sensitivity", 0),
      C("MeetingStatus", 0),
    ]);
    key = added.key;
    const onServer = await davObjects("calendar");
    expect(onServer.filter((t) => t.includes("SUMMARY:Planning from the phone"))).toHaveLength(1);

    const ics = [
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//desktop//EN",
      "BEGIN:VEVENT",
      "UID:desktop-evt-1@bridge.test",
      "DTSTAMP:20261201T080000Z",
      "DTSTART:20261211T140000Z",
      "DTEND:20261211T150000Z",
      "SUMMARY:Review made on the desktop",
      "END:VEVENT",
      "END:VCALENDAR",
      "",
    ].join("\r\n");
    await dav(account, "PUT", davCollection(account, "calendar") + "desktop-evt-1.ics", ics, [201], {
      "Content-Type": "text/calendar; charset=utf-8",
    });
    const down = await syncMore(phone, calendarId, key, 50, PIM_OPTIONS);
    const subjects = [...down.items.values()].map((d) => childText(d, "Subject", "Calendar"));
    expect(subjects).toEqual(["Review made on the desktop"]);
    const evt = [...down.items.values()][0]!;
    expect(childText(evt, "StartTime", "Calendar")).toBe("20261211T140000Z");
  });

  it("contacts sync both ways: a phone contact becomes a vCard on Radicale, a vCard put there reaches the phone", async () => {
    let { key, items } = await syncFolder(contactsId);
    expect(items.size).toBe(0);
    key = (
      await addFromPhone(contactsId, key, "bridge-card-1", [
        K("FirstName", "Grace"),
        K("LastName", "Hopper"),
        K("FileAs", "Hopper, Grace"),
        K("Email1Address", "grace@navy.test"),
      ])
    ).key;
    const cards = await davObjects("contacts");
    const grace = cards.filter((t) => t.includes("grace@navy.test"));
    expect(grace).toHaveLength(1);
    expect(grace[0]).toMatch(/\nN:Hopper;Grace;/);

    const vcf = [
      "BEGIN:VCARD",
      "VERSION:3.0",
      "UID:desktop-card-1",
      "N:Lovelace;Ada;;;",
      "FN:Ada Lovelace",
      "EMAIL;TYPE=INTERNET:ada@engine.test",
      "END:VCARD",
      "",
    ].join("\r\n");
    await dav(account, "PUT", davCollection(account, "contacts") + "desktop-card-1.vcf", vcf, [201], {
      "Content-Type": "text/vcard; charset=utf-8",
    });
    const down = await syncMore(phone, contactsId, key, 50, PIM_OPTIONS);
    const got = [...down.items.values()];
    expect(
      got.map((d) => [
        childText(d, "FirstName", "Contacts"),
        childText(d, "LastName", "Contacts"),
        childText(d, "Email1Address", "Contacts"),
      ]),
    ).toEqual([["Ada", "Lovelace", expect.stringContaining("ada@engine.test")]]);
  });
});
