import type { EasCommand } from "../command";
import { Ping } from "./Ping";

/** Every command the server really serves. OPTIONS advertises exactly these. */
const commands: EasCommand[] = [Ping];

export const commandRegistry: ReadonlyMap<string, EasCommand> = new Map(commands.map((c) => [c.name, c]));
