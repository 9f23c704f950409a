import type { EasCommand } from "../front/command";
import { handleCompose } from "./compose-mail";

/** [MS-ASCMD] 2.2.1.19 SmartForward. */
export const SmartForward: EasCommand = {
  name: "SmartForward",
  handle: (req) => handleCompose("SmartForward", req),
};
