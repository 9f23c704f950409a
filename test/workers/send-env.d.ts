declare namespace Cloudflare {
  interface Env {
    /** HTTP control port of the loopback SMTP sink (test/smtp-sink.ts). */
    SMTP_SINK_URL: string;
    /** "implicitPort,starttlsPort" of the same sink, certificate from the test CA. */
    SMTP_SINK_TLS_PORTS: string;
  }
}
