// Imported first by the bridge*.e2e tests: hands the run's Worker and bridge servers to bridge-client.ts
// (which stays free of vitest so the benchmark and the try-it script can use it).
import { inject } from "vitest";
import { setBridgeEnv } from "./bridge-client";

setBridgeEnv({ workerUrl: inject("workerUrl"), adminToken: inject("adminToken"), servers: inject("bridge") });
