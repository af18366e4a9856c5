import { z } from "zod";
import { SOAP_NS, VIP_NS } from "./vip-requests.js";
import { parseXml, toPlain, type XmlElement } from "./vip-xml.js";

/**
 * The answers Verity reads, as zod schemas over `toPlain` records (every child an array). VIP
 * adds elements in later versions (1.8 `deviceInfo`, `numbersChallengeValue`, `tokenInfo`…), so
 * unknown children pass; what Verity relies on must be there and well-formed.
 */

const text = z.string();
/** `status` and `detail` are xs:hexBinary: compare as upper-case 4-character strings ("600B"). */
const hexCode = z
  .string()
  .trim()
  .regex(/^[0-9A-Fa-f]{4}$/, "a 4-digit hex status")
  .transform((s) => s.toUpperCase());

/** A detail code is only informative: an odd one is dropped rather than failing the answer. */
const detailCode = z.string().transform((s) => (/^[0-9A-Fa-f]{4}$/.test(s.trim()) ? s.trim().toUpperCase() : undefined));

const one = <T extends z.ZodType>(schema: T) => z.tuple([schema]).transform(([value]) => value);
const optionalOne = <T extends z.ZodType>(schema: T) =>
  z
    .tuple([schema])
    .optional()
    .transform((value) => value?.[0]);
const list = <T extends z.ZodType>(schema: T) => z.array(schema).default([]);

/** BaseResponseType. `statusMessage` is required by the schema but only read for wording. */
const base = {
  requestId: optionalOne(text),
  status: one(hexCode),
  statusMessage: optionalOne(text),
  detail: optionalOne(detailCode),
  detailMessage: optionalOne(text),
};

export const pushResponseSchema = z.looseObject({
  ...base,
  transactionId: optionalOne(z.string().regex(/^[0-9A-Za-z_]{4,16}$/, "a PushTransactionIdType")),
  numbersChallengeValue: optionalOne(z.string().trim()),
  pushDetail: list(z.looseObject({ pushCredentialId: optionalOne(text), pushSent: optionalOne(text) })),
});

export const pollResponseSchema = z.looseObject({
  ...base,
  transactionStatus: list(
    z.looseObject({
      transactionId: one(text),
      status: one(hexCode),
      statusMessage: optionalOne(text),
      detail: optionalOne(detailCode),
      detailMessage: optionalOne(text),
    }),
  ),
});

export const checkOtpResponseSchema = z.looseObject({ ...base, credentialType: optionalOne(text) });

const keyValue = z.looseObject({ Key: one(text), Value: optionalOne(text) });

export const userInfoResponseSchema = z.looseObject({
  ...base,
  userId: optionalOne(text),
  userStatus: optionalOne(text),
  credentialBindingDetail: list(
    z.looseObject({
      credentialId: optionalOne(text),
      credentialType: optionalOne(text),
      credentialStatus: optionalOne(text),
      bindingDetail: optionalOne(z.looseObject({ bindStatus: optionalOne(text), friendlyName: optionalOne(text) })),
      pushAttributes: list(keyValue),
    }),
  ),
});

/** GetServerTimeResponse: BaseResponseType and VIP's clock (xs:dateTime). */
export const serverTimeResponseSchema = z.looseObject({ ...base, timestamp: optionalOne(text) });

export type PushResponse = z.output<typeof pushResponseSchema>;
export type PollResponse = z.output<typeof pollResponseSchema>;
export type UserInfoResponse = z.output<typeof userInfoResponseSchema>;
export type CredentialBinding = UserInfoResponse["credentialBindingDetail"][number];

/** What a SOAP answer held: VIP's response element, a SOAP Fault, or nothing Verity can read. */
export type SoapReply<T> =
  | { readonly kind: "response"; readonly value: T }
  | { readonly kind: "fault"; readonly faultCode: string; readonly faultString: string }
  | { readonly kind: "unreadable"; readonly reason: string };

/**
 * Reads a SOAP 1.1 answer expecting the VIP element `name` in the body. Fault shapes are
 * UNCONFIRMED for VIP, so a Fault is recognised by the SOAP 1.1 envelope alone.
 */
export function readSoap<S extends z.ZodType>(body: string, name: string, schema: S): SoapReply<z.output<S>> {
  let root: XmlElement;
  try {
    root = parseXml(body);
  } catch (error) {
    return { kind: "unreadable", reason: error instanceof Error ? error.message : "not XML" };
  }
  if (root.ns !== SOAP_NS || root.local !== "Envelope") return { kind: "unreadable", reason: "not a SOAP 1.1 envelope" };
  const soapBody = root.children.find((c) => c.ns === SOAP_NS && c.local === "Body");
  const [first] = soapBody?.children ?? [];
  if (first === undefined) return { kind: "unreadable", reason: "the SOAP body is empty" };
  if (first.ns === SOAP_NS && first.local === "Fault") {
    const field = (local: string) => first.children.find((c) => c.local === local)?.text.trim() ?? "";
    return { kind: "fault", faultCode: field("faultcode"), faultString: field("faultstring") };
  }
  if (first.ns !== VIP_NS || first.local !== name) {
    return { kind: "unreadable", reason: `expected ${name} in VIP's namespace, got ${first.local}` };
  }
  const parsed = schema.safeParse(toPlain(first, VIP_NS));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: "unreadable", reason: `${name} ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "malformed"}` };
  }
  return { kind: "response", value: parsed.data };
}
