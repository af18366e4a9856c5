import { assuranceCeiling, assuranceLabel, type AssuranceLevel } from "../domain/assurance.js";
import { VerityError } from "../domain/errors.js";
import { maskEmail, maskPhone } from "../domain/masking.js";
import { decidePolicy } from "../domain/policy.js";
import type { DirectoryUser, RiskSignal } from "../domain/ports.js";
import { VERIFYING_ROLES } from "../domain/roles.js";
import { assertRole, assertTenantAccess, type Actor } from "./actor.js";
import { callerHistorySignals, RECENT_FRAUD_REPORT } from "./caller-history.js";
import type { EngineDeps } from "./engine-deps.js";
import { chooseTarget, isOwnMailbox, OWN_MAILBOX_REASON } from "./targets.js";
import type { TenantRuntime } from "./tenant-registry.js";

export interface UserLookupView {
  readonly tenant: { readonly id: string; readonly name: string };
  readonly user: { readonly id: string; readonly displayName: string; readonly upn: string; readonly privileged: boolean };
  /** Every factor the directory holds, masked, with whether Verity can use it. */
  readonly factors: readonly { readonly type: string; readonly destination: string; readonly usable: boolean; readonly note: string | null }[];
  /** Each method enabled for the tenant, and whether it can reach this user. */
  readonly methods: readonly { readonly method: string; readonly available: boolean; readonly destination: string | null; readonly detail: string }[];
  readonly risk: { readonly decision: string; readonly signals: readonly { code: string; detail: string; action: string }[] };
  /** What policy asks of this caller (docs/assurance.md), and what each method reaches. */
  readonly assurance: {
    readonly required: AssuranceLevel;
    readonly requiredWords: string;
    readonly orTwoMethods: boolean;
    readonly byMethod: Readonly<Record<string, AssuranceLevel>>;
  };
  /** Set when the caller reported fraud in the last 24 hours: a new verification needs an administrator's override. */
  readonly fraudFlag: string | null;
}

/** What a technician sees before choosing a method: masked factors, available methods, risk. */
export async function lookupUser(
  deps: Pick<EngineDeps, "tenants" | "keys" | "db" | "clock">,
  actor: Actor,
  query: string,
  tenantId?: string,
): Promise<UserLookupView> {
  assertRole(actor, ...VERIFYING_ROLES);
  const tenant = deps.tenants.resolve(tenantId, query);
  assertTenantAccess(actor, tenant.id);
  const user = await tenant.directory.findUser(query);
  if (user === null) throw new VerityError("USER_NOT_FOUND", { message: `No user matches that id, email, account name or provider id in ${tenant.name}'s directory.` });
  // The caller's own history in Verity (earlier fraud reports, failures, repeated calls) is read
  // beside the directory's signals, as a start does.
  // So are the checks of each texted number (Twilio Lookup: line type, SIM swap), which decide
  // whether SMS is offered at all.
  const [directorySignals, historySignals, numberChecks] = await Promise.all([
    tenant.directory.riskSignals(user),
    callerHistorySignals(deps, { tenantId: tenant.id, subjectId: user.id }),
    numberSignals(tenant, user, deps.keys),
  ]);
  const signals: RiskSignal[] = [...directorySignals, ...historySignals];
  if (user.privileged && !signals.some((s) => s.code === "privileged")) {
    signals.push({ code: "privileged", detail: "The account is privileged (administrator)." });
  }
  const decision = decidePolicy(signals, tenant.policy);
  const required = user.privileged || signals.some((s) => s.code === "privileged") ? tenant.assurance.privileged : tenant.assurance.required;
  const factors = [
    ...user.phones.map((p) => ({
      type: p.type,
      destination: maskPhone(p.phone),
      usable: p.type !== "office",
      note: p.type === "office" ? "office numbers are never texted" : null,
    })),
    ...user.emails.map((e) =>
      isOwnMailbox(user, e)
        ? { type: "alternateEmail", destination: maskEmail(e), usable: false, note: OWN_MAILBOX_REASON }
        : { type: "alternateEmail", destination: maskEmail(e), usable: true, note: null },
    ),
    ...user.unusable.map((u) => ({ type: u.type, destination: "", usable: false, note: u.reason })),
  ];
  // Providers that can say what the user has (Duo preauth, Okta factors…) are asked in parallel.
  const methods = await Promise.all(
    [...tenant.methods.values()].map(async (binding) => {
      try {
        const target = chooseTarget(binding, user, deps.keys, { id: actor.id, name: actor.name });
        const checked = numberChecks.get(binding.spec.id);
        if (checked !== undefined && checked.length > 0) {
          const verdict = decidePolicy([...signals, ...checked], tenant.policy);
          const flags = checked.map((s) => s.detail).join(" ");
          if (verdict.action === "block") return { method: binding.spec.id, available: false, destination: target.masked, detail: `not offered: ${flags}` };
          return { method: binding.spec.id, available: true, destination: target.masked, detail: `${target.label}; ${flags}` };
        }
        if (!("provider" in binding) || binding.provider.describeUser === undefined || target.kind !== "provider") {
          return { method: binding.spec.id, available: true, destination: target.masked, detail: target.label };
        }
        const info = await binding.provider.describeUser({ providerUserId: target.providerUserId, user, tenantId: tenant.id });
        const available = binding.spec.kind === "push" ? info.push : binding.spec.kind === "passcode" ? info.passcode : true;
        const devices = info.devices.length === 0 ? "" : ` (${info.devices.join(", ")})`;
        return { method: binding.spec.id, available, destination: null, detail: available ? `${target.label}${devices}` : (info.detail ?? "not available at the provider") };
      } catch (error) {
        return { method: binding.spec.id, available: false, destination: null, detail: error instanceof Error ? error.message : "unavailable" };
      }
    }),
  );
  return {
    tenant: { id: tenant.id, name: tenant.name },
    user: { id: user.id, displayName: user.displayName, upn: maskEmail(user.upn), privileged: user.privileged },
    factors,
    methods,
    risk: { decision: decision.action, signals: decision.reasons },
    assurance: {
      required,
      requiredWords: assuranceLabel(required),
      orTwoMethods: tenant.assurance.orTwoMethods,
      // What a method is sure to reach: a push counts as number-matched only once the provider asked for a number.
      byMethod: Object.fromEntries([...tenant.methods.keys()].map((id) => [id, assuranceCeiling(id)])),
    },
    fraudFlag: historySignals.find((s) => s.code === RECENT_FRAUD_REPORT)?.detail ?? null,
  };
}

/** What the channel knows of each number a method would text (its line type, a recent SIM swap), by method id. */
async function numberSignals(tenant: TenantRuntime, user: DirectoryUser, keys: EngineDeps["keys"]): Promise<Map<string, RiskSignal[]>> {
  const checks = await Promise.all(
    [...tenant.methods.values()].map(async (binding) => {
      if (!("channel" in binding) || binding.channel.assess === undefined) return null;
      try {
        const target = chooseTarget(binding, user, keys);
        if (target.kind !== "destination") return null;
        return [binding.spec.id, await binding.channel.assess({ channel: binding.spec.channel, to: target.to })] as const;
      } catch {
        return null;
      }
    }),
  );
  return new Map(checks.filter((c) => c !== null));
}
