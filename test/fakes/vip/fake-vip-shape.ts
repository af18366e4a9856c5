import { VIP_NS } from "../../../src/adapters/push/vip/vip-requests.js";
import type { XmlElement } from "../../../src/adapters/push/vip/vip-xml.js";

/**
 * The request checks VIP makes before anything else (it answers 600B "Schema validation failed"
 * when one fails): element order and counts, and the simple-type restrictions of
 * vipuserservices-1.7.xsd for the requests Verity sends. Written by hand from the schema so
 * the fake does not need the contract files; test/contract checks against the XSD itself.
 */

type Check = (value: string) => string | null;

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** A leaf's text check, or the children of a complex element. */
  readonly leaf?: Check;
  readonly children?: readonly Field[];
}

const chars = (value: string) => [...value].length;
const pattern = (re: RegExp, label: string): Check => (v) => (re.test(v) ? null : `${label} '${v.slice(0, 60)}' does not match ${re.source}`);
const length = (min: number, max: number, label: string): Check => (v) =>
  chars(v) < min || chars(v) > max ? `${label} must be ${min}–${max} characters (is ${chars(v)})` : null;
const bool: Check = (v) => (/^(true|false|1|0)$/.test(v.trim()) ? null : `'${v}' is not a boolean`);

const requestId: Field = { name: "requestId", min: 1, max: 1, leaf: pattern(/^[0-9A-Za-z_]{4,40}$/, "requestId") };
const accountId: Field = { name: "onBehalfOfAccountId", min: 0, max: 1, leaf: pattern(/^[0-9A-Za-z]{3,50}$/, "onBehalfOfAccountId") };
const userId: Field = { name: "userId", min: 1, max: 1, leaf: length(1, 128, "userId") };
const keyValue = (name: string): Field => ({
  name,
  min: 0,
  max: 20,
  children: [
    { name: "Key", min: 1, max: 1, leaf: length(1, 125, "Key") },
    { name: "Value", min: 1, max: 1, leaf: length(0, 250, "Value") },
  ],
});
const authContext: Field = { name: "authContext", min: 0, max: 1, children: [keyValue("params")] };
const otp = (name: string, min: number): Field => ({ name, min, max: 1, leaf: pattern(/^[0-9A-Za-z]{6,10}$/, name) });

export const REQUEST_SHAPES: Readonly<Record<string, readonly Field[]>> = {
  AuthenticateUserWithPushRequest: [
    requestId,
    accountId,
    userId,
    { name: "pin", min: 0, max: 1, leaf: length(4, 128, "pin") },
    { name: "pushAuthData", min: 1, max: 1, children: [keyValue("displayParameters"), keyValue("requestParameters")] },
    authContext,
  ],
  PollPushStatusRequest: [requestId, accountId, { name: "transactionId", min: 1, max: 20, leaf: pattern(/^[0-9A-Za-z_]{4,16}$/, "transactionId") }],
  CheckOtpRequest: [requestId, accountId, userId, { name: "otpAuthData", min: 1, max: 1, children: [otp("otp", 1), otp("otp2", 0)] }, authContext],
  GetServerTimeRequest: [requestId, accountId],
  GetUserInfoRequest: [
    requestId,
    accountId,
    userId,
    { name: "iaInfo", min: 0, max: 1, leaf: bool },
    { name: "includePushAttributes", min: 0, max: 1, leaf: bool },
  ],
};

/** The first way `el` departs from `fields`, or null when it conforms. */
export function shapeProblem(el: XmlElement, fields: readonly Field[]): string | null {
  const kids = el.children;
  let i = 0;
  for (const field of fields) {
    let count = 0;
    for (let kid = kids[i]; kid !== undefined && kid.ns === VIP_NS && kid.local === field.name; kid = kids[i]) {
      const problem = field.children === undefined ? leafProblem(kid, field) : shapeProblem(kid, field.children);
      if (problem !== null) return problem;
      count += 1;
      i += 1;
    }
    if (count < field.min) return `${el.local}: ${field.name} is missing${kids[i] === undefined ? "" : ` (found ${kids[i]?.local} there)`}`;
    if (count > field.max) return `${el.local}: ${field.name} appears ${count} times (at most ${field.max})`;
  }
  const extra = kids[i];
  if (extra !== undefined) return `${el.local}: unexpected element ${extra.local}${extra.ns === VIP_NS ? "" : ` in namespace '${extra.ns}'`}`;
  if (el.text.trim() !== "") return `${el.local}: text where only elements belong`;
  return null;
}

function leafProblem(el: XmlElement, field: Field): string | null {
  if (el.children.length > 0) return `${field.name} must hold text, not elements`;
  return field.leaf?.(el.text) ?? null;
}
