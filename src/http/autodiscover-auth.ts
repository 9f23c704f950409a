import { D1UserDirectory } from "../service/directory";
import type { Authenticator } from "./autodiscover-route";
import { parseBasicAuth } from "./basic-auth";
import { retryAfterOf } from "./errors";
import { HttpProblem } from "./http-problem";
import { logError } from "../observability/log";

/**
 * Autodiscover checks the same Basic credentials against the same directory as the ActiveSync endpoint
 * (a bridged mailbox's password by its IMAP server). A directory that cannot answer → 503 + Retry-After.
 */
export const basicAuthenticator: Authenticator = async (request, env) => {
  const credentials = parseBasicAuth(request.headers.get("Authorization"));
  if (!credentials) return null;
  let result: Awaited<ReturnType<D1UserDirectory["authenticate"]>>;
  try {
    result = await new D1UserDirectory(env.DB).authenticate(
      credentials.username,
      credentials.password,
      request.headers.get("CF-Connecting-IP"),
    );
  } catch (err) {
    logError("user directory", err);
    throw new HttpProblem(503, "Service Unavailable", { "Retry-After": String(retryAfterOf(err)) });
  }
  return result.ok ? result.address : null;
};
