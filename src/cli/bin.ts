#!/usr/bin/env node
import module from "node:module";

// Node 22.1+ keeps compiled code between runs (a faster start for every command); Node 20 has no
// such cache and goes on without it. Set before the rest of Verity is loaded.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { run } = await import("./main.js");

// A reader that goes away (`verity audit export | head`) ends the command quietly, as a
// SIGPIPE ends other tools, instead of with an "Unhandled 'error' event" stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(141);
    throw error;
  });
}

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  onInterrupt(handler) {
    process.once("SIGINT", handler);
    return () => process.off("SIGINT", handler);
  },
});
process.exitCode = code;
// stdin may hold the event loop open after a prompt; nothing more is read from it now.
process.stdin.destroy();
