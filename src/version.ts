/** Verity's version, as reported by the CLI, the OpenAPI document and the demo banner. */
export const VERSION = "0.1.0";
