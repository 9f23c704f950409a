// What SQLite statements mailbox objects run (issue 15 target 3): tests that count a wake's statements.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Mailbox } from "../../../src/mailbox/mailbox";

/**
 * Every statement any mailbox object runs while `fn` runs, whitespace collapsed (SqlStorage.exec is one
 * prototype method shared by all instances, hooked for the call's duration).
 */
export async function statementsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const proto = await runInDurableObject(env.MAILBOX.getByName("proto@example.test"), (_mb: Mailbox, state) =>
    Object.getPrototypeOf(state.storage.sql),
  );
  const exec = proto.exec;
  proto.exec = function (this: SqlStorage, query: string, ...bindings: unknown[]) {
    seen.push(query.replace(/\s+/g, " ").trim());
    return exec.call(this, query, ...bindings);
  };
  try {
    await fn();
  } finally {
    proto.exec = exec;
  }
  return seen;
}
