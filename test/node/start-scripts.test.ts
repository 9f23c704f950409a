// `npm start` runs plain Node scripts (scripts/*.mjs) outside vitest's resolver: a TypeScript import they
// pull in must load there too (the local SMTP relay broke once on an extensionless import in test/smtp-sink.ts).
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

it("scripts/local-relay.mjs starts and stops the loopback relay under plain Node (npm start's path)", () => {
  const script = `
    const { startLocalRelay } = await import("./scripts/local-relay.mjs");
    const relay = await startLocalRelay({});
    console.log(JSON.stringify(relay.vars));
    await relay.stop();`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8", timeout: 30_000 });
  const vars = JSON.parse(out.trim().split("\n").pop()!);
  expect(vars.SMTP_HOST).toBe("127.0.0.1");
  expect(Number(vars.SMTP_PORT)).toBeGreaterThan(0);
});
