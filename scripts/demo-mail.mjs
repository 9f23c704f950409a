// The demo mailbox's content: realistic messages covering what phones trip over (HTML, inline images,
// attachments, legacy charsets, a 10 MB attachment, broken encoded-words, a meeting invitation, a thread).
// Plain ESM so `npm start` (Node) can seed with it; it also runs inside workerd (nodejs_compat).
// Built with mimetext where practical; literal MIME where the point is a legacy or malformed encoding.
import { Buffer } from "node:buffer";
import { createMimeMessage } from "mimetext";

const DAY = 86_400_000;
const ME = { name: "Demo User", addr: "demo@example.test" };

/**
 * @param {{ now?: number, bigAttachmentBytes?: number }} [opts]
 * @returns {{ name: string, raw: Buffer, date: number }[]} oldest first
 */
export function demoMessages(opts = {}) {
  const now = opts.now ?? Date.now();
  const bigBytes = opts.bigAttachmentBytes ?? 10 * 1024 * 1024;
  const at = (daysAgo, hour = 9) => Math.floor((now - daysAgo * DAY) / DAY) * DAY + hour * 3_600_000;
  const out = [];
  const add = (name, date, raw) => out.push({ name, date, raw: Buffer.from(raw) });

  add("plain", at(150), plainWelcome(at(150)));
  add("html-newsletter", at(120), htmlNewsletter(at(120)));
  add("alternative", at(95), alternative(at(95)));
  add("inline-images", at(80), inlineImages(at(80)));
  add("attachments", at(64), attachments(at(64)));
  add("windows-1252", at(50), windows1252(at(50)));
  add("iso-8859-2", at(41), iso88592(at(41)));
  add("shift_jis", at(33), shiftJis(at(33)));
  add("gb18030", at(27), gb18030(at(27)));
  add("utf-7", at(21), utf7(at(21)));
  add("broken-encoded-words", at(14), brokenEncodedWords(at(14)));
  add("meeting-request", at(9), meetingRequest(at(9), at(-3, 14)));
  const threadDates = Array.from({ length: 12 }, (_, i) => at(7 - i * 0.5, 8 + i));
  for (const [i, raw] of thread(threadDates).entries()) add(`thread-${String(i + 1).padStart(2, "0")}`, threadDates[i], raw);
  add("big-attachment", at(2), bigAttachment(at(2), bigBytes));
  add("high-importance", at(0, 7), highImportance(at(0, 7)));
  return out.sort((a, b) => a.date - b.date);
}

// ---------- built with mimetext ----------

function message(from, subject, date, id, extra = {}) {
  const m = createMimeMessage();
  m.boundaries = { mixed: `mixed-${id}`, alt: `alt-${id}`, related: `rel-${id}` }; // deterministic output
  m.setSender(from);
  m.setTo(extra.to ?? ME);
  if (extra.cc) m.setCc(extra.cc);
  m.setSubject(subject);
  m.setHeader("Date", rfc2822(date));
  m.setHeader("Message-ID", `<${id}@example.test>`);
  for (const [k, v] of Object.entries(extra.headers ?? {})) m.setHeader(k, v);
  return m;
}

/** mimetext writes os.EOL; mail on the wire uses CRLF. Every body below is ASCII (base64), so this is safe. */
function crlf(m) {
  return m.asRaw().replace(/\r?\n/g, "\r\n") + "\r\n";
}

function text(m, contentType, data) {
  m.addMessage({ contentType, encoding: "base64", data: wrap64(Buffer.from(data, "utf8")) });
}

function plainWelcome(date) {
  const m = message({ name: "Mobile Sync", addr: "welcome@example.test" }, "Welcome to Mobile Sync", date, "welcome");
  text(
    m,
    "text/plain",
    "Hello,\n\nYour mailbox is ready. Add it on your phone as an Exchange account:\nserver example.test, user demo@example.test.\n\nHave a good day!\n",
  );
  return crlf(m);
}

function htmlNewsletter(date) {
  const m = message(
    { name: "Trail Running Monthly", addr: "news@trails.example" },
    "Autumn races, new shoes & a 30% discount",
    date,
    "newsletter-11",
  );
  text(
    m,
    "text/html",
    `<!DOCTYPE html><html><head><style>p{color:#333}</style><script>track()</script></head><body>
<table width="100%"><tr><td><h1>Autumn races</h1>
<p>Twelve races left this season &mdash; pick one <a href="https://trails.example/races">here</a>.</p>
<ul><li>Forest 10K</li><li>Ridge Half</li><li>Night Ultra</li></ul>
<p>Use code <b>AUTUMN30</b> for 30&nbsp;% off.</p><img src="https://trails.example/pixel.gif" width="1" height="1">
</td></tr></table></body></html>`,
  );
  return crlf(m);
}

function alternative(date) {
  const m = message({ name: "Camille Durand", addr: "camille@partner.example" }, "Contract draft v3", date, "contract-v3", {
    cc: [{ name: "Legal", addr: "legal@partner.example" }],
  });
  text(m, "text/plain", "Hi,\n\nHere are my comments on the draft:\n- clause 4: 30 days, not 60\n- clause 9: fine\n\nCamille\n");
  text(
    m,
    "text/html",
    "<p>Hi,</p><p>Here are my comments on the draft:</p><ul><li>clause 4: <b>30 days</b>, not 60</li><li>clause 9: fine</li></ul><p>Camille</p>",
  );
  return crlf(m);
}

function inlineImages(date) {
  const m = message({ name: "Grandma", addr: "grandma@family.example" }, "Photos from the garden", date, "garden");
  text(m, "text/plain", "The tomatoes this year! [photo 1] and the cat [photo 2].\n");
  text(m, "text/html", '<p>The tomatoes this year!</p><img src="cid:tomatoes@family"><p>And the cat:</p><img src="cid:cat@family">');
  m.addAttachment({
    inline: true,
    filename: "tomatoes.png",
    contentType: "image/png",
    data: wrap64(png(48, 32, 0xd0, 0x30, 0x20)),
    headers: { "Content-ID": "tomatoes@family" },
  });
  m.addAttachment({
    inline: true,
    filename: "cat.png",
    contentType: "image/png",
    data: wrap64(png(32, 32, 0x40, 0x40, 0x40)),
    headers: { "Content-ID": "cat@family" },
  });
  return crlf(m);
}

function attachments(date) {
  const m = message({ name: "Accounting", addr: "billing@vendor.example" }, "Invoice 2026-0419 and delivery photo", date, "invoice-0419");
  text(m, "text/plain", "Please find attached invoice 2026-0419 (PDF) and a photo of the delivery.\n");
  m.addAttachment({
    filename: "invoice-2026-0419.pdf",
    contentType: "application/pdf",
    data: wrap64(pdfLike("Invoice 2026-0419", 24_000)),
  });
  m.addAttachment({ filename: "delivery.png", contentType: "image/png", data: wrap64(png(64, 48, 0x20, 0x80, 0xc0)) });
  return crlf(m);
}

function thread(dates) {
  const people = [
    { name: "Alice Martin", addr: "alice@example.test" },
    { name: "Bob Chen", addr: "bob@example.test" },
    { name: "Chloé Petit", addr: "chloe@example.test" },
    ME,
  ];
  const lines = [
    "Shall we plan the team offsite for March? I suggest the lake house.",
    "Lake house works for me. Budget?",
    "Budget is 4k. I can book the train.",
    "I can't do the first weekend, second is fine.",
    "Second weekend then: 14-15 March.",
    "Booked the lake house for 14-15 March.",
    "Train tickets bought, 08:12 departure.",
    "Who brings the projector?",
    "I'll bring it.",
    "Agenda draft attached in the wiki.",
    "Looks good. Let's add a retro slot.",
    "Added. See you there!",
  ];
  const ids = [];
  return lines.map((line, i) => {
    const from = people[i % people.length];
    const id = `offsite-${i + 1}`;
    const headers = { "Thread-Topic": "Team offsite" };
    if (i > 0) {
      headers["In-Reply-To"] = `<${ids[i - 1]}@example.test>`;
      headers.References = ids.map((x) => `<${x}@example.test>`).join(" ");
    }
    ids.push(id);
    const m = message(from, i === 0 ? "Team offsite" : "Re: Team offsite", dates[i], id, {
      to: people.filter((p) => p !== from),
      headers,
    });
    const quoted = lines
      .slice(Math.max(0, i - 2), i)
      .reverse()
      .map((l) => `> ${l}`)
      .join("\n");
    text(m, "text/plain", `${line}\n\n${from.name}\n${quoted ? `\n${quoted}\n` : ""}`);
    return crlf(m);
  });
}

function bigAttachment(date, size) {
  const m = message({ name: "Design Team", addr: "design@example.test" }, "Brand guidelines (final, large PDF)", date, "brand-final");
  text(m, "text/plain", `The final brand guidelines are attached (${(size / 1048576).toFixed(1)} MB).\n`);
  m.addAttachment({ filename: "brand-guidelines.pdf", contentType: "application/pdf", data: wrap64(pdfLike("Brand guidelines", size)) });
  return crlf(m);
}

function highImportance(date) {
  const m = message({ name: "IT Service Desk", addr: "it@example.test" }, "Server maintenance tonight 22:00", date, "maintenance", {
    headers: { Importance: "high", "X-Priority": "1" },
  });
  text(m, "text/plain", "Mail may be unavailable for 15 minutes from 22:00.\n");
  return crlf(m);
}

// ---------- literal MIME: legacy charsets and malformed headers ----------

function literal(headers, body) {
  return Buffer.concat([
    Buffer.from(headers.join("\r\n") + "\r\n\r\n", "latin1"),
    Buffer.isBuffer(body) ? body : Buffer.from(body, "latin1"),
  ]);
}

function windows1252(date) {
  return literal(
    [
      "From: =?windows-1252?Q?Ren=E9e_Lef=E8vre?= <renee@bureau.example>",
      "To: Demo User <demo@example.test>",
      `Date: ${rfc2822(date)}`,
      "Message-ID: <cp1252@bureau.example>",
      `Subject: =?windows-1252?B?${"UmU6IJNDYWbplCCWIIA1MCByZed1"}?=`,
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=windows-1252",
      "Content-Transfer-Encoding: 8bit",
    ],
    Buffer.from(
      "Qm9uam91ciBab+ssCgpUaGUgk3F1YXJ0ZXJseZQgcmVwb3J0IGlzIGF0dGFjaGVkIJYgdG90YWw6IIAxIDI1MC4KROlq4CB2dTogbmHvdmUgY2Fm6SwgZmHnYWRlLCDYcmVzdW5kLCBTdHJh32UuCgqXIFJlbullCg==",
      "base64",
    ),
  );
}

function iso88592(date) {
  return literal(
    [
      "From: =?ISO-8859-2?Q?Ma=B3gorzata_Wi=B6niewska?= <m.wisniewska@firma.example>",
      "To: demo@example.test",
      `Date: ${rfc2822(date)}`,
      "Message-ID: <latin2@firma.example>",
      "Subject: =?ISO-8859-2?B?WmG/87PmIGfqtmyxIGphvPEgLSBmYWt0dXJh?=",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=ISO-8859-2",
      "Content-Transfer-Encoding: 8bit",
    ],
    Buffer.from(
      "RHppZfEgZG9icnksCgp3IHphs7FjemVuaXUgcHJ6ZXN5s2FtIGZha3R1cuogemEgcGG8ZHppZXJuaWsuClByb3N66iBvIHBvdHdpZXJkemVuaWUgb2RiaW9ydS4KCqOxY3rqIHBvemRyb3dpZW5pYSwKTWGzZ29yemF0YSBXabZuaWV3c2thCktyYWvzdwo=",
      "base64",
    ),
  );
}

function shiftJis(date) {
  return literal(
    [
      "From: =?Shift_JIS?B?jbKToQ==?= <sato@kaisha.example>",
      "To: demo@example.test",
      `Date: ${rfc2822(date)}`,
      "Message-ID: <sjis@kaisha.example>",
      "Subject: =?Shift_JIS?B?ie+LY4LMi2OOlphegsmCwoKigsQ=?=",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=Shift_JIS",
      "Content-Transfer-Encoding: base64",
    ],
    "jlKTY5dsCgqCooLCguCCqJCimGKCyYLIgsGCxIKoguiC3IK3gUIKkOaT+oLMie+LY4LMi2OOlphegvCCqJGXguiCtYLcgreBQgqXiI9UgsyRxYK/jYeC7YK5gs2Mjpdqk/qCzIzfjOOT8Y6egqmC54LFgreBQgoKguaC64K1gq2CqIrogqKCooK9grWC3IK3gUIKjbKToQo=\r\n",
  );
}

function gb18030(date) {
  return literal(
    [
      "From: Wang Wei <wang.wei@gongsi.example>",
      "To: demo@example.test",
      `Date: ${rfc2822(date)}`,
      "Message-ID: <gb18030@gongsi.example>",
      "Subject: =?GB18030?B?sb68vrbIz/rK27GouOY=?=",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=GB18030",
      "Content-Transfer-Encoding: base64",
    ],
    "xOO6w6OsCgq4vbz+ysexvry+tsi1xM/6ytuxqLjmoaPH67LpytWhowoK0LvQu6OhCs31zrAK\r\n",
  );
}

function utf7(date) {
  return literal(
    [
      "From: Old Client <legacy@oldmail.example>",
      "To: demo@example.test",
      `Date: ${rfc2822(date)}`,
      "Message-ID: <utf7@oldmail.example>",
      "Subject: =?UTF-7?Q?Caf+AOk- cr+AOg-me?=",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=UTF-7",
      "Content-Transfer-Encoding: 7bit",
    ],
    "Caf+AOk- cr+AOg-me br+APs-l+AOk-e, 1 +- 1 = 2, +ZeVnLIqe-.\r\n",
  );
}

function brokenEncodedWords(date) {
  return literal(
    [
      // Unknown charset, truncated UTF-8 sequence, bad base64, raw 8-bit UTF-8 and a missing "?=".
      "From: =?x-unknown?Q?Mar=E9?= <broken@spam.example>",
      "To: demo@example.test",
      `Date: ${rfc2822(date)}`,
      "Message-ID: <broken@spam.example>",
      "Subject: =?utf-8?Q?Caf=C3=A9?= =?utf-8?Q?_=E2=82?= =?utf-8?B?!!notbase64?= na\xc3\xafve =?utf-8?Q?unterminated",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
    ],
    "A body with a broken sequence =E2=82 and a valid one =C3=A9.=\r\nSoft break, then =ZZ junk.\r\n",
  );
}

function meetingRequest(date, start) {
  const stamp = ical(date);
  const dtStart = ical(start);
  const dtEnd = ical(start + 3_600_000);
  const ics = [
    "BEGIN:VCALENDAR",
    "PRODID:-//Example Corp//Calendar 1.0//EN",
    "VERSION:2.0",
    "METHOD:REQUEST",
    "BEGIN:VEVENT",
    "UID:roadmap-review-2026@example.test",
    `DTSTAMP:${stamp}`,
    `DTSTART:${dtStart}`,
    `DTEND:${dtEnd}`,
    "SUMMARY:Roadmap review",
    "LOCATION:Room 4.2 / video link in description",
    "ORGANIZER;CN=Alice Martin:mailto:alice@example.test",
    "ATTENDEE;CN=Demo User;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:demo@example.test",
    "DESCRIPTION:Quarterly roadmap review.",
    "SEQUENCE:0",
    "STATUS:CONFIRMED",
    "END:VEVENT",
    "END:VCALENDAR",
  ].join("\r\n");
  return literal(
    [
      "From: Alice Martin <alice@example.test>",
      "To: Demo User <demo@example.test>",
      `Date: ${rfc2822(date)}`,
      "Message-ID: <roadmap-invite@example.test>",
      "Subject: Invitation: Roadmap review",
      "MIME-Version: 1.0",
      'Content-Type: multipart/alternative; boundary="invite-alt"',
    ],
    [
      "--invite-alt",
      "Content-Type: text/plain; charset=utf-8",
      "",
      "Alice Martin invites you to: Roadmap review",
      "",
      "--invite-alt",
      'Content-Type: text/calendar; charset=utf-8; method=REQUEST; name="invite.ics"',
      "Content-Transfer-Encoding: 7bit",
      "",
      ics,
      "--invite-alt--",
      "",
    ].join("\r\n"),
  );
}

// ---------- deterministic binary content ----------

function wrap64(buf) {
  return buf.toString("base64").replace(/.{76}/g, "$&\r\n");
}

/** A deterministic byte stream (xorshift32), so the big attachment is the same on every run. */
function noise(size, seed) {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, Math.min(i, size - 4));
  }
  return out;
}

function pdfLike(title, size) {
  const head = Buffer.from(
    `%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Title (${title}) >> endobj\n2 0 obj << /Length ${size} >> stream\n`,
    "latin1",
  );
  const tail = Buffer.from("\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", "latin1");
  const body = noise(Math.max(0, size - head.length - tail.length), size);
  return Buffer.concat([head, body, tail]);
}

/** A valid uncompressed-deflate PNG of one colour. */
function png(width, height, r, g, b) {
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([r, g, b], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  const blocks = [];
  for (let i = 0; i < raw.length; i += 65535) {
    const chunk = raw.subarray(i, i + 65535);
    const last = i + 65535 >= raw.length ? 1 : 0;
    const h = Buffer.from([last, chunk.length & 255, chunk.length >> 8, ~chunk.length & 255, (~chunk.length >> 8) & 255]);
    blocks.push(h, chunk);
  }
  const adler = Buffer.alloc(4);
  let a = 1;
  let s = 0;
  for (const byte of raw) {
    a = (a + byte) % 65521;
    s = (s + a) % 65521;
  }
  adler.writeUInt32BE(((s << 16) | a) >>> 0);
  const zlib = Buffer.concat([Buffer.from([0x78, 0x01]), ...blocks, adler]);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function crc32(buf) {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

// ---------- dates ----------

function rfc2822(ms) {
  return new Date(ms).toUTCString().replace("GMT", "+0000");
}

function ical(ms) {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}
