// The simple parse (src/store/mime-simple.ts) against postal-mime, in workerd: on every message it accepts it must
// give the same Email (every field parseMessage reads) and parseMessage the same ParsedMessage. Messages: the demo
// and hostile corpora, and a few thousand made from pieces that each stress one rule postal-mime follows (header
// folding and trimming, bare CRs, BOMs, encoded words, charsets, quoted-printable, format=flowed, missing blank line
// or final newline, content headers duplicated or commented). The fast path must also take the shapes it is for.
import PostalMime, { addressParser, type Email } from "postal-mime";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain ESM script without type declarations
import { demoMessages } from "../../scripts/demo-mail.mjs";
import { MIME_LIMITS } from "../../src/formats/limits";
import { wellFormed } from "../../src/formats/text";
import { mentionsUtf7, parseMessage, previewText } from "../../src/store/mime";
import { parseSimple, simpleAddresses, simpleDate } from "../../src/store/mime-simple";
import { hostileCorpus } from "../fixtures/hostile/corpus";

const enc = (s: string) => new TextEncoder().encode(s);
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** What parseMessage reads of an Email, and what any other caller could (every field postal-mime sets). */
function fields(e: Email) {
  const { headers, headerLines, subject, from, to, cc, bcc, replyTo, date, messageId, inReplyTo, references, text, html } = e;
  const r = e as Email & { sender?: unknown; deliveredTo?: unknown; returnPath?: unknown };
  return {
    headers,
    headerLines,
    subject,
    from,
    sender: r.sender,
    deliveredTo: r.deliveredTo,
    returnPath: r.returnPath,
    to,
    cc,
    bcc,
    replyTo,
    date,
    messageId,
    inReplyTo,
    references,
    text,
    html,
    attachments: e.attachments,
  };
}

/** Compares both parsers on `raw`; true when the simple parse took it. */
async function same(raw: Uint8Array): Promise<boolean> {
  let simple: Email | null = null;
  try {
    simple = parseSimple(raw, MIME_LIMITS.maxHeadersSize);
  } catch {}
  const slow = await parseMessage(raw, false);
  expect(await parseMessage(raw)).toEqual(slow);
  if (!simple) return false;
  expect(fields(simple)).toEqual(fields(await PostalMime.parse(raw, { attachmentEncoding: "arraybuffer", ...MIME_LIMITS })));
  return true;
}

/** xorshift32: the same messages on every run. */
function rng(seed: number) {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const SUBJECTS = [
  "Subject: Hello",
  "Subject: =?utf-8?B?SGVsbG8gd29ybGQg4pyT?=",
  "Subject: =?iso-8859-1?Q?Caf=E9_cr=E8me?= and more",
  "Subject: =?utf-7?B?K0FPa0FndUFLZGdCbkFBPQ==?=",
  "Subject: Re: Fwd: long\r\n   folded\r\n\tsubject",
  "Subject:",
  "Subject: \u00e9t\u00e9 en UTF-8 brut",
  "Subject:   spaces around   ",
  "subject: lower-case key",
  "Subject: a\rbare CR inside",
  "\u00a0Subject: NBSP before the key",
  "\ufeffSubject: BOM at the start",
  "Subject: =?utf-8?Q?broken=ZZ?=",
  "Subject: \u00a0padded with NBSP\u00a0",
  "Subject: \ufeffBOM inside the value\ufeff",
];
const FROMS = [
  'From: "Doe, Jane" <jane@example.test>',
  "From: jane@example.test",
  "From: =?utf-8?B?w4lsb2RpZQ==?= <elodie@example.test>",
  "From: undisclosed-recipients:;",
  "From:",
  "From: <>",
  "From: Jane <jane@example.test>, John <john@example.test>",
  "Sender: Someone <s@example.test>",
];
const TOS = [
  "To: a@example.test, B <b@example.test>",
  "To: group: c@example.test, d@example.test;, e@example.test",
  "To: \r\n a@example.test,\r\n b@example.test",
  "Cc: x@example.test",
  "Cc: =?utf-8?Q?Z=C3=B6e?= <zoe@example.test>",
  "Reply-To: reply@example.test",
  "Bcc: hidden@example.test",
  "Delivered-To: me@example.test",
  "Return-Path: <bounce@example.test>",
];
const OTHERS = [
  "Date: Fri, 20 Nov 2026 10:00:00 +0000",
  "Date: not a date",
  "Date: 2026-11-20T10:00:00Z",
  "Message-ID: <id-1@example.test>",
  "In-Reply-To: <parent@example.test>",
  "References: <a@example.test> <b@example.test>",
  "Importance: High",
  "X-Priority: 5 (Lowest)",
  "Priority: urgent",
  "Thread-Topic: topic",
  "Thread-Index: AQHaBcDeAbCd",
  "Content-Class: urn:content-classes:message",
  "X-No-Colon-Here",
  "X-Empty:",
  "MIME-Version: 1.0",
];
const TYPES = [
  null,
  "Content-Type: text/plain",
  "Content-Type: text/plain; charset=utf-8",
  'Content-Type: TEXT/PLAIN; CHARSET="UTF-8"',
  "Content-Type: text/plain; charset=iso-8859-1",
  "Content-Type: text/plain; charset=us-ascii",
  "Content-Type: text/plain; charset=windows-1252",
  "Content-Type: text/plain; charset=latin1; format=flowed",
  'Content-Type: text/plain; charset="utf-8"; format=flowed; delsp=yes',
  "Content-Type: text/plain; format=Flowed; DelSp=Yes",
  'Content-Type: text/plain; charset = "utf-8" ;',
  "Content-Type: text/plain; charset=",
  "Content-Type: text/plain; charset=utf-8; charset=iso-8859-1",
  'Content-Type: text/plain; charset=" utf-8 "',
  "Content-Type: text/plain;\r\n\tcharset=utf-8",
  "Content-Type: text/html; charset=utf-8",
  "Content-Type: text/html",
  // not for the simple parse: each must still come out the same (postal-mime)
  "Content-Type: text/plain; charset=utf-7",
  "Content-Type: text/plain; charset=shift_jis",
  "Content-Type: text/plain (comment); charset=utf-8",
  "Content-Type: text/plain; charset*=utf-8''x",
  'Content-Type: text/plain; charset="utf-8"junk',
  "Content-Type: text/calendar; method=REQUEST",
  "Content-Type: application/octet-stream",
  "Content-Type:",
  'Content-Type: multipart/alternative; boundary="b"',
];
const ENCODINGS = [
  null,
  "Content-Transfer-Encoding: 7bit",
  "Content-Transfer-Encoding: 8BIT",
  "Content-Transfer-Encoding: quoted-printable",
  "Content-Transfer-Encoding: Quoted-Printable",
  "Content-Transfer-Encoding: binary",
  "Content-Transfer-Encoding: base64",
  "Content-Transfer-Encoding: quoted-printable (comment)",
  "Content-Transfer-Encoding: x-unknown",
];
const EXTRA_CONTENT = [null, null, null, "Content-Disposition: inline", "Content-Type: text/html", "Content-ID: <c@x>"];
const BODIES = [
  "Plain body line.\r\nSecond line.",
  "",
  "  \r\n\t\r\n",
  "caf\u00e9 \u2713 UTF-8 body",
  "--b\r\nlooks like a boundary\r\n--b--",
  "soft=\r\nbreak and =3D and =E9 and =e9 and =ZZ and =4\r\nends with =",
  "flowed line one \r\ncontinues here \r\n-- \r\nsignature\r\n> quoted \r\n ",
  "<p>Hello <b>HTML</b></p>",
  "a\rb\r\r\nc\n\nd",
  "SGVsbG8gYmFzZTY0\r\n",
  "\ufeff",
  "\ufeffBOM first\r",
  "ends in CRs\r\r",
  "\r",
];
const ENDINGS = ["\r\n", "\n", "\r\r\n"];

function made(r: () => number): Uint8Array {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const eol = pick(ENDINGS);
  const lines: string[] = [];
  for (const pool of [SUBJECTS, FROMS, TOS, TOS, OTHERS, OTHERS, OTHERS]) if (r() < 0.8) lines.push(pick(pool));
  const type = pick(TYPES);
  if (type) lines.push(type);
  const cte = pick(ENCODINGS);
  if (cte) lines.push(cte);
  const extra = pick(EXTRA_CONTENT);
  if (extra) lines.push(extra);
  for (let i = lines.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  }
  const body = pick(BODIES).replace(/\r\n/g, eol);
  const noBlank = r() < 0.03;
  const end = r() < 0.2 ? "" : eol;
  const text = `${lines.join(eol).replace(/\r\n(?=[ \t])/g, eol)}${noBlank ? eol : `${eol}${eol}`}${body}${end}`;
  // Latin-1 bytes (one byte a code unit, invalid UTF-8 for accented letters) or UTF-8.
  return r() < 0.25 ? latin1(text) : enc(text);
}

const ROOT_TYPES = [
  'Content-Type: multipart/alternative; boundary="b1"',
  "Content-Type: multipart/alternative; boundary=b1",
  'Content-Type: Multipart/Alternative;\r\n boundary="b1"; charset=utf-8',
  'Content-Type: multipart/alternative; boundary="b1"; boundary="b2"',
  'Content-Type: multipart/alternative; boundary=""',
  'Content-Type: multipart/mixed; boundary="b1"',
  'Content-Type: multipart/related; boundary="b1"',
];
const PART_EXTRA = [
  null,
  null,
  null,
  "Content-Disposition: inline",
  "Content-Disposition: attachment",
  'Content-Disposition: inline; filename="a.txt"',
];
const PART_TYPES = [null, ...TYPES.slice(1, 17), "Content-Type: image/png", 'Content-Type: multipart/mixed; boundary="b2"'];
const BOUNDARIES = ["--b1", "--b1", "--b1", "--b1 \t", "--b1x", "--b2", "--b1--x"];

/** A multipart/alternative (mostly) of pieces: preamble, parts of every kind, boundaries valid or not, epilogue. */
function madeAlternative(r: () => number): Uint8Array {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const eol = pick(ENDINGS);
  const lines: string[] = [];
  for (const pool of [SUBJECTS, FROMS, TOS, OTHERS, OTHERS]) if (r() < 0.8) lines.push(pick(pool));
  lines.push(pick(ROOT_TYPES));
  if (r() < 0.1) lines.push(pick(ENCODINGS.filter((e) => e !== null)));
  if (r() < 0.05) lines.push("Content-Disposition: inline");
  let out = `${lines.join(eol)}${eol}${eol}`;
  if (r() < 0.3) out += `This is a multi-part message in MIME format.${eol}`;
  const parts = 1 + Math.floor(r() * 3);
  for (let i = 0; i < parts; i++) {
    out += `${pick(BOUNDARIES)}${eol}`;
    const head = [pick(PART_TYPES), pick(ENCODINGS), pick(PART_EXTRA)].filter((x): x is string => x !== null);
    if (r() < 0.03) {
      out += `${head.join(eol)}${eol}`; // no empty line: the header runs into the next boundary
      continue;
    }
    out += `${head.join(eol)}${head.length ? eol : ""}${eol}${pick(BODIES).replace(/\r\n/g, eol)}${eol}`;
  }
  if (r() < 0.85) out += `--b1--${r() < 0.2 ? " " : ""}${eol}`;
  if (r() < 0.2) out += `epilogue --b1${eol}`;
  if (r() < 0.1) out = out.slice(0, -eol.length); // no final line end
  return r() < 0.25 ? latin1(out) : enc(out);
}

describe("simple MIME parse", () => {
  it("gives postal-mime's Email and parseMessage's result on the demo and hostile corpora", async () => {
    const demo = (demoMessages({ now: Date.UTC(2026, 10, 26), bigAttachmentBytes: 4096 }) as { name: string; raw: Uint8Array }[]).filter(
      (m) => m.name !== "big-attachment",
    );
    let taken = 0;
    for (const m of demo) if (await same(new Uint8Array(m.raw))) taken++;
    for (const m of hostileCorpus("me@example.test")) if (m.raw.length < 200_000 && (await same(enc(m.raw)))) taken++;
    expect(taken).toBeGreaterThan(0); // the single-part ones
  }, 60_000);

  it("gives the same results on 3 000 messages made from pieces, and takes the simple shapes", async () => {
    const r = rng(20261207);
    let taken = 0;
    for (let i = 0; i < 3000; i++) if (await same(made(r))) taken++;
    expect(taken).toBeGreaterThan(900);
    expect(taken).toBeLessThan(2900);
  }, 120_000);

  it("gives the same results on 3 000 multipart messages made from pieces, and takes the alternative ones", async () => {
    const r = rng(20261208);
    let taken = 0;
    for (let i = 0; i < 3000; i++) if (await same(madeAlternative(r))) taken++;
    expect(taken).toBeGreaterThan(300);
    expect(taken).toBeLessThan(2700);
  }, 120_000);

  it("takes a plain, a quoted-printable, a flowed and an HTML part; leaves multipart, base64 and dispositions", () => {
    const msg = (headers: string, body = "x") => enc(`From: a@example.test\r\nSubject: s\r\n${headers}\r\n${body}\r\n`);
    expect(parseSimple(msg(""), MIME_LIMITS.maxHeadersSize)?.text).toBe("x\n");
    expect(parseSimple(msg("Content-Transfer-Encoding: quoted-printable\r\n", "caf=C3=A9=\r\n!"), 1e6)?.text).toBe("café!\n");
    expect(parseSimple(msg("Content-Type: text/plain; format=flowed\r\n", "a \r\nb"), 1e6)?.text).toBe("a b\n");
    expect(parseSimple(msg("Content-Type: text/html\r\n", "<p>x</p>"), 1e6)?.html).toBe("<p>x</p>\n");
    expect(parseSimple(msg('Content-Type: multipart/mixed; boundary="b"\r\n', "--b\r\n\r\nx\r\n--b--"), 1e6)).toBeNull();
    expect(parseSimple(msg("Content-Transfer-Encoding: base64\r\n", "eA=="), 1e6)).toBeNull();
    expect(parseSimple(msg("Content-Disposition: attachment\r\n"), 1e6)).toBeNull();
    expect(parseSimple(enc(`Subject: ${"x".repeat(100)}\r\n\r\nbody`), 50)).toBeNull(); // over maxHeadersSize: postal-mime's error path
  });
});

describe("simpleAddresses", () => {
  /** Pieces of address lists: what the fast path is for, and what it must leave to postal-mime's parser. */
  const NAMES = [
    "",
    "Jane",
    "Jane Doe",
    " Jane  Doe ",
    "Jane\tDoe",
    "J.R. O'Neil-Smith",
    "a_b+c",
    '"Doe, Jane"',
    '""',
    '"  "',
    '" Jane "',
    '"a@b.test"',
    '"x"y',
    'x"y"',
    '"unterminated',
    "=?utf-8?B?w4lsb2RpZQ==?=",
    "=?utf-8?Q?Z=C3=B6e?=",
    "(comment)",
    "Jane (c)",
    "Jane <",
    "Ja\\ne",
    '"Ja\\"ne"',
    "Jane:",
    "group:",
    "Jé",
    "Jane;",
    "<",
    ">",
    "@",
    "a@b",
    "Jane,",
    '","',
    "\u00a0Jane",
  ];
  const ADDRESSES = [
    "a@b.test",
    "jane.doe+tag@example.test",
    "x@y",
    "a%b@c-d.test",
    "_@-",
    "@b.test",
    "a@",
    "a@@b",
    "a@b@c",
    "",
    "a b@c",
    "a,b@c",
    "a;b@c",
    "<a@b>",
    "a@b.",
    ".a@b",
    "a@[127.0.0.1]",
    "é@b.test",
    "a@b.test>",
    "a@(c)b",
  ];
  const SEPARATORS = [", ", ",", " , ", ";", ",,", ", ,", ",\t", " ", ""];
  function entry(r: () => number): string {
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
    const name = pick(NAMES);
    const address = pick(ADDRESSES);
    switch (Math.floor(r() * 5)) {
      case 0:
        return address;
      case 1:
        return `${name}<${address}>`;
      case 2:
        return `${name} <${address}>${r() < 0.2 ? pick(NAMES) : ""}`;
      case 3:
        return `${pick([" ", "\t", "  "])}${name} \t<${address}> `;
      default:
        return `${name} ${address}`;
    }
  }

  it("gives postal-mime's addresses for every list it takes, and takes the plain shapes", () => {
    const r = rng(20261209);
    const lists: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      let v = entry(r);
      const n = Math.floor(r() * 3);
      for (let k = 0; k < n; k++) v += SEPARATORS[Math.floor(r() * SEPARATORS.length)]! + entry(r);
      lists.push(v);
    }
    // The address headers of the shapes the MIME tests use, and of the hostile corpus.
    for (const h of [...FROMS, ...TOS])
      lists.push(
        h
          .slice(h.indexOf(":") + 1)
          .replace(/\r\n/g, "")
          .trim(),
      );
    for (const m of hostileCorpus("me@example.test"))
      for (const line of m.raw.slice(0, 20_000).split("\r\n"))
        if (/^(from|to|cc|bcc|reply-to|sender|return-path|delivered-to):/i.test(line)) lists.push(line.slice(line.indexOf(":") + 1).trim());
    let taken = 0;
    for (const v of lists) {
      const fast = simpleAddresses(v);
      if (fast === null) continue;
      taken++;
      expect(fast, v).toEqual(addressParser(v));
    }
    expect(taken).toBeGreaterThan(1000);
    expect(taken).toBeLessThan(lists.length - 5000);
    // The shapes nearly all mail has are taken (the point of the fast path).
    for (const v of [
      "Sender 5 <sender5@mta.test>",
      "jane@example.test",
      '"Doe, Jane" <jane@example.test>',
      "a@example.test, B <b@example.test>",
      "<bounce@example.test>",
      'J.R. O\'Neil <jr@example.test>,\t"" <x@y>',
    ]) {
      expect(simpleAddresses(v), v).not.toBeNull();
      expect(simpleAddresses(v), v).toEqual(addressParser(v));
    }
    // Groups, comments, encoded words, escapes, empty entries and other characters are postal-mime's.
    for (const v of [
      "group: c@example.test, d@example.test;",
      "Jane (work) <jane@example.test>",
      "=?utf-8?Q?Z=C3=B6e?= <zoe@example.test>",
      '"Ja\\"ne" <jane@example.test>',
      "a@example.test,",
      "Jé <j@example.test>",
      "",
    ])
      expect(simpleAddresses(v), v).toBeNull();
  });
});

describe("simpleDate", () => {
  it("reads a Date header as new Date() does for every value it takes, and takes the usual form", () => {
    const r = rng(20261210);
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
    const values: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const day = pick(["", "Mon, ", "Thu, ", "Sun, ", "Xyz, ", "Thu,", "thu, "]);
      const d = pick(["1", "01", "9", "28", "29", "30", "31", "32", "0", "00", "001"]);
      const mon = pick(["Jan", "Feb", "Apr", "Dec", "jan", "JAN", "Foo"]);
      const y = pick(["2026", "2024", "1900", "1899", "1970", "0099", "26", "9999", "20260"]);
      const t = pick(["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "9:00:00", "12:00", "07:08:09"]);
      const z = pick(["+0000", "-0000", "+0100", "-0930", "+2359", "+2400", "+0060", "GMT", "UT", "UTC", "EST", "Z", "+00:00", ""]);
      const c = pick(["", "", " (UTC)", " (CET)", "(UTC)", " (a b)", " ()"]);
      values.push(`${day}${d} ${mon} ${y} ${t} ${z}${c}`.trim());
    }
    values.push("Fri, 20 Nov 2026 10:00:00 +0000", "not a date", "2026-11-20T10:00:00Z", "");
    let taken = 0;
    for (const v of values) {
      const fast = simpleDate(v);
      if (fast === null) continue;
      taken++;
      expect(fast, v).toBe(new Date(v).getTime());
    }
    expect(taken).toBeGreaterThan(200);
    for (const v of [
      "Fri, 20 Nov 2026 10:00:00 +0000",
      "20 Nov 2026 10:00:00 -0500",
      "Thu, 01 Jan 2026 00:00:00 GMT",
      "Fri, 20 Nov 2026 10:00:00 +0100 (CET)",
    ])
      expect(simpleDate(v), v).toBe(new Date(v).getTime());
    for (const v of ["Fri, 31 Feb 2026 10:00:00 +0000", "2026-11-20T10:00:00Z", "Fri, 20 Nov 2026 10:00 +0000", "20 Nov 26 10:00:00 +0000"])
      expect(simpleDate(v), v).toBeNull();
  });
});

describe("previewText", () => {
  it("collapses only the prefix it needs, with the whole text's result", () => {
    const whole = (plain: string) => wellFormed(plain.replace(/\s+/g, " ").trim().slice(0, 255));
    const r = rng(7);
    const pieces = [
      "word",
      " ",
      "\r\n",
      "\t\t  \n",
      "\v\f",
      "\u00a0",
      "\u1680",
      "\u2000\u200a",
      "\u200b",
      "\u2028",
      "\u2029\u202f",
      "\u205f\u3000",
      "\ufeff",
      "\u0085",
      "é",
      "😀",
      "\ud83d",
      " ".repeat(300),
      "x".repeat(250),
      "y".repeat(600),
    ];
    for (let i = 0; i < 3000; i++) {
      let s = "";
      const n = Math.floor(r() * 400);
      for (let k = 0; k < n; k++) s += pieces[Math.floor(r() * pieces.length)];
      expect(previewText(s)).toBe(whole(s));
    }
    // Where the collapsed prefix is just about the preview's length: its trailing space is the whole text's end.
    for (let k = 250; k < 262; k++)
      for (const tail of ["", "b", " b"]) {
        const s = `${"a".repeat(k)}${" ".repeat(4 * 255)}${tail}`;
        expect(previewText(s)).toBe(whole(s));
      }
  });
});

describe("mentionsUtf7", () => {
  it("finds utf7 / utf-7 in any case, anywhere in the first 256 KiB, as a scan of the Latin-1 text would", () => {
    const r = rng(11);
    const pieces = ["u", "U", "t", "T", "f", "F", "-", "7", "x", "utf", "UTF-", "\r\n"];
    for (let i = 0; i < 5000; i++) {
      let s = "";
      const n = Math.floor(r() * 12);
      for (let k = 0; k < n; k++) s += pieces[Math.floor(r() * pieces.length)];
      expect(mentionsUtf7(latin1(s))).toBe(/utf-?7/i.test(s));
    }
    const far = new Uint8Array(262_144 + 10).fill(0x78);
    far.set(latin1("utf-7"), 262_144 - 5);
    expect(mentionsUtf7(far)).toBe(true);
    far.set(latin1("xxxxxutf-7"), 262_144 - 5);
    expect(mentionsUtf7(far)).toBe(false);
  });
});
