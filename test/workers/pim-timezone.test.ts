// [MS-ASDTYPE] 2.7.4 TimeZone <-> IANA zones, checked against Intl in workerd itself.
import { describe, expect, it } from "vitest";
import { BLOB_LENGTH, decodeTimeZone, encodeTimeZone } from "../../src/formats/timezone-blob";
import { offsetFromTimeZone, timeZoneForZone, zoneForTimeZone } from "../../src/formats/timezone-rule";
import { offsetMinutes } from "../../src/formats/zone-clock";
import { PimConversionError } from "../../src/formats/errors";
import { ICAL } from "../../src/formats/ical-util";
import { vtimezoneFor } from "../../src/formats/vtimezone";

const ZONES = [
  "Pacific/Kiritimati",
  "Etc/GMT+12",
  "Europe/Paris",
  "Australia/Lord_Howe",
  "America/New_York",
  "America/Santiago",
  "Pacific/Auckland",
  "Asia/Kolkata",
  "Europe/London",
];

describe("TimeZone blob layout", () => {
  it("is 172 bytes, little-endian LONG Bias, 32-WCHAR names zero-padded, SYSTEMTIMEs (MS-ASDTYPE_R103 MS-ASDTYPE_R104 MS-ASDTYPE_R107 MS-ASDTYPE_R109 MS-ASDTYPE_R110 MS-ASDTYPE_R112 MS-ASDTYPE_R114 MS-ASDTYPE_R116 MS-ASDTYPE_R117 MS-ASDTYPE_R119 MS-ASDTYPE_R121)", () => {
    const tz = timeZoneForZone("Europe/Paris", 2026);
    const b64 = encodeTimeZone(tz);
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    expect(bytes.length).toBe(BLOB_LENGTH);
    const v = new DataView(bytes.buffer);
    expect(v.getInt32(0, true)).toBe(-60); // Bias: UTC = local + bias
    expect(String.fromCharCode(v.getUint16(4, true))).toBe("R"); // "Romance Standard Time"
    expect(v.getUint16(4 + 62, true)).toBe(0); // unused WCHARs are 0x0000
    // StandardDate: October, Sunday, last (5), 03:00; DaylightDate: March, Sunday, last, 02:00.
    expect([2, 4, 6, 8].map((o) => v.getUint16(68 + o, true))).toEqual([10, 0, 5, 3]);
    expect([2, 4, 6, 8].map((o) => v.getUint16(152 + o, true))).toEqual([3, 0, 5, 2]);
    expect(v.getInt32(84, true)).toBe(0);
    expect(v.getInt32(168, true)).toBe(-60); // DaylightBias
    expect(decodeTimeZone(b64)).toEqual(tz);
  });

  it("rejects a blob of the wrong size or not base64 with a conversion error (Sync Status 6)", () => {
    expect(() => decodeTimeZone("AAAA")).toThrow(PimConversionError);
    expect(() => decodeTimeZone("%%%")).toThrow(PimConversionError);
  });
});

describe("rules derived from the zone's transitions", () => {
  for (const zone of ZONES) {
    for (const year of [2025, 2026, 2027]) {
      it(`${zone} ${year}: the rule gives Intl's offset every hour of the year`, () => {
        const tz = timeZoneForZone(zone, year);
        const wrong: string[] = [];
        for (let ms = Date.UTC(year, 0, 1); ms < Date.UTC(year + 1, 0, 1); ms += 3600_000) {
          if (offsetFromTimeZone(tz, ms) !== offsetMinutes(zone, ms)) wrong.push(new Date(ms).toISOString());
        }
        expect(wrong).toEqual([]);
      });
    }
  }

  it("Lord Howe: a 30-minute DST shift, southern hemisphere (first Sunday of October / April, 02:00)", () => {
    const tz = timeZoneForZone("Australia/Lord_Howe", 2026);
    expect(tz.bias).toBe(-630);
    expect(tz.daylightBias).toBe(-30);
    expect(tz.daylightDate).toMatchObject({ month: 10, dayOfWeek: 0, day: 1, hour: 2 });
    expect(tz.standardDate).toMatchObject({ month: 4, dayOfWeek: 0, day: 1, hour: 2 });
  });

  it("zones without DST have no transition dates (UTC+14, UTC-12)", () => {
    expect(timeZoneForZone("Pacific/Kiritimati", 2026)).toMatchObject({
      bias: -840,
      daylightBias: 0,
      standardDate: { month: 0 },
      daylightDate: { month: 0 },
    });
    expect(timeZoneForZone("Etc/GMT+12", 2026)).toMatchObject({ bias: 720, standardDate: { month: 0 } });
  });
});

describe("choosing the IANA zone for a device's blob", () => {
  it("takes the zone the StandardName names when its rule matches (Windows key or IANA id)", () => {
    expect(zoneForTimeZone(timeZoneForZone("Europe/Paris", 2026), 2026)).toBe("Europe/Paris");
    expect(zoneForTimeZone({ ...timeZoneForZone("Europe/Paris", 2026), standardName: "Europe/Madrid", daylightName: "" }, 2026)).toBe(
      "Europe/Madrid",
    );
  });

  it("ignores a name whose rule does not match and finds a zone with the same transitions", () => {
    const ny = { ...timeZoneForZone("America/New_York", 2026), standardName: "Romance Standard Time", daylightName: "x" };
    const zone = zoneForTimeZone(ny, 2026);
    expect(timeZoneForZone(zone, 2026)).toMatchObject({
      bias: 300,
      daylightBias: -60,
      daylightDate: { month: 3, day: 2 },
      standardDate: { month: 11, day: 1 },
    });
  });

  it("unnamed blobs: a zone with identical offsets all year, Etc zones for fixed offsets", () => {
    for (const zone of ZONES) {
      const anonymous = { ...timeZoneForZone(zone, 2026), standardName: "", daylightName: "" };
      const found = zoneForTimeZone(anonymous, 2026);
      for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 6 * 3600_000) {
        expect(offsetMinutes(found, ms), `${zone} -> ${found} at ${new Date(ms).toISOString()}`).toBe(offsetMinutes(zone, ms));
      }
    }
    expect(zoneForTimeZone({ ...timeZoneForZone("Pacific/Kiritimati", 2026), standardName: "" }, 2026)).toBe("Etc/GMT-14");
    expect(zoneForTimeZone({ ...timeZoneForZone("Etc/GMT+12", 2026), standardName: "" }, 2026)).toBe("Etc/GMT+12");
  });
});

describe("VTIMEZONE for stored objects (RFC 5545 3.6.5)", () => {
  it("built from the same rule, it gives ical.js the zone's offsets across DST, southern hemisphere and fixed zones", () => {
    for (const zone of ["Europe/Paris", "Australia/Lord_Howe", "America/Santiago", "Pacific/Kiritimati", "Etc/GMT+12"]) {
      const tz = new ICAL.Timezone({ component: vtimezoneFor(zone, 2026), tzid: zone });
      for (let ms = Date.UTC(2026, 0, 10); ms < Date.UTC(2026, 11, 31); ms += 7 * 86_400_000) {
        const t = ICAL.Time.fromJSDate(new Date(ms), true);
        expect(tz.utcOffset(t) / 60, `${zone} ${new Date(ms).toISOString()}`).toBe(offsetMinutes(zone, ms));
      }
    }
  });
});
