// Demo calendar and address book for `npm start` (PUT through the admin API by seed-demo.mjs). Dates are
// relative to the week the demo is created in, so the phone shows something this week.

const pad = (n, w = 2) => String(n).padStart(w, "0");
const ymd = (d) => `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
const local = (d, h, m = 0) => `${ymd(d)}T${pad(h)}${pad(m)}00`;
const addDays = (d, n) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + n));
const stamp = (d) => `${ymd(d)}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;

function mondayOf(now) {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return addDays(d, -((d.getUTCDay() + 6) % 7));
}

function event(lines) {
  return ["BEGIN:VEVENT", ...lines, "END:VEVENT"];
}

/** A VCALENDAR: a weekly series with a moved and a deleted occurrence, all-day and multi-day events, three zones. */
export function demoCalendarIcs(now = new Date()) {
  const monday = mondayOf(now);
  const dtstamp = stamp(now);
  const series = addDays(monday, -14);
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Mobile Sync//demo//EN",
    ...event([
      "UID:demo-standup@mobile-sync.example",
      `DTSTAMP:${dtstamp}`,
      `DTSTART;TZID=Europe/Paris:${local(series, 9, 30)}`,
      `DTEND;TZID=Europe/Paris:${local(series, 9, 45)}`,
      "SUMMARY:Team stand-up",
      "LOCATION:Room Curie",
      "DESCRIPTION:Fifteen minutes\\, standing.",
      "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=24",
      `EXDATE;TZID=Europe/Paris:${local(addDays(monday, 2), 9, 30)}`,
      "CATEGORIES:Work",
      "BEGIN:VALARM",
      "ACTION:DISPLAY",
      "DESCRIPTION:Reminder",
      "TRIGGER:-PT5M",
      "END:VALARM",
    ]),
    ...event([
      "UID:demo-standup@mobile-sync.example",
      `DTSTAMP:${dtstamp}`,
      `RECURRENCE-ID;TZID=Europe/Paris:${local(addDays(monday, 4), 9, 30)}`,
      `DTSTART;TZID=Europe/Paris:${local(addDays(monday, 4), 11, 0)}`,
      `DTEND;TZID=Europe/Paris:${local(addDays(monday, 4), 11, 15)}`,
      "SUMMARY:Team stand-up (moved)",
      "LOCATION:Room Curie",
    ]),
    ...event([
      "UID:demo-offsite@mobile-sync.example",
      `DTSTAMP:${dtstamp}`,
      `DTSTART;VALUE=DATE:${ymd(addDays(monday, 1))}`,
      `DTEND;VALUE=DATE:${ymd(addDays(monday, 2))}`,
      "SUMMARY:Company holiday",
      "TRANSP:TRANSPARENT",
    ]),
    ...event([
      "UID:demo-conference@mobile-sync.example",
      `DTSTAMP:${dtstamp}`,
      `DTSTART;VALUE=DATE:${ymd(addDays(monday, 9))}`,
      `DTEND;VALUE=DATE:${ymd(addDays(monday, 12))}`,
      "SUMMARY:Conference in Lyon (3 days)",
      "LOCATION:Lyon",
    ]),
    ...event([
      "UID:demo-newyork@mobile-sync.example",
      `DTSTAMP:${dtstamp}`,
      `DTSTART;TZID=America/New_York:${local(addDays(monday, 3), 10)}`,
      `DTEND;TZID=America/New_York:${local(addDays(monday, 3), 11)}`,
      "SUMMARY:Call with the New York office",
      "ORGANIZER;CN=Demo:mailto:demo@example.test",
      "ATTENDEE;CN=Sam Rivera;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:sam@example.test",
      "ATTENDEE;CN=Kim Lee;PARTSTAT=NEEDS-ACTION;ROLE=OPT-PARTICIPANT:mailto:kim@example.test",
    ]),
    ...event([
      "UID:demo-sydney@mobile-sync.example",
      `DTSTAMP:${dtstamp}`,
      `DTSTART;TZID=Australia/Sydney:${local(addDays(monday, 4), 8)}`,
      `DTEND;TZID=Australia/Sydney:${local(addDays(monday, 4), 9)}`,
      "SUMMARY:Sydney partners sync",
      "CLASS:PRIVATE",
    ]),
    "END:VCALENDAR",
  ];
  return lines.join("\r\n") + "\r\n";
}

// A 1x1 PNG: small, valid, under the 48 KB EAS Picture limit.
const PHOTO = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/** An address book: several phones of one type, custom labels, a photo, a birthday. */
export function demoContactsVcf() {
  const cards = [
    [
      "BEGIN:VCARD",
      "VERSION:3.0",
      "UID:demo-ada@mobile-sync.example",
      "FN:Ada Lovelace",
      "N:Lovelace;Ada;;;",
      "ORG:Analytical Engines;Research",
      "TITLE:Mathematician",
      "TEL;TYPE=WORK,VOICE:+44 20 7946 0001",
      "TEL;TYPE=WORK,VOICE:+44 20 7946 0002",
      "TEL;TYPE=WORK,VOICE:+44 20 7946 0003",
      "TEL;TYPE=CELL:+44 7700 900123",
      "item1.EMAIL;TYPE=INTERNET:ada@engines.example",
      "item1.X-ABLabel:Lab",
      "item2.EMAIL;TYPE=INTERNET:ada.home@example.org",
      "item2.X-ABLabel:Weekend",
      "ADR;TYPE=WORK:;;12 St James's Square;London;;SW1Y 4LB;United Kingdom",
      "BDAY:1815-12-10",
      "NOTE:Wrote the first published algorithm.",
      `PHOTO;ENCODING=b;TYPE=PNG:${PHOTO}`,
      "END:VCARD",
    ],
    [
      "BEGIN:VCARD",
      "VERSION:4.0",
      "UID:demo-grace@mobile-sync.example",
      "FN:Grace Hopper",
      "N:Hopper;Grace;Brewster Murray;Rear Admiral;",
      "TEL;TYPE=home,voice:+1 212 555 0101",
      "TEL;TYPE=home,voice:+1 212 555 0102",
      "TEL;TYPE=cell:+1 917 555 0199",
      "EMAIL;TYPE=work:grace@navy.example",
      "BDAY:19061209",
      "ANNIVERSARY:19300615",
      "CATEGORIES:Friends,Pioneers",
      "END:VCARD",
    ],
    [
      "BEGIN:VCARD",
      "VERSION:4.0",
      "UID:demo-plumber@mobile-sync.example",
      "FN:Dupont Plomberie",
      "N:;;;;",
      "ORG:Dupont Plomberie",
      "TEL;TYPE=work,voice:+33 1 23 45 67 89",
      "TEL;TYPE=work,fax:+33 1 23 45 67 90",
      "URL:https://plomberie.example",
      "END:VCARD",
    ],
  ];
  return cards.map((c) => c.join("\r\n") + "\r\n").join("");
}
