// Free/busy of calendar objects (formats/free-busy.ts): recurrences with exceptions and time zones expanded,
// TRANSP/STATUS/X-MICROSOFT-CDO-BUSYSTATUS mapped to MergedFreeBusy digits, 30-minute slots.
import { describe, expect, it } from "vitest";
import { busyIntervals, mergedFreeBusy } from "../../src/formats/free-busy";

const cal = (...lines: string[]) => ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//EN", ...lines, "END:VCALENDAR", ""].join("\r\n");
const PARIS = [
  "BEGIN:VTIMEZONE",
  "TZID:Europe/Paris",
  "BEGIN:STANDARD",
  "DTSTART:19701025T030000",
  "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
  "TZOFFSETFROM:+0200",
  "TZOFFSETTO:+0100",
  "END:STANDARD",
  "BEGIN:DAYLIGHT",
  "DTSTART:19700329T020000",
  "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
  "TZOFFSETFROM:+0100",
  "TZOFFSETTO:+0200",
  "END:DAYLIGHT",
  "END:VTIMEZONE",
];

describe("free/busy", () => {
  it("expands a daily series in its zone, skips EXDATEs and follows a moved occurrence", () => {
    const ics = cal(
      ...PARIS,
      "BEGIN:VEVENT",
      "UID:daily@t",
      "DTSTAMP:20261201T000000Z",
      "DTSTART;TZID=Europe/Paris:20270111T090000",
      "DTEND;TZID=Europe/Paris:20270111T093000",
      "RRULE:FREQ=DAILY;COUNT=5",
      "EXDATE;TZID=Europe/Paris:20270112T090000",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:daily@t",
      "DTSTAMP:20261201T000000Z",
      "RECURRENCE-ID;TZID=Europe/Paris:20270113T090000",
      "DTSTART;TZID=Europe/Paris:20270113T140000",
      "DTEND;TZID=Europe/Paris:20270113T150000",
      "X-MICROSOFT-CDO-BUSYSTATUS:OOF",
      "END:VEVENT",
    );
    const from = Date.UTC(2027, 0, 11);
    const to = Date.UTC(2027, 0, 16);
    const b = busyIntervals(ics, from, to);
    expect(b.map((x) => [new Date(x.start).toISOString(), new Date(x.end).toISOString(), x.code])).toEqual([
      ["2027-01-11T08:00:00.000Z", "2027-01-11T08:30:00.000Z", 2],
      ["2027-01-13T13:00:00.000Z", "2027-01-13T14:00:00.000Z", 3],
      ["2027-01-14T08:00:00.000Z", "2027-01-14T08:30:00.000Z", 2],
      ["2027-01-15T08:00:00.000Z", "2027-01-15T08:30:00.000Z", 2],
    ]);
    // 07:00–10:00 UTC on the 11th, in half hours.
    expect(mergedFreeBusy(b, Date.UTC(2027, 0, 11, 7), Date.UTC(2027, 0, 11, 10))).toBe("002000");
  });

  it("free and cancelled events leave the slots free; tentative is 1; overlaps take the busiest", () => {
    const event = (uid: string, start: string, end: string, ...extra: string[]) => [
      "BEGIN:VEVENT",
      `UID:${uid}`,
      "DTSTAMP:20261201T000000Z",
      `DTSTART:${start}`,
      `DTEND:${end}`,
      ...extra,
      "END:VEVENT",
    ];
    const from = Date.UTC(2027, 0, 15, 8);
    const to = Date.UTC(2027, 0, 15, 11);
    const all = [
      ...busyIntervals(cal(...event("a@t", "20270115T080000Z", "20270115T090000Z", "TRANSP:TRANSPARENT")), from, to),
      ...busyIntervals(cal(...event("b@t", "20270115T083000Z", "20270115T093000Z", "STATUS:TENTATIVE")), from, to),
      ...busyIntervals(cal(...event("c@t", "20270115T090000Z", "20270115T094500Z")), from, to),
      ...busyIntervals(cal(...event("d@t", "20270115T100000Z", "20270115T110000Z", "STATUS:CANCELLED")), from, to),
    ];
    expect(mergedFreeBusy(all, from, to)).toBe("012200");
    expect(busyIntervals("not a calendar", from, to)).toEqual([]);
  });
});
