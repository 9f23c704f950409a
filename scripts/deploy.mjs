// `npm run deploy [-- --config FILE] [-- --dry-run]`: checks the config (no placeholder, no example value, a
// route, an SMTP relay), checks the secrets on the account, applies pending D1 migrations to the remote
// database, then deploys the new code. Refuses, saying which, when anything is missing.
// `--dry-run` runs the config checks and `wrangler deploy --dry-run` (bundle only: no account needed), and
// prints the bundle size against the budget in README.md.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { configProblems, databaseName, missingSecrets } from "./deploy-check.mjs";

/** README.md, "Deploying": the gzip size of the bundle `wrangler deploy` uploads must stay below this. */
export const BUNDLE_BUDGET_GZIP_BYTES = 768 * 1024;

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const config = option("--config") ?? "wrangler.toml";
const dryRun = flag("--dry-run");

function wrangler(argv, { capture = false } = {}) {
  const r = spawnSync("npx", ["wrangler", ...argv, "--config", config], {
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
  });
  if (r.status !== 0) {
    console.error(`deploy: \`wrangler ${argv.join(" ")}\` failed (exit ${r.status})`);
    process.exit(1);
  }
  return r.stdout;
}

function refuse(what, items) {
  console.error(`deploy: refused, ${what}:`);
  for (const i of items) console.error(`  - ${i}`);
  process.exit(1);
}

const toml = readFileSync(config, "utf8");
const problems = configProblems(toml);
if (problems.length) refuse(`${config} is not ready`, problems);

if (dryRun) {
  const out = mkdtempSync(path.join(tmpdir(), "mobile-sync-bundle-"));
  try {
    wrangler(["deploy", "--dry-run", "--outdir", out]);
    const js = readdirSync(out).filter((f) => f.endsWith(".js"));
    const gzip = js.reduce((n, f) => n + gzipSync(readFileSync(path.join(out, f))).length, 0);
    const line = `bundle: ${(gzip / 1024).toFixed(0)} KiB gzip (budget ${(BUNDLE_BUDGET_GZIP_BYTES / 1024).toFixed(0)} KiB)`;
    console.log(`deploy --dry-run: ${line}`);
    if (gzip > BUNDLE_BUDGET_GZIP_BYTES) refuse("the bundle is over its budget", [line]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  process.exit(0);
}

const secrets = JSON.parse(wrangler(["secret", "list", "--format", "json"], { capture: true }) || "[]").map((s) => s.name);
const missing = missingSecrets(toml, secrets);
if (missing.length)
  refuse(
    "secrets are missing on the account",
    missing.map((s) => `${s}: npx wrangler secret put ${s}`),
  );

const db = databaseName(toml);
if (!db) refuse(`${config} has no D1 database`, ["add the [[d1_databases]] block (README, Deploying)"]);
// Migrations first: new code may read new columns; the old code still running ignores them.
wrangler(["d1", "migrations", "apply", db, "--remote"]);
wrangler(["deploy"]);
