import path from "node:path";
import { defineConfig } from "vitest/config";
import { freePort } from "./test/free-port";
import { SINK_PASSWORD, SINK_USER } from "./test/smtp-sink";
import { makeTlsFixture } from "./test/tls-fixture";
import { testCa } from "./test/servers/test-ca";
import { RADICALE_OTHER_USER, RADICALE_PASSWORD, RADICALE_USER } from "./test/servers/radicale";

// The loopback SMTP sink of the workers project (started by test/workers/smtp-sink-setup.ts).
process.env.TEST_SMTP_PORT ||= String(await freePort());
process.env.TEST_SMTP_CONTROL_PORT ||= String(await freePort());
process.env.TEST_SMTP_IMPLICIT_PORT ||= String(await freePort());
process.env.TEST_SMTP_STARTTLS_PORT ||= String(await freePort());
// The loopback Radicale of the DAV bridge tests (started by test/workers/radicale-setup.ts).
process.env.TEST_RADICALE_PORT ||= String(await freePort());
process.env.TEST_RADICALE_CONTROL_PORT ||= String(await freePort());
process.env.TEST_RADICALE_OUTAGE_PORT ||= String(await freePort());
process.env.TEST_RADICALE_OUTAGE_CONTROL_PORT ||= String(await freePort());
// The test CA (SMTP sink and Dovecot certificates) must be in NODE_EXTRA_CA_CERTS before miniflare is
// first imported: it reads the variable once, when its module loads (../shared/notes/platform.md §2); hence the
// plugin is imported only after testCa(). A CA bundle already named there is kept.
testCa();
process.env.TEST_TLS_DIR ||= makeTlsFixture().dir;
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
                SMTP_HOST: "127.0.0.1",
                SMTP_PORT: process.env.TEST_SMTP_PORT,
                SMTP_TLS: "none",
                SMTP_USER: SINK_USER,
                SMTP_PASSWORD: SINK_PASSWORD,
                SMTP_TIMEOUT_MS: "5000",
                SMTP_SINK_URL: `http://127.0.0.1:${process.env.TEST_SMTP_CONTROL_PORT}`,
                SMTP_SINK_TLS_PORTS: `${process.env.TEST_SMTP_IMPLICIT_PORT},${process.env.TEST_SMTP_STARTTLS_PORT}`,
                LOCAL_DOMAINS: "local.test",
                MAX_SEND_BYTES: "2000000",
                SEND_QUOTA_PER_DAY: "200",
                RADICALE_URL: `http://127.0.0.1:${process.env.TEST_RADICALE_PORT}`,
                RADICALE_CONTROL_URL: `http://127.0.0.1:${process.env.TEST_RADICALE_CONTROL_PORT}`,
                RADICALE_OUTAGE_URL: `http://127.0.0.1:${process.env.TEST_RADICALE_OUTAGE_PORT}`,
                RADICALE_OUTAGE_CONTROL_URL: `http://127.0.0.1:${process.env.TEST_RADICALE_OUTAGE_CONTROL_PORT}`,
                RADICALE_USER,
                RADICALE_OTHER_USER,
                RADICALE_PASSWORD,
                // Objects the DAV scale test seeds; `DAV_BENCH_OBJECTS=1000 npx tsx bench/dav.bench.ts` for the benchmark.
                DAV_BENCH_OBJECTS: process.env.DAV_BENCH_OBJECTS ?? "120",
                // Messages the search scale test seeds; `npx tsx bench/search.bench.ts` uses 100 000.
                SEARCH_BENCH_MESSAGES: process.env.SEARCH_BENCH_MESSAGES ?? "3000",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          // One runtime for all files, one after another (a fresh runtime per file cost seconds each);
          // apply-migrations.ts empties every binding before each file, so each file still starts on fresh storage.
          isolate: false,
          // Vitest's 5 s default is met on a quiet machine; under load (CI neighbours, the node project running
          // beside this one) a Dovecot round trip alone can take seconds. Timing targets are asserted inside tests.
          testTimeout: 20_000,
          setupFiles: ["./test/workers/apply-migrations.ts"],
          globalSetup: ["./test/workers/smtp-sink-setup.ts", "./test/servers/dovecot-global-setup.ts", "./test/workers/radicale-setup.ts"],
        },
      },
      {
        // Plain Node: the codec against libwbxml, the CLI, and end-to-end HTTP against a running Worker
        // with every decoded response checked by ../shared/conformance/validate.
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts"],
          // bridge-setup.ts (the bridge's Dovecot, submission server and Radicale) picks the Worker's port first:
          // Dovecot's push driver must know where to post before global-setup.ts starts `wrangler dev`.
          globalSetup: ["./test/node/bridge-setup.ts", "./test/node/global-setup.ts", "./test/node/radicale-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
