declare namespace Cloudflare {
  interface Env {
    /** The loopback Radicale (test/servers/radicale.ts) and its control port. */
    RADICALE_URL: string;
    RADICALE_CONTROL_URL: string;
    /** A second Radicale that the outage tests freeze and kill. */
    RADICALE_OUTAGE_URL: string;
    RADICALE_OUTAGE_CONTROL_URL: string;
    RADICALE_USER: string;
    RADICALE_OTHER_USER: string;
    RADICALE_PASSWORD: string;
    /** How many objects test/workers/dav-scale.test.ts seeds. */
    DAV_BENCH_OBJECTS: string;
  }
}
