import { Hono } from "hono";
import { adminApp } from "../admin";
import { activeSync } from "./activesync-route";
import { notifyRoute } from "./notify-route";

export const app = new Hono<{ Bindings: Env }>();

app.route("/admin/v1", adminApp);
app.use("*", activeSync());

app.get("/", (c) => c.text("Mobile Sync\n"));

app.route("/notify", notifyRoute);
