// The two forms of the ActiveSync request query ([MS-ASHTTP] 2.2.1.1.1): plain text and base64-encoded.
import { PLAIN_PARAMETERS } from "./protocol";
import { parseBase64Query } from "./query-base64";
import { COMMAND_NAME, DEVICE_ID, DEVICE_TYPE, type EasQuery, badQuery, isPrintable } from "./query-rules";

export type { EasQuery } from "./query-rules";

// The base64 alphabet (standard or URL-safe), optionally percent-encoded, with at most two trailing "=".
const BASE64_QUERY = /^(?:[A-Za-z0-9+/_-]|%2[bBfF])+(?:=|%3[dD]){0,2}$/;

/** Parses the query part of the request URI (without "?"). Throws HttpProblem 400 when it is malformed. */
export function parseEasQuery(rawQuery: string): EasQuery {
  if (rawQuery === "") throw badQuery("missing query");
  if (BASE64_QUERY.test(rawQuery)) return parseBase64Query(decodeURIComponent(rawQuery));
  return parsePlainQuery(rawQuery);
}

/** Parameter names are matched without regard to case (clients are not consistent); the first occurrence wins. */
function plainParams(rawQuery: string): Map<string, string> {
  const out = new Map<string, string>();
  let sp: URLSearchParams;
  try {
    sp = new URLSearchParams(rawQuery);
  } catch {
    throw badQuery("unreadable query");
  }
  for (const [k, v] of sp) {
    const key = k.toLowerCase();
    if (!out.has(key)) out.set(key, v);
  }
  return out;
}

/** [MS-ASHTTP] 2.2.1.1.1.2: Cmd=…&User=…&DeviceId=…&DeviceType=…&<command parameters>. */
export function parsePlainQuery(rawQuery: string): EasQuery {
  const p = plainParams(rawQuery);
  const cmd = p.get("cmd");
  if (!cmd) throw badQuery("missing Cmd");
  if (!COMMAND_NAME.test(cmd)) throw badQuery("invalid Cmd");
  const deviceId = p.get("deviceid");
  if (!deviceId) throw badQuery("missing DeviceId");
  if (!DEVICE_ID.test(deviceId)) throw badQuery("invalid DeviceId (1 to 32 letters and digits)");
  const deviceType = p.get("devicetype");
  if (!deviceType) throw badQuery("missing DeviceType");
  if (!DEVICE_TYPE.test(deviceType)) throw badQuery("invalid DeviceType");
  const user = p.get("user");
  if (user && !isPrintable(user)) throw badQuery("invalid User");

  const params: Record<string, string> = {};
  for (const name of PLAIN_PARAMETERS) {
    const v = p.get(name.toLowerCase());
    if (v === undefined) continue;
    if (!isPrintable(v)) throw badQuery(`invalid ${name}`);
    params[name] = v;
  }
  // MS-ASHTTP_R121, MS-ASHTTP_R122: T or F, F by default.
  if (params.SaveInSent !== undefined) {
    const v = params.SaveInSent.toUpperCase();
    if (v !== "T" && v !== "F") throw badQuery("SaveInSent must be T or F");
    params.SaveInSent = v;
  }
  return { form: "plain", cmd, user: user || undefined, deviceId, deviceType, params };
}
