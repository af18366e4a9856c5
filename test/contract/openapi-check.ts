import { existsSync, readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";

/**
 * A small OpenAPI 3.0 checker for contract tests: does a request Verity sent (or an answer a fake
 * gave) match what the vendor's published document declares? It covers what vendor clients
 * need (paths, methods, security, content types, form and JSON bodies, path and query parameters,
 * `$ref`, `allOf`/`oneOf`, discriminators, types, formats, enums, patterns, lengths and ranges),
 * not the whole of JSON Schema. Documents may be JSON or YAML.
 */

export interface Schema {
  readonly $ref?: string;
  readonly type?: string;
  readonly format?: string;
  readonly nullable?: boolean;
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly items?: Schema;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | Schema;
  readonly allOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly anyOf?: readonly Schema[];
  readonly discriminator?: { readonly propertyName: string; readonly mapping?: Readonly<Record<string, string>> };
  readonly "x-twilio"?: { readonly ignoreFormat?: boolean };
}

interface MediaType { readonly schema?: Schema }
interface Parameter { readonly $ref?: string; readonly name: string; readonly in: string; readonly required?: boolean; readonly schema?: Schema }
interface Response { readonly $ref?: string; readonly content?: Readonly<Record<string, MediaType>> }
type SecurityRequirement = Readonly<Record<string, readonly string[]>>;

export interface Operation {
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: { readonly required?: boolean; readonly content: Readonly<Record<string, MediaType>> };
  readonly responses?: Readonly<Record<string, Response>>;
  readonly security?: readonly SecurityRequirement[];
}

export interface OpenApiDocument {
  readonly paths: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly security?: readonly SecurityRequirement[];
  readonly components?: {
    readonly schemas?: Readonly<Record<string, Schema>>;
    readonly parameters?: Readonly<Record<string, Parameter>>;
    readonly responses?: Readonly<Record<string, Response>>;
    readonly securitySchemes?: Readonly<Record<string, { readonly type: string; readonly scheme?: string; readonly in?: string; readonly name?: string }>>;
  };
}

/** A request as a fake recorded it. */
export interface CheckedRequest {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: string;
  /** The query string (with or without `?`); when given, its parameters are checked too. */
  readonly query?: string;
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

/** Reads an OpenAPI document (JSON, or YAML for `.yaml`/`.yml`), or null when the file is absent. */
export function loadOpenApi(file: string): OpenApiDocument | null {
  if (!existsSync(file)) return null;
  const text = readFileSync(file, "utf8");
  return (/\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text)) as OpenApiDocument;
}

/**
 * The declared operation a method and concrete path belong to, with the path's values and every
 * parameter it declares (the path item's and the operation's, `$ref`s resolved).
 */
export function findOperation(
  spec: OpenApiDocument,
  method: string,
  path: string,
): { template: string; operation: Operation; params: Record<string, string>; parameters: Parameter[] } | undefined {
  for (const [template, item] of Object.entries(spec.paths)) {
    const names: string[] = [];
    const source = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{([^}]+)\}/g, (_match, name: string) => {
      names.push(name);
      return "([^/]+)";
    });
    const match = new RegExp(`^${source}$`).exec(path);
    const operation = item[method.toLowerCase()];
    if (match === null || !METHODS.includes(method.toLowerCase()) || operation === undefined) continue;
    const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? "")]));
    const declared = [...((item.parameters as Parameter[] | undefined) ?? []), ...((operation as Operation).parameters ?? [])].map((p) => resolveParameter(spec, p));
    const parameters = declared.filter((p, i) => declared.findIndex((q) => q.name === p.name && q.in === p.in) === i);
    return { template, operation: operation as Operation, params, parameters };
  }
  return undefined;
}

/** Every way `request` departs from the document; empty when it conforms. */
export function checkRequest(spec: OpenApiDocument, request: CheckedRequest): string[] {
  const found = findOperation(spec, request.method, request.path);
  if (found === undefined) return [`${request.method} ${request.path} matches no operation in the document`];
  const { operation, params, parameters } = found;
  const problems: string[] = [];
  for (const parameter of parameters) {
    if (parameter.in !== "path" || parameter.schema === undefined) continue;
    problems.push(...checkValue(spec, parameter.schema, params[parameter.name], `path parameter ${parameter.name}`, { form: true, strict: true }));
  }
  if (request.query !== undefined) problems.push(...checkQuery(spec, parameters, request.query));
  problems.push(...checkSecurity(spec, operation.security ?? spec.security ?? [], request.headers));
  const declared = operation.requestBody;
  const contentType = header(request.headers, "content-type")?.split(";")[0]?.trim().toLowerCase();
  if (declared === undefined) {
    if (request.body !== "") problems.push("a body was sent but the operation declares none");
    return problems;
  }
  if (request.body === "" && contentType === undefined) {
    if (declared.required === true) problems.push("the operation requires a body but none was sent");
    return problems;
  }
  if (contentType === undefined || declared.content[contentType] === undefined) {
    problems.push(`content type ${contentType ?? "(none)"} is not one of ${Object.keys(declared.content).join(", ")}`);
    return problems;
  }
  const schema = declared.content[contentType]?.schema;
  if (schema === undefined) return problems;
  if (contentType === "application/x-www-form-urlencoded") {
    const fields: Record<string, string[]> = {};
    for (const [key, value] of new URLSearchParams(request.body)) (fields[key] ??= []).push(value);
    problems.push(...checkValue(spec, schema, fields, "form", { form: true, strict: true }));
  } else if (contentType.endsWith("json")) {
    try {
      problems.push(...checkValue(spec, schema, JSON.parse(request.body) as unknown, "body", { form: false, strict: true }));
    } catch {
      problems.push("the body is not JSON");
    }
  }
  return problems;
}

/** Every way a response body departs from what the operation declares for that status. */
export function checkResponse(spec: OpenApiDocument, method: string, path: string, status: number, body: unknown): string[] {
  const found = findOperation(spec, method, path);
  if (found === undefined) return [`${method} ${path} matches no operation in the document`];
  const listed = found.operation.responses?.[String(status)] ?? found.operation.responses?.default;
  if (listed === undefined) return [`the operation declares no response ${status}`];
  const declared = resolveResponse(spec, listed);
  const schema = declared.content?.["application/json"]?.schema;
  return schema === undefined ? [] : checkValue(spec, schema, body, "response", { form: false, strict: true });
}

interface CheckOptions {
  /** Values arrive as form strings (and lists of them) rather than JSON values. */
  readonly form: boolean;
  /** Properties the schema does not declare are problems, unless it allows extra ones. */
  readonly strict: boolean;
}

/** Checks one value against a schema; `where` names it in problems. */
export function checkValue(spec: OpenApiDocument, input: Schema, value: unknown, where: string, options: CheckOptions): string[] {
  return checkAt(spec, input, value, where, options, new Set(), false);
}

/** Property names declared beside this schema (its `allOf` siblings), or "any" when extras are allowed. */
type Siblings = ReadonlySet<string> | "any";

function checkAt(spec: OpenApiDocument, input: Schema, value: unknown, where: string, options: CheckOptions, siblings: Siblings, dispatched: boolean): string[] {
  const schema = resolve(spec, input);
  if (value === undefined) return [];
  if (value === null) return schema.nullable === true ? [] : [`${where} is null but not nullable`];
  const subtype = dispatched ? { kind: "none" as const } : discriminate(spec, schema, value);
  if (subtype.kind === "target") return checkAt(spec, subtype.schema, value, where, options, siblings, true);
  // A subtype this document omits (subsets do) has properties nobody here can know.
  const allowed = subtype.kind === "unknown" ? "any" : union(siblings, declaredNames(spec, schema));
  const problems: string[] = [];
  for (const part of schema.allOf ?? []) problems.push(...checkAt(spec, part, value, where, options, allowed, dispatched));
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives !== undefined) {
    const tried = alternatives.map((alt) => checkValue(spec, alt, value, where, options));
    if (!tried.some((p) => p.length === 0)) {
      // The alternative the value meant is the one whose properties it uses, even if a value is wrong.
      const score = (p: string[]) => p.filter((line) => line.endsWith("is not a declared property")).length * 1000 + p.length;
      const closest = tried.reduce((best, p) => (score(p) < score(best) ? p : best));
      problems.push(`${where} matches none of its alternatives (closest: ${closest.join("; ")})`);
    }
  }
  if (schema.type === "object" || schema.properties !== undefined) return [...problems, ...checkObject(spec, schema, value, where, options, allowed)];
  if (schema.type === "array") {
    const items = Array.isArray(value) ? (value as unknown[]) : [value];
    return [...problems, ...items.flatMap((item, i) => (schema.items === undefined ? [] : checkValue(spec, schema.items, item, `${where}[${i}]`, options)))];
  }
  if (options.form && Array.isArray(value)) {
    if (value.length !== 1) return [...problems, `${where} was sent ${value.length} times but is not a list`];
    return [...problems, ...checkValue(spec, schema, value[0], where, options)];
  }
  return [...problems, ...checkScalar(schema, value, where, options.form)];
}

function checkObject(spec: OpenApiDocument, schema: Schema, value: unknown, where: string, options: CheckOptions, siblings: Siblings): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${where} is not an object`];
  const record = value as Record<string, unknown>;
  const problems = (schema.required ?? []).filter((name) => record[name] === undefined).map((name) => `${where}: required ${name} is missing`);
  const declared = schema.properties;
  for (const [name, item] of Object.entries(record)) {
    const property = declared?.[name];
    const elsewhere = siblings === "any" || siblings.has(name);
    if (property !== undefined) problems.push(...checkValue(spec, property, item, `${where}.${name}`, options));
    else if (elsewhere) continue;
    else if (typeof schema.additionalProperties === "object") problems.push(...checkValue(spec, schema.additionalProperties, item, `${where}.${name}`, options));
    else if (options.strict && declared !== undefined && schema.additionalProperties !== true) problems.push(`${where}: ${name} is not a declared property`);
  }
  return problems;
}

/** The subtype a discriminator picks: another schema, this one, or one the document lacks. */
function discriminate(spec: OpenApiDocument, schema: Schema, value: unknown): { kind: "none" | "unknown" } | { kind: "target"; schema: Schema } {
  const discriminator = schema.discriminator;
  if (discriminator?.mapping === undefined || typeof value !== "object" || value === null || Array.isArray(value)) return { kind: "none" };
  const tag = (value as Record<string, unknown>)[discriminator.propertyName];
  const ref = typeof tag === "string" ? discriminator.mapping[tag] : undefined;
  const name = ref === undefined ? undefined : /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
  const target = name === undefined ? undefined : spec.components?.schemas?.[name];
  if (target === undefined) return { kind: "unknown" };
  return resolve(spec, target) === schema ? { kind: "none" } : { kind: "target", schema: target };
}

/** Every property name a schema and its `allOf` parts declare, or "any" when one allows extras. */
function declaredNames(spec: OpenApiDocument, schema: Schema, depth = 0): Siblings {
  if (schema.additionalProperties === true || typeof schema.additionalProperties === "object") return "any";
  const names = new Set(Object.keys(schema.properties ?? {}));
  for (const part of depth > 10 ? [] : (schema.allOf ?? [])) {
    const inner = declaredNames(spec, resolve(spec, part), depth + 1);
    if (inner === "any") return "any";
    for (const name of inner) names.add(name);
  }
  return names;
}

function union(a: Siblings, b: Siblings): Siblings {
  return a === "any" || b === "any" ? "any" : new Set([...a, ...b]);
}

function checkScalar(schema: Schema, raw: unknown, where: string, form: boolean): string[] {
  let value = raw;
  const type = schema.type;
  if (form && typeof raw === "string") {
    if (type === "integer") {
      if (!/^-?\d+$/.test(raw)) return [`${where} = ${JSON.stringify(raw)} is not an integer`];
      value = Number(raw);
    } else if (type === "number") {
      if (raw.trim() === "" || !Number.isFinite(Number(raw))) return [`${where} = ${JSON.stringify(raw)} is not a number`];
      value = Number(raw);
    } else if (type === "boolean") {
      if (raw !== "true" && raw !== "false") return [`${where} = ${JSON.stringify(raw)} is not true or false`];
      value = raw === "true";
    }
  }
  const actual = typeof value === "number" && Number.isInteger(value) ? "integer" : typeof value;
  const matches = type === undefined || actual === type || (type === "number" && actual === "integer");
  if (!matches) return [`${where} is ${actual}, declared ${type}`];
  const problems: string[] = [];
  if (schema.enum !== undefined && !schema.enum.includes(value)) problems.push(`${where} = ${JSON.stringify(value)} is not one of ${schema.enum.join(", ")}`);
  if (typeof value === "string") {
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) problems.push(`${where} does not match ${schema.pattern}`);
    if (schema.minLength !== undefined && [...value].length < schema.minLength) problems.push(`${where} is shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength) problems.push(`${where} is longer than ${schema.maxLength}`);
    const format = schema["x-twilio"]?.ignoreFormat === true ? undefined : schema.format;
    const check = format === undefined ? undefined : FORMATS[format];
    if (check !== undefined && !check(value)) problems.push(`${where} = ${JSON.stringify(value)} is not a valid ${format}`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${where} is below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${where} is above ${schema.maximum}`);
  }
  return problems;
}

const FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  uri: (v) => URL.canParse(v) && /^[a-z][a-z0-9+.-]*:/i.test(v),
  // Twilio's phone-number: E.164, a channel address (whatsapp:+…), or an alphanumeric sender ID.
  "phone-number": (v) => /^([a-z]+:)?\+[1-9]\d{1,14}$/.test(v) || /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/.test(v),
  "date-time": (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)),
  "date-time-rfc-2822": (v) => /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/.test(v) && !Number.isNaN(Date.parse(v)),
  currency: (v) => /^[A-Za-z]{3}$/.test(v),
};

function checkSecurity(
  spec: OpenApiDocument,
  requirements: readonly SecurityRequirement[],
  headers: CheckedRequest["headers"],
): string[] {
  if (requirements.length === 0 || requirements.some((r) => Object.keys(r).length === 0)) return [];
  const satisfied = requirements.some((requirement) =>
    Object.keys(requirement).every((name) => {
      const scheme = spec.components?.securitySchemes?.[name];
      if (scheme === undefined) return false;
      if (scheme.type === "http" && scheme.scheme?.toLowerCase() === "basic") {
        const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header(headers, "authorization") ?? "");
        return match?.[1] !== undefined && /^[^:]+:.+$/s.test(Buffer.from(match[1], "base64").toString("utf8"));
      }
      if (scheme.type === "http" && scheme.scheme?.toLowerCase() === "bearer") return /^Bearer \S+$/.test(header(headers, "authorization") ?? "");
      if (scheme.type === "apiKey" && scheme.in === "header" && scheme.name !== undefined) return header(headers, scheme.name) !== undefined;
      if (scheme.type === "oauth2" || scheme.type === "openIdConnect") return /^Bearer \S+$/.test(header(headers, "authorization") ?? "");
      return false;
    }),
  );
  const names = requirements.map((r) => Object.keys(r).join(" + ")).join(" or ");
  return satisfied ? [] : [`the request does not authenticate with ${names}`];
}

/** Every query parameter must be declared, `in: query`, with a valid value; required ones present. */
function checkQuery(spec: OpenApiDocument, parameters: readonly Parameter[], query: string): string[] {
  const declared = parameters.filter((p) => p.in === "query");
  const sent: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(query.replace(/^\?/, ""))) (sent[key] ??= []).push(value);
  const problems = declared.filter((p) => p.required === true && sent[p.name] === undefined).map((p) => `required query parameter ${p.name} is missing`);
  for (const [name, values] of Object.entries(sent)) {
    const parameter = declared.find((p) => p.name === name);
    if (parameter === undefined) problems.push(`query parameter ${name} is not declared`);
    else if (parameter.schema !== undefined) problems.push(...checkValue(spec, parameter.schema, values, `query parameter ${name}`, { form: true, strict: true }));
  }
  return problems;
}

const resolveParameter = (spec: OpenApiDocument, p: Parameter): Parameter => follow(p, "parameters", spec.components?.parameters);
const resolveResponse = (spec: OpenApiDocument, r: Response): Response => follow(r, "responses", spec.components?.responses);
const resolve = (spec: OpenApiDocument, schema: Schema): Schema => follow(schema, "schemas", spec.components?.schemas);

/** Follows `#/components/<section>/<name>` references (a few levels deep) to the object they name. */
function follow<T extends { readonly $ref?: string }>(start: T, section: string, table: Readonly<Record<string, T>> | undefined): T {
  let current = start;
  for (let depth = 0; current.$ref !== undefined && depth < 10; depth += 1) {
    const name = current.$ref.startsWith(`#/components/${section}/`) ? current.$ref.slice(`#/components/${section}/`.length) : undefined;
    const target = name === undefined ? undefined : table?.[name];
    if (target === undefined) throw new Error(`cannot resolve ${current.$ref}`);
    current = target;
  }
  return current;
}

function header(headers: CheckedRequest["headers"], name: string): string | undefined {
  const value = Object.entries(headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
  return typeof value === "string" ? value : value?.[0];
}
