import { readBodyUpTo } from "../service/bounded-body";
import type { MiddlewareHandler } from "hono";
import { displayNameOf } from "../eas/commands/Settings";
import { DEFAULT_ACTIVESYNC_PATH } from "./activesync-route";
import { REALM } from "./basic-auth";
import { errorResponse as httpErrorResponse } from "./errors";
import { errorResponse, MOBILESYNC_NS, mobileSyncResponse, readAutodiscoverRequest } from "./autodiscover-xml";
import { publicOrigin } from "../service/public-origin";
import { servesDevices } from "../mailbox/contract";

/** Checks the request's credentials (HTTP Basic, as for the ActiveSync endpoint); returns the mailbox address. */
export type Authenticator = (request: Request, env: Env) => Promise<string | null>;

const XML_PATH = "/autodiscover/autodiscover.xml";
const JSON_PATH = "/autodiscover/autodiscover.json";
const XML_TYPE = "text/xml; charset=utf-8";
/** A real request is a few hundred bytes. */
const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * Autodiscover ([MS-ASCMD] 2.2.1.1), on any case of the path (devices send /Autodiscover/Autodiscover.xml,
 * /autodiscover/autodiscover.xml, /AutoDiscover/AutoDiscover.xml):
 * - POST …/autodiscover.xml: the mobilesync response with the ActiveSync URL. Like Exchange it requires the
 *   user's credentials ([MS-ASCMD] 2.2.1.1 leaves authentication to the transport, MS-ASCMD_R5500): without
 *   valid Basic credentials → 401 with a Basic challenge (MS-ASHTTP_R178, MS-ASHTTP_R523), and phones resend with them. A request for another schema (Outlook
 *   asks for the outlook responseschema) → ErrorCode 601; malformed XML or a mismatching address → ErrorCode 600.
 * - GET …/autodiscover.json?Email=…&Protocol=ActiveSync and …/autodiscover.json/v1.0/{email}?Protocol=ActiveSync
 *   (the form Outlook uses): `{"Protocol":"ActiveSync","Url":…}`, anonymous as in Exchange Online; it answers the
 *   same for every address, so it reveals nothing about which mailboxes exist.
 * Add early: `app.use("*", autodiscover(authenticate))`.
 */
export function autodiscover(authenticate: Authenticator): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const path = c.req.path.toLowerCase().replace(/\/+$/, "");
    if (path === XML_PATH) return xmlAutodiscover(c.req.raw, c.env, authenticate).catch((err: unknown) => httpErrorResponse(err));
    if (path === JSON_PATH || path.startsWith(JSON_PATH + "/")) return jsonAutodiscover(c.req.raw, c.env);
    return next();
  };
}

async function xmlAutodiscover(request: Request, env: Env, authenticate: Authenticator): Promise<Response> {
  const user = await authenticate(request, env);
  if (!user)
    return new Response("Unauthorized\n", { status: 401, headers: { "WWW-Authenticate": `Basic realm="${REALM}", charset="UTF-8"` } });
  if (request.method !== "POST") return xml(errorResponse(600, "Invalid Request"));
  // Read no further than the limit, chunked or not: a larger body is not an Autodiscover request.
  const bytes = await readBodyUpTo(request, MAX_REQUEST_BYTES);
  if (!bytes) return xml(errorResponse(600, "Invalid Request"));
  const req = readAutodiscoverRequest(new TextDecoder().decode(bytes));
  if (!req) return xml(errorResponse(600, "Invalid Request"));
  if (req.schema !== MOBILESYNC_NS) return xml(errorResponse(601, "Provider is not available for the requested schema"));
  if (req.email.toLowerCase() !== user.toLowerCase()) return xml(errorResponse(600, "Invalid Request"));
  // A subscription that does not serve devices (suspended, ended): no mobilesync provider for this user now,
  // the ErrorCode [MS-ASCMD] 2.2.3.64 gives for it (601), rather than a URL every request to which is refused.
  const subscription = await env.MAILBOX.getByName(user).getSubscriptionState();
  if (subscription && !servesDevices(subscription.status))
    return xml(errorResponse(601, "Mobile Sync is not available for this mailbox (subscription not active)"));
  return xml(mobileSyncResponse({ displayName: displayNameOf(user), email: user, url: activeSyncUrl(request, env) }));
}

function jsonAutodiscover(request: Request, env: Env): Response {
  const url = new URL(request.url);
  const q = (name: string) => [...url.searchParams].find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  let pathEmail = "";
  try {
    pathEmail = decodeURIComponent(url.pathname.split("/").slice(4).join("/"));
  } catch {
    // a malformed %-escape: no address
  }
  const email = q("Email") ?? pathEmail;
  const protocol = q("Protocol");
  if (request.method !== "GET" && request.method !== "HEAD")
    return Response.json({ ErrorCode: "InvalidRequest", ErrorMessage: "Use GET" }, { status: 405 });
  if (!email?.includes("@"))
    return Response.json({ ErrorCode: "InvalidUser", ErrorMessage: "An e-mail address is required" }, { status: 400 });
  if (protocol?.toLowerCase() !== "activesync")
    return Response.json(
      {
        ErrorCode: "InvalidProtocol",
        ErrorMessage: `The given protocol value '${protocol ?? ""}' is invalid. Supported values are 'ActiveSync'.`,
      },
      { status: 400 },
    );
  return Response.json({ Protocol: "ActiveSync", Url: activeSyncUrl(request, env) });
}

/** PUBLIC_URL when configured, else https on the request's host (loopback keeps its scheme, for local runs). */
export function activeSyncUrl(request: Request, env: Env): string {
  return publicOrigin(request.url, env) + (env.ACTIVESYNC_PATH || DEFAULT_ACTIVESYNC_PATH);
}

function xml(body: string): Response {
  return new Response(body, { headers: { "Content-Type": XML_TYPE } });
}
