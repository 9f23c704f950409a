// [MS-ASHTTP] 2.2.1.1.1.1 base64-encoded query value:
// version(1) command(1) locale(2, little-endian) deviceIdLength(1) deviceId policyKeyLength(1) [policyKey(4, LE)]
// deviceTypeLength(1) deviceType, then command parameters as tag(1) length(1) value.
import { DEVICE_TYPE, type EasQuery, badQuery } from "./query-rules";
import { COMMAND_CODES, OPTIONS_TAG, OPTION_ACCEPT_MULTIPART, OPTION_SAVE_IN_SENT, PARAMETER_TAGS, VERSION_BYTES } from "./protocol";
import { fromBase64 } from "../formats/base64";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const ALNUM = /^[A-Za-z0-9]+$/;
/** A binary (GUID) device id is at most 16 bytes, so its hex form fits device-id = 1*32(ALPHA / DIGIT). */
const MAX_BINARY_DEVICE_ID = 16;
const MAX_TEXT_DEVICE_ID = 32;

function base64Bytes(text: string): Uint8Array {
  // Standard base64, or base64url as some clients send it; padding may be left out.
  const bytes = fromBase64(text.replace(/-/g, "+").replace(/_/g, "/"));
  if (!bytes) throw badQuery("invalid base64 query");
  return bytes;
}

/**
 * The Device ID field holds "a string or a GUID" (MS-ASHTTP_R34). The same device must be the same id in both
 * query forms (MS-ASHTTP_R105; the spec's two example requests with DeviceId=v140Device are equivalent,
 * MS-ASHTTP_R16), so bytes that already form a plain-form device id (1 to 32 ASCII letters and digits) are kept
 * as text. Anything else (a binary GUID) becomes lower-case hex, as Z-Push and Horde do for every id; at most
 * 16 bytes, so the result is still a valid plain-form device id.
 */
export function deviceIdFromBytes(b: Uint8Array): string {
  if (b.length === 0) throw badQuery("Device ID length must be greater than 0"); // MS-ASHTTP_R32
  const ascii = String.fromCharCode(...b);
  if (b.length <= MAX_TEXT_DEVICE_ID && ALNUM.test(ascii)) return ascii;
  if (b.length > MAX_BINARY_DEVICE_ID) throw badQuery("Device ID too long");
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

class Reader {
  private pos = 0;
  constructor(private readonly b: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.b.length;
  }
  byte(what: string): number {
    if (this.pos >= this.b.length) throw badQuery(`truncated base64 query (${what})`);
    return this.b[this.pos++];
  }
  bytes(n: number, what: string): Uint8Array {
    if (this.pos + n > this.b.length) throw badQuery(`truncated base64 query (${what})`);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function text(b: Uint8Array, what: string): string {
  try {
    return utf8.decode(b);
  } catch {
    throw badQuery(`${what} is not UTF-8`);
  }
}

export function parseBase64Query(encoded: string): EasQuery {
  const r = new Reader(base64Bytes(encoded));
  const versionByte = r.byte("protocol version");
  const protocolVersion = VERSION_BYTES.get(versionByte);
  // 2.5 and 12.0 must use the plain form; anything else is not a version.
  if (!protocolVersion) throw badQuery(`unsupported protocol version ${versionByte} in base64 query`);
  const code = r.byte("command code");
  const cmd = COMMAND_CODES.get(code);
  if (!cmd) throw badQuery(`unknown command code ${code}`);
  const lo = r.byte("locale");
  const locale = lo | (r.byte("locale") << 8);

  const deviceId = deviceIdFromBytes(r.bytes(r.byte("device id length"), "device id"));

  const policyKeyLength = r.byte("policy key length");
  let policyKey: string | undefined;
  if (policyKeyLength === 4) {
    const k = r.bytes(4, "policy key");
    policyKey = String((k[0] | (k[1] << 8) | (k[2] << 16) | (k[3] << 24)) >>> 0);
  } else if (policyKeyLength !== 0) {
    throw badQuery("policy key length must be 0 or 4"); // MS-ASHTTP_R38
  }

  const deviceType = text(r.bytes(r.byte("device type length"), "device type"), "DeviceType");
  if (!DEVICE_TYPE.test(deviceType)) throw badQuery("invalid DeviceType");

  const params: Record<string, string> = {};
  let user: string | undefined;
  let acceptMultiPart = false;
  while (!r.done) {
    const tag = r.byte("parameter tag");
    const value = r.bytes(r.byte("parameter length"), "parameter value");
    if (tag === OPTIONS_TAG) {
      if (value.length < 1) throw badQuery("empty Options parameter");
      const bits = value[0];
      params.SaveInSent = bits & OPTION_SAVE_IN_SENT ? "T" : "F";
      acceptMultiPart = (bits & OPTION_ACCEPT_MULTIPART) !== 0;
      continue;
    }
    const name = PARAMETER_TAGS.get(tag);
    if (!name) continue; // tags 2 and 5 (pre-12.1) and any future tag: skipped, their length is known
    if (value.length === 0) continue;
    const v = text(value, name);
    if (/[\u0000-\u001f\u007f]/.test(v)) throw badQuery(`invalid ${name}`);
    if (name === "User") user = v;
    else params[name] = v;
  }
  return { form: "base64", cmd, user, deviceId, deviceType, protocolVersion, policyKey, locale, acceptMultiPart, params };
}
