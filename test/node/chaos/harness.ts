// The chaos harness (issue 19): phones of several mailboxes (several devices each) sync mail and contacts both
// ways, delete, send mail and wait in Ping against a `wrangler dev` of our own, while a driver interrupts at
// random instants: a mailbox object reset (ctx.abort() through the test-only hook, src/admin/chaos-routes.ts),
// the whole `wrangler dev` killed (SIGKILL, its workerd included) and started again on its persisted state, and
// phones cutting their connection before they read the answer (chaos-phone.ts), and for bridged mailboxes
// (bridged.ts) the IMAP or SMTP session to the provider's servers cut mid-command. At the end every phone's view
// and the store (a fresh device's full sync; for a bridged mailbox Dovecot's own folders) are compared: nothing
// lost, doubled or resurrected, no needless resync from key 0, every message sent delivered once (and its Sent
// copy kept once), no request left waiting. Used by bench/chaos.ts (the big run) and test/node/chaos.test.ts
// (a short one in npm test).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../free-port";
// @ts-expect-error plain ESM helper shared with `npm start`
import { startDevServer } from "../../../scripts/dev-server.mjs";
import { type BridgedWorld, startBridgedWorld } from "./bridged";
import { ChaosPhone, type ChaosWorld, Fatal, newTally, setOf, sleep } from "./chaos-phone";
import { fork, rng } from "./rng";

export type InterruptionKind = "abort" | "kill" | "cut" | "imap-command" | "imap-answer" | "smtp-command" | "smtp-answer";

export interface ChaosOptions {
  seed: number;
  mailboxes: number;
  devicesPerMailbox: number;
  /** Bridged mailboxes (IMAP/SMTP/DAV on loopback servers, IMAP and SMTP through cutting relays); default 0. */
  bridged?: number;
  /**
   * Share of the bridged cuts armed on whatever IMAP/SMTP command or answer comes next; the rest wait for a named
   * one (APPEND, MOVE, RCPT TO…), which can take a while. Default 0.5; the short run uses 1 to meet some surely.
   */
  anyCutShare?: number;
  /** Stop interrupting once this many interruptions (all kinds) happened. */
  interruptions: number;
  /**
   * Relative weights of the driver's own kinds (cuts come from the phones, at `cutRate` per request): imap and
   * smtp arm a cut of the bridged mailboxes' sessions, counted when it happens.
   */
  weights: { abort: number; kill: number; imap?: number; smtp?: number };
  cutRate: number;
  /** Pause between two driver interruptions, ms (uniform in the range). */
  gapMs: [number, number];
  /** Ping heartbeat, seconds (the server's minimum is lowered for the run). */
  heartbeat: number;
  /** Upper bound of the chaos phase, ms (the run stops interrupting then, whatever the count). */
  maxMs: number;
  /** Kill `wrangler dev` at least once, this long into the chaos phase (the short run makes sure of one). */
  killAfterMs?: number;
  log?: (line: string) => void;
}

export interface ChaosResult {
  seed: number;
  interruptions: Record<string, number>;
  /** Object resets the runtime logged (evidence that the abort hook really reset the objects). */
  resetsLogged: number;
  operations: number;
  retries: number;
  deliveries: number;
  sent: number;
  /** Of `sent`: from bridged mailboxes (through the provider's submission server). */
  sentBridged: number;
  contacts: number;
  deletes: number;
  chaosMs: number;
  totalMs: number;
  lost: number;
  duplicated: number;
  resurrected: number;
  key0Resyncs: number;
  stuck: number;
  httpErrors: Record<string, number>;
  /**
   * Bridged messages the outbox sent again because an earlier attempt's final dot went out and its answer was
   * never noted (SMTP's own window, RFC 5321 §6.1: the relay may or may not have it), as the Worker logged them;
   * and the extra copies the submission server received. A copy beyond one is a failure unless such a resend
   * accounts for it.
   */
  resentInDoubt: number;
  doubledInDoubt: number;
  /** The Worker's own log of the 500s it answered, by error text (empty when it answered none). */
  internalErrors: Record<string, number>;
  failures: string[];
}

const ADMIN_TOKEN = "chaos-admin-token";
const NOTIFY_SECRET = "chaos-notify-secret";
const DOMAIN = "chaos.test";

/** The Worker under test, killable: wrangler and its workerd children die together, state stays on disk. */
class KillableServer {
  private server?: {
    url: string;
    child: { pid?: number; exitCode: number | null; once: (e: string, f: () => void) => void };
    stop: () => Promise<void>;
    log: () => string;
  };
  /** What earlier (killed) runs of wrangler dev printed. */
  earlierLogs = "";
  constructor(
    readonly port: number,
    readonly persistTo: string,
  ) {}

  #started = false;
  async start(): Promise<void> {
    this.server = await startDevServer({
      port: this.port,
      persistTo: this.persistTo,
      testScheduled: false,
      migrate: !this.#started,
      vars: {
        ADMIN_TOKEN,
        CHAOS_HOOKS: "enabled",
        PING_MIN_HEARTBEAT: "1",
        DEMO_SEED: "false",
        LOCAL_DOMAINS: DOMAIN,
        // Bridged mailboxes: Dovecot's push posts with this secret; the safety poll as short as in the e2e tests.
        NOTIFY_SECRET,
        BRIDGE_POLL_SECONDS: "2",
        BRIDGE_SAFETY_POLL_SECONDS: "3",
      },
    });
    this.#started = true;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** SIGKILL to wrangler and every process under it (its workerd): a crash, nothing flushed on the way out. */
  async kill(): Promise<void> {
    const s = this.server;
    if (!s?.child.pid) return;
    const pids = descendants(s.child.pid);
    this.earlierLogs += s.log();
    const exited = new Promise<void>((r) => (s.child.exitCode !== null ? r() : s.child.once("exit", () => r())));
    for (const pid of [s.child.pid, ...pids]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    await exited;
    for (let i = 0; i < 50 && pids.some(alive); i++) await sleep(100);
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }

  /**
   * What the Worker logged for each answer it turned into HTTP 500 ("ActiveSync request" errors, src/http/errors.ts):
   * the trace of a 500 a phone saw, counted by error text.
   */
  internalErrors(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const line of (this.earlierLogs + (this.server?.log() ?? "")).split("\n")) {
      // workerd's own answer when a request is never answered is a 500 too. ("Uncaught" lines are not: workerd
      // prints every error thrown across an RPC, the 503s and the resets' own included.)
      if (/will never generate a response/.test(line)) {
        const key = line.trim().slice(0, 200);
        out[key] = (out[key] ?? 0) + 1;
        continue;
      }
      if (!line.includes('"where":"ActiveSync request"')) continue;
      const error = /"error":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line.slice(0, 300);
      out[error] = (out[error] ?? 0) + 1;
    }
    return out;
  }

  /** Everything wrangler dev printed in this run, killed runs included. */
  allLogs(): string {
    return this.earlierLogs + (this.server?.log() ?? "");
  }

  /** How many messages the outbox sent again while in doubt (its `"resent_in_doubt":true` log lines). */
  resentInDoubt(): number {
    return ((this.earlierLogs + (this.server?.log() ?? "")).match(/"resent_in_doubt":true/g) ?? []).length;
  }

  /** How many object resets the runtime reported (workerd logs the reason given to ctx.abort()). */
  resetsLogged(): number {
    return ((this.earlierLogs + (this.server?.log() ?? "")).match(/chaos harness: object reset/g) ?? []).length;
  }
}

function descendants(root: number): number[] {
  const kids = new Map<number, number[]>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(d)]);
    } catch {}
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of kids.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function admin(url: string, method: string, route: string, body?: string | object, type = "application/json"): Promise<Response> {
  return fetch(`${url}/admin/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": type },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? (() => {});
  const started = performance.now();
  const root = rng(o.seed);
  const persistTo = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-chaos-"));
  const server = new KillableServer(await freePort(), persistTo);
  await server.start();
  const url = server.url;
  const bridge: BridgedWorld | null = o.bridged
    ? await startBridgedWorld({
        count: o.bridged,
        workerPort: server.port,
        workerUrl: url,
        adminToken: ADMIN_TOKEN,
        notifySecret: NOTIFY_SECRET,
      })
    : null;
  const bridgedAddresses = new Set(bridge?.accounts.map((a) => a.address) ?? []);
  let stopped = false;
  const world: ChaosWorld = {
    url,
    sink: `sink@${DOMAIN}`,
    cutRate: o.cutRate,
    tally: newTally(),
    contactsAdded: new Map(),
    sent: new Set(),
    sentBridged: new Set(),
    deleted: new Map(),
    stopped: () => stopped,
  };
  const t = world.tally;
  const password = "chaos password";
  const addresses = Array.from({ length: o.mailboxes }, (_, i) => `box${i}@${DOMAIN}`);
  for (const address of [...addresses, world.sink]) {
    const r = await admin(url, "POST", "/mailboxes", { address, password });
    if (r.status !== 201) throw new Error(`create ${address}: ${r.status} ${await r.text()}`);
  }
  const phones = addresses.flatMap((a, i) =>
    Array.from({ length: o.devicesPerMailbox }, (_, d) => new ChaosPhone(world, a, password, `chaos${i}d${d}`, fork(root))),
  );
  for (const [i, a] of (bridge?.accounts ?? []).entries())
    for (let d = 0; d < o.devicesPerMailbox; d++)
      phones.push(new ChaosPhone(world, a.address, a.password, `chaosB${i}d${d}`, fork(root), true));
  const everyAddress = [...addresses, ...bridgedAddresses];
  const passwordOf = (address: string) => bridge?.accounts.find((a) => a.address === address)?.password ?? password;
  await Promise.all(phones.map((p) => p.setUp()));
  log(`server up and phones set up in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // The world delivers mail all along; a delivery whose answer is lost is "uncertain" (there at most once).
  const confirmed = new Map<string, Set<string>>();
  const uncertain = new Map<string, Set<string>>();
  let deliveries = 0;
  const worldRng = fork(root);
  const deliverLoop = (async () => {
    while (!stopped) {
      const address = everyAddress[Math.floor(worldRng() * everyAddress.length)]!;
      const label = `mail-${++deliveries}`;
      if (bridge && bridgedAddresses.has(address)) {
        // The provider's MTA delivers to Dovecot (LMTP); its answer is the proof of delivery.
        await bridge.deliver(address, label).then(
          () => setOf(confirmed, address).add(label),
          () => setOf(uncertain, address).add(label),
        );
        await sleep(100 + worldRng() * 400);
        continue;
      }
      const raw = `From: world@outside.test\r\nTo: ${address}\r\nSubject: ${label}\r\nMessage-ID: <${label}@outside.test>\r\n\r\n${label}\r\n`;
      try {
        const r = await admin(url, "POST", `/mailboxes/${encodeURIComponent(address)}/messages`, raw, "message/rfc822");
        setOf(r.status === 201 ? confirmed : uncertain, address).add(label);
        if (r.status >= 500) t.httpErrors[`admin ${r.status}`] = (t.httpErrors[`admin ${r.status}`] ?? 0) + 1;
      } catch {
        setOf(uncertain, address).add(label);
      }
      await sleep(100 + worldRng() * 400);
    }
  })();

  const phoneErrors: string[] = [];
  const phoneLoops = phones.map((p) =>
    p.run(o.heartbeat).catch((e: unknown) => {
      phoneErrors.push(`${p.deviceId}: ${e instanceof Error ? e.message : String(e)}`);
    }),
  );

  // The driver: its own interruptions at random instants, until the count (with the phones' cuts) is reached.
  const driverRng = fork(root);
  const driver: Record<string, number> = { abort: 0, kill: 0 };
  const total = () => Object.values(driver).reduce((a, b) => a + b, 0) + (t.interruptions.cut ?? 0);
  const chaosStart = performance.now();
  const aborting = new Set<string>();
  let killed = false;
  let lastLog = 0;
  while (total() < o.interruptions && performance.now() - chaosStart < o.maxMs && phoneErrors.length === 0) {
    await sleep(o.gapMs[0] + driverRng() * (o.gapMs[1] - o.gapMs[0]));
    const w = { imap: 0, smtp: 0, ...o.weights };
    const forced = o.killAfterMs !== undefined && !killed && performance.now() - chaosStart > o.killAfterMs;
    const pick = driverRng() * (w.abort + w.kill + (bridge ? w.imap + w.smtp : 0));
    if (!forced && bridge && pick >= w.abort + w.kill) {
      // A cut of a bridged mailbox's IMAP or SMTP session, at the next matching command or answer.
      const kind = pick < w.abort + w.kill + w.imap ? "imap" : "smtp";
      void bridge.armCut(kind, driverRng, o.anyCutShare ?? 0.5)?.then((label) => {
        if (label && !stopped) driver[label] = (driver[label] ?? 0) + 1;
      });
    } else if (forced || pick < w.kill) {
      killed = true;
      const k0 = performance.now();
      await server.kill();
      driver.kill!++;
      await sleep(driverRng() * 1000);
      await server.start();
      log(`  wrangler dev killed and back in ${((performance.now() - k0) / 1000).toFixed(1)} s`);
    } else {
      // Not awaited: the reset lands while the phones' requests run (an RPC into a reset object returns late).
      const address = everyAddress[Math.floor(driverRng() * everyAddress.length)]!;
      if (!aborting.has(address)) {
        aborting.add(address);
        void admin(url, "POST", `/chaos/mailboxes/${encodeURIComponent(address)}/abort`)
          .then(async (r) => {
            if (r.status === 202) driver.abort!++;
            else log(`  abort hook: HTTP ${r.status} ${await r.text()}`);
          })
          .catch(() => {}) // wrangler dev killed meanwhile
          .finally(() => aborting.delete(address));
      }
    }
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`  ${total()} interruptions (${JSON.stringify({ ...driver, cut: t.interruptions.cut ?? 0 })}), ${t.requests} requests`);
    }
  }
  const chaosMs = performance.now() - chaosStart;
  stopped = true;
  bridge?.disarm();
  await Promise.all([deliverLoop, ...phoneLoops]);
  t.interruptions = { ...t.interruptions, ...driver };

  // Calm: every phone syncs to the end, then a fresh device per mailbox reads the store.
  world.cutRate = 0;
  for (const p of phones) {
    await p.syncToEnd(p.inbox);
    await p.syncToEnd(p.contacts);
  }
  const failures = [...t.failures, ...phoneErrors];
  let lost = 0;
  let duplicated = t.duplicates;
  let resurrected = 0;
  const fail = (what: string) => failures.push(what);
  const counts = (labels: Iterable<string>) => {
    const m = new Map<string, number>();
    for (const l of labels) m.set(l, (m.get(l) ?? 0) + 1);
    return m;
  };
  for (const address of everyAddress) {
    const auditor = new ChaosPhone(world, address, passwordOf(address), `audit${everyAddress.indexOf(address)}`, fork(root));
    await auditor.setUp();
    let store = counts(auditor.inbox.items.values());
    if (bridge && bridgedAddresses.has(address)) {
      // The truth of a bridged mailbox is its IMAP server: a fresh device must see exactly that.
      const onServer = counts(await bridge.subjects(address, "INBOX"));
      for (const l of new Set([...store.keys(), ...onServer.keys()]))
        if ((store.get(l) ?? 0) !== (onServer.get(l) ?? 0)) {
          if (!store.has(l)) lost++;
          else resurrected++;
          fail(`${address}: "${l}" ${onServer.get(l) ?? 0} times in Dovecot's INBOX, ${store.get(l) ?? 0} on a fresh device`);
        }
      store = onServer;
    }
    const storeContacts = counts(auditor.contacts.items.values());
    const deleted = world.deleted.get(address) ?? new Set();
    for (const [l, n] of [...store, ...storeContacts])
      if (n > 1) {
        duplicated++;
        fail(`${address}: "${l}" ${n} times in the store`);
      }
    for (const l of confirmed.get(address) ?? [])
      if (!deleted.has(l) && !store.has(l)) {
        lost++;
        fail(`${address}: delivered "${l}" missing from the Inbox`);
      }
    for (const l of deleted)
      if (store.has(l)) {
        resurrected++;
        fail(`${address}: deleted "${l}" back in the Inbox`);
      }
    for (const l of world.contactsAdded.get(address) ?? [])
      if (!storeContacts.has(l)) {
        lost++;
        fail(`${address}: contact "${l}" acknowledged, missing from the store`);
      }
    for (const p of phones.filter((x) => x.address === address))
      for (const [mine, theirs, what] of [
        [p.inbox.items, store, "Inbox"],
        [p.contacts.items, storeContacts, "Contacts"],
      ] as const) {
        const view = counts(mine.values());
        for (const [l, n] of view)
          if (n > 1) {
            duplicated++;
            fail(`${p.deviceId}: "${l}" ${n} times in its ${what}`);
          }
        for (const l of theirs.keys())
          if (!view.has(l)) {
            lost++;
            fail(`${p.deviceId}: "${l}" in the store's ${what}, not on the phone`);
          }
        for (const l of view.keys())
          if (!theirs.has(l)) {
            resurrected++;
            fail(`${p.deviceId}: "${l}" on the phone's ${what}, not in the store`);
          }
      }
  }

  log(`calm: phones and store compared at ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // Every message sent reaches the sink once (the outbox retries local delivery after 1 min at worst).
  const sinkPhone = new ChaosPhone(world, world.sink, password, "auditSink", fork(root));
  await sinkPhone.setUp();
  for (let end = Date.now() + 150_000; Date.now() < end; await sleep(2000)) {
    await sinkPhone.syncToEnd(sinkPhone.inbox);
    const have = new Set(sinkPhone.inbox.items.values());
    if ([...world.sent].every((s) => have.has(s))) break;
  }
  const sink = counts(sinkPhone.inbox.items.values());
  for (const s of world.sent) {
    const n = sink.get(s) ?? 0;
    if (n === 0) {
      lost++;
      fail(`sent "${s}" never delivered`);
    } else if (n > 1) {
      duplicated++;
      fail(`sent "${s}" delivered ${n} times`);
    }
  }
  for (const l of sink.keys()) if (!world.sent.has(l)) fail(`"${l}" delivered to the sink, never acknowledged to a phone`);

  let resentInDoubt = 0;
  let doubledInDoubt = 0;
  if (bridge) {
    // Mail sent from bridged mailboxes leaves through the provider's submission server (the outbox retries a
    // session that was cut; here "now" rather than after its backoff of minutes), its copy in Dovecot's Sent.
    const sentCopies = async () => counts((await Promise.all([...bridgedAddresses].map((a) => bridge.subjects(a, "Sent")))).flat());
    let submittedNow = counts(await bridge.submittedSubjects());
    let copies = await sentCopies();
    for (let end = Date.now() + 150_000; Date.now() < end; await sleep(3000)) {
      if ([...world.sentBridged].every((x) => submittedNow.has(x) && copies.has(x))) break;
      for (const a of bridgedAddresses) await admin(url, "POST", `/chaos/mailboxes/${encodeURIComponent(a)}/outbox/flush`).catch(() => {});
      submittedNow = counts(await bridge.submittedSubjects());
      copies = await sentCopies();
    }
    // Submitted twice is SMTP's own window only when the outbox said it resent a message in doubt (outbox.ts).
    resentInDoubt = server.resentInDoubt();
    const doubled = [...world.sentBridged].filter((x) => (submittedNow.get(x) ?? 0) > 1);
    doubledInDoubt = doubled.reduce((n, x) => n + (submittedNow.get(x) ?? 0) - 1, 0);
    const explained = doubledInDoubt <= resentInDoubt;
    if (explained && doubled.length)
      log(`  submitted twice after an answer lost past the final dot (resent in doubt): ${doubled.join(", ")}`);
    for (const x of world.sentBridged)
      for (const [what, n] of [
        ["submitted", submittedNow.get(x) ?? 0],
        ["kept in Sent", copies.get(x) ?? 0],
      ] as const) {
        if (n === 0) {
          lost++;
          fail(`bridged sent "${x}" never ${what}`);
        } else if (n > 1 && !(what === "submitted" && explained)) {
          duplicated++;
          fail(`bridged sent "${x}" ${what} ${n} times`);
        }
      }
    for (const l of submittedNow.keys())
      if (!world.sentBridged.has(l)) fail(`"${l}" submitted by a bridged mailbox, never acknowledged to a phone`);
  }

  if (failures.length) {
    // What the Worker printed (every run of wrangler dev), kept for the trace of a failure.
    const file = path.join(os.tmpdir(), `mobile-sync-chaos-${o.seed}-worker.log`);
    writeFileSync(file, server.allLogs());
    failures.push(`(the Worker's log of this run: ${file})`);
  }
  const resetsLogged = server.resetsLogged();
  const internalErrors = server.internalErrors();
  await server.stop();
  await bridge?.stop();
  rmSync(persistTo, { recursive: true, force: true });
  const sumSets = (m: Map<string, Set<string>>) => [...m.values()].reduce((n, s) => n + s.size, 0);
  return {
    seed: o.seed,
    interruptions: t.interruptions,
    resetsLogged,
    operations: t.requests,
    retries: t.retries,
    deliveries,
    sent: world.sent.size + world.sentBridged.size,
    sentBridged: world.sentBridged.size,
    contacts: sumSets(world.contactsAdded),
    deletes: sumSets(world.deleted),
    chaosMs,
    totalMs: performance.now() - started,
    lost,
    duplicated,
    resurrected,
    key0Resyncs: t.key0Resyncs,
    stuck: t.stuck,
    httpErrors: t.httpErrors,
    resentInDoubt,
    doubledInDoubt,
    internalErrors,
    failures,
  };
}

export { Fatal };
