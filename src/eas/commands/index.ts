import type { EasCommand } from "../front/command";
import { FindCommand } from "./Find";
import { FolderCreateCommand } from "./FolderCreate";
import { FolderDeleteCommand } from "./FolderDelete";
import { FolderSyncCommand } from "./FolderSync";
import { FolderUpdateCommand } from "./FolderUpdate";
import { GetAttachment } from "./GetAttachment";
import { GetItemEstimateCommand } from "./GetItemEstimate";
import { ItemOperationsCommand } from "./ItemOperations";
import { MeetingResponseCommand } from "./MeetingResponse";
import { MoveItemsCommand } from "./MoveItems";
import { Ping } from "./Ping";
import { Provision } from "./Provision";
import { ResolveRecipientsCommand } from "./ResolveRecipients";
import { SearchCommand } from "./Search";
import { SendMail } from "./SendMail";
import { Settings } from "./Settings";
import { SmartForward } from "./SmartForward";
import { SmartReply } from "./SmartReply";
import { SyncCommand } from "./Sync";

/** Every command the server really serves. OPTIONS advertises exactly these. */
const commands: EasCommand[] = [
  Provision,
  Settings,
  FolderSyncCommand,
  FolderCreateCommand,
  FolderUpdateCommand,
  FolderDeleteCommand,
  SyncCommand,
  GetItemEstimateCommand,
  ItemOperationsCommand,
  GetAttachment,
  MoveItemsCommand,
  SendMail,
  SmartReply,
  SmartForward,
  MeetingResponseCommand,
  Ping,
  SearchCommand,
  ResolveRecipientsCommand,
  FindCommand,
];

export const commandRegistry: ReadonlyMap<string, EasCommand> = new Map(commands.map((c) => [c.name, c]));
