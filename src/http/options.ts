// HTTP OPTIONS ([MS-ASHTTP] 2.2.4, 3.2.5.2): which protocol versions and commands this server serves.
import type { EasCommand } from "../eas/front/command";
import { BASE_HEADERS } from "./errors";
import { commandsFor } from "./command-versions";
import { SUPPORTED_VERSIONS, isSupportedVersion, serverVersionFor } from "./protocol";

export const ALLOWED_METHODS = "OPTIONS,POST";

/**
 * MS-ASHTTP_R1107: both MS-ASProtocolCommands and MS-ASProtocolVersions, listing exactly what is served
 * (MS-ASHTTP_R247, MS-ASHTTP_R249): the commands of the registry, nothing announced that would answer 501.
 * An OPTIONS naming a version (MS-ASProtocolVersion, as some 2.5 clients send it) gets that version's commands
 * (`command-versions.ts`) and the server string that version's Exchange sent.
 */
export function optionsResponse(registry: ReadonlyMap<string, EasCommand>, askedVersion?: string | null): Response {
  const version = askedVersion && isSupportedVersion(askedVersion) ? askedVersion : undefined;
  return new Response(null, {
    status: 200,
    headers: {
      ...BASE_HEADERS,
      Allow: ALLOWED_METHODS,
      Public: ALLOWED_METHODS,
      "MS-Server-ActiveSync": serverVersionFor(version),
      "MS-ASProtocolVersions": SUPPORTED_VERSIONS.join(","),
      "MS-ASProtocolCommands": commandsFor(registry.keys(), version).join(","),
    },
  });
}

/**
 * The same lists on a POST response when the device starts over (FolderSync with SyncKey 0) or must
 * reinitialise its sync state (MS-ASHTTP_R1104, MS-ASHTTP_R1105, MS-ASHTTP_R708, MS-ASHTTP_R800), so it can
 * renegotiate without another OPTIONS. X-MS-RP repeats the version list, as Exchange sends it.
 */
export function protocolAnnouncement(registry: ReadonlyMap<string, EasCommand>, version?: string): Record<string, string> {
  const versions = SUPPORTED_VERSIONS.join(",");
  return {
    "MS-ASProtocolVersions": versions,
    "MS-ASProtocolCommands": commandsFor(registry.keys(), version).join(","),
    "X-MS-RP": versions,
  };
}
