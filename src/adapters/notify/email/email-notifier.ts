import { isVerityError, VerityError } from "../../../domain/errors.js";
import type { DeliveryOutcome, NotificationMessage, Notifier } from "../../../domain/notifications.js";
import type { MessageChannel } from "../../../domain/ports.js";
import { alertEmail } from "./email-alert.js";

/** Where one email destination sends: a fixed address, or the caller's manager looked up at send time. */
export type EmailRecipient = { readonly kind: "address"; readonly address: string } | { readonly kind: "manager" };

export interface EmailNotifierDeps {
  /** The email provider (smtp, graph-mail or console) that carries the message. */
  readonly channel: MessageChannel;
  /** The caller's manager's address when the directory names a usable one, else null. Rejects when the directory cannot answer. */
  readonly managerOf: (tenantId: string, subjectId: string) => Promise<string | null>;
}

/**
 * Sends events as email through one of Verity's email channels. A channel's CHANNEL_REJECTED
 * (the provider refused: a bad address, a policy) is final; every other failure is retried by the
 * queue, DELIVERY_UNKNOWN included: for a fraud alert a rare duplicate is better than a lost one.
 * A manager who cannot be written to (none in the directory, no address, the caller's own) is
 * refused at once, and the queue audits that as `notification.failed` with the reason.
 */
export function createEmailNotifier(recipient: EmailRecipient, label: string, deps: EmailNotifierDeps): Notifier {
  const send = async (message: NotificationMessage, to: string, audience: "team" | "manager"): Promise<DeliveryOutcome> => {
    const data = message.data;
    const ids = "verificationId" in data ? { verificationId: data.verificationId, tenantId: data.tenant.id } : { verificationId: "test", tenantId: "" };
    try {
      await deps.channel.send({ channel: "email", to, ...alertEmail(message, audience), ...ids });
      return "delivered";
    } catch (error) {
      const reason = isVerityError(error) ? error.message : "the email provider failed";
      if (isVerityError(error) && error.code === "CHANNEL_REJECTED") throw new VerityError("NOTIFICATION_REFUSED", { message: `${label}: ${reason}`, cause: error });
      throw new VerityError("NOTIFICATION_FAILED", { message: `${label}: ${reason}`, cause: error });
    }
  };

  return {
    kind: "email",
    label,
    async deliver(message) {
      if (recipient.kind === "address") return send(message, recipient.address, "team");
      const data = message.data;
      // A test message has no caller, so it has no manager: it goes nowhere and says so.
      if (!("verificationId" in data)) throw new VerityError("NOTIFICATION_REFUSED", { message: `${label}: a test message has no caller, so there is no manager to write to.` });
      let address: string | null;
      try {
        address = await deps.managerOf(data.tenant.id, data.subject.directoryId);
      } catch (error) {
        throw new VerityError("NOTIFICATION_FAILED", { message: `${label}: the directory could not say who the caller's manager is`, cause: error });
      }
      if (address === null) {
        throw new VerityError("NOTIFICATION_REFUSED", { message: `${label}: the directory names no manager with a usable address for ${data.subject.displayName}` });
      }
      return send(message, address, "manager");
    },
    close: () => Promise.resolve(),
  };
}
