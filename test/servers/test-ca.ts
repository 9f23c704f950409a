// A throw-away CA for the TLS test servers, made when the vitest config loads. miniflare reads
// NODE_EXTRA_CA_CERTS once, when its module is first imported, so this module must be imported by
// vitest.config.ts before @cloudflare/vitest-plugin. A CA file the caller already trusts is kept in the bundle.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface TestCa {
  cert: string;
  key: string;
}

function makeCa(): TestCa {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-ca-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const cert = path.join(dir, "ca.pem");
  const key = path.join(dir, "ca.key");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      "/CN=Mobile Sync test CA",
    ],
    { stdio: "pipe" },
  );
  const trusted = path.join(dir, "trusted.pem");
  const previous = process.env.NODE_EXTRA_CA_CERTS;
  const kept = previous && existsSync(previous) ? readFileSync(previous, "utf8") + "\n" : "";
  writeFileSync(trusted, kept + readFileSync(cert, "utf8"));
  process.env.NODE_EXTRA_CA_CERTS = trusted;
  process.env.MOBILE_SYNC_TEST_CA = JSON.stringify({ cert, key });
  return { cert, key };
}

/** The run's test CA (made once per process). */
export function testCa(): TestCa {
  const known = process.env.MOBILE_SYNC_TEST_CA;
  if (known) {
    const ca = JSON.parse(known) as TestCa;
    if (existsSync(ca.cert) && existsSync(ca.key)) return ca;
  }
  return makeCa();
}

/** A server certificate for 127.0.0.1 and localhost, signed by the run's test CA (see test-ca.ts). */
export function serverCertificate(dir: string): { ca: string; cert: string; key: string } {
  const ca = testCa();
  const key = path.join(dir, "server.key");
  const csr = path.join(dir, "server.csr");
  const cert = path.join(dir, "server.pem");
  const ext = path.join(dir, "server.ext");
  const run = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1");
  writeFileSync(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
  run(
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
    "-CAcreateserial",
    "-CAserial",
    path.join(dir, "ca.srl"),
    "-out",
    cert,
    "-days",
    "2",
    "-extfile",
    ext,
  );
  return { ca: ca.cert, cert, key };
}
