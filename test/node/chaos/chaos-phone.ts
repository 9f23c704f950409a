// A phone of the chaos harness (issue 19): keeps its own copy of the Inbox and Contacts the way a device does
// (ServerId → label), and retries the way real phones do: after a lost response (connection cut, server gone,
// 5xx, 503) it sends the very same request again — same SyncKey, same commands, same ClientIds — and goes back
// to SyncKey 0 only when the server says so (Status 3/12), which the harness counts as a failure.
// Everything it sees that breaks the invariants is counted in `Tally`; the harness compares views at the end.
import { child, childrenNamed, childText, el, type WbxmlElement } from "../../../src/wbxml/index";
import { Phone, type PhoneResponse } from "../phone";
import { syncRequest } from "../sync-requests";
import type { Rng } from "./rng";

export interface Tally {
  /** Requests sent (first attempts), and attempts that were repeated after a lost response. */
  requests: number;
  retries: number;
  /** Interruptions by kind ("cut": the phone dropped the connection before reading the answer). */
  interruptions: Record<string, number>;
  /** Answers that were not the protocol's (HTTP status → count), e.g. 500 while an object reset. */
  httpErrors: Record<string, number>;
  /** Sync/FolderSync told a phone to start over from key 0 (each one a failure: nothing justified it). */
  key0Resyncs: number;
  /** A server Add for a ServerId the phone already had, or a label twice in a phone's folder. */
  duplicates: number;
  /** Requests that got no usable answer within the deadline ("nothing waits forever"). */
  stuck: number;
  failures: string[];
}

export function newTally(): Tally {
  return { requests: 0, retries: 0, interruptions: {}, httpErrors: {}, key0Resyncs: 0, duplicates: 0, stuck: 0, failures: [] };
}

export interface ChaosWorld {
  url: string;
  sink: string;
  /** Probability that the phone cuts a request before reading its answer. */
  cutRate: number;
  tally: Tally;
  /** Labels acknowledged by the server: contacts added, messages sent, mail deleted (by mailbox). */
  contactsAdded: Map<string, Set<string>>;
  sent: Set<string>;
  /** Messages sent by phones of bridged mailboxes: they leave through the provider's submission server. */
  sentBridged: Set<string>;
  deleted: Map<string, Set<string>>;
  stopped: () => boolean;
}

const A = (name: string, ...kids: (WbxmlElement | string | number)[]) => el("AirSync", name, ...kids);
const MAIL = 2;
const CONTACTS = 9;
/** Give up on one request after this long (covers a wrangler dev restart with its migrations). */
const REQUEST_DEADLINE_MS = 120_000;
/**
 * A bridged mailbox answers after the provider's servers did (IMAP commands time out after 20 s, DAV requests
 * after 15 s, one IMAP session per mailbox at a time): on a loaded machine with its sessions being cut, measured
 * answers took up to ~50 s, so its phones allow one attempt 120 s and one request 300 s before calling it stuck.
 */
const BRIDGED_DEADLINE_MS = 300_000;
const ATTEMPT_MS = 60_000;
const BRIDGED_ATTEMPT_MS = 120_000;

interface Collection {
  id: string;
  key: string;
  /** ServerId → label (Email Subject, Contacts FirstName). */
  items: Map<string, string>;
  labelOf: (data: WbxmlElement | undefined) => string;
}

export class ChaosPhone {
  readonly phone: Phone;
  inbox!: Collection;
  contacts!: Collection;
  #n = 0;

  constructor(
    readonly world: ChaosWorld,
    readonly address: string,
    password: string,
    readonly deviceId: string,
    private readonly rng: Rng,
    /** A bridged mailbox (IMAP/SMTP + DAV at the provider): its server may answer "retry later". */
    readonly bridged = false,
  ) {
    this.phone = new Phone({ baseUrl: world.url, user: address, password, deviceId, deviceType: "ChaosPhone", protocolVersion: "14.1" });
  }

  /** One request, repeated identically until it gets a usable answer (a phone on a bad network). */
  async send(cmd: string, body: WbxmlElement | null, waitMs = 0): Promise<PhoneResponse> {
    const t = this.world.tally;
    t.requests++;
    const limit = this.bridged ? BRIDGED_DEADLINE_MS : REQUEST_DEADLINE_MS;
    const attemptMs = this.bridged ? BRIDGED_ATTEMPT_MS : ATTEMPT_MS;
    const deadline = Date.now() + limit + waitMs;
    // What each attempt of this request met, for the failure's message: a request starved by answers to retry
    // (503 while its object is reset, again and again) is told apart from one that got no answer at all.
    const met: Record<string, number> = {};
    const note = (what: string) => (met[what] = (met[what] ?? 0) + 1);
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) t.retries++;
      if (Date.now() > deadline) {
        t.stuck++;
        throw new Error(`${this.deviceId} ${cmd}: no answer within ${limit + waitMs} ms (${attempt} attempts: ${JSON.stringify(met)})`);
      }
      const ac = new AbortController();
      const cut = this.rng() < this.world.cutRate;
      // Cut at a random instant: before the server acts, while it acts, or after it answered.
      const timer = cut ? setTimeout(() => ac.abort(), Math.floor(this.rng() * (cmd === "Ping" ? waitMs + 100 : 120))) : undefined;
      const hard = setTimeout(() => ac.abort(), waitMs + attemptMs); // a hop that drops an idle request
      try {
        const r = await this.phone.command(cmd, body, { signal: ac.signal });
        const retry = r.status === 200 ? retryLater(cmd, r) : undefined;
        if (r.status === 200 && !retry) return r;
        if (retry) {
          // The server could not do it now (a bridged mailbox whose IMAP session was cut): the same request again.
          note(retry);
          t.httpErrors[retry] = (t.httpErrors[retry] ?? 0) + 1;
          await sleep(200 + this.rng() * 300);
          continue;
        }
        note(`HTTP ${r.status}`);
        t.httpErrors[r.status] = (t.httpErrors[r.status] ?? 0) + 1;
        if (r.status < 500 && r.status !== 429) throw new Fatal(`${this.deviceId} ${cmd}: HTTP ${r.status} ${r.xml ?? ""}`);
      } catch (e) {
        if (e instanceof Fatal) throw e;
        if (!(e instanceof TypeError) && !ac.signal.aborted) throw e; // not a network failure: a harness bug
        note(ac.signal.aborted ? (cut ? "cut by the phone" : "no answer in time") : "network");
        if (ac.signal.aborted && cut) t.interruptions.cut = (t.interruptions.cut ?? 0) + 1;
        else if (ac.signal.aborted && process.env.CHAOS_DEBUG)
          console.log(`${new Date().toISOString()} ${this.deviceId} ${cmd} attempt ${attempt}: no answer in ${waitMs + attemptMs} ms`);
        else if (!ac.signal.aborted) {
          t.httpErrors.network = (t.httpErrors.network ?? 0) + 1;
          const why = `${(e as Error).message} ${((e as Error).cause as Error | undefined)?.message ?? ""}`;
          if (process.env.CHAOS_DEBUG) console.log(`${this.deviceId} ${cmd} attempt ${attempt}: ${why}`);
        }
      } finally {
        clearTimeout(timer);
        clearTimeout(hard);
      }
      await sleep(50 + this.rng() * 250);
    }
  }

  async setUp(): Promise<void> {
    const r = await this.send("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", "0")));
    const adds = childrenNamed(child(r.tree, "Changes"), "Add");
    const id = (type: number) => childText(adds.find((a) => Number(childText(a, "Type")) === type)!, "ServerId")!;
    this.inbox = { id: id(MAIL), key: "0", items: new Map(), labelOf: (d) => childText(d, "Subject", "Email") ?? "?" };
    this.contacts = { id: id(CONTACTS), key: "0", items: new Map(), labelOf: (d) => childText(d, "FirstName", "Contacts") ?? "?" };
    await this.syncToEnd(this.inbox);
    await this.syncToEnd(this.contacts);
  }

  /** One Sync round of `c` carrying `commands`; applies what the server sent; returns whether more is available. */
  async syncRound(c: Collection, commands: WbxmlElement[] = []): Promise<{ more: boolean; response?: WbxmlElement }> {
    if (c.key === "0") {
      const boot = await this.send("Sync", syncRequest(c.id, "0"));
      c.key = childText(this.coll(boot), "SyncKey")!;
      c.items.clear();
    }
    const extra = [A("GetChanges"), A("WindowSize", 25)];
    if (commands.length) extra.push(A("Commands", ...commands));
    const r = await this.send("Sync", syncRequest(c.id, c.key, extra));
    if (r.raw.length === 0) return { more: false }; // nothing changed ([MS-ASCMD] empty Sync response)
    const coll = this.coll(r);
    const status = childText(coll, "Status") ?? childText(r.tree, "Status");
    if (status === "3" || status === "12") {
      this.world.tally.key0Resyncs++;
      this.world.tally.failures.push(
        `${this.deviceId}: Sync ${c.id} Status ${status} at key ${c.key} (a resync from key 0 nothing justified)`,
      );
      c.key = "0";
      return { more: true };
    }
    if (status !== "1") throw new Fatal(`${this.deviceId}: Sync ${c.id} Status ${status}\n${r.xml}`);
    c.key = childText(coll, "SyncKey")!;
    const cmds = child(coll, "Commands");
    for (const a of childrenNamed(cmds, "Add")) {
      const id = childText(a, "ServerId")!;
      if (c.items.has(id)) this.duplicate(`server Add for ${id} (${c.items.get(id)}) the phone already has`);
      c.items.set(id, c.labelOf(child(a, "ApplicationData")));
    }
    for (const ch of childrenNamed(cmds, "Change")) {
      const id = childText(ch, "ServerId")!;
      if (!c.items.has(id)) this.world.tally.failures.push(`${this.deviceId}: Change for ${id}, unknown to the phone`);
    }
    for (const d of [...childrenNamed(cmds, "Delete"), ...childrenNamed(cmds, "SoftDelete")]) c.items.delete(childText(d, "ServerId")!);
    return { more: child(coll, "MoreAvailable") !== undefined, response: child(coll, "Responses") };
  }

  async syncToEnd(c: Collection): Promise<void> {
    for (let i = 0; i < 200; i++) if (!(await this.syncRound(c)).more) return;
    throw new Fatal(`${this.deviceId}: ${c.id} never ended`);
  }

  private duplicate(what: string): void {
    this.world.tally.duplicates++;
    this.world.tally.failures.push(`${this.deviceId}: duplicate: ${what}`);
  }

  private coll(r: PhoneResponse): WbxmlElement | undefined {
    return child(child(r.tree, "Collections"), "Collection");
  }

  private label(kind: string): string {
    return `${kind}-${this.deviceId}-${++this.#n}`;
  }

  // ---------- what a user does ----------

  async addContact(): Promise<void> {
    const name = this.label("contact");
    const add = A(
      "Add",
      A("ClientId", `cid-${name}`),
      A(
        "ApplicationData",
        el("Contacts", "FirstName", name),
        el("Contacts", "LastName", "Chaos"),
        el("Contacts", "FileAs", `Chaos, ${name}`),
      ),
    );
    const { response } = await this.syncRound(this.contacts, [add]);
    const ack = childrenNamed(response, "Add").find((a) => childText(a, "ClientId") === `cid-${name}`);
    if (!ack || childText(ack, "Status") !== "1") {
      this.world.tally.failures.push(`${this.deviceId}: contact Add ${name} not acknowledged`);
      return;
    }
    const id = childText(ack, "ServerId")!;
    if (this.contacts.items.has(id)) this.duplicate(`contact ${name} answered with ServerId ${id} already held`);
    this.contacts.items.set(id, name);
    setOf(this.world.contactsAdded, this.address).add(name);
  }

  async deleteMail(): Promise<void> {
    const ids = [...this.inbox.items.keys()];
    if (!ids.length) return;
    const id = ids[Math.floor(this.rng() * ids.length)]!;
    const label = this.inbox.items.get(id)!;
    const { response } = await this.syncRound(this.inbox, [A("Delete", A("ServerId", id))]);
    // Status 1 (or no Response at all) = deleted; 8 = already gone (another device of the mailbox deleted it).
    const st =
      childText(
        childrenNamed(response, "Delete").find((d) => childText(d, "ServerId") === id),
        "Status",
      ) ?? "1";
    if (st !== "1" && st !== "8") this.world.tally.failures.push(`${this.deviceId}: Delete ${id} Status ${st}`);
    this.inbox.items.delete(id);
    setOf(this.world.deleted, this.address).add(label);
  }

  async sendMail(): Promise<void> {
    const subject = this.label("sent");
    const mime =
      `From: ${this.address}\r\nTo: ${this.world.sink}\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@chaos.test>\r\n` +
      `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsent under chaos\r\n`;
    const body = el(
      "ComposeMail",
      "SendMail",
      el("ComposeMail", "ClientId", `send-${subject}`),
      el("ComposeMail", "SaveInSentItems"),
      el("ComposeMail", "Mime", new TextEncoder().encode(mime)),
    );
    let st: string | undefined;
    for (let i = 0; i < 100; i++) {
      const r = await this.send("SendMail", body);
      // Empty 200: accepted. Status 118 (ClientId already used) on a retry: the first attempt was accepted.
      // Status 111 (retry later, e.g. the object was reset meanwhile): a phone sends the same message again.
      st = r.raw.length ? childText(r.tree, "Status") : undefined;
      if (st !== "111") break;
      this.world.tally.retries++;
      await sleep(200 + this.rng() * 500);
    }
    if (st !== undefined && st !== "118") {
      this.world.tally.failures.push(`${this.deviceId}: SendMail ${subject} Status ${st}`);
      return;
    }
    (this.bridged ? this.world.sentBridged : this.world.sent).add(subject);
  }

  async ping(heartbeat: number): Promise<void> {
    const body = el(
      "Ping",
      "Ping",
      el("Ping", "HeartbeatInterval", heartbeat),
      el("Ping", "Folders", el("Ping", "Folder", el("Ping", "Id", this.inbox.id), el("Ping", "Class", "Email"))),
    );
    const r = await this.send("Ping", body, heartbeat * 1000);
    const st = childText(r.tree, "Status");
    if (st === "2") await this.syncToEnd(this.inbox);
    else if (st !== "1") this.world.tally.failures.push(`${this.deviceId}: Ping Status ${st}`);
  }

  /** The phone's life until the harness stops: random user actions, each finished (with retries) before the next. */
  async run(heartbeat: number): Promise<void> {
    while (!this.world.stopped()) {
      const x = this.rng();
      if (x < 0.3) await this.syncToEnd(this.inbox);
      else if (x < 0.45) await this.addContact();
      else if (x < 0.55) await this.syncToEnd(this.contacts);
      else if (x < 0.68) await this.deleteMail();
      else if (x < 0.8) await this.sendMail();
      else await this.ping(heartbeat);
    }
  }
}

/**
 * "Server error, retry later" in a 200 answer, as a label for the tally, or undefined: [MS-ASCMD] Sync Status 16
 * (MS-ASCMD_R4466), FolderSync 6 (MS-ASCMD_R4075), Ping 8 (MS-ASCMD_R4260), and the common 111
 * ServerErrorRetryLater ([MS-ASCMD] 2.2.2). SendMail's 111 is the caller's (it counts it as a retry).
 */
function retryLater(cmd: string, r: PhoneResponse): string | undefined {
  if (r.raw.length === 0 || cmd === "SendMail") return undefined;
  const top = childText(r.tree, "Status");
  const coll = cmd === "Sync" ? childText(child(child(r.tree, "Collections"), "Collection"), "Status") : undefined;
  const st = coll ?? top;
  const retryable = { Sync: ["16", "111"], FolderSync: ["6", "111"], Ping: ["8", "111"] }[cmd] ?? ["111"];
  return st !== undefined && retryable.includes(st) ? `${cmd} Status ${st}` : undefined;
}

/** A protocol answer that retrying cannot fix: the harness reports it. */
export class Fatal extends Error {}

export function setOf(m: Map<string, Set<string>>, k: string): Set<string> {
  const s = m.get(k) ?? new Set<string>();
  m.set(k, s);
  return s;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
