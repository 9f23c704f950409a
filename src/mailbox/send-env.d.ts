// Optional vars of outgoing mail (see README "Sending mail"); all strings, all optional.
interface SendMailVars {
  /** Submission relay for recipients outside this service. Unset: outside mail waits in the outbox, then bounces. */
  SMTP_HOST?: string;
  SMTP_PORT?: string;
  /** implicit (default, port 465) | starttls (587) | none (loopback relays only). */
  SMTP_TLS?: string;
  SMTP_USER?: string;
  SMTP_PASSWORD?: string;
  SMTP_HELO?: string;
  SMTP_TIMEOUT_MS?: string;
  /** Domains whose mail this service receives: unknown addresses there bounce at once. */
  LOCAL_DOMAINS?: string;
  /** Largest message a device may send, in bytes (default 26214400). */
  MAX_SEND_BYTES?: string;
  /** Send quota: recipients per mailbox per rolling 24 hours (default 1000); above it ComposeMail Status 115. */
  SEND_QUOTA_PER_DAY?: string;
  /** Give up on a recipient after this many attempts (default 20) or this many hours (default 48). */
  OUTBOX_MAX_ATTEMPTS?: string;
  OUTBOX_MAX_AGE_HOURS?: string;
}

// The Durable Object base class uses the global Env; Cloudflare.Env is what `cloudflare:workers` exports.
interface Env extends SendMailVars {}
declare namespace Cloudflare {
  interface Env extends SendMailVars {}
}
