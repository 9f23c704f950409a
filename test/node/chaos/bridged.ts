// The bridged mailboxes of the chaos harness (issue 19): accounts on a provider's servers on loopback (Dovecot
// for IMAP and LMTP, a submission SMTP server with AUTH, Radicale for their calendars and address books, as the
// bridge e2e tests start them: bridge-servers.ts), bridged through the admin API with IMAP and SMTP reached
// through cutting relays (tcp-proxy.ts). The driver's interruption: the relay drops the session at a chosen
// command before the server sees it, or instead of delivering the server's answer (the server did the work).
// The audit reads the truth from the servers themselves: Dovecot's INBOX and Sent over IMAP (not through the
// relays), and what the submission server received.
import { deliverLmtp } from "../../servers/dovecot";
import { admin, type BridgeAccount, imapSubjects, newBridgeAccount, setBridgeEnv, submitted } from "../bridge-client";
import { type BridgeServers, startBridgeServers } from "../bridge-servers";
import { startTcpProxy, type TcpProxy } from "../tcp-proxy";
import type { Rng } from "./rng";

export const BRIDGED_DOMAIN = "bridge.test";

/** Commands the IMAP relay may cut before the server sees them (each a pattern on the Worker's bytes). */
const IMAP_COMMANDS = [
  /^\S+ UID FETCH /im,
  /^\S+ APPEND /im,
  /^\S+ UID (MOVE|COPY) /im,
  /^\S+ UID (STORE|EXPUNGE|SEARCH) /im,
  /^\S+ (SELECT|EXAMINE|STATUS) /im,
  /^\S+ (LIST|NOOP|GETMETADATA|SETMETADATA|ENABLE|LOGIN|AUTHENTICATE|CAPABILITY)\b/im,
];
/** Server answers the IMAP relay may swallow (the command was carried out, its answer is lost). */
const IMAP_ANSWERS = [/^\S+ OK \[APPENDUID /m, /^\* OK \[COPYUID /m, /^\S+ OK \[COPYUID /m, /^\* \d+ FETCH /m, /^\S+ OK /m];
/** SMTP commands the relay may cut (the message is not accepted: the outbox retries). */
const SMTP_COMMANDS = [/^EHLO /im, /^AUTH /im, /^MAIL FROM:/im, /^RCPT TO:/im, /^DATA\r?$/im, /^Subject: sent-/im];
/**
 * SMTP answers the relay may swallow. Not the 250 after the message's final dot: an SMTP client that lost that
 * answer cannot know the message was accepted and must send it again (RFC 5321 §6.1; the duplicate problem of
 * RFC 1047), so a second copy there is the protocol's rule, not ours to avoid. The harness does not cut it.
 */
const SMTP_ANSWERS = [/^220 /m, /^250-/m, /^235 /m, /^354 /m];
/** An armed cut that met nothing in this long is given up (the driver arms another, maybe a commoner one). */
const ARM_MS = 20_000;

export interface BridgedWorld {
  servers: BridgeServers;
  accounts: BridgeAccount[];
  /**
   * Arms one cut on the relay of `kind` unless one is armed; resolves with its label once it happened, or with
   * null when nothing matched within `ARM_MS` (a command the bridge seldom sends: LIST, APPEND…), then disarmed.
   */
  armCut(kind: "imap" | "smtp", rng: Rng, anyShare: number): Promise<string | null> | null;
  /** Clears the armed cuts (the calm phase). */
  disarm(): void;
  /** An LMTP delivery to the account's Dovecot (the provider's MTA). */
  deliver(address: string, label: string): Promise<void>;
  /** Subjects in an IMAP folder of the account, read straight from Dovecot. */
  subjects(address: string, folder: string): Promise<string[]>;
  /** Subjects of the messages the submission server received. */
  submittedSubjects(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startBridgedWorld(o: {
  count: number;
  workerPort: number;
  workerUrl: string;
  adminToken: string;
  notifySecret: string;
}): Promise<BridgedWorld> {
  const servers = await startBridgeServers({ workerPort: o.workerPort, notifySecret: o.notifySecret });
  const { stop: stopServers, ...info } = servers;
  setBridgeEnv({ workerUrl: o.workerUrl, adminToken: o.adminToken, servers: info });
  const imapRelay = await startTcpProxy(servers.imap);
  const smtpRelay = await startTcpProxy({ host: servers.smtp.host, port: servers.smtp.port });
  const accounts: BridgeAccount[] = [];
  for (let i = 0; i < o.count; i++) {
    const a = await newBridgeAccount(`bridged${i}`);
    const res = await admin("POST", "/mailboxes", {
      address: a.address,
      backend: {
        kind: "imap",
        imap: { host: "127.0.0.1", port: imapRelay.port, tls: "none" },
        smtp: { host: "127.0.0.1", port: smtpRelay.port, tls: "none", auth: "account" },
        dav: { url: `${servers.radicale!.url}/` },
        push: "notify",
      },
    });
    if (res.status !== 201) throw new Error(`bridge ${a.address}: ${res.status} ${await res.text()}`);
    accounts.push(a);
  }
  const armed = { imap: false, smtp: false };
  const byAddress = new Map(accounts.map((a) => [a.address, a]));
  const account = (address: string) => {
    const a = byAddress.get(address);
    if (!a) throw new Error(`not a bridged account: ${address}`);
    return a;
  };
  return {
    servers: info,
    accounts,
    armCut(kind, rng, anyShare) {
      if (armed[kind]) return null;
      armed[kind] = true;
      const relay: TcpProxy = kind === "imap" ? imapRelay : smtpRelay;
      const answer = rng() < 0.5;
      const list = kind === "imap" ? (answer ? IMAP_ANSWERS : IMAP_COMMANDS) : answer ? SMTP_ANSWERS : SMTP_COMMANDS;
      // Whatever comes next (a tagged IMAP command or answer; any SMTP command) `anyShare` of the time, else one
      // of the named ones (the rarer writes: APPEND, MOVE, STORE…).
      const any = kind === "imap" ? (answer ? /^\S+ (OK|NO|BAD) /m : /^\S+ [A-Z]/m) : answer ? /^(220|235|354) /m : /^[A-Z]{4}\b/m;
      const pattern = rng() < anyShare ? any : list[Math.floor(rng() * list.length)]!;
      const label = `${kind}-${answer ? "answer" : "command"}`;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<null>((r) => {
        timer = setTimeout(() => {
          relay.disarm();
          r(null);
        }, ARM_MS);
      });
      const happened = (answer ? relay.cutAnswerOn(pattern) : relay.cutOn(pattern)).then(() => label);
      return Promise.race([happened, expired]).then((x) => {
        clearTimeout(timer);
        armed[kind] = false;
        return x;
      });
    },
    disarm() {
      imapRelay.disarm();
      smtpRelay.disarm();
      armed.imap = armed.smtp = false;
    },
    deliver(address, label) {
      const raw =
        `From: world@outside.test\r\nTo: ${address}\r\nSubject: ${label}\r\nMessage-ID: <${label}@outside.test>\r\n` +
        `Date: ${new Date().toUTCString()}\r\n\r\n${label}\r\n`;
      return deliverLmtp({ host: servers.imap.host, lmtpPort: servers.lmtpPort }, account(address).address, raw);
    },
    subjects(address, folder) {
      return imapSubjects(account(address), folder);
    },
    async submittedSubjects() {
      return (await submitted()).map((m) => /^Subject: (.*)$/im.exec(m.raw)?.[1]?.trim() ?? "");
    },
    async stop() {
      await imapRelay.stop();
      await smtpRelay.stop();
      await stopServers();
    },
  };
}
