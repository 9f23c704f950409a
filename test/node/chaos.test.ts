// The chaos harness in short (issue 19; the full run is `npm run chaos`): two mailboxes with two phones each
// sync, add contacts, delete, send and wait in Ping while mailbox objects are reset, `wrangler dev` is killed
// and restarted on its persisted state, and phones cut their connections. Every invariant must hold; a failure
// prints the seed to replay it with `npm run chaos -- --seed N`. Bridged mailboxes (their IMAP/SMTP sessions cut)
// are in the full run only: their servers and slower answers would cost this short one a minute; their cut paths
// are tested one by one in bridge-outage.e2e.test.ts and dav-lost-answer.test.ts.
import { expect, it } from "vitest";
import { runChaos } from "./chaos/harness";

const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));

it(`no item lost, doubled or resurrected, no needless key-0 resync, every message sent once, nothing stuck (seed ${seed})`, async () => {
  const r = await runChaos({
    seed,
    mailboxes: 2,
    devicesPerMailbox: 2,
    interruptions: 60,
    weights: { abort: 1, kill: 0 },
    killAfterMs: 4000, // one kill of wrangler dev, at a random instant of the phones' work
    cutRate: 0.2,
    gapMs: [100, 400],
    heartbeat: 2,
    maxMs: 15_000,
    log: (l) => console.log(l),
  });
  console.log(`chaos seed ${seed}: ${JSON.stringify({ ...r, failures: r.failures.slice(0, 20) })}`);
  expect(r.failures, `seed ${seed}`).toEqual([]);
  expect({ lost: r.lost, duplicated: r.duplicated, resurrected: r.resurrected, key0: r.key0Resyncs, stuck: r.stuck }).toEqual({
    lost: 0,
    duplicated: 0,
    resurrected: 0,
    key0: 0,
    stuck: 0,
  });
  expect(r.interruptions.kill).toBe(1);
  expect(r.interruptions.abort).toBeGreaterThan(0);
  expect(r.interruptions.cut).toBeGreaterThan(0);
}, 180_000);
