// A long test's phases, so that a test cut short says where it stood. Vitest's TestTimeoutError names no line
// of the test body: its "❯ file:line" is where the test function was compiled, not where it was waiting (a test
// that hangs on its sixth line is reported at its third). A stall in a test of many steps therefore says nothing
// of which step hung; `watched` says it before the timeout does.

export interface Phases {
  /** Marks the start of the next phase; returns what `p` gives, for `await phase("…", …)`. */
  <T>(name: string, p: PromiseLike<T>): Promise<T>;
  /** Where the test stands: the phase it is in and for how long, and the phases done with their times. */
  report(): string;
}

export function phases(): Phases {
  const t0 = Date.now();
  const done: string[] = [];
  let current: { name: string; at: number } | null = null;
  const finish = () => {
    if (current) done.push(`${current.name} ${Date.now() - current.at} ms`);
    current = null;
  };
  const phase = (<T>(name: string, p: PromiseLike<T>): Promise<T> => {
    finish();
    current = { name, at: Date.now() };
    // Promise.resolve: an RPC call's result is a thenable (and callable) whose other properties are the remote object's.
    return Promise.resolve(p).finally(finish);
  }) as Phases;
  phase.report = () => {
    const where = current ? `in phase "${current.name}" for ${Date.now() - current.at} ms` : "between phases";
    return `${where}, ${Date.now() - t0} ms into the test; done: ${done.join(", ") || "none"}`;
  };
  return phase;
}

export interface WatchOptions {
  /**
   * Where the stall is reported at once (default console.error; a test that mocks the console passes the real
   * one). Said, not only thrown: in the stalls caught so far (ops-logs, replayed under load) the watchdog's timer
   * ran and said its line, but its rejection never reached the test, which the timeout then cut all the same.
   */
  say?: (line: string) => void;
  /** More to report with the phase (what the test can read about the runtime's state then). */
  about?: () => string | Promise<string>;
}

/**
 * Runs `body` with its phases; if it has not finished after `ms` (keep it below the test's timeout), reports the
 * phase it is in and fails. The body keeps all its assertions: nothing here lets a test pass that would fail.
 */
export async function watched<T>(ms: number, body: (phase: Phases) => Promise<T>, opts: WatchOptions = {}): Promise<T> {
  const phase = phases();
  const say = opts.say ?? ((line: string) => console.error(line));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(async () => {
      let line = `stalled ${phase.report()}`;
      say(line);
      if (opts.about) {
        const more = await Promise.resolve()
          .then(opts.about)
          .catch((e: unknown) => `(about: ${String(e)})`);
        line += `\n${more}`;
        say(more);
      }
      reject(new Error(line));
    }, ms);
  });
  try {
    return await Promise.race([body(phase), stalled]);
  } finally {
    clearTimeout(timer);
  }
}
