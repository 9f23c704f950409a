import type { EasRequest } from "../eas/front/command";

/**
 * A check run after authentication and before the command: it answers with a Response to stop the request
 * (e.g. 403 subscription ended, 449 / Status 142 provisioning required) or null to let it pass.
 */
export type Gate = (req: EasRequest, env: Env) => Promise<Response | null>;
