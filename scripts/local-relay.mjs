// For `npm start` when no SMTP relay is configured: the loopback SMTP server of the tests stands in for
// "the outside world", so mail to outside addresses has somewhere to go and can be looked at.
// The sink is TypeScript with extensionless imports (as the tests write them): loaded through tsx.
import { tsImport } from "tsx/esm/api";

/** Starts the sink unless SMTP_HOST is set; returns the vars to give the Worker, or null. */
export async function startLocalRelay(devVars) {
  if (devVars.SMTP_HOST || process.env.SMTP_HOST) return null;
  const { startSmtpSink } = await tsImport("../test/smtp-sink.ts", import.meta.url);
  const sink = await startSmtpSink({
    onMessage: (m) => console.log(`[local relay] mail from <${m.from}> to ${m.to.map((t) => `<${t}>`).join(", ")}`),
  });
  return {
    vars: {
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(sink.port),
      SMTP_TLS: "none",
      LOCAL_DOMAINS: devVars.LOCAL_DOMAINS ?? "example.test",
    },
    url: `http://127.0.0.1:${sink.controlPort}/messages`,
    stop: () => sink.stop(),
  };
}
