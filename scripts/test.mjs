// `npm test`: makes sure the Debian tools the tests use are present, then runs every vitest project
// and ends with one plain "N passed, N failed" line.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** command -> Debian package */
const tools = {
  xmllint: "libxml2-utils", // ../shared/conformance/validate
  wbxml2xml: "libwbxml2-utils", // independent WBXML codec for cross-checks
  xml2wbxml: "libwbxml2-utils",
  "/usr/sbin/dovecot": "dovecot-imapd", // the IMAP bridge's tests run a real Dovecot (test/servers/dovecot.ts)
  "/usr/lib/dovecot/lmtp": "dovecot-lmtpd", // mail delivered to that Dovecot by LMTP
  openssl: "openssl", // the throw-away test CA and server certificates (test/servers/test-ca.ts)
  radicale: "radicale", // test/servers/radicale.ts: the CalDAV/CardDAV server of the DAV bridge tests
  "/usr/bin/chromium": "chromium", // test/node/web-browser.e2e.test.ts drives it with playwright-core (no browser download)
};

const have = (cmd) => spawnSync("sh", ["-c", cmd.startsWith("/") ? `test -x ${cmd}` : `command -v ${cmd}`]).status === 0;
const missing = [
  ...new Set(
    Object.entries(tools)
      .filter(([c]) => !have(c))
      .map(([, p]) => p),
  ),
];
if (missing.length) {
  const install = `apt-get update && apt-get install -y ${missing.join(" ")}`;
  if (process.getuid?.() === 0) {
    console.log(`installing test tools: ${missing.join(" ")}`);
    const r = spawnSync("sh", ["-c", `${install} >/dev/null`], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (r.status !== 0) process.exit(r.status ?? 1);
  } else {
    console.error(`missing test tools; run as root:\n  ${install}`);
    process.exit(1);
  }
}

// The code's shape before its behaviour (issue 12): Biome's formatter and linter report nothing, and the boundary
// check (ARCHITECTURE.md's rooms and arrows, .dependency-cruiser.cjs) finds no forbidden import and no cycle.
const checks = [
  ["format and lint (Biome)", path.join("node_modules", ".bin", "biome"), ["ci", "."]],
  [
    "boundaries (dependency-cruiser)",
    path.join("node_modules", ".bin", "depcruise"),
    ["src", "--config", ".dependency-cruiser.cjs", "--output-type", "err"],
  ],
];
for (const [name, cmd, cmdArgs] of checks) {
  const c = spawnSync(cmd, cmdArgs, { stdio: "inherit" });
  if (c.status !== 0) {
    console.error(`\n${name}: failed (see above)`);
    process.exit(c.status ?? 1);
  }
  console.log(`${name}: ok`);
}

const out = path.join(mkdtempSync(path.join(os.tmpdir(), "vitest-")), "results.json");
const args = ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)];
const r = spawnSync(path.join("node_modules", ".bin", "vitest"), args, { stdio: "inherit" });
try {
  const j = JSON.parse(readFileSync(out, "utf8"));
  const skipped = j.numPendingTests + j.numTodoTests;
  console.log(`\nTests: ${j.numPassedTests} passed, ${j.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`);
} catch {}
process.exit(r.status ?? 1);
