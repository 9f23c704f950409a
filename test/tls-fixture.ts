// A throw-away certificate authority and a server certificate for "localhost" / 127.0.0.1, made with the
// openssl command line, so TLS clients (workerd's connect(), trusting the CA via NODE_EXTRA_CA_CERTS) can
// be tested against loopback servers. Files live in a fresh temporary directory.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface TlsFixture {
  dir: string;
  caFile: string;
  caPem: string;
  key: string;
  cert: string;
}

/** The fixture already made in `dir`. */
export function readTlsFixture(dir: string): TlsFixture {
  return { dir, caFile: path.join(dir, "ca.pem"), caPem: readFileSync(path.join(dir, "ca.pem"), "utf8"), key: readFileSync(path.join(dir, "server.key"), "utf8"), cert: readFileSync(path.join(dir, "server.pem"), "utf8") };
}

export function makeTlsFixture(): TlsFixture {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-tls-"));
  const f = (n: string) => path.join(dir, n);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=Mobile Sync test CA");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=localhost");
  writeFileSync(f("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  openssl("x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("server.pem"), "-days", "2", "-extfile", f("san.ext"));
  return readTlsFixture(dir);
}

/** A PEM file with the fixture's CA plus the certificates of `existing` (a bundle already trusted), if any. */
export function trustBundle(fixture: TlsFixture, existing?: string): string {
  let pem = fixture.caPem;
  if (existing) {
    try {
      pem += "\n" + readFileSync(existing, "utf8");
    } catch {}
  }
  const file = path.join(fixture.dir, "trusted.pem");
  writeFileSync(file, pem);
  return file;
}
