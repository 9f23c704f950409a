// A phone speaking WBXML over HTTP to the Worker inside workerd (exports.default.fetch), for sync tests.
import { exports } from "cloudflare:workers";
import { child, childrenNamed, childText, decodeWbxml, el, encodeWbxml, type WbxmlElement } from "../../../src/wbxml/index";
import { BASE, basic } from "./eas-client";

export interface Reply {
  status: number;
  headers: Headers;
  body: WbxmlElement | null;
  raw: Uint8Array;
}

export class TestPhone {
  constructor(
    readonly user: string,
    readonly password: string,
    readonly deviceId = "TESTPHONE1",
    readonly protocolVersion = "14.1",
  ) {}

  /** Runs before every request (e.g. evicting the mailbox object). */
  beforeEach?: () => Promise<void>;

  async send(cmd: string, body: WbxmlElement | null, extra: { query?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
    await this.beforeEach?.();
    const url = `${BASE}?Cmd=${cmd}&User=${encodeURIComponent(this.user)}&DeviceId=${this.deviceId}&DeviceType=SmartPhone${extra.query ?? ""}`;
    const res = await exports.default.fetch(
      new Request(url, {
        method: "POST",
        headers: {
          Authorization: basic(this.user, this.password),
          "MS-ASProtocolVersion": this.protocolVersion,
          "Content-Type": "application/vnd.ms-sync.wbxml",
          ...extra.headers,
        },
        body: body ? encodeWbxml(body) : undefined,
      }),
    );
    const raw = new Uint8Array(await res.arrayBuffer());
    const isWbxml = (res.headers.get("Content-Type") ?? "").includes("wbxml") && raw.length > 0;
    return { status: res.status, headers: res.headers, body: isWbxml ? decodeWbxml(raw) : null, raw };
  }

  async folderSync(key: string): Promise<WbxmlElement> {
    const r = await this.send("FolderSync", el("FolderHierarchy", "FolderSync", el("FolderHierarchy", "SyncKey", key)));
    if (!r.body) throw new Error(`FolderSync: HTTP ${r.status}, no body`);
    return r.body;
  }

  /** One Sync of one collection; `commands` go inside <Commands>, `extra` inside <Collection>. */
  async sync(
    collectionId: string,
    key: string,
    opts: { windowSize?: number; options?: WbxmlElement; commands?: WbxmlElement[]; extra?: WbxmlElement[] } = {},
  ): Promise<Reply> {
    const coll = el(
      "AirSync",
      "Collection",
      el("AirSync", "SyncKey", key),
      el("AirSync", "CollectionId", collectionId),
      ...(opts.extra ?? []),
      opts.windowSize !== undefined && el("AirSync", "WindowSize", opts.windowSize),
      opts.options,
      opts.commands && opts.commands.length > 0 && el("AirSync", "Commands", ...opts.commands),
    );
    return this.send("Sync", el("AirSync", "Sync", el("AirSync", "Collections", coll)));
  }
}

/** The single Collection of a Sync response. */
export function collectionOf(r: Reply): WbxmlElement {
  const c = child(child(r.body, "Collections"), "Collection");
  if (!c) throw new Error(`no Collection in Sync response (HTTP ${r.status}, ${r.raw.length} bytes)`);
  return c;
}

export function syncKeyOf(r: Reply): string {
  return childText(collectionOf(r), "SyncKey") ?? "";
}

export function statusOf(r: Reply): string | undefined {
  return childText(collectionOf(r), "Status");
}

/** ServerIds of server commands of one kind (Add, Change, Delete, SoftDelete). */
export function idsOf(r: Reply, op: string): string[] {
  if (!r.body) return [];
  const cmds = child(collectionOf(r), "Commands");
  return childrenNamed(cmds, op).map((a) => childText(a, "ServerId") ?? "");
}

export function moreAvailable(r: Reply): boolean {
  return r.body !== null && child(collectionOf(r), "MoreAvailable") !== undefined;
}

export function mailOptions(...children: (WbxmlElement | false)[]): WbxmlElement {
  return el("AirSync", "Options", ...children);
}

export function bodyPref(type: number, truncationSize?: number, extra: WbxmlElement[] = []): WbxmlElement {
  return el(
    "AirSyncBase",
    "BodyPreference",
    el("AirSyncBase", "Type", type),
    truncationSize !== undefined && el("AirSyncBase", "TruncationSize", truncationSize),
    ...extra,
  );
}

export function message(subject: string, opts: { body?: string; date?: Date; from?: string } = {}): Uint8Array {
  const date = (opts.date ?? new Date()).toUTCString().replace("GMT", "+0000");
  return new TextEncoder().encode(
    `From: ${opts.from ?? "Alice <alice@example.test>"}\r\nTo: Bob <bob@example.test>\r\nSubject: ${subject}\r\nDate: ${date}\r\n` +
      `Message-ID: <${crypto.randomUUID()}@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${opts.body ?? `Body of ${subject}`}\r\n`,
  );
}

export function withAttachment(subject: string, attachment: Uint8Array, filename = "report.bin"): Uint8Array {
  let b64 = "";
  let bin = "";
  for (let i = 0; i < attachment.length; i += 0x8000) bin += String.fromCharCode(...attachment.subarray(i, i + 0x8000));
  b64 = btoa(bin).replace(/.{76}/g, "$&\r\n");
  return new TextEncoder().encode(
    `From: Alice <alice@example.test>\r\nTo: Bob <bob@example.test>\r\nSubject: ${subject}\r\nDate: ${new Date().toUTCString()}\r\n` +
      `MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\nContent-Type: text/html; charset=utf-8\r\n\r\n` +
      `<html><body><p>See <b>attached</b> file</p></body></html>\r\n--XX\r\nContent-Type: application/octet-stream\r\n` +
      `Content-Disposition: attachment; filename="${filename}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--XX--\r\n`,
  );
}
