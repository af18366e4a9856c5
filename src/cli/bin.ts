#!/usr/bin/env node
import { run } from "./main.js";

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
// stdin may hold the event loop open after a prompt; nothing more is read from it now.
process.stdin.destroy();
