import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
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

/**
 * Every error leaves as `{code, message}` with its registered status. Unknown errors are logged
 * with their stack and answered with a generic INTERNAL_ERROR: no stack, no internals.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (isVerityError(error)) {
      if (error.status >= 500) request.log.warn({ code: error.code, err: error }, "request failed");
      else if (error.status === 403) request.log.warn({ code: error.code }, "forbidden");
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
