declare namespace Cloudflare {
  interface Env {
    /** How many messages test/workers/search-scale.test.ts seeds (bench/search.bench.ts: 100 000). */
    SEARCH_BENCH_MESSAGES: string;
  }
}
