import { Hono } from "hono";
import { notifyRoute } from "./notify-route";

export const app = new Hono<{ Bindings: Env }>();

app.get("/", (c) => c.text("Mobile Sync\n"));

app.route("/notify", notifyRoute);
