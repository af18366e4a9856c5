import { readFileSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { CliExit, EXIT } from "./io.js";
import { lineReader } from "./prompt.js";

/** The part of a terminal's input stream a hidden prompt needs (process.stdin when it is a TTY). */
interface TerminalInput extends Readable {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

const isTerminal = (input: Readable): input is TerminalInput & { setRawMode(mode: boolean): unknown } =>
  (input as TerminalInput).isTTY === true && typeof (input as TerminalInput).setRawMode === "function";

/**
 * Reads one line from a terminal without echoing it. Backspace edits; Ctrl-C and Ctrl-D give
 * up (null). Raw mode is always restored.
 */
export function readHidden(input: Readable, output: Writable, prompt: string): Promise<string | null> {
  if (!isTerminal(input)) return Promise.reject(new Error("not a terminal"));
  output.write(prompt);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve) => {
    let typed = "";
    const finish = (value: string | null, rest: string[]) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      // Typed ahead (a pasted "password, Enter, password, Enter"): left for the next prompt.
      if (rest.length > 0) input.unshift(Buffer.from(rest.join(""), "utf8"));
      output.write("\n");
      resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      const chars = [...(typeof chunk === "string" ? chunk : chunk.toString("utf8"))];
      for (const [i, char] of chars.entries()) {
        if (char === "\r" || char === "\n" || char === "\u0003" || char === "\u0004") {
          finish(char === "\r" || char === "\n" ? typed : null, chars.slice(char === "\r" && chars[i + 1] === "\n" ? i + 2 : i + 1));
          return;
        }
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else if (char >= " ") typed += char;
      }
    };
    input.on("data", onData);
  });
}

/**
 * A new password, never from the command line: from `file` (its first line), else asked twice
 * without echo on a terminal, else the first line of standard input.
 */
export async function newPassword(options: { file: string | undefined; input: Readable; prompts: Writable }): Promise<string> {
  let password: string | null;
  if (options.file !== undefined) {
    try {
      password = readFileSync(options.file, "utf8").split(/\r?\n/)[0] ?? "";
    } catch {
      throw new CliExit(EXIT.usage, `Cannot read --password-file ${options.file}.`);
    }
  } else if (isTerminal(options.input)) {
    password = await readHidden(options.input, options.prompts, "New password: ");
    const again = password === null ? null : await readHidden(options.input, options.prompts, "The same password again: ");
    if (password === null || again === null) throw new CliExit(EXIT.failure, "No password was entered; nothing was created.");
    if (again !== password) throw new CliExit(EXIT.failure, "The two passwords differ; nothing was created.");
  } else {
    const lines = lineReader(options.input);
    password = await lines.next();
    lines.close();
  }
  if (password === null || password === "") throw new CliExit(EXIT.usage, "No password was given (--password-file FILE, or type it when asked).");
  return password;
}
