import { EasHttpError } from "../eas/front/command";

/**
 * A request the front door itself refuses (400 malformed query, 401, 501 ...). Unlike a command's EasHttpError,
 * whose message may name internals, its message is written for the device and sent as the body.
 */
export class HttpProblem extends EasHttpError {
  override name = "HttpProblem";
}
