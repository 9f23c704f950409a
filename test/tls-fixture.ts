// The SMTP sink's TLS certificate (for localhost / 127.0.0.1), signed by the run's test CA
// (test/servers/test-ca.ts), which vitest.config.ts puts in NODE_EXTRA_CA_CERTS so workerd's connect() trusts it.
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { serverCertificate } from "./servers/test-ca";

export interface TlsFixture {
  dir: string;
  key: string;
  cert: string;
}

/** The fixture already made in `dir`. */
export function readTlsFixture(dir: string): TlsFixture {
  return { dir, key: readFileSync(path.join(dir, "server.key"), "utf8"), cert: readFileSync(path.join(dir, "server.pem"), "utf8") };
}

export function makeTlsFixture(): TlsFixture {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-tls-"));
  serverCertificate(dir);
  return readTlsFixture(dir);
}
