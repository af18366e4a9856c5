import { XMLParser, XMLValidator } from "fast-xml-parser";
import { VerityError } from "../../../domain/errors.js";

/** Authentication methods the connector knows by these ids (AD FS adapter trace). */
export type ConnectorMethodId = "PhoneAppNotification" | "PhoneAppOTP";

export interface BeginRequest {
  readonly upn: string;
  readonly lcid: string;
  /** Omitted: the connector uses the user's default method, as the NPS extension does. */
  readonly methodId?: ConnectorMethodId;
  readonly contextId: string;
  readonly syncCall: boolean;
}

export interface EndRequest {
  readonly sessionId: string;
  readonly contextId: string;
  readonly upn: string;
  /** The passcode, for PhoneAppOTP sessions. */
  readonly additionalAuthData?: string;
}

/** The `Result` element every connector response carries. */
export interface ConnectorResult {
  readonly value: string;
  readonly message: string | null;
  readonly retry: boolean;
  readonly error: string | null;
}

export interface ConnectorResponse {
  readonly result: ConnectorResult;
  readonly sessionId: string | null;
  /** true or false as sent; null when nil, absent or anything else ("challenge"). */
  readonly authenticationResult: boolean | null;
  readonly upn: string | null;
  readonly affinityUrl: string | null;
  /** The number the user must pick when the push is number-matched; 0 or absent when not. */
  readonly validEntropyNumber: number | null;
}

const MAX_RESPONSE_CHARS = 256 * 1024;
// XML 1.0 allows tab, LF, CR and everything from U+0020 except the surrogates and U+FFFE/U+FFFF.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ARRAYS_NS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays";

/**
 * Escapes text for an XML element. Characters XML 1.0 cannot carry at all are refused rather
 * than dropped, so what Microsoft receives is exactly what Verity was asked to send.
 */
export function escapeXml(text: string): string {
  if (NOT_XML_CHAR.test(text)) {
    throw new VerityError("VALIDATION_FAILED", { message: "The value contains characters that cannot be sent in XML." });
  }
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] ?? c);
}

const element = (name: string, value: string) => `<${name}>${escapeXml(value)}</${name}>`;

/**
 * `BeginTwoWayAuthenticationRequest` in the element order CIPP sends (AuthenticationMethodId sits
 * after Lcid, as in the AD FS adapter's trace and CIPP's current code).
 */
export function beginRequestXml(request: BeginRequest): string {
  return [
    "<BeginTwoWayAuthenticationRequest>",
    element("Version", "1.0"),
    element("UserPrincipalName", request.upn),
    element("Lcid", request.lcid),
    request.methodId === undefined ? "" : element("AuthenticationMethodId", request.methodId),
    `<AuthenticationMethodProperties xmlns:a="${ARRAYS_NS}"><a:KeyValueOfstringstring><a:Key>OverrideVoiceOtp</a:Key><a:Value>false</a:Value></a:KeyValueOfstringstring></AuthenticationMethodProperties>`,
    element("ContextId", request.contextId),
    element("SyncCall", String(request.syncCall)),
    element("RequireUserMatch", "true"),
    element("CallerName", "Verity"),
    element("CallerIP", "UNKNOWN:"),
    "</BeginTwoWayAuthenticationRequest>",
  ].join("");
}

/** `EndTwoWayAuthenticationRequest`; an empty AdditionalAuthData is sent as nil, as the AD FS adapter does. */
export function endRequestXml(request: EndRequest): string {
  const data =
    request.additionalAuthData === undefined ? '<AdditionalAuthData i:nil="true"/>' : element("AdditionalAuthData", request.additionalAuthData);
  return [
    '<EndTwoWayAuthenticationRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance">',
    element("Version", "1.0"),
    element("SessionId", request.sessionId),
    element("ContextId", request.contextId),
    data,
    element("UserPrincipalName", request.upn),
    "</EndTwoWayAuthenticationRequest>",
  ].join("");
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
});

/** The text of an element; null when it is nil, absent, repeated or has children. */
function text(node: unknown): string | null {
  if (typeof node === "string") return node;
  if (node !== null && typeof node === "object" && !Array.isArray(node)) {
    const record = node as Record<string, unknown>;
    if (record["@_nil"] === "true") return null;
    if (typeof record["#text"] === "string") return record["#text"];
    const children = Object.keys(record).filter((k) => !k.startsWith("@_"));
    return children.length === 0 ? "" : null;
  }
  return null;
}

function bool(node: unknown): boolean | null {
  const value = text(node)?.toLowerCase();
  return value === "true" ? true : value === "false" ? false : null;
}

/**
 * Reads a connector response defensively: bounded size, no DOCTYPE, well-formed, the expected
 * root element and a `Result/Value`. Anything else gives `undefined`, which callers treat as an
 * unreadable answer (never as approval).
 */
export function parseConnectorResponse(xml: string, root: "BeginTwoWayAuthenticationResponse" | "EndTwoWayAuthenticationResponse"): ConnectorResponse | undefined {
  if (xml.length === 0 || xml.length > MAX_RESPONSE_CHARS || /<!DOCTYPE/i.test(xml)) return undefined;
  if (XMLValidator.validate(xml) !== true) return undefined;
  let document: unknown;
  try {
    document = parser.parse(xml);
  } catch {
    return undefined;
  }
  const body = (document as Record<string, unknown> | null)?.[root];
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  const fields = body as Record<string, unknown>;
  const resultNode = fields.Result;
  if (resultNode === null || typeof resultNode !== "object" || Array.isArray(resultNode)) return undefined;
  const result = resultNode as Record<string, unknown>;
  const value = text(result.Value);
  if (value === null || value === "") return undefined;
  const entropy = text(fields.ValidEntropyNumber);
  return {
    result: { value, message: text(result.Message), retry: bool(result.Retry) === true, error: text(result.Error) },
    sessionId: text(fields.SessionId),
    authenticationResult: bool(fields.AuthenticationResult),
    upn: text(fields.UserPrincipalName),
    affinityUrl: text(fields.AffinityUrl),
    validEntropyNumber: entropy !== null && /^\d{1,3}$/.test(entropy) ? Number(entropy) : null,
  };
}
