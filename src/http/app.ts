import { Hono } from "hono";
import { adminApp } from "../admin";
import { activeSync } from "./activesync-route";
import { notifyRoute } from "./notify-route";
import { notifyOxRoute } from "./notify-ox-route";
import { basicAuthenticator } from "./autodiscover-auth";
import { autodiscover } from "./autodiscover-route";

export const app = new Hono<{ Bindings: Env }>();

app.route("/admin/v1", adminApp);
app.use("*", activeSync());
app.use("*", autodiscover(basicAuthenticator));

app.get("/", (c) => c.text("Mobile Sync\n"));

app.route("/notify", notifyRoute);
app.route("/notify", notifyOxRoute);
