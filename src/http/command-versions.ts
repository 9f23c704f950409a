// Which protocol versions have which command ([MS-ASCMD] 2.2.1, the "Protocol Versions" table of each command).
// Only commands missing from some version are listed; every other command exists in all served versions.
import { SUPPORTED_VERSIONS } from "./protocol";

interface VersionSpan {
  /** Oldest version that has the command. */
  since?: (typeof SUPPORTED_VERSIONS)[number];
  /** Newest version that has the command. */
  until?: (typeof SUPPORTED_VERSIONS)[number];
}

export const COMMAND_VERSIONS: Readonly<Record<string, VersionSpan>> = {
  // 12.0 additions: a 2.5 phone (Windows Mobile 5, Palm, early Nokia) never sends them.
  Settings: { since: "12.0" },
  ItemOperations: { since: "12.0" },
  // [MS-ASCMD] 2.2.1.7: "not supported when the MS-ASProtocolVersion header is set to 14.0" or later.
  GetAttachment: { until: "12.1" },
  // [MS-ASCMD] 2.2.1.4: Find exists from 16.1 only.
  Find: { since: "16.1" },
};

const order = (v: string) => (SUPPORTED_VERSIONS as readonly string[]).indexOf(v);

/** True when `version` has command `cmd`. Unknown versions (none reach a command) have everything. */
export function commandInVersion(cmd: string, version: string): boolean {
  const span = COMMAND_VERSIONS[cmd];
  const i = order(version);
  if (!span || i < 0) return true;
  return (!span.since || i >= order(span.since)) && (!span.until || i <= order(span.until));
}

/** The commands of `names` a client speaking `version` may use; all of them when the version is not known. */
export function commandsFor(names: Iterable<string>, version: string | undefined): string[] {
  return [...names].filter((n) => version === undefined || commandInVersion(n, version));
}
