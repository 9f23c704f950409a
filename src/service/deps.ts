import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import type { BatchItem } from "drizzle-orm/batch";
import { readConfig, type ServiceConfig } from "./config";

export type Db = DrizzleD1Database<Record<string, never>>;

/** What every service function needs; tests inject the clock and the network. */
export interface ServiceDeps {
  env: Env;
  db: Db;
  config: ServiceConfig;
  now: () => Date;
  /** Used for DoH and RDAP; injectable so tests answer from a fake zone. */
  fetcher: typeof fetch;
  /** Who acts, for the audit log: `admin:<name>`, `system:cron`, ... */
  actor: string;
  /** Waits between a request's own attempts to push a subscription state (default PUSH_RETRY_MS); tests shorten them. */
  pushWaits?: readonly number[];
}

export function makeDeps(env: Env, over: Partial<ServiceDeps> = {}): ServiceDeps {
  return {
    env,
    db: drizzle(env.DB),
    config: readConfig(env),
    now: () => new Date(),
    fetcher: (input, init) => fetch(input, init),
    actor: "system",
    ...over,
  };
}

export const newId = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;

/** Runs statements in one D1 batch (atomic); an empty list does nothing. */
export async function runBatch(d: ServiceDeps, stmts: BatchItem<"sqlite">[]): Promise<void> {
  if (stmts.length) await d.db.batch(stmts as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
}
