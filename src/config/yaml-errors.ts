import type { ErrorCode, YAMLError } from "yaml";
import type { ConfigProblem } from "./load.js";

/** Fixed wording per parser error code: the parser's own messages can quote the file. */
const DESCRIPTIONS: Record<ErrorCode, string> = {
  ALIAS_PROPS: "an alias (*name) cannot carry an anchor or a tag",
  BAD_ALIAS: "an alias or anchor name is not valid",
  BAD_COLLECTION_TYPE: "a tag does not fit the collection it is on",
  BAD_DIRECTIVE: "a % directive is not valid",
  BAD_DQ_ESCAPE: "a double-quoted value holds an invalid \\ escape; use single quotes",
  BAD_INDENT: "the indentation is wrong",
  BAD_PROP_ORDER: "an anchor and a tag are in the wrong order",
  BAD_SCALAR_START: "a value starts with a reserved character; quote the value",
  BLOCK_AS_IMPLICIT_KEY: "a value holds ': ' or starts a list on its key's line; quote the value or move it to the next line",
  BLOCK_IN_FLOW: "a block (indented) collection sits inside { } or [ ]",
  DUPLICATE_KEY: "a key appears twice in one mapping",
  IMPOSSIBLE: "the YAML parser could not read this",
  KEY_OVER_1024_CHARS: "a key is longer than 1024 characters",
  MISSING_CHAR: "a character is missing: a closing quote or bracket, a '-' before a list item, or a ':' after a key",
  MULTILINE_IMPLICIT_KEY: "a key runs over more than one line (often a missing ':' or a wrong indentation above)",
  MULTIPLE_ANCHORS: "a value has more than one anchor",
  MULTIPLE_DOCS: "the file holds more than one YAML document (a '---' line); keep one",
  MULTIPLE_TAGS: "a value has more than one tag",
  NON_STRING_KEY: "a key is not a plain string",
  RESOURCE_EXHAUSTION: "aliases expand too far",
  TAB_AS_INDENT: "a tab is used for indentation; use spaces",
  TAG_RESOLVE_FAILED: "a !tag is unknown or does not fit its value",
  UNEXPECTED_TOKEN: "unexpected characters (a stray character after a value, or a typo after | or >); quote values that hold special characters",
};

/**
 * A YAML syntax error as a configuration problem: its code, a fixed description, the line and
 * the column. Never any text from the file: the line in question may hold a secret.
 */
export function yamlProblem(error: YAMLError): ConfigProblem {
  const at = error.linePos?.[0];
  const description = (DESCRIPTIONS as Partial<Record<string, string>>)[error.code] ?? "not valid YAML";
  return {
    path: at === undefined ? "(yaml)" : `(yaml line ${at.line}, column ${at.col})`,
    message: `${error.code}: ${description}`,
  };
}

/** Building the tree can fail after parsing (an alias to no anchor, too many aliases); the message names the alias. */
export const YAML_ALIAS_PROBLEM: ConfigProblem = {
  path: "(yaml)",
  message: "an alias (*name) refers to no anchor (&name) above it, or aliases expand too far",
};
