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
 * What `validate COMMAND -` answers for `xml`: its exit status and what it printed (stdout, then stderr). The kit's
 * verdict comes from its validator kept running for this test file (validate-server.ts), else from the command.
 */
export function runValidate(command: string, xml: string): { status: number | null; output: string } {
  const kit = kitVerdict(VALIDATE, command, xml);
  if (kit) return { status: kit.exit, output: kit.output };
  const r = spawnSync(VALIDATE, [command, "-"], { input: xml, encoding: "utf8" });
  if (r.error) throw r.error;
  return { status: r.status, output: r.stdout + r.stderr };
}

/** Throws with xmllint's messages when `xml` is not a valid `command` response. */
export function assertValid(command: string, xml: string): void {
  const r = runValidate(command, xml);
  if (r.status !== 0)
    throw new Error(`${command} response fails the XSD (validate exit ${r.status}):\n${r.output}\n--- response ---\n${xml}`);
}
