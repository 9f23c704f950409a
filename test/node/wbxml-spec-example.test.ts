// [MS-ASWBXML] "Algorithm Examples" (§3 in v23.0, 2022; the issue calls it §4): a Sync response adding a contact,
// given as XML and as WBXML bytes. The codec must reproduce those bytes exactly, and decode them back.
import { describe, expect, it } from "vitest";
import { decodeWbxml, encodeWbxml, fromXml, toXml } from "../../src/wbxml";
import { fromHex, toHex } from "./wbxml-helpers";

const SPEC_XML = `<?xml version="1.0" encoding="utf-8"?>
<Sync xmlns="AirSync" xmlns:airsyncbase="AirSyncBase" xmlns:contacts="Contacts">
 <Collections>
  <Collection>
   <Class>Contacts</Class>
   <SyncKey>2</SyncKey>
   <CollectionId>2</CollectionId>
   <Status>1</Status>
   <Commands>
    <Add>
     <ServerId>2:1</ServerId>
     <ApplicationData>
      <airsyncbase:Body>
       <airsyncbase:Type>1</airsyncbase:Type>
       <airsyncbase:EstimatedDataSize>0</airsyncbase:EstimatedDataSize>
       <airsyncbase:Truncated>1</airsyncbase:Truncated>
      </airsyncbase:Body>
      <contacts:FileAs>Funk, Don</contacts:FileAs>
      <contacts:FirstName>Don</contacts:FirstName>
      <contacts:LastName>Funk</contacts:LastName>
      <airsyncbase:NativeBodyType>1</airsyncbase:NativeBodyType>
     </ApplicationData>
    </Add>
   </Commands>
  </Collection>
 </Collections>
</Sync>`;

const SPEC_BYTES = fromHex(`03 01 6A 00 45 5C 4F 50 03 43 6F 6E 74 61 63 74 73 00 01 4B 03 32 00 01 52 03 32 00 01 4E 03 31
  00 01 56 47 4D 03 32 3A 31 00 01 5D 00 11 4A 46 03 31 00 01 4C 03 30 00 01 4D 03 31 00 01 01 00 01 5E 03 46 75 6E 6B
  2C 20 44 6F 6E 00 01 5F 03 44 6F 6E 00 01 69 03 46 75 6E 6B 00 01 00 11 56 03 31 00 01 01 01 01 01 01 01`);

describe("[MS-ASWBXML] algorithm example", () => {
  it("encodes the example XML to the example bytes, byte for byte", () => {
    expect(toHex(encodeWbxml(fromXml(SPEC_XML)))).toBe(toHex(SPEC_BYTES));
  });

  it("decodes the example bytes to the example document", () => {
    const tree = decodeWbxml(SPEC_BYTES);
    expect(tree).toEqual(fromXml(SPEC_XML));
    // Spot checks against the spec's byte table: page switches 00 11 / 00 01 and the content bits.
    const add = (tree.children[0] as any).children[0].children[4].children[0];
    expect(add.name).toBe("Add");
    const data = add.children[1];
    expect(data.children.map((c: any) => `${c.ns}:${c.name}`)).toEqual([
      "AirSyncBase:Body",
      "Contacts:FileAs",
      "Contacts:FirstName",
      "Contacts:LastName",
      "AirSyncBase:NativeBodyType",
    ]);
  });

  it("renders the example with the spec's namespace declarations", () => {
    const xml = toXml(decodeWbxml(SPEC_BYTES));
    expect(xml).toContain('<Sync xmlns="AirSync" xmlns:airsyncbase="AirSyncBase" xmlns:contacts="Contacts">');
    expect(xml).toContain("<contacts:FileAs>Funk, Don</contacts:FileAs>");
    expect(toHex(encodeWbxml(fromXml(xml)))).toBe(toHex(SPEC_BYTES));
  });
});
