// Schema validation of decoded EAS responses with the conformance kit (../shared/conformance/validate).
import { execFileSync, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { kitVerdict } from "./validate-server";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const VALIDATE = path.resolve(repoRoot, "../shared/conformance/validate");

let commands: Set<string> | undefined;

/** Commands whose responses the kit has a schema for (`validate --list`). */
export function schemaCommands(): Set<string> {
  if (!commands) {
    const out = execFileSync(VALIDATE, ["--list"], { encoding: "utf8" });
    commands = new Set(
      out
        .split("\n")
        .map((l) => l.trim().split(/\s+/)[0])
        .filter(Boolean),
    );
  }
  return commands;
}

export function hasSchema(command: string): boolean {
  return schemaCommands().has(command);
}

/**
 * Throws with xmllint's messages when `xml` is not a valid `command` response. The kit's verdict comes from its
 * validator kept running for this test file (validate-server.ts), else from the `validate` command itself.
 */
export function assertValid(command: string, xml: string): void {
  const kit = kitVerdict(VALIDATE, command, xml);
  if (kit) {
    if (kit.exit !== 0)
      throw new Error(`${command} response fails the XSD (validate exit ${kit.exit}):\n${kit.output}\n--- response ---\n${xml}`);
    return;
  }
  const r = spawnSync(VALIDATE, [command, "-"], { input: xml, encoding: "utf8" });
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new Error(`${command} response fails the XSD (validate exit ${r.status}):\n${r.stdout}${r.stderr}\n--- response ---\n${xml}`);
}
