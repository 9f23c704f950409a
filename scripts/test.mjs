// `npm test`: makes sure the Debian tools the tests use are present, then runs every vitest project
// and ends with one plain "N passed, N failed" line.
import { spawn, spawnSync } from "node:child_process";
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

// The two vitest projects run side by side, each in its own vitest process: `workers` (inside workerd, its files one
// after another in one runtime) and `node` (end to end against `wrangler dev`, its files one after another). Neither
// shares a server with the other (each project's globalSetup starts its own), and each keeps its files in sequence,
// so running them at once changes no test's surroundings, only the wall time: on 2 cores one mostly computes while
// the other mostly waits on its servers. Arguments (a file, `--project x`, …) run one vitest as before.
const dir = mkdtempSync(path.join(os.tmpdir(), "vitest-"));
const userArgs = process.argv.slice(2);
const runs = userArgs.length ? [{ name: "", args: userArgs }] : ["workers", "node"].map((p) => ({ name: p, args: ["--project", p] }));
const results = await Promise.all(
  runs.map(({ name, args }, i) => {
    const out = path.join(dir, `results-${i}.json`);
    const vitestArgs = ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...args];
    const single = runs.length === 1;
    const child = spawn(path.join("node_modules", ".bin", "vitest"), vitestArgs, {
      stdio: single ? "inherit" : ["ignore", "pipe", "pipe"],
      env: !single && process.stdout.isTTY ? { ...process.env, FORCE_COLOR: "1" } : process.env,
    });
    if (!single) {
      // Whole lines, each marked with its project, so the two reports can be told apart.
      for (const [from, to] of [
        [child.stdout, process.stdout],
        [child.stderr, process.stderr],
      ]) {
        let rest = "";
        from.setEncoding("utf8");
        from.on("data", (d) => {
          const lines = (rest + d).split("\n");
          rest = lines.pop();
          for (const l of lines) to.write(`[${name}] ${l}\n`);
        });
        from.on("end", () => rest && to.write(`[${name}] ${rest}\n`));
      }
    }
    return new Promise((resolve) => child.on("close", (code) => resolve({ name, out, code: code ?? 1 })));
  }),
);
let passed = 0;
let failed = 0;
let skipped = 0;
for (const { name, out } of results) {
  try {
    const j = JSON.parse(readFileSync(out, "utf8"));
    passed += j.numPassedTests;
    failed += j.numFailedTests;
    skipped += j.numPendingTests + j.numTodoTests;
  } catch {
    console.error(`no results from vitest${name ? ` (project ${name})` : ""}`);
  }
}
console.log(`\nTests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(results.find((r) => r.code !== 0)?.code ?? 0);
