// POST and OPTIONS on /Microsoft-Server-ActiveSync ([MS-ASHTTP]): query → credentials → command → HTTP.
import type { Context, MiddlewareHandler } from "hono";
import type { EasCommand, EasRequest } from "../eas/front/command";
import { commandRegistry } from "../eas/commands/index";
import { sameUser } from "../service/address";
import { type BackendCredentials, DEFAULT_MAX_SEND_BYTES } from "../mailbox/contract";
import { type AuthResult, D1UserDirectory, type UserDirectory } from "../service/directory";
import { D1GalDirectory, domainOf } from "../service/gal";
import type { GalProvider } from "../eas/front/gal";
import { childText } from "../wbxml/index";
import { parseBasicAuth, unauthorized } from "./basic-auth";
import { toHttpResponse } from "./eas-response";
import { errorResponse, isStoreAuthError, retryAfterOf } from "./errors";
import { HttpProblem } from "./http-problem";
import type { Gate } from "./gate";
import { gates } from "./gates";
import { gatedCall, knownDeviceState } from "./device-state";
import { ALLOWED_METHODS, optionsResponse, protocolAnnouncement } from "./options";
import { commandInVersion } from "./command-versions";
import { isSupportedVersion, serverVersionFor } from "./protocol";
import { parseEasQuery } from "./query";
import { maxBodyFor, type RequestBody, readRequestBody } from "./request-body";
import { type AfterAnswer, type Exchange, observed } from "./observe";
import { logError } from "../observability/log";

export const DEFAULT_ACTIVESYNC_PATH = "/Microsoft-Server-ActiveSync";

export interface FrontDoor {
  registry: ReadonlyMap<string, EasCommand>;
  gates: readonly Gate[];
  directory(env: Env): UserDirectory;
  /** The caller's domain address book (Search Store=GAL); absent, GAL searches find nothing. */
  gal?(env: Env, address: string): GalProvider;
}

export const defaultFrontDoor: FrontDoor = {
  registry: commandRegistry,
  gates,
  directory: (env) => new D1UserDirectory(env.DB),
  gal: (env, address) => new D1GalDirectory(env.DB, address),
};

/** Exchange (IIS) matches the virtual directory without regard to case, and so do devices' expectations. */
export function isActiveSyncPath(pathname: string, env: Env): boolean {
  const want = (env.ACTIVESYNC_PATH || DEFAULT_ACTIVESYNC_PATH).toLowerCase();
  const got = pathname.toLowerCase();
  return got === want || got === `${want}/`;
}

/** Hono middleware: serves the ActiveSync path, passes everything else on. */
export function activeSync(frontDoor: FrontDoor = defaultFrontDoor): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    if (!isActiveSyncPath(new URL(c.req.url).pathname, c.env)) return next();
    return handleActiveSync(c.req.raw, c.env, frontDoor, executionContextOf(c));
  };
}

/** The request's execution context; Hono's getter throws where there is none (an app.request() call). */
function executionContextOf(c: Context): AfterAnswer | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/** `after`: the request's waitUntil, so that its log line, metrics and trace are written after the answer left. */
export async function handleActiveSync(
  request: Request,
  env: Env,
  frontDoor: FrontDoor = defaultFrontDoor,
  after?: AfterAnswer,
): Promise<Response> {
  // The one hook for logs, metrics and protocol traces (observe.ts).
  return observed(
    request,
    env,
    async (x) => {
      try {
        return await serve(request, env, frontDoor, x);
      } catch (err) {
        return errorResponse(err);
      }
    },
    after,
  );
}

interface Authenticated {
  address: string;
  /** Set for a bridged mailbox: its login (memory only) and how its server announces changes. */
  bridge?: { credentials: BackendCredentials; push: "notify" | "poll" };
  directory: UserDirectory;
}

async function authenticate(request: Request, env: Env, frontDoor: FrontDoor): Promise<Authenticated> {
  const credentials = parseBasicAuth(request.headers.get("Authorization"));
  if (!credentials) throw unauthorized();
  // Wrong password, unknown account and locked account all get the same 401: no oracle for guessers, and a
  // locked account's password is not even checked, so guesses during a lock are worthless.
  let result: AuthResult;
  const directory = frontDoor.directory(env);
  try {
    // CF-Connecting-IP: the client's address as Cloudflare saw it (its budget across accounts, lockout.ts).
    result = await directory.authenticate(credentials.username, credentials.password, request.headers.get("CF-Connecting-IP"));
  } catch (err) {
    // The directory (D1, or a mail server for a bridge) could not answer: the device should retry, not re-prompt.
    logError("user directory", err);
    throw new HttpProblem(503, "Service Unavailable", { "Retry-After": String(retryAfterOf(err)) });
  }
  if (!result.ok) throw unauthorized();
  if (!result.bridged) return { address: result.address, directory };
  // The IMAP login is the normalised address (BRIDGE.md), whatever form the device sent.
  return {
    address: result.address,
    bridge: { credentials: { username: result.address, password: credentials.password }, push: result.bridged.push },
    directory,
  };
}

async function serve(request: Request, env: Env, frontDoor: FrontDoor, x: Exchange): Promise<Response> {
  const method = request.method.toUpperCase();
  if (method === "OPTIONS") {
    // MS-ASHTTP_R2371: the Authorization header is required on OPTIONS too (Exchange answers 401 without it).
    await authenticate(request, env, frontDoor);
    return optionsResponse(frontDoor.registry, request.headers.get("MS-ASProtocolVersion")?.trim());
  }
  if (method !== "POST") {
    await authenticate(request, env, frontDoor);
    // MS-ASHTTP_R187, MS-ASHTTP_R465: a method the server does not support → 501.
    throw new HttpProblem(501, "Not Implemented", { Allow: ALLOWED_METHODS });
  }

  const url = new URL(request.url);
  const query = parseEasQuery(url.search.slice(1));
  const protocolVersion = query.protocolVersion ?? requiredVersionHeader(request);
  const policyKey = query.policyKey ?? policyKeyHeader(request);

  const authStarted = performance.now();
  const authenticating = authenticate(request, env, frontDoor);
  const command = frontDoor.registry.get(query.cmd);
  const served = command !== undefined && commandInVersion(command.name, protocolVersion);
  const maxSend = Number((env as { MAX_SEND_BYTES?: string }).MAX_SEND_BYTES || DEFAULT_MAX_SEND_BYTES);
  const maxBody = maxBodyFor(query.cmd, protocolVersion, maxSend);
  // A small body is read and decoded while the login's row is on its way (issue 15); its outcome, a refusal
  // included, waits until the login and the checks below have spoken, so the answers keep their order.
  const early = served ? readAhead(request, maxBody) : undefined;
  const { address, bridge, directory } = await authenticating;
  x.timings.push(timing("auth", authStarted));
  // The User parameter is informational (MS-ASHTTP_R485); acting for another mailbox is not allowed.
  if (query.user && !sameUser(query.user, address)) throw new HttpProblem(403, "Forbidden: User does not match the credentials");

  // MS-ASHTTP_R186, MS-ASHTTP_R443: a command this server does not serve (yet) → 501; so is one the request's
  // protocol version does not have (Settings from a 2.5 phone, GetAttachment from 14.0+).
  if (!command) throw new HttpProblem(501, `Not Implemented: ${query.cmd}`);
  if (!served) throw new HttpProblem(501, `Not Implemented: ${query.cmd} in protocol version ${protocolVersion}`);

  const { body, rawBody, contentType } = early ? await early() : await readRequestBody(request, maxBody);
  const mailbox = env.MAILBOX.getByName(address);
  const req: EasRequest = {
    cmd: query.cmd,
    user: address,
    deviceId: query.deviceId,
    deviceType: query.deviceType,
    protocolVersion,
    policyKey,
    userAgent: request.headers.get("User-Agent") ?? undefined,
    params: query.params,
    // MS-ASHTTP_R154, MS-ASHTTP_R155 (header, plain form); MS-ASHTTP_R94 (Options bit, base64 form).
    acceptMultiPart: query.acceptMultiPart ?? request.headers.get("MS-ASAcceptMultiPart")?.trim().toUpperCase() === "T",
    body,
    rawBody,
    contentType,
    mailbox,
    signal: request.signal,
    ...(bridge ? { credentials: bridge.credentials, backendPush: bridge.push } : {}),
    notes: x.notes,
    ...(frontDoor.gal ? { gal: frontDoor.gal(env, address) } : {}),
    // Another mailbox's calendar, only on the caller's own domain (the GAL offers no other addresses).
    availability: async (other, start, end) =>
      domainOf(other) === domainOf(address) ? env.MAILBOX.getByName(other.toLowerCase()).freeBusy(start, end) : null,
  };
  x.req = req;
  let res: Response;
  // Issue 15: a built-in mailbox's Sync runs the device gates inside its own RPC (one round trip per request, not
  // two) when they are the standard gates, whose decisions the object shares (contract.ts deviceGatesPass); the
  // answer to a refusal is still the gates' own, built below. A bridged mailbox keeps its gates first: its login
  // reaches the object only once they pass.
  const folded = command.foldsGates === true && !bridge && frontDoor.gates === gates;
  try {
    // The gates first (issue 13 §5): a device they refuse (suspended subscription, blocked, not provisioned)
    // never hands its password to the mailbox object, and nothing of its request is applied.
    const gateStarted = performance.now();
    if (folded) req.gate = { call: await gatedCall(req, env) };
    else {
      const stop = await runGates(frontDoor, req, env);
      if (stop) return withTimings(withServerVersion(stop, protocolVersion), x);
      x.timings.push(timing("gate", gateStarted));
    }
    // A bridged mailbox's object reaches the provider's servers with the login the device just proved.
    if (bridge) await mailbox.useCredentials(bridge.credentials);
    const answer = await command.handle(req);
    if (req.gate) {
      // The touch the command's gated RPC made; without one (it answered a malformed request first), the gates'
      // own touch. Either way the gates decide what goes out, exactly as when they run first.
      if (req.gate.state) knownDeviceState(req, req.gate.state);
      const stop = await runGates(frontDoor, req, env);
      if (stop) return withTimings(withServerVersion(stop, protocolVersion), x);
      if (answer.kind === "gated") throw new Error("the mailbox object refused a request its gates pass");
    }
    res = withServerVersion(toHttpResponse(answer), protocolVersion);
  } catch (err) {
    // The provider's server refused the password it accepted moments ago (changed there): ask it again next time.
    if (bridge && isStoreAuthError(err)) directory.forget?.(address);
    // A command that failed before its gated RPC answered: a device the gates refuse still gets their answer.
    if (req.gate && !req.gate.state) {
      const stop = await runGates(frontDoor, req, env).catch(() => null);
      if (stop) return withTimings(withServerVersion(stop, protocolVersion), x);
    }
    throw err;
  }
  if (res.status === 200 && isInitialFolderSync(req)) {
    for (const [k, v] of Object.entries(protocolAnnouncement(frontDoor.registry, protocolVersion))) res.headers.set(k, v);
  }
  return withTimings(res, x);
}

/**
 * Bodies up to this size (by Content-Length) are read before the login has answered: a device's Sync or Ping is
 * a few hundred bytes. Anything larger, or of unknown length, or sent without credentials, waits for the login,
 * so that a stranger's request costs no more than this.
 */
const READ_AHEAD_MAX = 16 * 1024;

/** Starts reading and decoding the body now; the returned function gives its outcome (throwing its refusal) later. */
function readAhead(request: Request, max: number): (() => Promise<RequestBody>) | undefined {
  const length = Number(request.headers.get("Content-Length") ?? Number.NaN);
  if (!request.headers.has("Authorization") || !(length >= 0 && length <= READ_AHEAD_MAX)) return undefined;
  // Settled at once: a refusal nobody asks for (the login failed) is not an unhandled rejection.
  const outcome = readRequestBody(request, max).then(
    (body) => ({ body }),
    (error: unknown) => ({ error }),
  );
  return async () => {
    const o = await outcome;
    if ("error" in o) throw o.error;
    return o.body;
  };
}

/** The first gate's refusal, or null when every gate passes. */
async function runGates(frontDoor: FrontDoor, req: EasRequest, env: Env): Promise<Response | null> {
  for (const gate of frontDoor.gates) {
    const stop = await gate(req, env);
    if (stop) return stop;
  }
  return null;
}

function timing(name: string, since: number): string {
  return `${name};dur=${(performance.now() - since).toFixed(1)}`;
}

/** The front door's hops before the command's own entries (Sync's `mailbox`), then the whole request so far. */
function withTimings(res: Response, x: Exchange): Response {
  const own = res.headers.get("Server-Timing");
  res.headers.set("Server-Timing", [...x.timings, ...(own ? [own] : []), timing("total", x.started)].join(", "));
  return res;
}

/** MS-Server-ActiveSync as the request's version knows it (2.5: Exchange 2003 SP2's string), on every answer. */
function withServerVersion(res: Response, protocolVersion: string): Response {
  res.headers.set("MS-Server-ActiveSync", serverVersionFor(protocolVersion));
  return res;
}

function isInitialFolderSync(req: EasRequest): boolean {
  return req.cmd === "FolderSync" && req.body?.name === "FolderSync" && childText(req.body, "SyncKey") === "0";
}

/**
 * With the plain query the MS-ASProtocolVersion header is required (MS-ASHTTP_R404) and the spec defines no
 * default, so a request without it is malformed (MS-ASHTTP_R188). Versions not served are refused the same way;
 * the device learns the served ones from OPTIONS.
 */
function requiredVersionHeader(request: Request) {
  const v = request.headers.get("MS-ASProtocolVersion")?.trim();
  if (!v) throw new HttpProblem(400, "Bad Request: missing MS-ASProtocolVersion");
  if (!isSupportedVersion(v)) throw new HttpProblem(400, `Bad Request: unsupported protocol version ${v}`);
  return v;
}

/** X-MS-PolicyKey: the string form of a 32-bit unsigned integer, at most 64 characters ([MS-ASPROV] 2.2.2.42). */
function policyKeyHeader(request: Request): string | undefined {
  const v = request.headers.get("X-MS-PolicyKey")?.trim();
  if (!v) return undefined;
  if (v.length > 64 || !/^[\x21-\x7e]+$/.test(v)) throw new HttpProblem(400, "Bad Request: invalid X-MS-PolicyKey");
  return v;
}
