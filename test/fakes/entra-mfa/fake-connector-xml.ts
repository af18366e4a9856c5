import { XMLParser, XMLValidator } from "fast-xml-parser";

/** A connector request's top-level elements in document order, with their text (null when i:nil). */
export interface ParsedRequest {
  readonly elements: readonly string[];
  readonly fields: Readonly<Record<string, string | null>>;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
});

type OrderedNode = Record<string, unknown>;

/** Parses a request the way a WCF endpoint would have to: well-formed, the expected root, no DOCTYPE. */
export function parseRequest(xml: string, root: string): ParsedRequest | undefined {
  if (/<!DOCTYPE/i.test(xml) || XMLValidator.validate(xml) !== true) return undefined;
  const document = parser.parse(xml) as OrderedNode[];
  const top = document.find((node) => root in node);
  const children = top?.[root];
  if (!Array.isArray(children)) return undefined;
  const elements: string[] = [];
  const fields: Record<string, string | null> = {};
  for (const child of children as OrderedNode[]) {
    const name = Object.keys(child).find((k) => k !== ":@");
    if (name === undefined || name === "#text") continue;
    elements.push(name);
    const attributes = child[":@"] as Record<string, string> | undefined;
    const content = child[name] as OrderedNode[];
    const textNode = content.find((c) => "#text" in c);
    fields[name] = attributes?.["@_nil"] === "true" ? null : textNode === undefined ? "" : String(textNode["#text"]);
  }
  return { elements, fields };
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] ?? c);
}

const nil = (name: string) => `<${name} i:nil="true"/>`;
const el = (name: string, value: string | null | undefined) => (value === null || value === undefined ? nil(name) : `<${name}>${escape(value)}</${name}>`);

export interface ResponseFields {
  readonly value: string;
  readonly message?: string | null;
  readonly retry?: boolean;
  readonly authenticationResult?: boolean | null;
  readonly sessionId?: string | null;
  readonly upn?: string | null;
  readonly affinityUrl?: string | null;
  readonly entropy?: number;
}

function result(fields: ResponseFields): string {
  return [
    "<Result>",
    el("Value", fields.value),
    el("Message", fields.message ?? null),
    el("Retry", String(fields.retry ?? false)),
    nil("Error"),
    nil("Exception"),
    el("RenewCert", "false"),
    "</Result>",
  ].join("");
}

const authResult = (value: boolean | null | undefined) => el("AuthenticationResult", value === null || value === undefined ? null : String(value));

/** A BeginTwoWayAuthenticationResponse with the fields of the AD FS adapter trace. */
export function beginResponse(fields: ResponseFields): string {
  return [
    '<BeginTwoWayAuthenticationResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance">',
    el("Version", "1"),
    result(fields),
    el("SessionId", fields.sessionId ?? null),
    authResult(fields.authenticationResult),
    el("UserPrincipalName", fields.upn ?? null),
    el("AffinityUrl", fields.affinityUrl ?? null),
    el("ValidEntropyNumber", String(fields.entropy ?? 0)),
    "</BeginTwoWayAuthenticationResponse>",
  ].join("");
}

/** An EndTwoWayAuthenticationResponse as in the trace: pending, success or a failure value. */
export function endResponse(fields: ResponseFields): string {
  return [
    '<EndTwoWayAuthenticationResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance">',
    el("Version", "1"),
    result(fields),
    authResult(fields.authenticationResult),
    nil("LocationData"),
    el("CompletedInteractively", String(fields.authenticationResult === true)),
    "</EndTwoWayAuthenticationResponse>",
  ].join("");
}

/** Microsoft's messages for the values the fake sends (NPS extension error page, trace). */
export const MESSAGES: Readonly<Record<string, string>> = {
  AuthenticationPending: "The authentication has not been completed yet, please try again.",
  AccessDenied: "Caller tenant does not have access permissions to do authentication for the user",
  AuthenticationMethodNotConfigured: "The specified authentication method was not configured for the user",
  BecAccessDenied: "MSODS Bec call returned access denied, probably the username is not defined in the tenant",
  InvalidSession: "The specified session is invalid or may have expired",
  NoDefaultAuthenticationMethodIsConfigured: "No default authentication method was configured for the user",
  TenantIsBlocked: "Tenant is blocked",
  AuthenticationThrottled: "Too many attempts by user in a short period of time. Throttling.",
  OathCodeIncorrect: "Wrong code entered\\OATH Code Incorrect",
  InternalError: "",
};
