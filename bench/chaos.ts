// `npm run chaos`: the chaos harness (test/node/chaos/harness.ts) at full size, 1 000 interruptions by default,
// and its figures appended to bench/RESULTS.md. A benchmark-style run, not a timed test; a short version runs in
// npm test (test/node/chaos.test.ts). Replay a run with its seed: `npm run chaos -- --seed 1234`.
// Options: --seed N, --interruptions N, --mailboxes N, --bridged N (bridged mailboxes: Dovecot + submission SMTP +
// Radicale on loopback, IMAP and SMTP through cutting relays), --devices N, --cut-rate X, --max-minutes N,
// --no-results (print only; nothing appended to bench/RESULTS.md).
import { appendFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runChaos } from "../test/node/chaos/harness";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const seed = arg("seed", Math.floor(Math.random() * 2 ** 31));
const opts = {
  seed,
  mailboxes: arg("mailboxes", 3),
  bridged: arg("bridged", 2),
  devicesPerMailbox: arg("devices", 2),
  interruptions: arg("interruptions", 1000),
  weights: { abort: 60, kill: 1, imap: 30, smtp: 8 },
  cutRate: arg("cut-rate", 0.25),
  gapMs: [50, 300] as [number, number],
  heartbeat: 2,
  maxMs: arg("max-minutes", 60) * 60_000,
  log: (l: string) => console.log(l),
};
console.log(`chaos: seed ${seed} (replay: npm run chaos -- --seed ${seed}), ${JSON.stringify({ ...opts, log: undefined })}`);
const r = await runChaos(opts);
const total = Object.values(r.interruptions).reduce((a, b) => a + b, 0);
const ok = r.failures.length === 0;
console.log(JSON.stringify({ ...r, failures: r.failures.slice(0, 50) }, null, 2));
const line = (k: string, v: string | number) => `| ${k} | ${v} |`;
const cpus = os.cpus();
const md = [
  "",
  `## chaos (issue 19) — ${new Date().toISOString().slice(0, 16)}Z, seed ${seed}`,
  "",
  `Machine: ${cpus.length} × ${cpus[0]?.model ?? "?"}, shared; Node ${process.version}; \`wrangler dev\` (workerd) on loopback.`,
  `${opts.mailboxes} built-in + ${opts.bridged} bridged mailboxes (Dovecot IMAP/LMTP, submission SMTP, Radicale; IMAP and SMTP through cutting relays) × ${opts.devicesPerMailbox} devices (EAS 14.1), + a sink mailbox; phones cut ${opts.cutRate * 100}% of their requests at a random instant.`,
  "",
  "| figure | value |",
  "| --- | --- |",
  line("interruptions (total)", total),
  ...Object.entries(r.interruptions).map(([k, v]) => line(`— ${k}`, v)),
  line("object resets logged by workerd", r.resetsLogged),
  line("phone requests (first attempts)", r.operations),
  line("repeated after a lost answer", r.retries),
  line(
    "mail delivered by the world / sent by phones (of which bridged) / contacts added / deletes",
    `${r.deliveries} / ${r.sent} (${r.sentBridged}) / ${r.contacts} / ${r.deletes}`,
  ),
  line("chaos phase / whole run", `${(r.chaosMs / 1000).toFixed(0)} s / ${(r.totalMs / 1000).toFixed(0)} s`),
  line("lost / duplicated / resurrected", `${r.lost} / ${r.duplicated} / ${r.resurrected}`),
  line("needless SyncKey 0 resyncs / requests left waiting", `${r.key0Resyncs} / ${r.stuck}`),
  line(
    "bridged messages resent in doubt (answer lost past the final dot) / extra copies at the relay",
    `${r.resentInDoubt} / ${r.doubledInDoubt}`,
  ),
  line("non-protocol answers seen by phones (retried)", JSON.stringify(r.httpErrors)),
  line("HTTP 500s as the Worker logged them", JSON.stringify(r.internalErrors)),
  line("verdict", ok ? "every invariant held" : `${r.failures.length} failures: ${r.failures.slice(0, 5).join("; ")}`),
  "",
].join("\n");
if (!process.argv.includes("--no-results")) appendFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "RESULTS.md"), md);
console.log(ok ? "chaos: every invariant held" : `chaos: ${r.failures.length} failures`);
process.exit(ok ? 0 : 1);
