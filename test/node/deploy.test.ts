// `npm run deploy` (issue 17 §1): refuses the repository's example config and says why; with the config filled
// in as README's "Deploying" section says, `--dry-run` bundles with `wrangler deploy --dry-run` and the bundle
// stays under the budget written in README.md.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { configProblems, missingSecrets, requiredSecrets } from "../../scripts/deploy-check.mjs";

const root = path.resolve(import.meta.dirname, "../..");
const example = readFileSync(path.join(root, "wrangler.toml"), "utf8");

/** The README's edits: D1 id, provider values, the SMTP relay, the routes. */
function filledIn(toml: string): string {
  return toml
    .replace(/database_id = "0{8}-0{4}-0{4}-0{4}-0{12}"/, 'database_id = "4f0c1a52-7d5e-4c1b-9a3e-2b7f6d8e9c10"')
    .replace(/PROVIDER_NAMESERVERS = ".*"/, 'PROVIDER_NAMESERVERS = "ns1.hoster.net,ns2.hoster.net"')
    .replace(/PROVIDER_MX_HOSTS = ".*"/, 'PROVIDER_MX_HOSTS = "mx1.hoster.net,mx2.hoster.net"')
    .replace(/PROVIDER_POP3_HOST = ".*"/, 'PROVIDER_POP3_HOST = "pop3.hoster.net"')
    .replace(/PROVIDER_REGISTRAR = ".*"/, 'PROVIDER_REGISTRAR = "1234"')
    .replace("[vars]\n", '[vars]\nSMTP_HOST = "smtp-relay.hoster.net"\nSMTP_USER = "mobile-sync"\nPUBLIC_URL = "https://sync.hoster.net"\n')
    .replace(
      "[observability]",
      'routes = [\n  { pattern = "sync.hoster.net", custom_domain = true },\n  { pattern = "autodiscover.hoster.net", custom_domain = true },\n]\n\n[observability]',
    );
}

/** The README states the budget; the script enforces the same number. */
function readmeBudgetKiB(): number {
  const m = readFileSync(path.join(root, "README.md"), "utf8").match(/bundle-size budget[^\n]*?(\d+) KiB gzip/i);
  if (!m) throw new Error("README.md states no bundle-size budget");
  return Number(m[1]);
}

function deploy(args: string[]) {
  return spawnSync(process.execPath, [path.join(root, "scripts/deploy.mjs"), ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
}

describe("npm run deploy", () => {
  it("refuses the example config and names every placeholder, example value and missing piece", () => {
    const problems = configProblems(example);
    expect(problems.join("\n")).toMatch(/database_id is the placeholder/);
    expect(problems.join("\n")).toMatch(/PROVIDER_NAMESERVERS/);
    expect(problems.join("\n")).toMatch(/PROVIDER_REGISTRAR/);
    expect(problems.join("\n")).toMatch(/no route/);
    expect(problems.join("\n")).toMatch(/SMTP_HOST/);
    const r = deploy(["--dry-run"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("refused");
    expect(r.stderr).toContain("database_id is the placeholder");
  });

  it("refuses while a secret is missing and says which", () => {
    const toml = filledIn(example);
    expect(requiredSecrets(toml)).toEqual(["ADMIN_TOKEN", "NOTIFY_SECRET", "LOG_HASH_KEY", "SMTP_PASSWORD"]);
    expect(missingSecrets(toml, ["ADMIN_TOKEN", "LOG_HASH_KEY"])).toEqual(["NOTIFY_SECRET", "SMTP_PASSWORD"]);
    expect(missingSecrets(toml, ["ADMIN_TOKEN", "NOTIFY_SECRET", "LOG_HASH_KEY", "SMTP_PASSWORD"])).toEqual([]);
  });

  it("with the config filled in, --dry-run bundles under the budget in README.md", () => {
    const toml = filledIn(example);
    expect(configProblems(toml)).toEqual([]);
    const dir = path.join(root, ".wrangler", `deploy-test-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "wrangler.toml");
    // The copy lives two folders down: its paths point back at the repository.
    writeFileSync(
      file,
      toml
        .replace('main = "src/index.ts"', 'main = "../../src/index.ts"')
        .replace('migrations_dir = "migrations"', 'migrations_dir = "../../migrations"'),
    );
    try {
      const r = deploy(["--config", file, "--dry-run"]);
      expect(r.stderr + r.stdout).not.toContain("refused");
      expect(r.status).toBe(0);
      const m = r.stdout.match(/bundle: (\d+) KiB gzip \(budget (\d+) KiB\)/);
      expect(m).not.toBeNull();
      const [size, budget] = [Number(m![1]), Number(m![2])];
      expect(budget).toBe(readmeBudgetKiB());
      console.log(`bundle ${size} KiB gzip, budget ${budget} KiB`);
      expect(size).toBeLessThanOrEqual(budget);
      expect(size).toBeGreaterThan(100); // a real bundle, not an empty file
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
