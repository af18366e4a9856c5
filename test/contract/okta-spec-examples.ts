import { findOperation, type OpenApiDocument } from "./openapi-check.js";

/**
 * The Okta subset's response schemas cannot say everything (its poll schema is a discriminator
 * whose subtypes the subset leaves out), so the fake is also held to the documented examples: an
 * answer must have exactly the shape (property paths and JSON types) of one example that the
 * operation documents for that status, with the same value at the keys that say which case it
 * is (`factorResult`), so a REJECTED answer cannot pass for the SUCCESS example.
 */

interface ExampleRef { readonly $ref?: string; readonly value?: unknown }
interface LooseResponse { readonly $ref?: string; readonly content?: Readonly<Record<string, { readonly examples?: Readonly<Record<string, ExampleRef>> }>> }
interface LooseComponents {
  readonly examples?: Readonly<Record<string, ExampleRef>>;
  readonly responses?: Readonly<Record<string, LooseResponse>>;
}

/** The examples an operation documents for `status`, by name, with `$ref`s followed. */
export function documentedExamples(spec: OpenApiDocument, method: string, path: string, status: number): Map<string, unknown> {
  const found = findOperation(spec, method, path);
  const components = spec.components as LooseComponents | undefined;
  let response = found?.operation.responses?.[String(status)] as LooseResponse | undefined;
  if (response?.$ref !== undefined) response = components?.responses?.[response.$ref.replace("#/components/responses/", "")];
  const examples = new Map<string, unknown>();
  for (const [name, example] of Object.entries(response?.content?.["application/json"]?.examples ?? {})) {
    const target = example.$ref === undefined ? example : components?.examples?.[example.$ref.replace("#/components/examples/", "")];
    if (target?.value !== undefined) examples.set(name, target.value);
  }
  return examples;
}

/** Keys whose value, not only type, must match the example's. */
const CASE_KEYS = new Set(["factorResult"]);

/** A JSON value's shape: one `path: type` line per leaf (arrays are leaves), sorted. */
export function shapeOf(value: unknown, at = ""): string[] {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return [`${at}: object`];
    return entries.flatMap(([key, inner]) => shapeOf(inner, at === "" ? key : `${at}.${key}`)).sort();
  }
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  return [CASE_KEYS.has(at) ? `${at}: ${type} = ${JSON.stringify(value)}` : `${at}: ${type}`];
}

/** Problems when `body` has the shape of none of the documented examples; [] when it has one's. */
export function checkExampleShape(spec: OpenApiDocument, method: string, path: string, status: number, body: unknown): string[] {
  const examples = documentedExamples(spec, method, path, status);
  if (examples.size === 0) return [`the document has no example for ${method} ${path} ${status}`];
  const shape = shapeOf(body);
  let closest: { name: string; missing: string[]; extra: string[] } | undefined;
  for (const [name, example] of examples) {
    const expected = shapeOf(example);
    const missing = expected.filter((line) => !shape.includes(line));
    const extra = shape.filter((line) => !expected.includes(line));
    if (missing.length === 0 && extra.length === 0) return [];
    if (closest === undefined || missing.length + extra.length < closest.missing.length + closest.extra.length) closest = { name, missing, extra };
  }
  return [`the answer has the shape of no documented example; closest is "${closest?.name}": missing [${closest?.missing.join(", ")}], extra [${closest?.extra.join(", ")}]`];
}
