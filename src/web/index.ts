// The web pages people use (issue 18), on the same Worker: the support console at /admin/ (a client of the
// admin API) and "My phones" at /my/ for mailbox owners (through src/service/my-account.ts). Server-rendered
// with Hono's JSX; one small script for confirmations.
import { Hono } from "hono";
import { supportConsole } from "./admin/routes";
import { myPhones } from "./my/routes";
import type { WebEnv } from "./site";

export const webApp = new Hono<WebEnv>();
// Mounted at "/admin/" and "/my/" (with the slash) so that each site's "/" is its own index page.
webApp.route("/admin/", supportConsole);
webApp.route("/my/", myPhones);
webApp.get("/admin", (c) => c.redirect("/admin/", 301));
webApp.get("/my", (c) => c.redirect("/my/", 301));
