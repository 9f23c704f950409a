import type { EasCommand } from "../front/command";
import { handleCompose } from "./compose-mail";

/** [MS-ASCMD] 2.2.1.17 SendMail. */
export const SendMail: EasCommand = {
  name: "SendMail",
  handle: (req) => handleCompose("SendMail", req),
};
