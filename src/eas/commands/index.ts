import type { EasCommand } from "../command";
import { FolderCreateCommand } from "./FolderCreate";
import { FolderDeleteCommand } from "./FolderDelete";
import { FolderSyncCommand } from "./FolderSync";
import { FolderUpdateCommand } from "./FolderUpdate";
import { GetItemEstimateCommand } from "./GetItemEstimate";
import { ItemOperationsCommand } from "./ItemOperations";
import { MeetingResponseCommand } from "./MeetingResponse";
import { MoveItemsCommand } from "./MoveItems";
import { Ping } from "./Ping";
import { SyncCommand } from "./Sync";

/** Every command the server really serves. OPTIONS advertises exactly these. */
const commands: EasCommand[] = [
  FolderSyncCommand,
  FolderCreateCommand,
  FolderUpdateCommand,
  FolderDeleteCommand,
  SyncCommand,
  GetItemEstimateCommand,
  ItemOperationsCommand,
  MoveItemsCommand,
  MeetingResponseCommand,
  Ping,
];

export const commandRegistry: ReadonlyMap<string, EasCommand> = new Map(commands.map((c) => [c.name, c]));
