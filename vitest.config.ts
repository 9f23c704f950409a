import path from "node:path";
import { defineConfig } from "vitest/config";
import { testCa } from "./test/servers/test-ca";

// The test servers' CA must be in NODE_EXTRA_CA_CERTS before miniflare is first imported (it reads the variable
// once, at import): hence the plugin is imported dynamically, after testCa().
testCa();
const { cloudflareTest, readD1Migrations } = await import("@cloudflare/vitest-plugin");

const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));

export default defineConfig({
  test: {
    projects: [
      {
        // Inside workerd: real Durable Objects, D1, R2, cron handlers.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: migrations,
                ADMIN_TOKEN: "test-admin-token",
                NOTIFY_SECRET: "test-notify-secret",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          setupFiles: ["./test/workers/apply-migrations.ts"],
          // A real Dovecot on loopback for the IMAP store tests (Debian dovecot-imapd + dovecot-lmtpd).
          globalSetup: ["./test/servers/dovecot-global-setup.ts"],
        },
      },
      {
        // Plain Node: the codec against libwbxml, the CLI, and end-to-end HTTP against a running Worker
        // with every decoded response checked by ../shared/conformance/validate.
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts"],
          globalSetup: ["./test/node/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
