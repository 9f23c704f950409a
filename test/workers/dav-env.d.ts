declare namespace Cloudflare {
  interface Env {
    /** The loopback Radicale (test/servers/radicale.ts) and its control port. */
    RADICALE_URL: string;
    RADICALE_CONTROL_URL: string;
    RADICALE_USER: string;
    RADICALE_PASSWORD: string;
  }
}
