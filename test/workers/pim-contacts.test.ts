// vCard <-> [MS-ASCNTC] Contacts/Contacts2: ghosting, several phones of one type, photos, birthdays.
import { describe, expect, it } from "vitest";
import { contactFromEas, contactToEas, CONTACT_FIELDS, MAX_PICTURE_BASE64, type ContactContext } from "../../src/eas/pim/contacts";
import { contactDateFromEas, contactDateToEas, type DeviceFamily } from "../../src/eas/pim/contact-dates";
import { PimConversionError } from "../../src/formats/errors";
import { el } from "../../src/wbxml/tree";
import type { WbxmlElement } from "../../src/wbxml/types";
import { canonical } from "./helpers/pim-canonical";

const PHOTO = btoa(String.fromCharCode(...Array.from({ length: 3000 }, (_, i) => (i * 7) % 256))).replace(/^/, "/9j/");

const CARD = [
  "BEGIN:VCARD",
  "VERSION:3.0",
  "UID:card-1",
  "FN:Ada Lovelace",
  "N:Lovelace;Ada;Augusta;Lady;",
  "ORG:Analytical Engines;Research",
  "TITLE:Mathematician",
  "TEL;TYPE=WORK,VOICE:+44 20 1111 1111",
  "TEL;TYPE=WORK,VOICE:+44 20 2222 2222",
  "TEL;TYPE=WORK,VOICE:+44 20 3333 3333",
  "TEL;TYPE=CELL:+44 7700 900000",
  "item1.EMAIL;TYPE=INTERNET:ada@engines.example",
  "item1.X-ABLabel:Lab",
  "item2.EMAIL;TYPE=INTERNET:ada@home.example",
  "item2.X-ABLabel:_$!<Other>!$_",
  "ADR;TYPE=WORK:;;12 St James's Square;London;;SW1Y 4LB;United Kingdom",
  "BDAY:1815-12-10",
  "NOTE:First programmer.",
  "CATEGORIES:Friends,Science",
  `PHOTO;ENCODING=b;TYPE=JPEG:${PHOTO}`,
  "X-SOCIALPROFILE;TYPE=twitter:https://example.test/ada",
  "END:VCARD",
].join("\r\n");

const Ct = (name: string, v: string) => el("Contacts", name, v);
const find = (items: WbxmlElement[], name: string) => items.find((e) => e.name === name);
const textOf = (e: WbxmlElement | undefined) => (e ? (e.children[0] as string) : undefined);

describe("server card to the device", () => {
  it("maps two of the three work phones to Business/Business2, e-mails 1-2, address, birthday, picture (MS-ASCNTC_R90 MS-ASCNTC_R373)", () => {
    const out = contactToEas(CARD, { version: 14.1 });
    expect(textOf(find(out, "BusinessPhoneNumber"))).toBe("+44 20 1111 1111");
    expect(textOf(find(out, "Business2PhoneNumber"))).toBe("+44 20 2222 2222");
    expect(textOf(find(out, "MobilePhoneNumber"))).toBe("+44 7700 900000");
    expect(textOf(find(out, "Email1Address"))).toBe("ada@engines.example");
    expect(textOf(find(out, "Email2Address"))).toBe("ada@home.example");
    expect(textOf(find(out, "BusinessAddressCity"))).toBe("London");
    expect(textOf(find(out, "FirstName"))).toBe("Ada");
    expect(textOf(find(out, "Title"))).toBe("Lady");
    expect(textOf(find(out, "CompanyName"))).toBe("Analytical Engines");
    expect(textOf(find(out, "Birthday"))).toBe("1815-12-10T12:00:00.000Z");
    expect(textOf(find(out, "Picture"))).toBe(PHOTO);
  });

  it("leaves out a stored photo over 48 KB of base64 (MS-ASCNTC_R381)", () => {
    const big = "A".repeat(MAX_PICTURE_BASE64 + 4);
    const out = contactToEas(CARD.replace(PHOTO, big), { version: 14.1 });
    expect(find(out, "Picture")).toBeUndefined();
  });
});

describe("a device edits the name (anchors §3 row 15)", () => {
  const supported = new Set([
    "FirstName",
    "LastName",
    "MiddleName",
    "BusinessPhoneNumber",
    "Business2PhoneNumber",
    "MobilePhoneNumber",
    "Email1Address",
    "Email2Address",
    "Email3Address",
    "Picture",
    "Birthday",
  ]);

  it("with a Supported list: ghosted fields, the third work phone, the labels and the photo are kept (MS-ASCMD_R4537 MS-ASCMD_R5911 MS-ASCMD_R5912, MS-ASCNTC_R461)", () => {
    const sent = contactToEas(CARD, { version: 14.1 }).filter((e) => supported.has(e.name));
    const edited = sent.map((e) => (e.name === "FirstName" ? Ct("FirstName", "Augusta Ada") : e));
    // iOS sends an empty Picture on edit when the photo did not change (Horde QUIRK 2).
    const data = el("AirSync", "ApplicationData", ...edited.filter((e) => e.name !== "Picture"), Ct("Picture", ""));
    const vcf = contactFromEas(data, { version: 14.1, supported, deviceFamily: "ios" }, CARD);
    expect(vcf).toContain("N:Lovelace;Augusta Ada;Augusta;Lady;");
    for (const kept of [
      "+44 20 1111 1111",
      "+44 20 2222 2222",
      "+44 20 3333 3333",
      "item1.X-ABLABEL:Lab",
      "item1.EMAIL;TYPE=INTERNET:ada@engines.example",
      "item2.EMAIL",
      "St James",
      "ORG:Analytical Engines;Research",
      "TITLE:Mathematician",
      "NOTE:First programmer.",
      "CATEGORIES:Friends,Science",
      "X-SOCIALPROFILE",
      "UID:card-1",
    ]) {
      expect(vcf.toUpperCase()).toContain(kept.toUpperCase());
    }
    expect(vcf).toMatch(/BDAY[^:]*:1815-?12-?10/);
    expect(vcf.replace(/\r\n /g, "")).toContain(PHOTO);
  });

  it("an empty Picture from another client deletes the photo; a non-empty one replaces it", () => {
    const data = el("AirSync", "ApplicationData", Ct("FirstName", "Ada"), Ct("LastName", "Lovelace"), Ct("Picture", ""));
    expect(contactFromEas(data, { version: 14.1, supported, deviceFamily: "android" }, CARD)).not.toContain("PHOTO");
    const replaced = contactFromEas(el("AirSync", "ApplicationData", Ct("Picture", "iVBORw0KGgo=")), { version: 14.1, supported }, CARD);
    expect(replaced).toContain("PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgo=");
  });

  it("without Supported the device sends the whole item: everything it was sent comes back, unmapped properties stay (MS-ASCMD_R5906)", () => {
    const full = contactToEas(CARD, { version: 16.1 }).map((e) => (e.name === "LastName" ? Ct("LastName", "King") : e));
    const vcf = contactFromEas(el("AirSync", "ApplicationData", ...full), { version: 16.1 }, CARD);
    expect(vcf).toContain("N:King;Ada;Augusta;Lady;");
    expect(vcf).toContain("+44 20 3333 3333");
    expect(vcf.toLowerCase()).toContain("item1.x-ablabel:lab"); // ical.js writes vCard 3 group names upper-case
    expect(vcf).toContain("X-SOCIALPROFILE");
    expect(canonical(el("AirSync", "ApplicationData", ...contactToEas(vcf, { version: 16.1 })))).toEqual(
      canonical(el("AirSync", "ApplicationData", ...full)),
    );
  });

  it("without Supported, a field left out is deleted, but only its own property (MS-ASCMD_R5912)", () => {
    const full = contactToEas(CARD, { version: 14.1 }).filter((e) => e.name !== "BusinessPhoneNumber");
    const vcf = contactFromEas(el("AirSync", "ApplicationData", ...full), { version: 14.1 }, CARD);
    expect(vcf).not.toContain("1111 1111");
    expect(vcf).toContain("2222 2222");
    expect(vcf).toContain("3333 3333");
  });
});

describe("device -> server -> device is identical for every mapped field (14.1, 16.1)", () => {
  for (const version of [14.1, 16.1]) {
    it(`EAS ${version}`, () => {
      const device = el(
        "AirSync",
        "ApplicationData",
        ...CONTACT_FIELDS.filter(
          (f) =>
            ![
              "Birthday",
              "Anniversary",
              "Children",
              "Categories",
              "Picture",
              "Body",
              "CompanyMainPhone",
              "MMS",
              "IMAddress",
              "IMAddress2",
              "IMAddress3",
              "ManagerName",
              "NickName",
              "CustomerId",
              "GovernmentId",
              "AccountName",
            ].includes(f),
        ).map((f) => Ct(f, f.includes("Email") ? `${f.toLowerCase()}@example.test` : `${f} value`)),
        ...[
          "CompanyMainPhone",
          "MMS",
          "IMAddress",
          "IMAddress2",
          "IMAddress3",
          "ManagerName",
          "NickName",
          "CustomerId",
          "GovernmentId",
          "AccountName",
        ].map((f) => el("Contacts2", f, `${f} v`)),
        Ct("Birthday", "1990-02-28T12:00:00.000Z"),
        Ct("Anniversary", "2015-06-20T12:00:00.000Z"),
        el("Contacts", "Children", Ct("Child", "Ann"), Ct("Child", "Bob")),
        el("Contacts", "Categories", Ct("Category", "VIP"), Ct("Category", "a, b")),
        Ct("Picture", PHOTO),
        el(
          "AirSyncBase",
          "Body",
          el("AirSyncBase", "Type", 1),
          el("AirSyncBase", "EstimatedDataSize", 5),
          el("AirSyncBase", "Data", "notes"),
        ),
      );
      const vcf = contactFromEas(device, { version });
      expect(vcf).toContain("VERSION:4.0");
      const back = el("AirSync", "ApplicationData", ...contactToEas(vcf, { version }));
      expect(canonical(back)).toEqual(canonical(device));
    });
  }
});

describe("birthdays never shift a day (anchors §3 row 9, MS-ASCNTC_R999 MS-ASCNTC_R109001)", () => {
  const families: DeviceFamily[] = ["ios", "android", "blackberry", "outlook", "other"];
  const zones = ["Pacific/Kiritimati", "Etc/GMT+12", "Europe/Paris", "America/Los_Angeles", "Australia/Lord_Howe"];
  it("server date -> device -> server date, every client convention and zone", () => {
    for (const family of families) {
      for (const zone of zones) {
        for (const d of [
          { year: 1980, month: 5, day: 17 },
          { year: 2000, month: 2, day: 29 },
          { year: 1999, month: 12, day: 31 },
        ]) {
          expect(contactDateFromEas(contactDateToEas(d, family, zone), family, zone), `${family} ${zone}`).toEqual(d);
        }
      }
    }
  });

  it("what real clients send for 17 May 1980", () => {
    const may17 = { year: 1980, month: 5, day: 17 };
    expect(contactDateFromEas("1980-05-17T08:00:00.000Z", "android")).toEqual(may17); // Android 08:00 UTC
    expect(contactDateFromEas("1980-05-17T11:00:00.000Z", "blackberry")).toEqual(may17);
    expect(contactDateFromEas("1980-05-17T00:00:00.000Z")).toEqual(may17); // WP / Gmail date only
    expect(contactDateFromEas("1980-05-17T11:59:00.000Z")).toEqual(may17); // R999
    expect(contactDateFromEas("1980-05-16T22:00:00.000Z", "ios", "Europe/Paris")).toEqual(may17); // local midnight, UTC+2
    expect(contactDateFromEas("1980-05-16T22:00:00.000Z")).toEqual(may17); // same without knowing the zone
    expect(contactDateFromEas("1980-05-17T07:00:00.000Z", "ios", "America/Los_Angeles")).toEqual(may17);
    // Kiritimati was UTC-10 until 1995: today its local midnight is 10:00 UTC the day before.
    expect(contactDateFromEas("2016-05-16T10:00:00.000Z", "ios", "Pacific/Kiritimati")).toEqual({ year: 2016, month: 5, day: 17 });
  });

  it("a birthday sent by the device is stored as a date and comes back as the same date", () => {
    const vcf = contactFromEas(el("AirSync", "ApplicationData", Ct("FirstName", "B"), Ct("Birthday", "1980-05-16T22:00:00.000Z")), {
      version: 14.1,
      deviceFamily: "ios",
      deviceZone: "Europe/Paris",
    });
    expect(vcf).toContain("BDAY:19800517");
    const out = contactToEas(vcf, { version: 14.1, deviceFamily: "ios", deviceZone: "Europe/Paris" });
    expect(textOf(find(out, "Birthday"))).toBe("1980-05-16T22:00:00.000Z");
    const yearless = contactToEas("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nBDAY:--0517\r\nEND:VCARD", { version: 14.1 });
    expect(textOf(find(yearless, "Birthday"))).toBe("1604-05-17T12:00:00.000Z");
  });
});

describe("bad input is Status 6, never a crash", () => {
  const ctx: ContactContext = { version: 14.1 };
  it("oversized or non-base64 Picture, bad Birthday, bad vCard (MS-ASCNTC_R384)", () => {
    expect(() => contactFromEas(el("AirSync", "ApplicationData", Ct("Picture", "A".repeat(MAX_PICTURE_BASE64 + 4))), ctx)).toThrow(
      PimConversionError,
    );
    expect(() => contactFromEas(el("AirSync", "ApplicationData", Ct("Picture", "not base64!")), ctx)).toThrow(PimConversionError);
    expect(() => contactFromEas(el("AirSync", "ApplicationData", Ct("Birthday", "yesterday")), ctx)).toThrow(PimConversionError);
    expect(() => contactToEas("BEGIN:VCALENDAR\r\nEND:VCALENDAR", ctx)).toThrow(PimConversionError);
  });
});
