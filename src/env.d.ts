// Secrets and optional vars (not in wrangler.toml [vars]); set with `wrangler secret put` or `.dev.vars`.
declare namespace Cloudflare {
  interface Env {
    ADMIN_TOKEN?: string;
    NOTIFY_SECRET?: string;
    DEMO_PASSWORD?: string;
    /** Public origin (https://sync.example.com) announced by Autodiscover; default: https on the request host. */
    PUBLIC_URL?: string;
  }
}
