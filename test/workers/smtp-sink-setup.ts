// globalSetup of the workers project: the loopback SMTP sink the outbox relays to. Its ports are chosen in
// vitest.config.ts (they must be known when the Worker's bindings are built) and passed here by env.
import { startSmtpSink } from "../smtp-sink";

export default async function setup() {
  const sink = await startSmtpSink({ port: Number(process.env.TEST_SMTP_PORT), controlPort: Number(process.env.TEST_SMTP_CONTROL_PORT) });
  return () => sink.stop();
}
