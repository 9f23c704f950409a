import type { EasCommand } from "../command";
import { Provision } from "./Provision";
import { Settings } from "./Settings";

/** Every command the server really serves. OPTIONS advertises exactly these. */
const commands: EasCommand[] = [Provision, Settings];

export const commandRegistry: ReadonlyMap<string, EasCommand> = new Map(commands.map((c) => [c.name, c]));
