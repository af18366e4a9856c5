import { register } from "node:module";

// `node --import <this file>`: records the modules the process loads (see module-log-hooks.ts).
register("./module-log-hooks.js", import.meta.url);
