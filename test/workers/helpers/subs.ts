// Test setup for the subscription service: env with test provider parameters, a clock, a fake zone.
import { env } from "cloudflare:workers";
import { createAccount } from "../../../src/service/directory";
import { makeDeps, type ServiceDeps } from "../../../src/service/deps";
import { type FakeZone, TEST_PROVIDER } from "./fake-zone";

export const testEnv = (over: Record<string, string> = {}) => ({ ...env, ...TEST_PROVIDER, ...over }) as unknown as Env;

export class Clock {
  constructor(public t: number) {}
  now = () => new Date(this.t);
  advanceDays(n: number) {
    this.t += n * 86_400_000;
  }
}

let seq = 0;
/** A unique mailbox on a unique domain (storage is shared between tests of one file). */
export function uniqueMailbox(prefix = "user") {
  seq++;
  const domain = `${prefix}${seq}-${crypto.randomUUID().slice(0, 8)}.test`;
  return { address: `${prefix}@${domain}`, domain };
}

export function deps(zone: FakeZone, clock: Clock, over: Partial<ServiceDeps> = {}, vars: Record<string, string> = {}): ServiceDeps {
  return makeDeps(testEnv(vars), { fetcher: zone.fetch, now: clock.now, actor: "test", ...over });
}

/** A mailbox login plus a compliant zone. */
export async function compliantMailbox(zone: FakeZone, prefix = "user") {
  const m = uniqueMailbox(prefix);
  await createAccount(env.DB, m.address, "pw-" + m.domain);
  zone.compliant(m.domain);
  return m;
}
