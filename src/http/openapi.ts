import { z } from "zod";
import {
  auditPage,
  cancelBody,
  chainReport,
  checkBody,
  checkView,
  errorView,
  healthView,
  lookupView,
  searchView,
  startBody,
  tokenBody,
  tokenCreated,
  verificationView,
} from "./api-schemas.js";
import { confirmBody } from "./routes/link.js";

type Schema = z.ZodType;

const json = (schema: Schema) => ({ "application/json": { schema: z.toJSONSchema(schema, { io: "output", unrepresentable: "any" }) } });
const input = (schema: Schema) => ({ required: true, content: { "application/json": { schema: z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) } } });
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), { description: "Error", content: json(errorView) }]));
const ok = (schema: Schema, description = "OK", status = "200") => ({ [status]: { description, content: json(schema) } });
const idParam = [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }];
const secured = [{ bearer: [] }];
const linkHeader = { name: "X-Verity-Link", in: "header", required: true, schema: { type: "string" }, description: "The capability from the link's #t= fragment" };

/** The OpenAPI 3.1 document, built from the same zod schemas that parse requests. */
export function buildOpenApi(version: string): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "Verity API",
      version,
      description:
        "Caller identity verification for service desks. Every error is JSON {code, message} with a stable UPPER_SNAKE code. " +
        "Responses never contain a one-time code, a full phone number or a full email address.",
    },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API token from `verity token create`" } } },
    paths: {
      "/api/v1/verifications": {
        post: {
          summary: "Start a verification: look the caller up and send a code or push to a registered factor",
          security: secured,
          requestBody: input(startBody),
          responses: { ...ok(verificationView, "Started", "201"), ...errors(400, 401, 403, 404, 409, 413, 415, 422, 429) },
        },
      },
      "/api/v1/verifications/{id}": {
        get: { summary: "Read a verification", security: secured, parameters: idParam, responses: { ...ok(verificationView), ...errors(401, 403, 404) } },
      },
      "/api/v1/verifications/{id}/check": {
        post: {
          summary: "Check the code the caller read back (or a provider passcode)",
          security: secured,
          parameters: idParam,
          requestBody: input(checkBody),
          responses: { ...ok(checkView), ...errors(400, 401, 403, 404, 409, 413, 415, 422, 429) },
        },
      },
      "/api/v1/verifications/{id}/resend": {
        post: { summary: "Send a new code (the old one stops working)", security: secured, parameters: idParam, responses: { ...ok(verificationView), ...errors(401, 403, 404, 409, 429) } },
      },
      "/api/v1/verifications/{id}/cancel": {
        post: {
          summary: "Cancel a verification",
          security: secured,
          parameters: idParam,
          requestBody: { ...input(cancelBody), required: false },
          responses: { ...ok(verificationView), ...errors(401, 403, 404, 409, 422) },
        },
      },
      "/api/v1/verifications/{id}/events": {
        get: {
          summary: "Server-Sent Events: `state` events carrying the verification after each change; the stream ends after a final state",
          security: secured,
          parameters: idParam,
          responses: { 200: { description: "text/event-stream", content: { "text/event-stream": { schema: { type: "string" } } } }, ...errors(401, 403, 404) },
        },
      },
      "/api/v1/directory/search": {
        get: {
          summary: "Find callers by name, UPN, mail, account name or provider id, across the token's tenants (at least two characters)",
          security: secured,
          parameters: [{ name: "q", in: "query", required: true, schema: { type: "string" } }],
          responses: { ...ok(searchView), ...errors(401, 403, 422) },
        },
      },
      "/api/v1/directory/users/{idOrEmail}": {
        get: {
          summary: "Look a user up: masked factors, available methods and risk",
          security: secured,
          parameters: [
            { name: "idOrEmail", in: "path", required: true, schema: { type: "string" } },
            { name: "tenant", in: "query", required: false, schema: { type: "string" } },
          ],
          responses: { ...ok(lookupView), ...errors(401, 403, 404, 409, 422) },
        },
      },
      "/api/v1/audit/events": {
        get: {
          summary: "Audit events in chain order (auditor or admin)",
          security: secured,
          parameters: ["afterSeq", "since", "tenant", "verification", "limit"].map((name) => ({ name, in: "query", required: false, schema: { type: "string" } })),
          responses: { ...ok(auditPage), ...errors(401, 403, 422) },
        },
      },
      "/api/v1/audit/verify": {
        get: { summary: "Check the audit hash chain, and against every anchor in the server's anchor files", security: secured, responses: { ...ok(chainReport), ...errors(401, 403) } },
      },
      "/api/v1/tokens": {
        post: { summary: "Create an API token (admin)", security: secured, requestBody: input(tokenBody), responses: { ...ok(tokenCreated, "Created", "201"), ...errors(401, 403, 422) } },
      },
      "/api/v1/link/verifications/{id}": {
        get: {
          summary: "The technician page's view of one verification. Authorised by the capability from a ticket note's link, sent as X-Verity-Link",
          parameters: [...idParam, linkHeader],
          responses: { 200: { description: "The verification and the tenant's code handling (readback or reveal)" }, ...errors(401, 404) },
        },
      },
      "/api/v1/link/verifications/{id}/check": {
        post: { summary: "Check a code from the technician page", parameters: [...idParam, linkHeader], requestBody: input(checkBody), responses: { ...ok(checkView), ...errors(401, 404, 409, 422) } },
      },
      "/api/v1/link/verifications/{id}/confirm": {
        post: {
          summary: "Reveal mode: record whether the code the caller read matches the one in the ticket note",
          parameters: [...idParam, linkHeader],
          requestBody: input(confirmBody),
          responses: { ...ok(verificationView), ...errors(401, 404, 409, 422) },
        },
      },
      "/api/v1/link/verifications/{id}/resend": {
        post: { summary: "Send a new code from the technician page", parameters: [...idParam, linkHeader], responses: { ...ok(verificationView), ...errors(401, 404, 409, 429) } },
      },
      "/api/v1/link/verifications/{id}/cancel": {
        post: { summary: "Cancel from the technician page", parameters: [...idParam, linkHeader], responses: { ...ok(verificationView), ...errors(401, 404, 409) } },
      },
      "/hooks/ticketing/{name}": {
        post: {
          summary:
            "A ticketing system's trigger (HaloPSA button, ConnectWise callback, Autotask webhook, ServiceNow UI action, Freshservice/Zendesk/Jira automation): `name` is the system's name under `ticketing` in the configuration. Authenticated the system's own way (signature, Basic credentials or a secret header; optionally a source-address allowlist, 403 SOURCE_NOT_ALLOWED) before the body is read. The body names a ticket; its contact is read from the system. Answers 202 at once; a repeated delivery id is a no-op; a press more than 5 minutes old is ignored. HaloPSA also answers at /hooks/halopsa (one instance) and /hooks/halopsa/i/{name}",
          parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
          responses: { 202: { description: "{accepted, duplicates, stale, refused}" }, ...errors(400, 401, 403, 404, 409, 413, 415, 422, 429) },
        },
      },
      "/hooks/ticketing/{name}/confirm": {
        post: {
          summary: "Where the system has a confirm action (HaloPSA): the code the caller read back, {ticketId, code} or [{content: {TicketID, Code}}], for the newest verification of that ticket's own contact",
          parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
          responses: { 200: { description: "{outcome, attemptsRemaining, state}" }, ...errors(400, 401, 403, 404, 409, 422) },
        },
      },
      "/hooks/verified-id": {
        post: {
          summary:
            "Microsoft Entra Verified ID presentation callback (request_retrieved, presentation_verified, presentation_error), authenticated by the configured callbackApiKey in the api-key header before the body is read; the requestId and state must be those of a pending Face Check. Only the outcome and the Face Check score are kept",
          responses: { 200: { description: "Taken" }, ...errors(401, 404, 409, 422) },
        },
      },
      "/hooks/twilio/status": {
        post: { summary: "Twilio message status callback, checked with X-Twilio-Signature", responses: { 204: { description: "Recorded" }, ...errors(401, 422) } },
      },
      "/healthz": { get: { summary: "Liveness", responses: ok(healthView) } },
      "/readyz": { get: { summary: "Readiness (database reachable)", responses: { ...ok(healthView), 503: { description: "Not ready", content: json(healthView) } } } },
    },
  };
}
