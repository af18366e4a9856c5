import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { optionalContract } from "./contract-files.js";
import type { OpenApiDocument, Schema } from "./openapi-check.js";

/**
 * Autotask serves its REST API's Swagger 2.0 document only from live zones
 * (`https://webservices{N}.autotask.net/atservicesrest/swagger/docs/v1`). Saved as a `.json`
 * file in `shared/contracts/autotask/`, or named by VERITY_AUTOTASK_SWAGGER, it is read here and
 * turned into the OpenAPI 3 subset openapi-check.ts understands. Autotask routes paths without
 * regard to case (`/V1.0/Tickets` in the document, `/v1.0/Tickets` from clients), so every path
 * template is lower-cased, and requests must be too.
 */
export function locateAutotaskSwagger(): { readonly path: string | null; readonly why: string } {
  const named = process.env.VERITY_AUTOTASK_SWAGGER;
  if (named !== undefined && named !== "") return existsSync(named) ? { path: named, why: "" } : { path: null, why: `VERITY_AUTOTASK_SWAGGER names ${named}, which does not exist` };
  const dir = optionalContract("autotask");
  const file = dir.present ? readdirSync(dir.path).find((f) => f.endsWith(".json")) : undefined;
  if (file === undefined) {
    return {
      path: null,
      why: `the Autotask Swagger document is not at ${dir.path}/<name>.json (Autotask serves it only from live zones and no complete public copy exists, so it is not among the shared contracts); save one there or set VERITY_AUTOTASK_SWAGGER`,
    };
  }
  return { path: join(dir.path, file), why: "" };
}

interface SwaggerParameter {
  readonly name: string;
  readonly in: "path" | "query" | "header" | "body" | "formData";
  readonly required?: boolean;
  readonly type?: string;
  readonly format?: string;
  readonly schema?: Schema;
}

interface SwaggerDocument {
  readonly swagger: string;
  readonly paths: Readonly<Record<string, Readonly<Record<string, { readonly parameters?: readonly SwaggerParameter[]; readonly consumes?: readonly string[] }>>>>;
  readonly definitions?: Readonly<Record<string, Schema>>;
}

/** A header parameter the document requires, per lower-cased path template and method. */
export type RequiredHeaders = ReadonlyMap<string, readonly string[]>;

/** Reads a Swagger 2.0 file as an OpenAPI 3 subset, plus each operation's required headers. */
export function loadAutotaskSwagger(file: string): { readonly spec: OpenApiDocument; readonly requiredHeaders: RequiredHeaders } {
  const text = readFileSync(file, "utf8").replaceAll("#/definitions/", "#/components/schemas/");
  const swagger = JSON.parse(text) as SwaggerDocument;
  if (swagger.swagger !== "2.0") throw new Error(`${file} is not a Swagger 2.0 document`);
  const paths: Record<string, Record<string, unknown>> = {};
  const requiredHeaders = new Map<string, string[]>();
  for (const [template, item] of Object.entries(swagger.paths)) {
    const key = template.toLowerCase().replace(/\{([^}]+)\}/g, (_m, name: string) => `{${name}}`);
    const target = (paths[key] ??= {});
    for (const [method, operation] of Object.entries(item)) {
      const parameters = operation.parameters ?? [];
      const body = parameters.find((p) => p.in === "body");
      target[method] = {
        parameters: parameters
          .filter((p) => p.in === "path" || p.in === "query" || p.in === "header")
          .map((p) => ({ name: p.name, in: p.in, required: p.required ?? false, schema: { type: p.type ?? "string", ...(p.format === undefined ? {} : { format: p.format }) } })),
        ...(body?.schema === undefined
          ? {}
          : { requestBody: { required: body.required ?? false, content: Object.fromEntries((operation.consumes ?? ["application/json"]).map((type) => [type, { schema: body.schema }])) } }),
      };
      requiredHeaders.set(`${method.toUpperCase()} ${key}`, parameters.filter((p) => p.in === "header" && p.required === true).map((p) => p.name.toLowerCase()));
    }
  }
  return { spec: { paths, components: { schemas: swagger.definitions ?? {} } }, requiredHeaders };
}
