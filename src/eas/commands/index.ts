import type { EasCommand } from "../command";
import { Ping } from "./Ping";
import { Provision } from "./Provision";
import { SendMail } from "./SendMail";
import { Settings } from "./Settings";
import { SmartForward } from "./SmartForward";
import { SmartReply } from "./SmartReply";

/** Every command the server really serves. OPTIONS advertises exactly these. */
const commands: EasCommand[] = [Provision, Settings, SendMail, SmartReply, SmartForward, Ping];

export const commandRegistry: ReadonlyMap<string, EasCommand> = new Map(commands.map((c) => [c.name, c]));
