import { randomBytes } from "node:crypto";
import type { FakeOktaFactor, FakeOktaUser, FakeTransaction } from "./fake-okta-types.js";

/**
 * Okta's JSON for users, factors, push transactions and errors, shaped like the examples of the
 * published Management API (user-example, ListFactorsResults, UserFactorVerifyPushTransaction…).
 */

export interface OktaErrorReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Okta's error envelope. */
export function oktaError(status: number, errorCode: string, errorSummary: string, causes: readonly string[] = [], headers?: Record<string, string>): OktaErrorReply {
  return {
    status,
    body: {
      errorCode,
      errorSummary,
      errorLink: errorCode,
      errorId: `oae${randomBytes(12).toString("base64url")}`,
      errorCauses: causes.map((summary) => ({ errorSummary: summary })),
    },
    ...(headers === undefined ? {} : { headers }),
  };
}

export const notFound = (what: string) => oktaError(404, "E0000007", `Not found: Resource not found: ${what} (User)`);

const link = (href: string, allow: readonly string[]) => ({ href, hints: { allow: [...allow] } });

export function userResource(user: FakeOktaUser, links: string): Record<string, unknown> {
  return {
    id: user.id,
    status: user.status,
    created: user.created,
    activated: user.created,
    statusChanged: user.created,
    lastLogin: null,
    lastUpdated: user.created,
    passwordChanged: user.passwordChanged,
    type: { id: "oty1a2b3c4d5e6f7g8h9" },
    profile: {
      login: user.login,
      email: user.email,
      firstName: user.firstName,
      lastName: user.lastName,
      displayName: user.displayName,
      managerId: user.managerId,
      manager: user.manager,
    },
    credentials: { provider: { type: "OKTA", name: "OKTA" } },
    _links: { self: { href: `${links}/api/v1/users/${user.id}` } },
  };
}

export function factorResource(user: FakeOktaUser, factor: FakeOktaFactor, links: string): Record<string, unknown> {
  const self = `${links}/api/v1/users/${user.id}/factors/${factor.id}`;
  return {
    id: factor.id,
    factorType: factor.factorType,
    provider: factor.provider,
    vendorName: factor.provider,
    status: factor.status,
    created: factor.created,
    lastUpdated: factor.lastUpdated,
    profile: factor.profile,
    _links: {
      ...(factor.status === "ACTIVE" ? { verify: link(`${self}/verify`, ["POST"]) } : {}),
      self: link(self, ["GET", "DELETE"]),
      user: link(`${links}/api/v1/users/${user.id}`, ["GET"]),
    },
  };
}

/** A group as `GET /api/v1/users/{id}/groups` lists it (Everyone is Okta's BUILT_IN group). */
export function groupResource(group: { readonly id: string; readonly name: string }, created: string, links: string): Record<string, unknown> {
  return {
    id: group.id,
    created,
    lastUpdated: created,
    lastMembershipUpdated: created,
    objectClass: ["okta:user_group"],
    type: group.name === "Everyone" ? "BUILT_IN" : "OKTA_GROUP",
    profile: { name: group.name, description: group.name === "Everyone" ? "All users in your organization" : null },
    _links: { self: { href: `${links}/api/v1/groups/${group.id}` } },
  };
}

const ROLE_LABELS: Readonly<Record<string, string>> = {
  SUPER_ADMIN: "Super Administrator",
  ORG_ADMIN: "Organization Administrator",
  HELP_DESK_ADMIN: "Help Desk Administrator",
  READ_ONLY_ADMIN: "Read-only Administrator",
  USER_ADMIN: "Group Administrator",
  APP_ADMIN: "Application Administrator",
};

/** An admin role assignment as `GET /api/v1/users/{id}/roles` lists it. */
export function roleResource(user: FakeOktaUser, role: { readonly id: string; readonly type: string }, links: string): Record<string, unknown> {
  return {
    id: role.id,
    label: ROLE_LABELS[role.type] ?? role.type,
    type: role.type,
    status: "ACTIVE",
    created: user.created,
    lastUpdated: user.created,
    assignmentType: "USER",
    _links: { assignee: { href: `${links}/api/v1/users/${user.id}` } },
  };
}

const transactionHref = (tx: FakeTransaction, links: string) => `${links}/api/v1/users/${tx.userId}/factors/${tx.factorId}/transactions/${tx.id}`;

/** The 201 answer to a push challenge: WAITING, the poll and cancel links, and the number. */
export function challengeResource(tx: FakeTransaction, links: string): Record<string, unknown> {
  const href = transactionHref(tx, links);
  return {
    expiresAt: new Date(tx.expiresAt).toISOString(),
    factorResult: "WAITING",
    _links: { poll: link(href, ["GET"]), cancel: link(href, ["DELETE"]) },
    ...(tx.correctAnswer === null ? {} : { _embedded: { challenge: { correctAnswer: tx.correctAnswer } } }),
  };
}

/** A transaction as polling returns it, one shape per factorResult as Okta documents them. */
export function transactionResource(tx: FakeTransaction, credentialId: string, links: string): Record<string, unknown> {
  if (tx.result === "SUCCESS") return { factorResult: "SUCCESS" };
  const factor = `${links}/api/v1/users/${tx.userId}/factors/${tx.factorId}`;
  if (tx.result === "REJECTED" || tx.result === "TIMEOUT") {
    return {
      factorResult: tx.result,
      profile: { credentialId },
      _links: { verify: link(`${factor}/verify`, ["POST"]), factor: link(factor, ["GET", "DELETE"]) },
    };
  }
  const href = transactionHref(tx, links);
  return {
    expiresAt: new Date(tx.expiresAt).toISOString(),
    factorResult: "WAITING",
    profile: { credentialId },
    _links: { poll: link(href, ["GET"]), cancel: link(href, ["DELETE"]) },
    ...(tx.correctAnswer === null ? {} : { _embedded: { challenge: { correctAnswer: tx.correctAnswer } } }),
  };
}
