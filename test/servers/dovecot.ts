// A real Dovecot for tests, on loopback, with its own configuration in a temporary folder (never the
// system's): passwd-file users, maildir under the folder, IMAP plain + implicit TLS (certificate signed by
// a CA made here with openssl) and LMTP for delivery. Runs from Node (vitest globalSetup, e2e set-up).
// Needs the Debian packages dovecot-imapd and dovecot-lmtpd, and openssl.
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { serverCertificate } from "./test-ca";
import { freePort } from "../free-port";

export interface DovecotUser {
  user: string;
  password: string;
}

export interface DovecotInfo {
  host: string;
  /** Plain IMAP (loopback only). */
  imapPort: number;
  /** Implicit TLS IMAP, certificate for 127.0.0.1 and localhost signed by `caFile`. */
  imapsPort: number;
  lmtpPort: number;
  /** PEM of the CA that signed the server certificate (NODE_EXTRA_CA_CERTS for workerd). */
  caFile: string;
  users: DovecotUser[];
  /** Where maildirs and logs live. */
  dir: string;
}

export interface RunningDovecot extends DovecotInfo {
  stop(): Promise<void>;
}

export interface DovecotOptions {
  users?: DovecotUser[];
  /** push_notification OX driver URL (e.g. http://user:secret@127.0.0.1:8787/notify/ox); omitted: plugin loaded, no driver. */
  pushUrl?: string;
}

const MODULES = "/usr/lib/dovecot/modules";

export function dovecotMissing(): string | null {
  if (!existsSync("/usr/sbin/dovecot")) return "dovecot is not installed (apt-get install -y dovecot-imapd dovecot-lmtpd)";
  if (!existsSync("/usr/lib/dovecot/lmtp")) return "dovecot-lmtpd is not installed (apt-get install -y dovecot-lmtpd)";
  return null;
}

function mailOwner(): { uid: number; gid: number } {
  // Dovecot refuses to access mail as root; when we are root, the maildirs belong to the Debian `mail` user.
  if (process.getuid?.() === 0) return { uid: 8, gid: 8 };
  return { uid: process.getuid!(), gid: process.getgid!() };
}

function config(
  dir: string,
  ports: { imap: number; imaps: number; lmtp: number },
  certs: { cert: string; key: string },
  opts: DovecotOptions,
): string {
  const { uid, gid } = mailOwner();
  const asRoot = process.getuid?.() === 0;
  const me = os.userInfo().username;
  const push = existsSync(path.join(MODULES, "lib20_push_notification_plugin.so"));
  const plugins = ["notify", ...(push ? ["push_notification"] : [])].join(" ");
  return `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <${certs.cert}
ssl_key = <${certs.key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
# Tests try wrong passwords on purpose: no 2 s penalty slowing every later login.
auth_failure_delay = 0
first_valid_uid = ${uid}
mail_uid = ${uid}
mail_gid = ${gid}
${asRoot ? "" : `default_internal_user = ${me}\ndefault_login_user = ${me}\ndefault_internal_group = ${os.userInfo().username}`}
mail_location = maildir:${dir}/mail/%n
mail_plugins = $mail_plugins ${plugins}
protocol imap {
  mail_max_userip_connections = 100
  imap_metadata = yes
}
passdb {
  driver = passwd-file
  # %u: users named by address (bridged mailboxes log in as user@domain) are looked up as such.
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${dir}/mail/%n
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${ports.imap}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${ports.imaps}
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${ports.lmtp}
  }
}
# Dovecot delays every login from an IP after failed ones there (anvil auth penalty: 2, 4, 8, 15 s, even
# for other users' right passwords). All tests log in from 127.0.0.1 and some fail on purpose: without this,
# one test's wrong passwords would stall the others. (A bridge's logins all come from the Worker's egress
# addresses: see README "Bridging a provider's mailbox".)
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
${push && opts.pushUrl ? pushConfig(dir, opts.pushUrl) : ""}
`;
}

/**
 * Dovecot's push_notification OX driver posts JSON to `url` for new mail in INBOX, and only for users whose
 * METADATA /private/vendor/vendor.dovecot/http-notify is set (see enablePush): hence the metadata dict.
 */
function pushConfig(dir: string, url: string): string {
  return `
mail_attribute_dict = file:${dir}/mail/%n/dovecot-attributes
plugin {
  push_notification_driver = ox:url=${url} user_from_metadata timeout_msecs=2000
}
`;
}

function waitForGreeting(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect(port, "127.0.0.1");
      s.setTimeout(1000);
      s.once("data", (d) => {
        s.destroy();
        if (d.toString().startsWith("* OK")) resolve();
        else retry(new Error(`unexpected greeting ${d}`));
      });
      s.once("error", retry);
      s.once("timeout", () => retry(new Error("timeout")));
      function retry(err: Error) {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`Dovecot did not answer on ${port}: ${err.message}`));
        else setTimeout(attempt, 50);
      }
    };
    attempt();
  });
}

export async function startDovecot(opts: DovecotOptions = {}): Promise<RunningDovecot> {
  const missing = dovecotMissing();
  if (missing) throw new Error(missing);
  const users = opts.users ?? [
    { user: "alice", password: "alice secret" },
    { user: "bob", password: "bob secret" },
  ];
  const dir = mkdtempSync(path.join(os.tmpdir(), "mobile-sync-dovecot-"));
  chmodSync(dir, 0o755);
  const { uid, gid } = mailOwner();
  mkdirSync(path.join(dir, "mail"));
  chownSync(path.join(dir, "mail"), uid, gid);
  writeFileSync(path.join(dir, "users"), users.map(passwdLine).join(""));
  const certs = serverCertificate(dir);
  const taken = new Set<number>();
  const distinctPort = async () => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) return (taken.add(p), p);
    }
  };
  const ports = { imap: await distinctPort(), imaps: await distinctPort(), lmtp: await distinctPort() };
  const conf = path.join(dir, "dovecot.conf");
  writeFileSync(conf, config(dir, ports, certs, opts));

  const proc: ChildProcess = spawn("/usr/sbin/dovecot", ["-F", "-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  proc.stdout!.on("data", (d) => (output += d));
  proc.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  try {
    await Promise.race([
      waitForGreeting(ports.imap, 15_000),
      exited.then(() => {
        throw new Error(`dovecot exited: ${output}${readLog(dir)}`);
      }),
    ]);
  } catch (err) {
    proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    host: "127.0.0.1",
    imapPort: ports.imap,
    imapsPort: ports.imaps,
    lmtpPort: ports.lmtp,
    caFile: certs.ca,
    users,
    dir,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (proc.exitCode === null) proc.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function passwdLine(u: DovecotUser): string {
  if (/[:\n]/.test(u.user + u.password)) throw new Error(`no ':' or newline in a test login: ${u.user}`);
  return `${u.user}:{PLAIN}${u.password}::::::\n`;
}

/**
 * Adds a login to a running Dovecot (its passwd-file is re-read when it changes). Its maildir, made on first
 * use, is mail/<local part> under the Dovecot folder.
 */
export function addDovecotUser(info: Pick<DovecotInfo, "dir">, user: DovecotUser): void {
  appendFileSync(path.join(info.dir, "users"), passwdLine(user));
}

function readLog(dir: string): string {
  try {
    return readFileSync(path.join(dir, "dovecot.log"), "utf8");
  } catch {
    return "";
  }
}

/** Delivers one message over LMTP (RFC 2033), as the provider's MTA would. */
export async function deliverLmtp(info: Pick<DovecotInfo, "host" | "lmtpPort">, to: string, raw: string): Promise<void> {
  const sock = net.connect(info.lmtpPort, info.host);
  sock.setEncoding("utf8");
  let buf = "";
  const waiters: ((line: string) => void)[] = [];
  sock.on("data", (d: string) => {
    buf += d;
    for (;;) {
      const i = buf.indexOf("\r\n");
      if (i < 0) break;
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (/^\d{3}-/.test(line)) continue;
      waiters.shift()?.(line);
    }
  });
  const failed = new Promise<never>((_, reject) => sock.once("error", reject));
  const reply = () => Promise.race([failed, new Promise<string>((r) => waiters.push(r))]);
  const expect = async (code: string, send?: string) => {
    if (send !== undefined) sock.write(send);
    const line = await reply();
    if (!line.startsWith(code)) throw new Error(`LMTP: expected ${code}, got ${line}`);
  };
  try {
    await expect("220");
    await expect("250", "LHLO test\r\n");
    await expect("250", "MAIL FROM:<sender@example.test>\r\n");
    await expect("250", `RCPT TO:<${to}>\r\n`);
    await expect("354", "DATA\r\n");
    const body = raw.replace(/\r?\n/g, "\r\n").replace(/^\./gm, "..");
    await expect("250", `${body}${body.endsWith("\r\n") ? "" : "\r\n"}.\r\n`);
    sock.write("QUIT\r\n");
  } finally {
    sock.end();
  }
}
