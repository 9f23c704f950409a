// HTTP OPTIONS ([MS-ASHTTP] 2.2.4, 3.2.5.2): which protocol versions and commands this server serves.
import type { EasCommand } from "../eas/front/command";
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

/**
 * The same lists on a POST response when the device starts over (FolderSync with SyncKey 0) or must
 * reinitialise its sync state (MS-ASHTTP_R1104, MS-ASHTTP_R1105, MS-ASHTTP_R708, MS-ASHTTP_R800), so it can
 * renegotiate without another OPTIONS. X-MS-RP repeats the version list, as Exchange sends it.
 */
export function protocolAnnouncement(registry: ReadonlyMap<string, EasCommand>): Record<string, string> {
  const versions = SUPPORTED_VERSIONS.join(",");
  return { "MS-ASProtocolVersions": versions, "MS-ASProtocolCommands": [...registry.keys()].join(","), "X-MS-RP": versions };
}
