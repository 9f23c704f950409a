// HTTP OPTIONS ([MS-ASHTTP] 2.2.4, 3.2.5.2): which protocol versions and commands this server serves.
import type { EasCommand } from "../eas/command";
import { BASE_HEADERS } from "./errors";
import { SERVER_VERSION, SUPPORTED_VERSIONS } from "./protocol";

export const ALLOWED_METHODS = "OPTIONS,POST";

/**
 * MS-ASHTTP_R1107: both MS-ASProtocolCommands and MS-ASProtocolVersions, listing exactly what is served
 * (MS-ASHTTP_R247, MS-ASHTTP_R249): the commands of the registry, nothing announced that would answer 501.
 */
export function optionsResponse(registry: ReadonlyMap<string, EasCommand>): Response {
  return new Response(null, {
    status: 200,
    headers: {
      ...BASE_HEADERS,
      Allow: ALLOWED_METHODS,
      Public: ALLOWED_METHODS,
      "MS-Server-ActiveSync": SERVER_VERSION,
      "MS-ASProtocolVersions": SUPPORTED_VERSIONS.join(","),
      "MS-ASProtocolCommands": [...registry.keys()].join(","),
    },
  });
}
