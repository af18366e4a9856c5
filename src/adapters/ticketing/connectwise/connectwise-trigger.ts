import { createHash } from "node:crypto";
import { z } from "zod";
import { VerityError } from "../../../domain/errors.js";
import type { TicketTrigger, TriggerEvent, TriggerRequest } from "../../../domain/ports.js";
import { createSourceAllowlist } from "../../../domain/source-allowlist.js";
import { parseStrictJson } from "../../../http/json-body.js";
import { hmacMatches, sharedSecretCheck, singleHeader, type SharedSecretAuth } from "../shared/webhook-auth.js";
import type { CallbackKeySource } from "./connectwise-callback-key.js";
import { allowedKeyUrl } from "./connectwise-callback-key.js";
import type { ConnectWiseCallbackConfig } from "./connectwise-config.js";
import { parseWorkflowPress } from "./connectwise-workflow.js";

const SIGNATURE_HEADER = "x-content-signature";
const printable = (max: number) => z.string().trim().regex(new RegExp(`^[\\x21-\\x7e]{1,${max}}$`));
const recordId = z.union([z.number().int().positive().safe(), z.string().regex(/^\d{1,12}$/).transform(Number)]);
const absent = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

/** The callback body (PROVIDERS.md §5.2.1); `Entity` is ignored, the ticket is read back from the API. */
const callbackSchema = z.object({
  MessageId: absent(printable(128)),
  CompanyId: absent(z.string().max(100)),
  Type: absent(z.string().max(50)),
  Action: absent(z.string().max(50)),
  ID: absent(recordId),
  MemberId: absent(z.string().regex(/^[A-Za-z0-9._@-]{1,100}$/)),
});

type CallbackBody = z.output<typeof callbackSchema>;

const keyUrlOf = (body: unknown): unknown =>
  typeof body === "object" && body !== null && "Metadata" in body && typeof body.Metadata === "object" && body.Metadata !== null && "key_url" in body.Metadata
    ? body.Metadata.key_url
    : undefined;

const invalid = (message: string) => new VerityError("VALIDATION_FAILED", { message });

/** The ticket a callback is about: the signed body's `ID`, which a `recordId` in the (unsigned) URL must match. */
function ticketOf(body: CallbackBody, request: Pick<TriggerRequest, "query">): number {
  const fromQuery = request.query.recordId ?? request.query.ID;
  const queryId = fromQuery === undefined || fromQuery === "" ? undefined : recordId.safeParse(fromQuery);
  if (queryId !== undefined && !queryId.success) throw invalid("The callback URL's recordId is not a ticket number.");
  const ticket = body.ID ?? queryId?.data;
  if (ticket === undefined) throw invalid("The ConnectWise callback names no ticket (ID).");
  if (queryId !== undefined && queryId.data !== ticket) throw invalid("The callback URL's recordId and the body's ID name different tickets.");
  return ticket;
}

/** A ticket's status as ConnectWise reports it now. */
export interface CwTicketStatus {
  readonly id: number | null;
  readonly name: string | null;
}

export interface ConnectWiseTriggerDeps {
  readonly keys: CallbackKeySource;
  /** The configured company id: a callback signed for another ConnectWise company is refused. */
  readonly companyId: string;
  /** Reads a ticket's current status (for `callback.statuses`). */
  readonly ticketStatus: (ticketId: number) => Promise<CwTicketStatus>;
  readonly log: { warn(o: object, m: string): void };
  /** Presses from the MSP's own automation, checked with a shared secret (no ConnectWise signature). */
  readonly workflow?: SharedSecretAuth;
}

/**
 * ConnectWise PSA's trigger: a ticket callback (`POST /system/callbacks`, level Status on a
 * "Verify caller" status) signed with `x-content-signature` = base64 HMAC-SHA256 over the raw body,
 * keyed with SHA-256 of the signing key served at the body's `Metadata.key_url`. That URL is
 * allow-listed before it is fetched (it arrives unauthenticated), and the key is cached per URL.
 *
 * A valid signature only proves that some ConnectWise site sent the body, so the body's
 * `CompanyId` must be the configured company, and with `callback.statuses` the ticket, read back
 * from the API, must be in one of those statuses now: a callback from another company's
 * ConnectWise cannot start verifications on this one's tickets.
 *
 * Callbacks carry ids and no time: the ticket comes from the signed body's `ID` (a `recordId`
 * appended to the URL must agree), the delivery id from `MessageId`, the receipt time stands for
 * the press. Deletions and changes made by `ignoreMembers` do nothing; other record types are refused.
 *
 * With `workflow` configured, a request without `x-content-signature` is a press from the MSP's
 * own automation instead: `{ticketId, id, timestamp, memberId?}` under a shared secret.
 */
export function createConnectWiseTrigger(config: ConnectWiseCallbackConfig, deps: ConnectWiseTriggerDeps): TicketTrigger {
  const allowedSource = config.allowedSources === undefined ? null : createSourceAllowlist(config.allowedSources);
  const ignored = new Set(config.ignoreMembers.map((m) => m.toLowerCase()));
  const statuses = config.statuses?.map((s) => (typeof s === "string" ? s.toLowerCase() : s));
  const workflowCheck = deps.workflow === undefined ? null : sharedSecretCheck(deps.workflow, deps.log);
  // Which door a request came through is decided by the header alone, the same way in both steps.
  const fromWorkflow = (request: TriggerRequest) => workflowCheck !== null && request.headers[SIGNATURE_HEADER] === undefined;

  const verifySignature = async (request: TriggerRequest): Promise<unknown> => {
    const signature = singleHeader(request.headers, SIGNATURE_HEADER);
    if (signature === undefined || signature.trim() === "") throw new VerityError("WEBHOOK_SIGNATURE_INVALID");
    let body: unknown;
    try {
      body = parseStrictJson(request.rawBody);
    } catch {
      throw new VerityError("WEBHOOK_SIGNATURE_INVALID");
    }
    const keyUrl = allowedKeyUrl(keyUrlOf(body), config.keyOrigins);
    if (keyUrl === undefined) {
      deps.log.warn({ service: "ConnectWise" }, "refused a ConnectWise callback whose Metadata.key_url is missing or not on the allow-list (nothing was fetched)");
      throw new VerityError("WEBHOOK_SIGNATURE_INVALID");
    }
    const key = await deps.keys.key(keyUrl);
    if (key !== undefined && hmacMatches("sha256", key, request.rawBody, signature)) return body;
    // The key may have been rotated: one fresh fetch, at most once a minute per key_url.
    const fresh = await deps.keys.key(keyUrl, { refresh: true });
    if (fresh !== undefined && fresh !== key && hmacMatches("sha256", fresh, request.rawBody, signature)) return body;
    throw new VerityError("WEBHOOK_SIGNATURE_INVALID");
  };

  const checkStatus = async (callback: CallbackBody, request: TriggerRequest): Promise<void> => {
    if (statuses === undefined || !acts(callback)) return;
    const ticket = ticketOf(callback, request);
    const now = await deps.ticketStatus(ticket);
    const matches = statuses.some((s) => (typeof s === "number" ? s === now.id : s === now.name?.toLowerCase()));
    if (matches) return;
    deps.log.warn({ service: "ConnectWise", ticket, statusId: now.id }, "ignored a ConnectWise callback for a ticket that is not in a status listed in callback.statuses");
    throw invalid(`Ticket ${ticket} is not in a status listed in callback.statuses; nothing was done.`);
  };

  const acts = (callback: CallbackBody): boolean =>
    callback.Type?.trim().toLowerCase() === "ticket" &&
    callback.Action?.trim().toLowerCase() !== "deleted" &&
    !(callback.MemberId !== undefined && ignored.has(callback.MemberId.toLowerCase()));

  return {
    async authenticate(request) {
      if (fromWorkflow(request)) return workflowCheck?.(request);
      if (allowedSource !== null && !allowedSource(request.ip)) {
        deps.log.warn({ source: request.ip }, "refused a ConnectWise callback from an address outside its allowedSources");
        throw new VerityError("SOURCE_NOT_ALLOWED");
      }
      const callback = callbackSchema.safeParse(await verifySignature(request));
      const company = callback.success ? callback.data.CompanyId?.trim().toLowerCase() : undefined;
      if (!callback.success || company !== deps.companyId.toLowerCase()) {
        deps.log.warn({ service: "ConnectWise" }, "refused a correctly signed ConnectWise callback whose CompanyId is not the configured companyId");
        throw new VerityError("WEBHOOK_SIGNATURE_INVALID");
      }
      await checkStatus(callback.data, request);
    },
    parse(request): TriggerEvent[] {
      if (fromWorkflow(request)) return [parseWorkflowPress(parseStrictJson(request.rawBody))];
      const parsed = callbackSchema.safeParse(parseStrictJson(request.rawBody));
      if (!parsed.success) throw invalid("The ConnectWise callback body is not an object.");
      const body = parsed.data;
      const type = body.Type?.trim().toLowerCase();
      if (type !== "ticket") {
        throw invalid(
          `This callback is for ${type === undefined || !/^[a-z_]{1,30}$/.test(type) ? "another kind of record" : `a ${type} record`}; Verity acts on ticket callbacks only (register it with type Ticket).`,
        );
      }
      if (!acts(body)) return [];
      const ticket = ticketOf(body, request);
      return [
        {
          deliveryId: body.MessageId ?? `body-${createHash("sha256").update(request.rawBody).digest("base64url")}`,
          ticket: String(ticket),
          raisedAt: request.receivedAt,
          agent: body.MemberId ?? null,
          emailHint: null,
        },
      ];
    },
  };
}
