// `npm start`: the service on http://127.0.0.1:8787 with the embedded store, state under .wrangler/,
// and a demo mailbox seeded on first run.
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startDevServer } from "./dev-server.mjs";
import { startLocalRelay } from "./local-relay.mjs";
import { seedDemo } from "./seed-demo.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const devVars = path.join(root, ".dev.vars");
if (!existsSync(devVars)) {
  copyFileSync(path.join(root, ".dev.vars.example"), devVars);
  console.log("created .dev.vars from .dev.vars.example (development values)");
}
const vars = Object.fromEntries(
  readFileSync(devVars, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#") && l.includes("="))
    .map((l) => [l.slice(0, l.indexOf("=")).trim(), l.slice(l.indexOf("=") + 1).trim()]),
);

// These wrangler vars may also come from the environment (e.g. `DOH_URL=… RDAP_URL=… npm start` to point the
// eligibility checks at scripts/zone-responder.mjs); the environment wins over .dev.vars and wrangler.toml.
const ENV_VARS = [
  "DOH_URL",
  "RDAP_URL",
  "PROVIDER_NAMESERVERS",
  "PROVIDER_MX_HOSTS",
  "PROVIDER_POP3_HOST",
  "PROVIDER_REGISTRAR",
  "ELIGIBILITY_EXEMPT_DOMAINS",
];
const fromEnv = Object.fromEntries(ENV_VARS.filter((k) => process.env[k]).map((k) => [k, process.env[k]]));

const port = Number(process.env.PORT ?? 8787);
const relay = await startLocalRelay(vars);
const server = await startDevServer({
  port,
  persistTo: path.join(root, ".wrangler", "state"),
  stdio: "inherit",
  vars: { ...relay?.vars, ...fromEnv },
});
const stop = async () => {
  await server.stop();
  await relay?.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

try {
  const demo = await seedDemo(server.url, {
    adminToken: vars.ADMIN_TOKEN,
    address: process.env.DEMO_ADDRESS ?? vars.DEMO_ADDRESS ?? "demo@example.test",
    password: process.env.DEMO_PASSWORD ?? vars.DEMO_PASSWORD ?? "demo",
  });
  console.log(`
Mobile Sync is running on ${server.url}
  ActiveSync:   ${server.url}/Microsoft-Server-ActiveSync
  Admin API:    ${server.url}/admin/v1  (Authorization: Bearer ${vars.ADMIN_TOKEN})
  Console:      ${server.url}/admin/    (sign in with the admin token)
  My phones:    ${server.url}/my/       (a mailbox's address and password)
  Demo account: ${demo.address} / ${demo.password}${demo.created ? " (created now)" : ""}
  Outside mail: ${relay ? `a local SMTP sink (no SMTP_HOST set); what arrived: ${relay.url}` : `relay ${vars.SMTP_HOST}`}
Press Ctrl-C to stop.`);
} catch (e) {
  console.error(`demo seed failed: ${e.message}`);
}
server.child.on("exit", (code) => process.exit(code ?? 0));
