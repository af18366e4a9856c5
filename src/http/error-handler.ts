import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AuditWriter } from "../services/audit-service.js";
import { z } from "zod";
import { isVerityError, VerityError, type ErrorCode } from "../domain/errors.js";

export function sendError(reply: FastifyReply, error: VerityError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
  if (error.code === "UNAUTHENTICATED") reply.header("www-authenticate", 'Bearer realm="verity"');
  const body: { code: ErrorCode; message: string; details?: unknown } = { code: error.code, message: error.message };
  if (error.details !== undefined && error.status < 500) body.details = error.details;
  return reply.status(error.status).type("application/json; charset=utf-8").send(body);
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "BAD_REQUEST",
  FST_ERR_CTP_EMPTY_JSON_BODY: "INVALID_JSON",
  FST_ERR_CTP_INVALID_JSON_BODY: "INVALID_JSON",
  FST_ERR_CTP_EMPTY_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_TYPE: "UNSUPPORTED_MEDIA_TYPE",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An authenticated caller refused: who (the token), what (method and route) and which resource
 * (the verification in the path, the tenant asked for). Anonymous refusals are not written to
 * the chain, so a flood of them cannot grow it.
 */
async function auditDenied(audit: Pick<AuditWriter, "append">, request: FastifyRequest, error: VerityError): Promise<void> {
  const actor = request.actor;
  if (actor === null) return;
  const params = (request.params ?? {}) as Record<string, unknown>;
  const query = (request.query ?? {}) as Record<string, unknown>;
  const id = typeof params.id === "string" && UUID.test(params.id) ? params.id : null;
  const tenant = typeof query.tenant === "string" ? query.tenant.slice(0, 63) : null;
  try {
    await audit.append([
      {
        actor: actor.id,
        actorName: actor.name,
        action: "access.denied",
        outcome: "forbidden",
        reason: error.message,
        verificationId: id,
        data: { method: request.method, route: request.routeOptions.url ?? "(none)", ...(tenant === null ? {} : { tenant }) },
      },
    ]);
  } catch (failure) {
    request.log.error({ err: failure }, "could not audit a refused request");
  }
}

/**
 * Every error leaves as `{code, message}` with its registered status. Unknown errors are logged
 * with their stack and answered with a generic INTERNAL_ERROR: no stack, no internals. An
 * authenticated caller's FORBIDDEN is audited.
 */
export function installErrorHandling(app: FastifyInstance, deps: { audit: Pick<AuditWriter, "append"> }): void {
  app.setErrorHandler(async (error: FastifyError | Error, request, reply) => {
    if (isVerityError(error)) {
      if (error.status >= 500) request.log.warn({ code: error.code, err: error }, "request failed");
      else if (error.status === 403) request.log.warn({ code: error.code }, "forbidden");
      if (error.code === "FORBIDDEN") await auditDenied(deps.audit, request, error);
      return sendError(reply, error);
    }
    if (error instanceof z.ZodError) return sendError(reply, validationError(error));
    const code = "code" in error && typeof error.code === "string" ? FASTIFY_CODES[error.code] : undefined;
    if (code !== undefined) return sendError(reply, new VerityError(code));
    const status = "statusCode" in error && typeof error.statusCode === "number" ? error.statusCode : 500;
    if (status === 429) return sendError(reply, new VerityError("RATE_LIMITED"));
    if (status >= 400 && status < 500) return sendError(reply, new VerityError("BAD_REQUEST"));
    request.log.error({ err: error }, "unhandled error");
    return sendError(reply, new VerityError("INTERNAL_ERROR"));
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, new VerityError("NOT_FOUND")));
}

export function validationError(error: z.ZodError): VerityError {
  const details = error.issues.map((issue) => ({ path: issue.path.join(".") || "(body)", message: issue.message }));
  const first = details[0];
  return new VerityError("VALIDATION_FAILED", {
    message: first === undefined ? "The request is not valid." : `${first.path}: ${first.message}`,
    details,
  });
}

/** Parses request input with a zod schema; failures become VALIDATION_FAILED with every issue. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(result.error);
  return result.data;
}
