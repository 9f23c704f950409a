// The code page tables (src/wbxml/codepages.ts, written from [MS-ASWBXML] §2.1.2.1) against the test suite's
// own table, ../shared/conformance/codepages-its.json (Interop-TestSuites' MS-ASWBXML.cs), and spot checks of
// the protocol versions column.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  CODE_PAGES,
  PROTOCOL_VERSIONS,
  TAG_ALIASES,
  pageOfNamespace,
  namespaceOfPage,
  tagByName,
  tagByToken,
  tagInVersion,
  tagVersions,
} from "../../src/wbxml";
import { REPO_ROOT } from "./wbxml-helpers";

interface KitPage {
  page: number;
  namespace: string;
  tokens: { token: number; name: string }[];
}
const kit: { pages: KitPage[] } = JSON.parse(readFileSync(path.join(REPO_ROOT, "../shared/conformance/codepages-its.json"), "utf8"));

// Where the kit and the spec disagree, and why. The kit's table serves the test suite, which targets 12.0+.
const KIT_SPELLINGS: Record<string, string> = {
  "ValidateCert:CheckCrl": "CheckCRL", // spec table: CheckCRL
  "ComposeMail:ForwardeeName": "Name", // spec table: Name (0x17); the XSD's element name is ForwardeeName
  "ComposeMail:ForwardeeEmail": "Email", // spec table: Email (0x18); the XSD's element name is ForwardeeEmail
  "Find:GALSearchCriterion": "GalSearchCriterion", // spec table: GalSearchCriterion; [MS-ASCMD] spells GAL
};

describe("code pages vs the conformance kit's table", () => {
  it("has the same pages and namespaces (kit has no page 3, spelled AirNotify in the spec)", () => {
    expect(kit.pages.map((p) => p.page)).toEqual([0, 1, 2, ...Array.from({ length: 22 }, (_, i) => i + 4)]);
    for (const p of kit.pages) expect(namespaceOfPage(p.page)).toBe(p.namespace);
  });

  it("agrees on every token the kit lists, except the spellings explained above", () => {
    const differences: string[] = [];
    for (const p of kit.pages)
      for (const t of p.tokens) {
        const mine = tagByToken(p.page, t.token);
        const expected = KIT_SPELLINGS[`${p.namespace}:${t.name}`] ?? t.name;
        if (mine?.name !== expected) differences.push(`${p.namespace} 0x${t.token.toString(16)} kit=${t.name} codec=${mine?.name}`);
      }
    expect(differences).toEqual([]);
  });

  it("has more tokens than the kit only where the spec lists 2.5-only tags (the test suite does not test 2.5)", () => {
    const extra: string[] = [];
    for (const p of CODE_PAGES) {
      const kp = kit.pages.find((k) => k.page === p.page);
      for (const t of p.tags) if (!kp?.tokens.some((k) => k.token === t.token)) extra.push(`${p.ns}:${t.name}`);
    }
    const notOnly25 = extra.filter((n) => {
      const [ns, name] = n.split(":");
      return ns !== "AirNotify" && tagVersions(ns, name)!.join() !== "2.5";
    });
    expect(notOnly25).toEqual([]);
    expect(extra).toContain("Email:MIMEData");
    expect(extra.filter((n) => n.startsWith("AirNotify:"))).toHaveLength(19);
  });

  it("names Calendar's page-4 token 0x05 Timezone, like the kit and the spec", () => {
    expect(tagByToken(4, 0x05)?.name).toBe("Timezone");
    expect(tagByToken(11, 0x09)?.name).toBe("CheckCRL");
    expect(tagByName("ValidateCert", "CheckCrl")).toBeUndefined(); // only an alias for fromXml
    expect(TAG_ALIASES.ValidateCert.CheckCrl).toBe("CheckCRL");
  });
});

describe("lookups", () => {
  it("maps both ways for every tag", () => {
    let n = 0;
    for (const p of CODE_PAGES) {
      expect(pageOfNamespace(p.ns)).toBe(p.page);
      for (const t of p.tags) {
        expect(tagByToken(p.page, t.token)).toBe(t);
        expect(tagByName(p.ns, t.name)).toBe(t);
        expect(t.token).toBeGreaterThanOrEqual(0x05);
        expect(t.token).toBeLessThanOrEqual(0x3f);
        n++;
      }
    }
    expect(n).toBeGreaterThan(600);
    expect(tagByToken(26, 5)).toBeUndefined();
    expect(tagByToken(0, 0x11)).toBeUndefined();
    expect(tagByName("AirSync", "Nope")).toBeUndefined();
  });

  it("gives the protocol versions of the spec's table", () => {
    const all = [...PROTOCOL_VERSIONS];
    expect(tagVersions("AirSync", "Sync")).toEqual(all);
    expect(tagVersions("AirSync", "Truncation")).toEqual(["2.5"]);
    expect(tagVersions("AirSync", "Wait")).toEqual(["12.1", "14.0", "14.1", "16.0", "16.1"]);
    expect(tagVersions("Email", "Location")).toEqual(["2.5", "12.0", "12.1", "14.0", "14.1"]);
    expect(tagVersions("GetItemEstimate", "Class")).toEqual(["2.5", "12.0", "12.1"]);
    expect(tagVersions("AirSyncBase", "Body")).toEqual(["12.0", "12.1", "14.0", "14.1", "16.0", "16.1"]);
    expect(tagVersions("AirSyncBase", "Location")).toEqual(["16.0", "16.1"]);
    expect(tagVersions("Calendar", "ClientUid")).toEqual(["16.0", "16.1"]);
    expect(tagVersions("Provision", "AccountOnlyRemoteWipe")).toEqual(["16.1"]);
    expect(tagVersions("Provision", "RequireStorageCardEncryption")).toEqual(["12.1", "14.0", "14.1", "16.0", "16.1"]);
    expect(tagVersions("Find", "Find")).toEqual(["16.1"]);
    expect(tagVersions("AirNotify", "Notify")).toEqual([]);
    expect(tagVersions("AirSync", "Nope")).toBeUndefined();
    expect(tagInVersion("Email2", "Send", "16.0")).toBe(true);
    expect(tagInVersion("Email2", "Send", "14.1")).toBe(false);
    expect(tagInVersion("Email", "MIMEData", "12.0")).toBe(false);
  });
});
