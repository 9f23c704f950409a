import type { EasCommand } from "../front/command";
import { handleCompose } from "./compose-mail";

/** [MS-ASCMD] 2.2.1.20 SmartReply. */
export const SmartReply: EasCommand = {
  name: "SmartReply",
  handle: (req) => handleCompose("SmartReply", req),
};
