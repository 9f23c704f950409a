import type { EasCommand } from "../command";

/** Every command the server really serves. OPTIONS advertises exactly these. */
const commands: EasCommand[] = [];

export const commandRegistry: ReadonlyMap<string, EasCommand> = new Map(commands.map((c) => [c.name, c]));
