import { Hono } from "hono";
import { adminApp } from "../admin";
import { activeSync } from "./activesync-route";
import { notifyRoute } from "./notify-route";
import { notifyOxRoute } from "./notify-ox-route";
import { basicAuthenticator } from "./autodiscover-auth";
import { autodiscover } from "./autodiscover-route";
import { webApp } from "../web";

export const app = new Hono<{ Bindings: Env }>();

app.route("/admin/v1", adminApp);
app.use("*", activeSync());
app.use("*", autodiscover(basicAuthenticator));

app.get("/", (c) => c.text("Mobile Sync\n"));
// The web pages (src/web/): /admin/ (support console) and /my/ (mailbox owners); after /admin/v1 on purpose.
app.route("/", webApp);

app.route("/notify", notifyRoute);
app.route("/notify", notifyOxRoute);
