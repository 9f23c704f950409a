// The phone's validator catches invalid responses and passes valid ones.
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { VALIDATE, assertValid, hasSchema } from "./validate";

const examples = path.join(path.dirname(VALIDATE), "examples");

it("accepts a valid FolderSync response and rejects an invalid one with xmllint's messages", () => {
  expect(hasSchema("FolderSync")).toBe(true);
  expect(hasSchema("GetAttachment")).toBe(false);
  assertValid("FolderSync", readFileSync(path.join(examples, "FolderSync.response.valid-1.xml"), "utf8"));
  expect(() => assertValid("FolderSync", readFileSync(path.join(examples, "FolderSync.response.invalid-order.xml"), "utf8"))).toThrow(
    /fails the XSD[\s\S]*invalid/,
  );
  expect(() => assertValid("Ping", readFileSync(path.join(examples, "FolderSync.response.valid-1.xml"), "utf8"))).toThrow();
});
