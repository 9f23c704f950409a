// Cross-check against an independent codec: Debian's libwbxml2 0.11.8 (xml2wbxml, wbxml2xml -l ACTIVESYNC), on the
// whole corpus, both directions. libwbxml is not the law: where it departs from [MS-ASWBXML] the spec decides,
// and every known departure is listed here and checked to still be true.
//
// Known libwbxml deviations:
//  1. Tag spellings: it names 70-odd tags differently (Email Status = "FlagStatus", Calendar Timezone =
//     "TimeZone", Contacts BusinessAddressCity = "BusinessCity", Settings RightsManagementInformation =
//     "ihsManagementInformation", ...). They are listed, with their source, in TAG_ALIASES (codepages.ts); fromXml
//     reads them, toLibwbxmlXml writes them.
//  2. Missing tags: no code page 25 (Find), no MeetingResponse ProposedStartTime/ProposedEndTime (0x10/0x11)
//     and no Provision AccountOnlyRemoteWipe (0x3B), all 16.1. Fixtures using them are left out of the
//     comparison, and the test checks that libwbxml still fails on them.
//  3. Opaque: it writes the content of 8 tags (LIBWBXML_BASE64_TAGS in xml.ts) in base64 and reads their text
//     as base64, and writes any other opaque as raw text. libwbxmlView() models that.
//  4. It writes CR raw into XML, which every XML reader turns into LF: compared after normalising newlines.
//  5. Namespace spelling: it needs "AirSync:" (trailing colon). Given plain namespaces ("GAL") it picks the code
//     page from the tag name alone, which goes wrong for names several pages share (GAL DisplayName becomes
//     Email DisplayName, Search Response becomes Move Response, ...).
//  6. It writes GAL's namespace as "Gal:" (the code page table's spelling); the XSDs use "GAL".
import { describe, expect, it } from "vitest";
import { decodeWbxml, encodeWbxml, fromXml, type WbxmlElement } from "../../src/wbxml";
import {
  fromHex,
  libwbxmlDecode,
  libwbxmlEncode,
  libwbxmlView,
  mergeText,
  normalizeNewlines,
  readFixtures,
  toHex,
  toLibwbxmlXml,
  walk,
} from "./wbxml-helpers";

/** Tags libwbxml 0.11.8 does not know (deviation 2). */
const UNKNOWN_TO_LIBWBXML = new Set([
  "MeetingResponse:ProposedStartTime",
  "MeetingResponse:ProposedEndTime",
  "Provision:AccountOnlyRemoteWipe",
]);
const unknownToLibwbxml = (tree: WbxmlElement) =>
  [...walk(tree)].some((e) => e.ns === "Find" || UNKNOWN_TO_LIBWBXML.has(`${e.ns}:${e.name}`));

const fixtures = readFixtures().map((f) => ({ ...f, tree: fromXml(f.xml) }));
const comparable = fixtures.filter((f) => !unknownToLibwbxml(f.tree));

describe("libwbxml agrees with the codec on the corpus", () => {
  it("compares most of the corpus, and every code page libwbxml knows (0-24)", () => {
    expect(comparable.length).toBeGreaterThan(fixtures.length - 6);
    const pages = new Set(comparable.flatMap((f) => [...walk(f.tree)].map((e) => e.ns)));
    expect(pages.size).toBe(25);
  });

  for (const f of comparable) {
    it(`${f.file}: xml2wbxml writes the bytes encodeWbxml writes`, () => {
      const view = libwbxmlView(f.tree, "encode");
      expect(toHex(libwbxmlEncode(toLibwbxmlXml(view)))).toBe(toHex(encodeWbxml(view)));
    });

    it(`${f.file}: wbxml2xml reads encodeWbxml's bytes as the same document`, () => {
      const xml = libwbxmlDecode(encodeWbxml(f.tree));
      const expected = normalizeNewlines(mergeText(libwbxmlView(f.tree, "decode")));
      expect(normalizeNewlines(mergeText(fromXml(xml)))).toEqual(expected);
    });

    it(`${f.file}: decodeWbxml reads xml2wbxml's bytes as the same document`, () => {
      const view = libwbxmlView(f.tree, "encode");
      expect(decodeWbxml(libwbxmlEncode(toLibwbxmlXml(view)))).toEqual(mergeText(view));
    });
  }
});

describe("known libwbxml deviations still hold", () => {
  it("(2) libwbxml cannot encode or decode the 16.1 tags it lacks", () => {
    const missing = fixtures.filter((f) => unknownToLibwbxml(f.tree));
    expect(missing.map((f) => f.file).sort()).toEqual([
      "find-gal-request.xml",
      "find-request.xml",
      "find-response.xml",
      "meetingresponse-request.xml",
      "provision-remotewipe.xml",
    ]);
    for (const f of missing) {
      expect(() => libwbxmlEncode(toLibwbxmlXml(libwbxmlView(f.tree, "encode")))).toThrow();
      expect(libwbxmlDecode(encodeWbxml(f.tree))).toContain("<unknown");
    }
  });

  it("(1) libwbxml names Email's flag Status 'FlagStatus'; the spec's name is Status (page 2, 0x3B)", () => {
    const bytes = fromHex("03 01 6a 00 00 02 7a 7b 03 32 00 01 01"); // Email:Flag > Email:Status "2"
    expect(libwbxmlDecode(bytes)).toContain('<Flag xmlns="Email:"><FlagStatus>2</FlagStatus></Flag>');
    expect(decodeWbxml(bytes)).toEqual({ ns: "Email", name: "Flag", children: [{ ns: "Email", name: "Status", children: ["2"] }] });
  });

  it("(5) by name alone libwbxml puts GAL's DisplayName on the wrong code page; the codec follows the namespace", () => {
    const xml = `<?xml version="1.0"?>
<!DOCTYPE ActiveSync PUBLIC "-//MICROSOFT//DTD ActiveSync//EN" "http://www.microsoft.com/">
<Search xmlns="Search"><Response><Store><Result><Properties><DisplayName xmlns="GAL">Ana</DisplayName></Properties></Result></Store></Response></Search>`;
    const theirs = decodeWbxml(libwbxmlEncode(xml));
    const names = [...walk(theirs)].map((e) => `${e.ns}:${e.name}`);
    expect(names).toContain("Email:DisplayName");
    expect(names).toContain("Move:Response");
    const ours = [...walk(decodeWbxml(encodeWbxml(fromXml(xml))))].map((e) => `${e.ns}:${e.name}`);
    expect(ours).toEqual(["Search:Search", "Search:Response", "Search:Store", "Search:Result", "Search:Properties", "GAL:DisplayName"]);
  });

  it("(3, 6) libwbxml writes Gal: and base64 for ConversationId; fromXml reads both back to the same bytes", () => {
    const tree: WbxmlElement = {
      ns: "Search",
      name: "Properties",
      children: [
        { ns: "GAL", name: "DisplayName", children: ["Ana"] },
        { ns: "Email2", name: "ConversationId", children: [new Uint8Array([0, 255, 1])] },
      ],
    };
    const bytes = encodeWbxml(tree);
    const xml = libwbxmlDecode(bytes);
    expect(xml).toContain('xmlns="Gal:"');
    expect(xml).toContain(">AP8B<");
    expect(toHex(encodeWbxml(fromXml(xml)))).toBe(toHex(bytes));
  });
});
