// Starts the Worker with `wrangler dev` (the same path `npm start` uses) and waits until it answers.
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");

/** Applies the D1 migrations to the local state in `persistTo`. */
export function applyMigrations(persistTo) {
  const r = spawnSync(wrangler, ["d1", "migrations", "apply", "mobile-sync", "--local", "--persist-to", persistTo], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
  });
  if (r.status !== 0) throw new Error(`d1 migrations apply failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * @param {{ port: number, persistTo: string, vars?: Record<string,string>, stdio?: "inherit"|"pipe", testScheduled?: boolean, config?: string, migrate?: boolean }} opts
 * `config`: another wrangler.toml (bench/push-floor); default the project's. `migrate: false` skips applying the
 * D1 migrations (a restart on state they were applied to: the chaos harness).
 * @returns {Promise<{ url: string, child: import("node:child_process").ChildProcess, stop: () => Promise<void> }>}
 */
export async function startDevServer({ port, persistTo, vars = {}, stdio = "pipe", testScheduled = true, config, migrate = true }) {
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
