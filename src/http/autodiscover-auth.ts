import { D1UserDirectory } from "../service/directory";
import type { Authenticator } from "./autodiscover-route";
import { parseBasicAuth } from "./basic-auth";

/** Autodiscover checks the same Basic credentials against the same directory as the ActiveSync endpoint. */
export const basicAuthenticator: Authenticator = async (request, env) => {
  const credentials = parseBasicAuth(request.headers.get("Authorization"));
  if (!credentials) return null;
  const result = await new D1UserDirectory(env.DB).authenticate(credentials.username, credentials.password);
  return result.ok ? result.address : null;
};
