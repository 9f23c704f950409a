// globalSetup of the workers project: the loopback SMTP sink the outbox relays to (plain, plus implicit TLS
// and STARTTLS ports for the client's own tests). Ports and the TLS fixture are made in vitest.config.ts
// (they must be known when the Worker's bindings are built) and passed here by env.
import { startSmtpSink } from "../smtp-sink";
import { readTlsFixture } from "../tls-fixture";

export default async function setup() {
  const tls = readTlsFixture(process.env.TEST_TLS_DIR!);
  const sink = await startSmtpSink({
    port: Number(process.env.TEST_SMTP_PORT),
    controlPort: Number(process.env.TEST_SMTP_CONTROL_PORT),
    tls: {
      key: tls.key,
      cert: tls.cert,
      implicitPort: Number(process.env.TEST_SMTP_IMPLICIT_PORT),
      starttlsPort: Number(process.env.TEST_SMTP_STARTTLS_PORT),
    },
  });
  return () => sink.stop();
}
