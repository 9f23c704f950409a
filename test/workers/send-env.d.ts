declare namespace Cloudflare {
  interface Env {
    /** HTTP control port of the loopback SMTP sink (test/smtp-sink.ts). */
    SMTP_SINK_URL: string;
  }
}
