import { isVerityError } from "../domain/errors.js";
import type { DirectoryUser } from "../domain/ports.js";
import { transition, type Verification } from "../domain/verification.js";
import { findVerification } from "../store/verification-dal.js";
import type { Actor } from "./actor.js";
import { changeVerification, eventBase, type EngineDeps } from "./engine-deps.js";
import { callerLinkUrl } from "./link-secret.js";
import type { Target } from "./targets.js";
import { approvalMessage } from "./approval.js";
import { callerOrganisation, linkWording, renderTemplate, safeFirstName, safeTicket } from "./caller-wording.js";
import type { MethodBinding, TenantRuntime } from "./tenant-registry.js";

/** Channel errors that say for certain nothing was sent; anything else may have been. */
const NOT_SENT: ReadonlySet<string> = new Set(["CHANNEL_REJECTED", "CHANNEL_UNAVAILABLE", "UPSTREAM_AUTH_FAILED", "INVALID_PHONE_NUMBER"]);

/** Starts watching a push for its answer. */
export interface PushTracker {
  track(verification: Verification): void;
}

export interface DeliveryInput {
  readonly tenant: TenantRuntime;
  readonly binding: MethodBinding;
  readonly verification: Verification;
  readonly user: DirectoryUser;
  readonly target: Target;
  /** The plaintext code for code methods; it lives only in this call. */
  readonly code: string | null;
  readonly actor: Actor;
}

/**
 * Hands a pending verification to its channel or provider and records the outcome. A send that
 * may or may not have happened is never retried here: the verification becomes
 * delivery_unknown and a person decides whether to resend.
 */
export async function deliver(deps: EngineDeps & { pushes: PushTracker }, input: DeliveryInput): Promise<Verification> {
  const { binding, verification: v } = input;
  if ("channel" in binding) return deliverCode(deps, input, binding);
  if (binding.spec.kind === "push" && "provider" in binding) return deliverPush(deps, input, binding);
  const now = deps.clock.now().toISOString();
  const after = await changeVerification(
    deps,
    v.id,
    { states: ["pending"] },
    { state: transition("pending", "delivered"), updated_at: now },
    (a) => [{ ...eventBase(a, input.actor), action: "passcode.requested", outcome: "sent" }],
  );
  return after ?? current(deps, v);
}

async function deliverCode(
  deps: EngineDeps,
  input: DeliveryInput,
  binding: Extract<MethodBinding, { channel: unknown }>,
): Promise<Verification> {
  const { tenant, verification: v, target, actor } = input;
  const vars = {
    organisation: callerOrganisation(tenant, input.user),
    technician: v.technician,
    ticket: v.ticket,
    code: input.code ?? "",
    minutes: Math.round(tenant.settings.codeTtlSeconds / 60),
  };
  // A confirmation link carries its token in the link and no code.
  const link = binding.spec.kind !== "code" && deps.callerLinkBase !== undefined ? callerLinkUrl(deps.callerLinkBase, v.id, input.code ?? "") : null;
  const sms = binding.spec.channel === "sms";
  let event: "delivered" | "delivery_failed" | "delivery_ambiguous";
  let detail: string;
  let providerRef: string | null = null;
  try {
    const receipt = await binding.channel.send({
      channel: binding.spec.channel,
      to: target.kind === "destination" ? target.to : "",
      ...(binding.spec.kind === "approval" && link !== null
        ? approvalMessage({ ...vars, caller: v.subjectName, minutes: vars.minutes, link })
        : {
            subject: renderTemplate(link === null ? tenant.messages.emailSubject : linkWording(tenant.messages, binding.spec.kind).subject, vars),
            text:
              link === null
                ? renderTemplate(sms ? tenant.messages.sms : tenant.messages.email, vars)
                : renderTemplate(linkWording(tenant.messages, binding.spec.kind).text, { ...vars, code: "", link }),
          }),
      verificationId: v.id,
      tenantId: v.tenantId,
    });
    event = "delivered";
    detail = `sent by ${binding.channel.name}`;
    providerRef = receipt.providerRef ?? null;
  } catch (error) {
    if (isVerityError(error) && NOT_SENT.has(error.code)) {
      event = "delivery_failed";
      detail = error.message;
    } else {
      event = "delivery_ambiguous";
      detail = isVerityError(error) ? error.message : "the provider did not confirm the send";
      if (!isVerityError(error)) deps.log.error({ err: error, verificationId: v.id }, "unexpected error while sending");
    }
  }
  const now = deps.clock.now().toISOString();
  const action = { delivered: "message.sent", delivery_failed: "message.send_failed", delivery_ambiguous: "message.delivery_unknown" }[event];
  const outcome = { delivered: "sent", delivery_failed: "failed", delivery_ambiguous: "delivery_unknown" }[event];
  const after = await changeVerification(
    deps,
    v.id,
    { states: ["pending"] },
    {
      state: transition("pending", event),
      state_reason: event === "delivered" ? null : detail,
      provider_ref: providerRef,
      updated_at: now,
      ...(event === "delivery_failed" ? { code_hash: null, completed_at: now } : {}),
    },
    (a) => [{ ...eventBase(a, actor), action, outcome, reason: detail, data: { channel: binding.channel.name } }],
  );
  if (after !== undefined) {
    const reveal = link === null && tenant.ticketing?.codeHandling === "reveal" && after.ticket !== null && input.code !== null && event !== "delivery_failed";
    if (reveal) deps.revealCode?.(tenant, after, input.code ?? "");
    return after;
  }
  // Cancelled while the message was in flight: the send still happened and is still recorded.
  await deps.audit.append([{ ...eventBase(v, actor), action, outcome, reason: `${detail} (after the verification had ended)` }]);
  return current(deps, v);
}

async function deliverPush(
  deps: EngineDeps & { pushes: PushTracker },
  input: DeliveryInput,
  binding: Extract<MethodBinding, { provider: unknown }>,
): Promise<Verification> {
  const { tenant, verification: v, target, actor } = input;
  const organisation = callerOrganisation(tenant, input.user);
  const vars = { organisation, technician: v.technician, ticket: v.ticket };
  const now = () => deps.clock.now().toISOString();
  try {
    const started = await binding.provider.startPush({
      verificationId: v.id,
      tenantId: v.tenantId,
      user: input.user,
      providerUserId: target.kind === "provider" ? target.providerUserId : input.user.upn,
      title: v.prompt?.title ?? renderTemplate(tenant.messages.pushTitle, vars),
      message: v.prompt?.message ?? renderTemplate(tenant.messages.pushMessage, vars),
      // Providers show these to the caller too: only the safe values.
      context: { organisation: organisation ?? tenant.name, technician: safeFirstName(v.technician), ticket: safeTicket(v.ticket) },
      timeoutSeconds: tenant.settings.pushTimeoutSeconds,
    });
    const after = await changeVerification(
      deps,
      v.id,
      { states: ["pending"] },
      {
        state: transition("pending", "delivered"),
        provider_ref: started.transactionRef,
        challenge: started.numberChallenge ?? null,
        updated_at: now(),
      },
      (a) => [{ ...eventBase(a, actor), action: "push.sent", outcome: "sent", data: { provider: binding.provider.name } }],
    );
    if (after === undefined) {
      await binding.provider.cancelPush(started.transactionRef).catch(() => undefined);
      return current(deps, v);
    }
    deps.pushes.track(after);
    return after;
  } catch (error) {
    const reason = isVerityError(error) ? error.message : "the provider did not accept the push";
    if (!isVerityError(error)) deps.log.error({ err: error, verificationId: v.id }, "unexpected error while starting a push");
    const after = await changeVerification(
      deps,
      v.id,
      { states: ["pending"] },
      { state: transition("pending", "delivery_failed"), state_reason: reason, completed_at: now(), updated_at: now() },
      (a) => [{ ...eventBase(a, actor), action: "push.send_failed", outcome: "failed", reason }],
    );
    return after ?? current(deps, v);
  }
}

async function current(deps: Pick<EngineDeps, "db">, v: Verification): Promise<Verification> {
  return (await findVerification(deps.db, v.id)) ?? v;
}
