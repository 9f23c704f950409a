import { OpenAPIHono } from "@hono/zod-openapi";
import type { ServiceDeps } from "../service/deps";
import { errorToProblem } from "./problem";

export type AdminEnv = { Bindings: Env; Variables: { deps: ServiceDeps } };
export type AdminApp = OpenAPIHono<AdminEnv>;

/** Sub-routers for /admin/v1 are made with this, so invalid input is answered the same way everywhere. */
export function newAdminRouter(): AdminApp {
  return new OpenAPIHono<AdminEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return errorToProblem(result.error, c);
    },
  });
}
