// The binary codec and the XML form: round trips over the fixture corpus (every code page), and the WBXML rules
// of [MS-ASWBXML] §2.1.3 (inline strings, opaque data, code pages; no string tables, entities, PIs, attributes).
import { describe, expect, it } from "vitest";
import {
  CODE_PAGES,
  child,
  decodeWbxml,
  decodeWbxmlFragment,
  el,
  elements,
  encodeWbxml,
  encodeWbxmlFragment,
  expandFragments,
  fromXml,
  isElement,
  isFragment,
  nodeBudget,
  text,
  toXml,
  WbxmlError,
  type WbxmlElement,
  type WbxmlFragment,
} from "../../src/wbxml";
import { fromHex, mergeText, readFixtures, toHex, walk } from "./wbxml-helpers";

const fixtures = readFixtures();

/** The error a call throws (fails the test when it does not throw). */
function errorOf(fn: () => unknown): WbxmlError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WbxmlError);
    return e as WbxmlError;
  }
  throw new Error("expected a WbxmlError");
}

const HEADER = "03 01 6a 00";

describe("round trips over the corpus", () => {
  it("covers every code page 0-25", () => {
    const used = new Set<string>();
    for (const f of fixtures) for (const e of walk(fromXml(f.xml))) used.add(e.ns);
    expect(CODE_PAGES.map((p) => p.ns).filter((ns) => !used.has(ns))).toEqual([]);
    expect(CODE_PAGES).toHaveLength(26);
  });

  for (const f of fixtures) {
    it(`${f.file}: tree -> WBXML -> tree, and XML -> WBXML -> XML`, () => {
      const tree = fromXml(f.xml);
      const bytes = encodeWbxml(tree);
      expect(toHex(bytes.subarray(0, 4))).toBe(HEADER);
      expect(decodeWbxml(bytes)).toEqual(tree);
      const xml = toXml(tree);
      expect(toXml(decodeWbxml(encodeWbxml(fromXml(xml))))).toBe(xml);
      expect(toHex(encodeWbxml(fromXml(xml)))).toBe(toHex(bytes));
      // Compact rendering parses to the same tree.
      expect(fromXml(toXml(tree, { indent: false, declaration: false }))).toEqual(tree);
    });
  }

  it("keeps opaque data as bytes through WBXML and XML, including bytes that are not UTF-8", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const tree = el("ComposeMail", "SendMail", el("ComposeMail", "Mime", all), el("ComposeMail", "ClientId", "x"));
    const bytes = encodeWbxml(tree);
    // C3, mb_u_int32 length 256 = 82 00, then the raw bytes.
    expect(toHex(bytes)).toContain("c3 82 00 00 01 02 03");
    const back = decodeWbxml(bytes);
    expect((back.children[0] as WbxmlElement).children[0]).toBeInstanceOf(Uint8Array);
    expect(back).toEqual(tree);
    const xml = toXml(back);
    expect(xml).toContain('<Mime wbxml:opaque="base64">AAECAwQF');
    expect(xml).toContain('xmlns:wbxml="urn:mobile-sync:wbxml"');
    expect(fromXml(xml)).toEqual(tree);
  });

  it("keeps opaque mixed with text, several opaque chunks and empty opaque", () => {
    const tree = el("AirSyncBase", "Data", "head ", new Uint8Array([0xff, 0]), new Uint8Array(0), " tail");
    const xml = toXml(tree);
    expect(xml).toContain("head <wbxml:opaque>/wA=</wbxml:opaque><wbxml:opaque></wbxml:opaque> tail");
    expect(fromXml(xml)).toEqual(tree);
    expect(decodeWbxml(encodeWbxml(tree))).toEqual(tree);
  });

  it('renders opaque as plain text with { opaque: "text" } (for people and the XSD validator)', () => {
    const tree = el("ComposeMail", "SendMail", el("ComposeMail", "Mime", new TextEncoder().encode("Subject: é")));
    expect(toXml(tree, { opaque: "text" })).toContain("<Mime>Subject: é</Mime>");
    expect(toXml(tree, { opaque: "text" })).not.toContain("wbxml");
    // Not UTF-8: base64, unmarked (one-way, for reading and validation).
    const binary = el("ComposeMail", "SendMail", el("ComposeMail", "Mime", new Uint8Array([0xff])));
    expect(toXml(binary, { opaque: "text" })).toContain("<Mime>/w==</Mime>");
    // UTF-8 with characters no XML 1.0 document may hold, even as references (a stranger's MIME with NULs,
    // sent as opaque by design): base64 too, so the document stays well-formed for the validator.
    const nul = el("ComposeMail", "SendMail", el("ComposeMail", "Mime", new TextEncoder().encode("a\u0000b\u0001")));
    expect(toXml(nul, { opaque: "text" })).toContain(`<Mime>${btoa("a\u0000b\u0001")}</Mime>`);
  });

  it("keeps text XML cannot hold raw: control characters, CR, markup characters, astral characters", () => {
    const s = "a\u0001b\r\nc\td<&>\"' 😀 \u000b";
    const tree = el("Email", "Subject", s);
    const xml = toXml(tree);
    expect(xml).toContain("&#x1;");
    expect(xml).toContain("&#xD;");
    expect(fromXml(xml)).toEqual(tree);
    expect(decodeWbxml(encodeWbxml(tree))).toEqual(tree);
  });
});

describe("encoding rules", () => {
  it("writes empty elements without the content bit, and switches pages only when needed", () => {
    const tree = el(
      "AirSync",
      "Sync",
      el("AirSync", "Partial"),
      el("AirSyncBase", "Type", "1"),
      el("AirSyncBase", "Type", "2"),
      el("AirSync", "Wait", "5"),
    );
    // Sync 0x05|0x40, Partial 0x26, SWITCH 17, Type 0x46 "1" END, Type 0x46 "2" END, SWITCH 0, Wait 0x64 "5" END, END.
    expect(toHex(encodeWbxml(tree))).toBe(`${HEADER} 45 26 00 11 46 03 31 00 01 46 03 32 00 01 00 00 64 03 35 00 01 01`);
  });

  it("encodes strings as UTF-8 inline strings", () => {
    expect(toHex(encodeWbxml(el("Email", "Subject", "é€😀")))).toBe(`${HEADER} 00 02 54 03 c3 a9 e2 82 ac f0 9f 98 80 00 01`);
  });

  it("keeps separate string children separate and an empty string as an empty inline string", () => {
    const tree = el("Email", "Subject", "a", "", "b");
    expect(toHex(encodeWbxml(tree))).toBe(`${HEADER} 00 02 54 03 61 00 03 00 03 62 00 01`);
    expect(decodeWbxml(encodeWbxml(tree))).toEqual(tree);
  });

  it("rejects what WBXML cannot carry, with WbxmlError", () => {
    expect(errorOf(() => encodeWbxml(el("AirSync", "Nope"))).message).toMatch(/unknown tag AirSync:Nope/);
    expect(errorOf(() => encodeWbxml(el("NoSuchPage", "Sync"))).message).toMatch(/unknown tag/);
    expect(errorOf(() => encodeWbxml(el("Email", "Subject", "a\u0000b"))).message).toMatch(/NUL/);
    expect(errorOf(() => encodeWbxml(el("Email", "Subject", "\ud800"))).message).toMatch(/surrogate/);
    const cyclic = el("AirSync", "Sync");
    cyclic.children.push(cyclic);
    expect(errorOf(() => encodeWbxml(cyclic)).message).toMatch(/deeper than 64/);
    expect(errorOf(() => toXml(cyclic)).message).toMatch(/deeper than 64/);
  });

  it("encodes large documents (growable buffer)", () => {
    const body = "x".repeat(3_000_000);
    const tree = el("AirSyncBase", "Data", body, new Uint8Array(2_000_000).fill(7));
    const back = decodeWbxml(encodeWbxml(tree));
    expect(back).toEqual(tree);
  });
});

describe("decoding rules and errors (each names the byte offset)", () => {
  const decode = (hex: string) => decodeWbxml(fromHex(hex));

  it("accepts the header variants the grammar allows and EAS uses", () => {
    expect(decode(`${HEADER} 0d`)).toEqual(el("AirSync", "ServerId"));
    // WBXML 1.2 header, public id as a two-byte mb_u_int32.
    expect(decode("02 81 01 6a 00 0d")).toEqual(el("AirSync", "ServerId"));
    // Content bit with no content decodes as an empty element.
    expect(decode(`${HEADER} 4d 01`)).toEqual(el("AirSync", "ServerId"));
    // A redundant SWITCH_PAGE is harmless.
    expect(decode(`${HEADER} 00 00 4d 00 00 01`)).toEqual(el("AirSync", "ServerId"));
  });

  const cases: [string, string, RegExp, number][] = [
    ["empty input", "", /empty document/, 0],
    ["WBXML version 0x04", "04 01 6a 00 0d", /unsupported WBXML version/, 0],
    ["public id in the string table", "03 00 00 6a 00 0d", /public identifier in the string table/, 1],
    ["charset other than UTF-8", "03 01 04 00 0d", /charset 4 is not UTF-8/, 2],
    ["non-empty string table", "03 01 6a 03 61 62 00 0d", /string tables are not used/, 3],
    ["truncated header", "03 01", /truncated charset/, 2],
    ["mb_u_int32 too long", "03 81 81 81 81 81 01 6a 00", /longer than 5 bytes/, 1],
    ["no root", HEADER, /no root element/, 4],
    ["unknown token", `${HEADER} 11`, /unknown token 0x11 in code page 0/, 4],
    ["unknown code page", `${HEADER} 00 1a 05`, /unknown code page 26/, 5],
    ["truncated SWITCH_PAGE", `${HEADER} 45 00`, /truncated SWITCH_PAGE/, 5],
    ["attributes", `${HEADER} c5 01 01`, /attributes are not used/, 4],
    ["string table reference", `${HEADER} 45 83 00 01`, /STR_T/, 5],
    ["entity", `${HEADER} 45 02 41 01`, /ENTITY is not used/, 5],
    ["processing instruction", `${HEADER} 43 01`, /PI is not used/, 4],
    ["literal tag", `${HEADER} 45 04 00 01`, /LITERAL is not used/, 5],
    ["extension token", `${HEADER} 45 c0 01`, /EXT_0 is not used/, 5],
    ["EXT_I", `${HEADER} 45 40 61 00 01`, /EXT_I_0 is not used/, 5],
    ["END without element", `${HEADER} 0d 01`, /data after the root element/, 5],
    ["END first", `${HEADER} 01`, /END without an open element/, 4],
    ["text outside root", `${HEADER} 03 61 00`, /text outside the root/, 4],
    ["opaque outside root", `${HEADER} c3 00`, /opaque data outside the root/, 4],
    ["unterminated string", `${HEADER} 45 03 61 62`, /unterminated inline string/, 5],
    ["invalid UTF-8 in a string", `${HEADER} 45 03 61 ff 00 01`, /not valid UTF-8/, 6],
    ["overlong UTF-8", `${HEADER} 45 03 c0 80 00 01`, /not valid UTF-8/, 6],
    ["opaque past the end", `${HEADER} 45 c3 05 61 01`, /runs past the end/, 5],
    ["missing END", `${HEADER} 45 4f 0b`, /unexpected end of document inside <Collection>/, 7],
    ["two roots", `${HEADER} 0d 0d`, /data after the root element/, 5],
    ["trailing bytes", `${HEADER} 45 01 00`, /data after the root element/, 6],
  ];
  for (const [what, hex, message, offset] of cases) {
    it(`rejects ${what} at offset ${offset}`, () => {
      const e = errorOf(() => decode(hex));
      expect(e.message).toMatch(message);
      expect(e.offset).toBe(offset);
      expect(e.message).toContain(`at offset ${offset}`);
    });
  }

  it("bounds depth, element count and size", () => {
    const deep = `${HEADER} ${"45 ".repeat(65)}${"01 ".repeat(65)}`;
    expect(errorOf(() => decode(deep)).message).toMatch(/deeper than 64/);
    const ok = `${HEADER} ${"45 ".repeat(64)}${"01 ".repeat(64)}`;
    expect(() => decode(ok)).not.toThrow();
    const many = fromHex(`${HEADER} 45 ${"0d ".repeat(1000)} 01`);
    expect(errorOf(() => decodeWbxml(many, { maxElements: 500 })).message).toMatch(/more than 500 nodes/);
    expect(decodeWbxml(many).children).toHaveLength(1000);
    expect(errorOf(() => decodeWbxml(many, { maxBytes: 100 })).message).toMatch(/larger than 100 bytes/);
    expect(errorOf(() => decodeWbxml(fromHex(`${HEADER} 45 45 01 01`), { maxDepth: 1 })).message).toMatch(/deeper than 1/);
  });

  it("counts every node against a budget proportional to the body: empty OPAQUE and empty strings included (issue 13 §4)", () => {
    // 2 bytes per empty OPAQUE (C3 00) or empty string (03 00): 20 000 of them in 40 kB used to cost 20 000
    // objects uncounted; the budget is 1024 + bytes/2 nodes.
    for (const empty of ["c3 00 ", "03 00 ", "0d "]) {
      const doc = fromHex(`${HEADER} 45 ${empty.repeat(1000)}01`);
      expect(errorOf(() => decodeWbxml(doc, { maxElements: 500 })).message, empty).toMatch(/more than 500 nodes/);
    }
    const tags = fromHex(`${HEADER} 45 ${"0d ".repeat(20_000)}01`); // 1 byte per node: over the proportional budget
    expect(nodeBudget(tags.length)).toBeLessThan(20_000);
    expect(errorOf(() => decodeWbxml(tags)).message).toMatch(/more than \d+ nodes for \d+ bytes/);
    // A real document's density (a tag and a short string per node) stays well inside.
    const real = fromHex(`${HEADER} 45 ${"4d 03 31 32 33 00 01 ".repeat(2000)}01`);
    expect(decodeWbxml(real).children).toHaveLength(2000);
  });

  it("rejects a non-byte input", () => {
    expect(errorOf(() => decodeWbxml("03016a00" as unknown as Uint8Array)).message).toMatch(/not a byte array/);
  });

  it("copies opaque data out of the input buffer", () => {
    const input = fromHex(`${HEADER} 45 c3 02 61 62 01`);
    const tree = decodeWbxml(input);
    input.fill(0);
    expect(tree.children[0]).toEqual(new Uint8Array([0x61, 0x62]));
  });
});

describe("XML form", () => {
  it("uses the root's page as default namespace and lowercase page names as prefixes", () => {
    const xml = toXml(el("Search", "Search", el("GAL", "DisplayName", "Ana"), el("AirSync", "Class", "Email")));
    expect(xml).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n' +
        '<Search xmlns="Search" xmlns:gal="GAL" xmlns:airsync="AirSync">\n' +
        "  <gal:DisplayName>Ana</gal:DisplayName>\n  <airsync:Class>Email</airsync:Class>\n</Search>\n",
    );
  });

  it("reads libwbxml's output: trailing-colon namespaces, Gal, DOCTYPE, its tag names and base64 opaque tags", () => {
    const xml = `<?xml version="1.0"?>
<!DOCTYPE ActiveSync PUBLIC "-//MICROSOFT//DTD ActiveSync//EN" "http://www.microsoft.com/">
<Sync xmlns="AirSync:">
 <ApplicationData>
  <FlagStatus xmlns="Email:">2</FlagStatus>
  <Reply-To xmlns="Email:">a@b</Reply-To>
  <Recurrence_Type xmlns="Calendar:">1</Recurrence_Type>
  <DisplayName xmlns="Gal:">Ana</DisplayName>
  <ConversationId xmlns="Email2:">q83v</ConversationId>
 </ApplicationData>
</Sync>`;
    expect(fromXml(xml)).toEqual(
      el(
        "AirSync",
        "Sync",
        el(
          "AirSync",
          "ApplicationData",
          el("Email", "Status", "2"),
          el("Email", "ReplyTo", "a@b"),
          el("Calendar", "Type", "1"),
          el("GAL", "DisplayName", "Ana"),
          el("Email2", "ConversationId", new Uint8Array([0xab, 0xcd, 0xef])),
        ),
      ),
    );
    // Without libwbxml's namespace spelling, the same tag's text stays text.
    expect(fromXml('<ConversationId xmlns="Email2">q83v</ConversationId>')).toEqual(el("Email2", "ConversationId", "q83v"));
  });

  it("accepts the other XML features of the subset: CDATA, comments, entities, nested declarations, single quotes", () => {
    const xml = `\ufeff<?xml version='1.0'?><!-- c --><a:Sync xmlns:a='AirSync'><!-- c --><a:SyncKey><![CDATA[<1&>]]>&amp;&#65;&#x42;&lt;&gt;&quot;&apos;</a:SyncKey><Subject xmlns="POOMMAIL">s</Subject></a:Sync><!-- end -->`;
    expect(fromXml(xml)).toEqual(el("AirSync", "Sync", el("AirSync", "SyncKey", "<1&>&AB<>\"'"), el("Email", "Subject", "s")));
  });

  it("keeps whitespace-only text of a text element, drops indentation between elements", () => {
    expect(fromXml('<Subject xmlns="Email">  </Subject>')).toEqual(el("Email", "Subject", "  "));
    expect(fromXml('<Sync xmlns="AirSync">\n  <Partial/>\n</Sync>')).toEqual(el("AirSync", "Sync", el("AirSync", "Partial")));
    // <X></X> holds an empty inline string, <X/> nothing: both survive the XML form.
    expect(fromXml('<Sync xmlns="AirSync"></Sync>')).toEqual(el("AirSync", "Sync", ""));
    expect(fromXml('<Sync xmlns="AirSync"/>')).toEqual(el("AirSync", "Sync"));
    expect(toHex(encodeWbxml(fromXml(toXml(decodeWbxml(fromHex(`${HEADER} 45 03 00 01`))))))).toBe(`${HEADER} 45 03 00 01`);
  });

  const bad: [string, string, RegExp, number][] = [
    ["empty", "", /no root element/, 0],
    ["unknown tag", '<Sync xmlns="AirSync"><Nope/></Sync>', /unknown tag <Nope> in namespace AirSync/, 22],
    ["no namespace", "<Sync/>", /has no namespace/, 0],
    ["unknown namespace", '<Sync xmlns="urn:x"/>', /unknown namespace "urn:x"/, 6],
    ["undeclared prefix", '<x:Sync xmlns="AirSync"/>', /undeclared namespace prefix/, 0],
    ["attribute", '<Sync xmlns="AirSync" id="1"/>', /attribute id is not allowed/, 22],
    ["mismatched end tag", '<Sync xmlns="AirSync"><Partial></Sync>', /does not match <Partial>/, 31],
    ["unclosed element", '<Sync xmlns="AirSync"><Partial>', /unexpected end of document inside <Partial>/, 31],
    ["unknown entity", '<Sync xmlns="AirSync"><SyncKey>&nbsp;</SyncKey></Sync>', /unknown entity &nbsp;/, 31],
    ["NUL character reference", '<SyncKey xmlns="AirSync">&#0;</SyncKey>', /bad character reference/, 25],
    ["surrogate reference", '<SyncKey xmlns="AirSync">&#xD800;</SyncKey>', /bad character reference/, 25],
    ["text outside root", 'x<Sync xmlns="AirSync"/>', /text outside the root element/, 0],
    ["two roots", '<Sync xmlns="AirSync"/><Sync xmlns="AirSync"/>', /content after the root element/, 23],
    ["bad base64", '<Mime xmlns="ComposeMail" xmlns:w="urn:mobile-sync:wbxml" w:opaque="base64">@@</Mime>', /not base64/, 0],
    ["unterminated comment", '<Sync xmlns="AirSync"><!-- x</Sync>', /unterminated comment/, 26],
    ["unterminated CDATA", '<SyncKey xmlns="AirSync"><![CDATA[x', /unterminated CDATA/, 25],
    ["PI inside content", '<Sync xmlns="AirSync"><?pi x?></Sync>', /not allowed here/, 22],
    ["bad start tag", '<Sync xmlns="AirSync"', /unterminated start tag/, 0],
  ];
  for (const [what, xml, message, offset] of bad) {
    it(`rejects ${what} with the character offset (${offset})`, () => {
      const e = errorOf(() => fromXml(xml));
      expect(e.message).toMatch(message);
      expect(e.offset).toBe(offset);
    });
  }

  it("bounds depth and element count", () => {
    const deep = '<Sync xmlns="AirSync">' + "<Sync>".repeat(64) + "</Sync>".repeat(64) + "</Sync>";
    expect(errorOf(() => fromXml(deep)).message).toMatch(/deeper than 64/);
    const many = '<Sync xmlns="AirSync">' + "<Partial/>".repeat(100) + "</Sync>";
    expect(errorOf(() => fromXml(many, { maxElements: 50 })).message).toMatch(/more than 50 elements/);
  });

  it("keeps whitespace-only text between elements when it is content (found by the long fuzz run)", () => {
    const bytes = fromHex(`${HEADER} 63 0b 20 23 03 41 00 08 03 0d 00 0e c3 01 40 01`);
    const tree = decodeWbxml(bytes);
    expect(tree.children).toContain("\r");
    const xml = toXml(tree);
    expect(xml).toContain("<Change/>&#xD;<Status/>");
    expect(fromXml(xml)).toEqual(tree);
    expect(fromXml('<Sync xmlns="AirSync"><Partial/>&#x20;<Partial/> <Partial/></Sync>').children).toEqual([
      el("AirSync", "Partial"),
      " ",
      el("AirSync", "Partial"),
      el("AirSync", "Partial"),
    ]);
  });

  it("merges adjacent text only in XML, never in the tree", () => {
    const tree = el("Email", "Subject", "a", "b");
    expect(fromXml(toXml(tree))).toEqual(mergeText(tree));
  });
});

// Pre-encoded fragments (issue 15: a Sync page's Commands rendered in the mailbox object, spliced by the front door).
describe("fragments", () => {
  const add = (id: string) =>
    el(
      "AirSync",
      "Add",
      el("AirSync", "ServerId", id),
      el(
        "AirSync",
        "ApplicationData",
        el("Email", "Subject", `Hello ${id} — ünï`),
        el("AirSyncBase", "Body", el("AirSyncBase", "Type", "2"), el("AirSyncBase", "Data", "<p>x</p>")),
        el("Email2", "ConversationId", new Uint8Array([0, 1, 0xff])),
      ),
    );
  const page = (commands: WbxmlElement["children"]) =>
    el(
      "AirSync",
      "Sync",
      el("AirSync", "Collections", el("AirSync", "Collection", el("AirSync", "Commands", ...commands), el("AirSync", "MoreAvailable"))),
    );

  it("spliced where the nodes stood: the same bytes as the whole tree, and the page after it is the fragment's end page", () => {
    const nodes = [add("1:1"), add("1:2")];
    const f = encodeWbxmlFragment(nodes, "AirSync");
    expect(f.startPage).toBe(0);
    expect(f.endPage).toBe(22); // Email2, the last tag's page: MoreAvailable after it needs a switch back to AirSync
    expect(encodeWbxml(page([f]))).toEqual(encodeWbxml(page(nodes)));
    // Mixed with plain children, several fragments in a row, a fragment of one node.
    const mixed = page([add("1:0"), f, encodeWbxmlFragment([add("1:3")], "AirSync"), add("1:4")]);
    expect(encodeWbxml(mixed)).toEqual(encodeWbxml(page([add("1:0"), ...nodes, add("1:3"), add("1:4")])));
    expect(decodeWbxml(encodeWbxml(mixed))).toEqual(expandFragments(mixed));
  });

  it("made for another page: the encoder switches to its start page first, and the document still reads the same", () => {
    const props = [el("Email", "Subject", "s"), el("Email", "Read", "1")];
    const f = encodeWbxmlFragment(props, "Email");
    expect(toHex(f.wbxml).startsWith("00")).toBe(false); // written in Email's page from its first byte
    const tree = el("AirSync", "ApplicationData", f);
    const bytes = encodeWbxml(tree);
    expect(toHex(bytes)).toBe(`${HEADER} 5d 00 02 ${toHex(f.wbxml)} 01`);
    expect(decodeWbxml(bytes)).toEqual(el("AirSync", "ApplicationData", ...props));
  });

  it("reads back as the nodes it was made from (text, opaque, empty elements, nested fragments)", () => {
    const inner = encodeWbxmlFragment([el("Email", "Read", "0")], "Email");
    const nodes = [el("Email", "To", "a@b"), el("Email", "Flag"), el("Email", "Subject", "", "two", new Uint8Array(0)), inner];
    const f = encodeWbxmlFragment(nodes, "Email");
    expect(decodeWbxmlFragment(f)).toEqual([
      el("Email", "To", "a@b"),
      el("Email", "Flag"),
      el("Email", "Subject", "", "two", new Uint8Array(0)),
      el("Email", "Read", "0"),
    ]);
    expect(decodeWbxmlFragment(encodeWbxmlFragment([], "AirSync"))).toEqual([]);
    expect(decodeWbxmlFragment(encodeWbxmlFragment(["just text"], "Email"))).toEqual(["just text"]);
  });

  it("an empty fragment adds nothing: its element is written without content, as an element without children", () => {
    const empty = encodeWbxmlFragment([], "AirSync");
    expect(empty.wbxml.length).toBe(0);
    expect(encodeWbxml(el("AirSync", "Commands", empty))).toEqual(encodeWbxml(el("AirSync", "Commands")));
  });

  it("is no element to the tree's readers, and logs read it decoded", () => {
    const f = encodeWbxmlFragment([add("1:9")], "AirSync");
    const tree = page([f]);
    const commands = child(child(child(tree, "Collections"), "Collection"), "Commands")!;
    expect(isFragment(commands.children[0]!)).toBe(true);
    expect(isElement(commands.children[0]!)).toBe(false);
    expect(elements(commands)).toEqual([]);
    expect(text(commands)).toBe("");
    expect(toXml(tree)).toBe(toXml(page([add("1:9")])));
    const expanded = expandFragments(tree);
    expect(expanded).toEqual(page([add("1:9")]));
    // Only what holds a fragment is copied.
    const plain = el("AirSync", "Status", "1");
    const withPlain = el("AirSync", "Sync", plain, el("AirSync", "Collections", f));
    expect(expandFragments(withPlain).children[0]).toBe(plain);
    expect(expandFragments(plain)).toBe(plain);
  });

  it("crosses structured clone (the RPC) as plain data and still splices", () => {
    const f = structuredClone(encodeWbxmlFragment([add("1:1")], "AirSync"));
    expect(encodeWbxml(page([f]))).toEqual(encodeWbxml(page([add("1:1")])));
  });

  it("the decoder holds a fragment to the document's rules: whole elements, its declared end page, no string table, the limits", () => {
    const good = encodeWbxmlFragment([add("1:1")], "AirSync");
    const at = (wbxml: number[] | Uint8Array, startPage = 0, endPage = 0): WbxmlFragment => ({
      wbxml: Uint8Array.from(wbxml),
      startPage,
      endPage,
    });
    expect(errorOf(() => decodeWbxmlFragment({ ...good, endPage: 0 })).message).toMatch(/ends in code page 22, not 0/);
    expect(errorOf(() => decodeWbxmlFragment(at([0x01]))).message).toMatch(/END without an open element/);
    expect(errorOf(() => decodeWbxmlFragment(at(good.wbxml.subarray(0, good.wbxml.length - 1), 0, 22))).message).toMatch(/unexpected end/);
    expect(errorOf(() => decodeWbxmlFragment(at([0x83, 0x00]))).message).toMatch(/STR_T/);
    expect(errorOf(() => decodeWbxmlFragment(at([0x00]))).message).toMatch(/truncated SWITCH_PAGE/);
    expect(errorOf(() => decodeWbxmlFragment(at([0x00, 0x63]))).message).toMatch(/unknown code page/);
    expect(errorOf(() => decodeWbxmlFragment(at([], 99, 99))).message).toMatch(/unknown code page 99/);
    expect(errorOf(() => decodeWbxmlFragment(at([0x3f]))).message).toMatch(/unknown token/);
    expect(errorOf(() => decodeWbxmlFragment(good, { maxDepth: 3 })).message).toMatch(/nested deeper than 3/);
    expect(errorOf(() => decodeWbxmlFragment(good, { maxElements: 3 })).message).toMatch(/more than 3 nodes/);
    expect(errorOf(() => decodeWbxmlFragment(good, { maxBytes: 4 })).message).toMatch(/larger than 4 bytes/);
    expect(errorOf(() => decodeWbxmlFragment({ wbxml: [1] as unknown as Uint8Array, startPage: 0, endPage: 0 })).message).toMatch(
      /not a byte array/,
    );
  });

  it("the encoder refuses what is not a fragment, and the fragment encoder what encodeWbxml refuses", () => {
    const bad = { wbxml: new Uint8Array([0x45]), startPage: 64, endPage: 0 };
    expect(errorOf(() => encodeWbxml(el("AirSync", "Commands", bad))).message).toMatch(/not a fragment/);
    expect(errorOf(() => encodeWbxmlFragment([el("Email", "Nope")], "AirSync")).message).toMatch(/unknown tag/);
    expect(errorOf(() => encodeWbxmlFragment([el("Email", "Subject", "a\0b")], "AirSync")).message).toMatch(/NUL/);
    expect(errorOf(() => encodeWbxmlFragment([], "Nowhere")).message).toMatch(/unknown namespace/);
    let deep = el("AirSync", "Add");
    for (let i = 0; i < 10; i++) deep = el("AirSync", "Add", deep);
    expect(errorOf(() => encodeWbxmlFragment([deep], "AirSync", { maxDepth: 5 })).message).toMatch(/nested deeper than 5/);
  });
});
