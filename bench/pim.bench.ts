// PIM conversion costs per item (what a Sync of a calendar or an address book pays per Add), and the
// TimeZone -> IANA zone search cold (a blob never seen) and warm (cached per blob and year).
// @ts-expect-error plain ESM demo data shared with `npm start`
import { demoCalendarIcs, demoContactsVcf } from "../scripts/demo-pim.mjs";
import { eventFromEas, eventToEas } from "../src/eas/pim/calendar";
import { contactFromEas, contactToEas } from "../src/eas/pim/contacts";
import { timeZoneForZone, zoneForTimeZone } from "../src/formats/timezone-rule";
import { splitCalendar, splitVcards } from "../src/formats/pim-objects";
import { el } from "../src/wbxml";

function perItem(fn: () => unknown, ms = 400): number {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    fn();
    n++;
    t = performance.now();
  }
  return ((t - t0) * 1000) / n; // µs
}

const events = splitCalendar(demoCalendarIcs(new Date(Date.UTC(2026, 10, 26))), ["vevent"]).objects;
const series = events.find((e) => e.includes("RRULE"))!;
const cards = splitVcards(demoContactsVcf());
const ada = cards.find((c) => c.includes("Lovelace"))!;
const ctx = { version: 16.1, defaultZone: "Europe/Paris" };
const seriesEas = el("AirSync", "ApplicationData", ...eventToEas(series, { ...ctx, version: 14.1 }));
const adaEas = el("AirSync", "ApplicationData", ...contactToEas(ada, ctx));

const rows: [string, number][] = [
  ["eventToEas, weekly series with a moved and a deleted occurrence (14.1)", perItem(() => eventToEas(series, { ...ctx, version: 14.1 }))],
  ["eventFromEas, the same series from a device (14.1)", perItem(() => eventFromEas(seriesEas, { ...ctx, version: 14.1 }))],
  ["contactToEas, card with 4 phones, 2 labelled e-mails, photo (16.1)", perItem(() => contactToEas(ada, ctx))],
  ["contactFromEas, the same card edited over the stored one (16.1)", perItem(() => contactFromEas(adaEas, ctx, ada))],
];

const anonymous = (zone: string, year: number) => ({ ...timeZoneForZone(zone, year), standardName: "", daylightName: "" });
let year = 1990;
const cold = perItem(() => zoneForTimeZone(anonymous("America/New_York", year++), year), 2000);
const warm = perItem(() => zoneForTimeZone(anonymous("America/New_York", 2026), 2026));

console.log("| operation | µs per item |");
console.log("|---|---:|");
for (const [name, us] of rows) console.log(`| ${name} | ${us.toFixed(0)} |`);
console.log(`| zoneForTimeZone, unnamed blob, cold (all zones scanned) | ${cold.toFixed(0)} |`);
console.log(`| zoneForTimeZone, unnamed blob, cached | ${warm.toFixed(1)} |`);
