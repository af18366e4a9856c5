import type { UserLookupView } from "../services/lookup.js";
import type { StartInput } from "../services/start-verification.js";
import type { CheckView } from "../services/verification-engine.js";
import type { VerificationView } from "../services/views.js";

/** What the CLI needs from Verity, whether it runs in-process or against a server. */
export interface VerityClient {
  start(input: StartInput): Promise<VerificationView>;
  get(id: string): Promise<VerificationView>;
  check(id: string, code: string): Promise<CheckView>;
  resend(id: string): Promise<VerificationView>;
  cancel(id: string, reason: string | null): Promise<VerificationView>;
  lookup(query: string, tenant?: string): Promise<UserLookupView>;
  /** Calls `listener` on each change until the returned function is called. */
  watch(id: string, listener: (view: VerificationView) => void): Promise<() => void>;
  close(): Promise<void>;
}
