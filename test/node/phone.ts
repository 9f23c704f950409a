// A scripted "phone" for end-to-end tests: speaks ActiveSync over HTTP to the running Worker the way a device
// does, encodes requests with the project codec, decodes WBXML responses and validates each one against the
// conformance kit's XSDs.
import { COMMAND_CODES, OPTION_ACCEPT_MULTIPART, OPTION_SAVE_IN_SENT, OPTIONS_TAG, PARAMETER_TAGS } from "../../src/http/protocol";
import { type WbxmlElement, decodeWbxml, encodeWbxml, toXml } from "../../src/wbxml/index";
import { assertValid, hasSchema } from "./validate";

export interface PhoneConfig {
  /** The Worker's origin, e.g. inject("workerUrl"). */
  baseUrl: string;
  user: string;
  password: string;
  deviceId: string;
  deviceType: string;
  /** MS-ASProtocolVersion, e.g. "14.1". */
  protocolVersion: string;
  policyKey?: string;
  userAgent?: string;
  /** Defaults to /Microsoft-Server-ActiveSync. */
  path?: string;
}

export interface CommandOptions {
  /** Command parameters: ItemId, CollectionId, SaveInSent ("T"/"F"), AttachmentName, LongId, Occurrence; User overrides the login. */
  params?: Record<string, string>;
  /** Send the base64-encoded query ([MS-ASHTTP] 2.2.1.1.1.1) instead of the plain one. */
  base64Query?: boolean;
  /** MS-ASAcceptMultiPart: T (plain form) or the Options bit (base64 form). */
  acceptMultiPart?: boolean;
  /** Extra or overriding request headers (a null value removes a default header). */
  headers?: Record<string, string | null>;
  /** A body sent as is (message/rfc822 for 12.x SendMail), instead of the WBXML-encoded element. */
  rawBody?: Uint8Array | string;
  contentType?: string;
  /** Validate a decoded WBXML response against the kit (default true). */
  validate?: boolean;
  /** Aborts the request (the chaos harness cuts the connection with it). */
  signal?: AbortSignal;
}

export interface PhoneResponse {
  status: number;
  headers: Headers;
  /** The decoded WBXML response (of a multipart response: its first part) as XML text, opaque UTF-8 as text. */
  xml?: string;
  tree?: WbxmlElement;
  /** The parts of an application/vnd.ms-sync.multipart response; part 0 is the WBXML ItemOperations response. */
  parts?: Uint8Array[];
  raw: Uint8Array;
}

const WBXML = "application/vnd.ms-sync.wbxml";
const MULTIPART = "application/vnd.ms-sync.multipart";

/**
 * [MS-ASCMD] 2.2.1.10.1.1 MultiPartResponse: PartsCount, then PartsCount × (Offset, Length) from the start of
 * the body, all 32-bit little-endian integers, then the parts. Throws when the metadata points outside the body.
 */
export function parseMultipart(raw: Uint8Array): Uint8Array[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.length < 4) throw new Error("multipart response shorter than its PartsCount");
  const count = view.getInt32(0, true);
  if (count < 0 || 4 + count * 8 > raw.length) throw new Error(`multipart response: bad PartsCount ${count}`);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const offset = view.getInt32(4 + i * 8, true);
    const length = view.getInt32(8 + i * 8, true);
    if (offset < 4 + count * 8 || length < 0 || offset + length > raw.length)
      throw new Error(`multipart response: part ${i} out of bounds`);
    parts.push(raw.subarray(offset, offset + length));
  }
  return parts;
}
const LOCALE_EN_US = 0x0409;

function versionByte(v: string): number {
  const n = Number(v.replace(".", ""));
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new Error(`no base64 version byte for ${v}`);
  return n;
}

function commandCode(cmd: string): number {
  for (const [code, name] of COMMAND_CODES) if (name === cmd) return code;
  throw new Error(`no command code for ${cmd}`);
}

export class Phone {
  constructor(readonly config: PhoneConfig) {}

  get url(): string {
    return this.config.baseUrl.replace(/\/$/, "") + (this.config.path ?? "/Microsoft-Server-ActiveSync");
  }

  authorization(): string {
    const bytes = new TextEncoder().encode(`${this.config.user}:${this.config.password}`);
    return "Basic " + Buffer.from(bytes).toString("base64");
  }

  async options(headers: Record<string, string | null> = {}): Promise<PhoneResponse> {
    const res = await fetch(this.url, { method: "OPTIONS", headers: this.headers({ Authorization: this.authorization() }, headers) });
    return { status: res.status, headers: res.headers, raw: new Uint8Array(await res.arrayBuffer()) };
  }

  async command(cmd: string, body: WbxmlElement | null, opts: CommandOptions = {}): Promise<PhoneResponse> {
    const c = this.config;
    const base: Record<string, string> = { Authorization: this.authorization() };
    if (c.userAgent) base["User-Agent"] = c.userAgent;
    let query: string;
    if (opts.base64Query) {
      query = this.base64Query(cmd, opts);
    } else {
      // MS-ASProtocolVersion and X-MS-PolicyKey travel as headers only with the plain query (MS-ASHTTP_R408, R160).
      query = this.plainQuery(cmd, opts.params ?? {});
      base["MS-ASProtocolVersion"] = c.protocolVersion;
      if (c.policyKey !== undefined) base["X-MS-PolicyKey"] = c.policyKey;
      if (opts.acceptMultiPart) base["MS-ASAcceptMultiPart"] = "T";
    }
    let payload: Uint8Array | undefined;
    if (opts.rawBody !== undefined) {
      payload = typeof opts.rawBody === "string" ? new TextEncoder().encode(opts.rawBody) : opts.rawBody;
      if (opts.contentType) base["Content-Type"] = opts.contentType;
    } else if (body) {
      payload = encodeWbxml(body);
      base["Content-Type"] = opts.contentType ?? WBXML;
    }
    const res = await fetch(`${this.url}?${query}`, {
      method: "POST",
      headers: this.headers(base, opts.headers ?? {}),
      body: payload,
      signal: opts.signal,
    });
    const raw = new Uint8Array(await res.arrayBuffer());
    const out: PhoneResponse = { status: res.status, headers: res.headers, raw };
    const type = (res.headers.get("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
    let wbxml: Uint8Array | undefined;
    if (type === WBXML) wbxml = raw;
    if (type === MULTIPART) {
      out.parts = parseMultipart(raw);
      wbxml = out.parts[0];
    }
    if (wbxml && wbxml.length > 0) {
      out.tree = decodeWbxml(wbxml);
      out.xml = toXml(out.tree, { opaque: "text" });
      if (opts.validate !== false && hasSchema(cmd)) assertValid(cmd, out.xml);
    }
    return out;
  }

  private headers(base: Record<string, string>, overrides: Record<string, string | null>): Record<string, string> {
    const h: Record<string, string> = { ...base };
    for (const [k, v] of Object.entries(overrides)) {
      for (const existing of Object.keys(h)) if (existing.toLowerCase() === k.toLowerCase()) delete h[existing];
      if (v !== null) h[k] = v;
    }
    return h;
  }

  private plainQuery(cmd: string, params: Record<string, string>): string {
    const q = new URLSearchParams({ Cmd: cmd, User: this.config.user, DeviceId: this.config.deviceId, DeviceType: this.config.deviceType });
    for (const [k, v] of Object.entries(params)) q.set(k, v);
    return q.toString();
  }

  /** [MS-ASHTTP] 2.2.1.1.1.1: the device id goes as its ASCII bytes (the server keeps letters and digits as text). */
  private base64Query(cmd: string, opts: CommandOptions): string {
    const c = this.config;
    const enc = new TextEncoder();
    const field = (b: Uint8Array): number[] => {
      if (b.length > 255) throw new Error("base64 query field longer than 255 bytes");
      return [b.length, ...b];
    };
    const bytes: number[] = [versionByte(c.protocolVersion), commandCode(cmd), LOCALE_EN_US & 0xff, LOCALE_EN_US >> 8];
    bytes.push(...field(enc.encode(c.deviceId)));
    if (c.policyKey !== undefined) {
      const k = Number(c.policyKey) >>> 0;
      bytes.push(4, k & 0xff, (k >>> 8) & 0xff, (k >>> 16) & 0xff, k >>> 24);
    } else {
      bytes.push(0);
    }
    bytes.push(...field(enc.encode(c.deviceType)));
    const params = { User: c.user, ...opts.params };
    let options = 0;
    for (const [name, value] of Object.entries(params)) {
      if (name === "SaveInSent") {
        if (value.toUpperCase() === "T") options |= OPTION_SAVE_IN_SENT;
        continue;
      }
      const tag = [...PARAMETER_TAGS].find(([, n]) => n === name)?.[0];
      if (tag === undefined) throw new Error(`no base64 tag for parameter ${name}`);
      bytes.push(tag, ...field(enc.encode(value)));
    }
    if (opts.acceptMultiPart) options |= OPTION_ACCEPT_MULTIPART;
    if (options) bytes.push(OPTIONS_TAG, 1, options);
    return encodeURIComponent(Buffer.from(bytes).toString("base64"));
  }
}
