// The CLI (scripts/wbxml.ts) as people use it: `npm run --silent wbxml -- decode|encode [FILE]`, stdin when no
// FILE; a captured device request decodes to readable XML and encodes back to the same bytes; bad input gives
// one line naming the byte offset and exit status 1.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { el, encodeWbxml, fromXml } from "../../src/wbxml";
import { FIXTURE_DIR, REPO_ROOT, fromHex, readFixtures, toHex } from "./wbxml-helpers";

const tmp = mkdtempSync(path.join(os.tmpdir(), "wbxml-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function npmWbxml(args: string[], input?: Uint8Array | string) {
  const r = spawnSync("npm", ["run", "--silent", "wbxml", "--", ...args], { cwd: REPO_ROOT, input, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

// The same script without npm's start-up cost, for the many-case checks.
function wbxml(args: string[], input?: Uint8Array | string) {
  const r = spawnSync(path.join(REPO_ROOT, "node_modules/.bin/tsx"), ["scripts/wbxml.ts", ...args], {
    cwd: REPO_ROOT,
    input,
    maxBuffer: 64 << 20,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

// Captured traffic between a mobile device and Exchange, published byte for byte by Microsoft's Open
// Specifications team ("How to manually decode an ActiveSync WBXML stream", blogs.msdn.com/openspecification,
// 2013-02-04).
const DEVICE_SYNC_REQUEST = fromHex(`03 01 6A 00 45 5C 4F 4B 03 30 00 01 52 03 32 00 01 57 00 11 45 46 03 31 00 01 47
  03 33 32 37 36 38 00 01 01 01 01 01 01`);
const EXCHANGE_SYNC_RESPONSE = fromHex(`03 01 6A 00 45 5C 4F 4B 03 31 39 39 37 34 33 33 30 37 34 00 01 52 03 32 00 01 4E
  03 31 00 01 01 01 01`);

describe("npm run wbxml", () => {
  it("decodes a captured device request to readable XML and encodes it back to the same bytes", () => {
    const decoded = npmWbxml(["decode"], DEVICE_SYNC_REQUEST);
    expect(decoded.stderr).toBe("");
    expect(decoded.status).toBe(0);
    expect(decoded.stdout.toString()).toBe(`<?xml version="1.0" encoding="utf-8"?>
<Sync xmlns="AirSync" xmlns:airsyncbase="AirSyncBase">
  <Collections>
    <Collection>
      <SyncKey>0</SyncKey>
      <CollectionId>2</CollectionId>
      <Options>
        <airsyncbase:BodyPreference>
          <airsyncbase:Type>1</airsyncbase:Type>
          <airsyncbase:TruncationSize>32768</airsyncbase:TruncationSize>
        </airsyncbase:BodyPreference>
      </Options>
    </Collection>
  </Collections>
</Sync>
`);
    const encoded = npmWbxml(["encode"], decoded.stdout);
    expect(encoded.status).toBe(0);
    expect(toHex(encoded.stdout)).toBe(toHex(DEVICE_SYNC_REQUEST));
  });

  it("does the same for the server's response, and for a larger request with opaque data, through files", () => {
    const response = npmWbxml(["decode"], EXCHANGE_SYNC_RESPONSE);
    expect(response.stdout.toString()).toContain("<SyncKey>1997433074</SyncKey>");
    expect(toHex(npmWbxml(["encode"], response.stdout).stdout)).toBe(toHex(EXCHANGE_SYNC_RESPONSE));

    const captured = encodeWbxml(fromXml(readFixtures().find((f) => f.file === "sendmail-request.xml")!.xml));
    const file = path.join(tmp, "capture.wbxml");
    writeFileSync(file, captured);
    const decoded = npmWbxml(["decode", file]);
    expect(decoded.status).toBe(0);
    const xmlFile = path.join(tmp, "capture.xml");
    writeFileSync(xmlFile, decoded.stdout);
    expect(decoded.stdout.toString()).toContain('<Mime wbxml:opaque="base64">');
    const encoded = npmWbxml(["encode", xmlFile]);
    expect(encoded.status).toBe(0);
    expect(toHex(encoded.stdout)).toBe(toHex(captured));
  });

  it("reports bad WBXML in one line with the byte offset, exit status 1", () => {
    const r = npmWbxml(["decode"], fromHex("03 01 6a 00 45 5c 4f 11 01 01 01"));
    expect(r.status).toBe(1);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toBe("wbxml decode: unknown token 0x11 in code page 0 (byte offset 7)\n");
  });
});

describe("wbxml script", () => {
  // Each run starts a process (~0.4 s), so a few fixtures rich in opaque data and non-ASCII text; the in-process
  // round trips in wbxml-codec.test.ts cover the whole corpus.
  it("round-trips fixtures to identical bytes, opaque data included", () => {
    const chosen = ["sendmail-request.xml", "sync-response-email.xml", "itemoperations-request.xml"];
    for (const f of readFixtures().filter((x) => chosen.includes(x.file))) {
      const bytes = wbxml(["encode", path.join(FIXTURE_DIR, f.file)]);
      expect(bytes.status, f.file).toBe(0);
      const xml = wbxml(["decode"], bytes.stdout);
      expect(xml.status, f.file).toBe(0);
      expect(toHex(wbxml(["encode"], xml.stdout).stdout), f.file).toBe(toHex(bytes.stdout));
    }
  });

  it("renders opaque as text with --opaque=text", () => {
    const bytes = encodeWbxml(el("ComposeMail", "SendMail", el("ComposeMail", "Mime", new TextEncoder().encode("Subject: hi"))));
    expect(wbxml(["decode", "--opaque=text"], bytes).stdout.toString()).toContain("<Mime>Subject: hi</Mime>");
  });

  const bad: [string, string[], Uint8Array | string, string][] = [
    ["truncated WBXML", ["decode"], fromHex("03 01 6a 00 45 03 61"), "wbxml decode: unterminated inline string (byte offset 5)"],
    ["an attribute token", ["decode"], fromHex("03 01 6a 00 c5 01"), "wbxml decode: attributes are not used by EAS (byte offset 4)"],
    [
      "XML that is not EAS",
      ["encode"],
      '<Sync xmlns="AirSync">\n  <Nope/>\n</Sync>',
      "wbxml encode: unknown tag <Nope> in namespace AirSync (byte offset 25)",
    ],
    // Offsets count bytes, not characters: "é" is two bytes.
    [
      "an error after non-ASCII text",
      ["encode"],
      '<Subject xmlns="Email">é</Subject',
      "wbxml encode: expected > to close the end tag (byte offset 34)",
    ],
    [
      "XML that is not UTF-8",
      ["encode"],
      Buffer.from([...Buffer.from('<Subject xmlns="Email">'), 0xe9, ...Buffer.from("</Subject>")]),
      "wbxml encode: input is not UTF-8 (byte offset 23)",
    ],
  ];
  for (const [what, args, input, line] of bad) {
    it(`reports ${what} in one line, exit status 1`, () => {
      const r = wbxml(args, input);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(line + "\n");
    });
  }

  it("exits 2 on usage errors", () => {
    expect(wbxml(["frobnicate"]).status).toBe(2);
    expect(wbxml(["decode", path.join(tmp, "missing.wbxml")]).status).toBe(2);
    expect(wbxml(["encode", "--opaque=text"], "").status).toBe(2);
  });
});
