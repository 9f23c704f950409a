// Starts the Worker with `wrangler dev` (the same path `npm start` uses) and waits until it answers.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");

/**
 * Applies the D1 migrations to the local state in `persistTo`. A state directory without a database yet gets a
 * copy of one `wrangler d1 migrations apply` made before for the same migrations, wrangler version and D1 binding
 * (kept in node_modules/.cache): applying them costs a wrangler and a workerd start, seconds each time.
 */
export function applyMigrations(persistTo) {
  const d1 = path.join(persistTo, "v3", "d1");
  const template = migratedTemplate();
  if (!existsSync(d1) && existsSync(template)) {
    copyDatabase(template, d1);
    return;
  }
  const r = spawnSync(wrangler, ["d1", "migrations", "apply", "mobile-sync", "--local", "--persist-to", persistTo], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
  });
  if (r.status !== 0) throw new Error(`d1 migrations apply failed:\n${r.stdout}\n${r.stderr}`);
  if (!existsSync(template) && existsSync(d1)) {
    // made aside and renamed into place: runs in parallel never see half a template
    mkdirSync(path.dirname(template), { recursive: true });
    const tmp = mkdtempSync(`${template}-`);
    try {
      copyDatabase(d1, path.join(tmp, "d1"));
      renameSync(path.join(tmp, "d1"), template);
    } catch {
      // another run made it first
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
}

/** Where the migrated empty database for this checkout's migrations, wrangler.toml and wrangler version is kept. */
function migratedTemplate() {
  const h = createHash("sha256");
  const dir = path.join(root, "migrations");
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort())
    h.update(`${f}\0`)
      .update(readFileSync(path.join(dir, f)))
      .update("\0");
  h.update(readFileSync(path.join(root, "wrangler.toml")));
  h.update(JSON.parse(readFileSync(path.join(root, "node_modules", "wrangler", "package.json"), "utf8")).version);
  return path.join(root, "node_modules", ".cache", "mobile-sync-d1", h.digest("hex").slice(0, 16));
}

/** Copies a closed local D1 state (its databases and write-ahead logs; SQLite rebuilds the -shm index on open). */
function copyDatabase(from, to) {
  cpSync(from, to, { recursive: true, filter: (src) => !src.endsWith("-shm") });
}

/**
 * @param {{ port: number, persistTo: string, vars?: Record<string,string>, stdio?: "inherit"|"pipe", testScheduled?: boolean, config?: string, migrate?: boolean, extraArgs?: string[] }} opts
 * `config`: another wrangler.toml (bench/push-floor); default the project's. `migrate: false` skips applying the
 * D1 migrations (a restart on state they were applied to: the chaos harness). `extraArgs`: more `wrangler dev` flags.
 * @returns {Promise<{ url: string, child: import("node:child_process").ChildProcess, stop: () => Promise<void> }>}
 */
export async function startDevServer({
  port,
  persistTo,
  vars = {},
  stdio = "pipe",
  testScheduled = true,
  config,
  migrate = true,
  extraArgs = [],
}) {
  if (migrate) applyMigrations(persistTo);
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    persistTo,
    "--inspector-port",
    "0",
    "--show-interactive-dev-session=false",
  ];
  if (testScheduled) args.push("--test-scheduled");
  if (config) args.push("--config", config);
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  args.push(...extraArgs);
  const child = spawn(wrangler, args, { cwd: root, stdio: ["ignore", stdio, stdio], env: { ...process.env, CI: "true" } });
  let log = "";
  if (stdio === "pipe") {
    child.stdout.on("data", (d) => (log += d));
    child.stderr.on("data", (d) => (log += d));
  }
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log}`);
    try {
      const r = await fetch(url + "/");
      if (r.ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  if (Date.now() >= deadline) {
    child.kill("SIGTERM");
    throw new Error(`wrangler dev did not answer within 60 s:\n${log}`);
  }
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    });
  return { url, child, stop, log: () => log };
}
