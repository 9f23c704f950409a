// The multistatus reader of the DAV bridge (src/store/dav/xml.ts): namespaces by URI whatever the prefix,
// CDATA and entities in calendar-data, and errors (never a silent half-parse) on broken XML.
import { describe, expect, it } from "vitest";
import { CALDAV, child, children, DAV, parseXml, XmlParseError } from "../../src/store/dav/xml";

describe("DAV XML reader", () => {
  it("resolves default and prefixed namespaces, whatever the prefixes are", () => {
    const doc = parseXml(
      `<?xml version="1.0"?><!-- c --><multistatus xmlns="DAV:" xmlns:cal="${CALDAV}"><response><href>/a/</href>` +
        `<propstat><prop><cal:calendar-data>x</cal:calendar-data><x:other xmlns:x="DAV:">y</x:other></prop></propstat></response></multistatus>`,
    );
    expect(doc).toMatchObject({ ns: DAV, name: "multistatus" });
    const prop = child(child(child(doc, DAV, "response"), DAV, "propstat"), DAV, "prop");
    expect(child(prop, CALDAV, "calendar-data")?.text).toBe("x");
    expect(child(prop, DAV, "other")?.text).toBe("y");
    expect(children(doc, DAV, "response")).toHaveLength(1);
  });

  it("keeps calendar data intact through entities, numeric references and CDATA", () => {
    const doc = parseXml(
      `<D:a xmlns:D="DAV:"><D:b>BEGIN:VCALENDAR&#13;\nSUMMARY:A &amp; B &lt;x&gt; &#x263A;</D:b><D:c><![CDATA[<raw & text>]]></D:c></D:a>`,
    );
    expect(child(doc, DAV, "b")?.text).toBe("BEGIN:VCALENDAR\r\nSUMMARY:A & B <x> ☺");
    expect(child(doc, DAV, "c")?.text).toBe("<raw & text>");
  });

  it("reads attributes with '>' in quotes and self-closing elements", () => {
    const doc = parseXml(`<C:set xmlns:C="${CALDAV}"><C:comp name="VEVENT"/><C:comp name='a>b' /></C:set>`);
    expect(children(doc, CALDAV, "comp").map((c) => c.attrs.name)).toEqual(["VEVENT", "a>b"]);
  });

  it("refuses broken documents", () => {
    for (const bad of ["<a><b></a>", "<a>", "<x:a/>", "", "<a/><b/>", "<a><![CDATA[x</a>"])
      expect(() => parseXml(bad), bad).toThrow(XmlParseError);
  });
});
