// The chaos run's one source of randomness (mulberry32): a seed printed at the start replays the same choices.
// Timing still varies from run to run (the machine, the network stack), so a replay is close, not identical.
export type Rng = () => number;

export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A child generator for one actor, so actors' draws do not shift each other's sequences. */
export function fork(parent: Rng): Rng {
  return rng(Math.floor(parent() * 2 ** 32));
}
