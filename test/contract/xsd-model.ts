import { readFileSync } from "node:fs";
import { parseXml, splitQName, type XmlElement } from "../../src/adapters/push/vip/vip-xml.js";

/**
 * The part of XML Schema 1.0 that vendor SOAP contracts such as VIP's use, read into a model a
 * validator can walk: global elements, named complex types (sequences, choices, complexContent
 * extension, simpleContent), named and inline simple types with restriction facets. Anything else
 * (xs:any, groups, refs, xs:all) is kept as "unsupported" so validation reports it rather than
 * passing silently.
 */

export const XS = "http://www.w3.org/2001/XMLSchema";

export interface QName {
  readonly ns: string;
  readonly local: string;
}

export interface Facets {
  readonly patterns: readonly string[];
  readonly enumeration: readonly string[];
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly length?: number;
  readonly minInclusive?: number;
  readonly maxInclusive?: number;
}

export interface SimpleType {
  readonly name?: string;
  /** The type restricted: a built-in (XS namespace) or another simple type. */
  readonly base: QName;
  readonly facets: Facets;
}

export type TypeRef = { readonly kind: "named"; readonly qname: QName } | { readonly kind: "simple"; readonly type: SimpleType } | { readonly kind: "complex"; readonly type: ComplexType };

export interface ElementDecl {
  readonly name: string;
  readonly type: TypeRef;
  readonly minOccurs: number;
  readonly maxOccurs: number;
}

export type Particle =
  | { readonly kind: "element"; readonly decl: ElementDecl; readonly minOccurs: number; readonly maxOccurs: number }
  | { readonly kind: "sequence" | "choice"; readonly items: readonly Particle[]; readonly minOccurs: number; readonly maxOccurs: number }
  | { readonly kind: "unsupported"; readonly what: string; readonly minOccurs: number; readonly maxOccurs: number };

export interface ComplexType {
  readonly name?: string;
  readonly abstract: boolean;
  /** complexContent extension: the base type's content comes first. */
  readonly extends?: QName;
  readonly particle: Particle | null;
  /** simpleContent: the text's type. */
  readonly simpleContent?: QName;
}

export interface XsdSchema {
  readonly targetNamespace: string;
  readonly elements: ReadonlyMap<string, ElementDecl>;
  readonly complexTypes: ReadonlyMap<string, ComplexType>;
  readonly simpleTypes: ReadonlyMap<string, SimpleType>;
}

const xs = (el: XmlElement, local: string) => el.children.filter((c) => c.ns === XS && c.local === local);
const firstXs = (el: XmlElement, local: string) => xs(el, local)[0];
const occurs = (value: string | undefined, fallback: number) => (value === undefined ? fallback : value === "unbounded" ? Infinity : Number(value));

/** Resolves a QName written in an attribute, with the namespaces in scope on `el`. */
export function resolveQName(el: XmlElement, value: string): QName {
  const [prefix, local] = splitQName(value.trim());
  const ns = el.namespaces[prefix];
  if (ns === undefined && prefix !== "") throw new Error(`undeclared prefix in QName ${value}`);
  return { ns: ns ?? "", local };
}

/** Reads an XSD file (it must exist; callers check with sharedContract first). */
export function loadXsd(path: string): XsdSchema {
  return readXsd(parseXml(readFileSync(path, "utf8")));
}

export function readXsd(root: XmlElement): XsdSchema {
  if (root.ns !== XS || root.local !== "schema") throw new Error("not an XML Schema document");
  const targetNamespace = root.attributes.targetNamespace ?? "";
  const elements = new Map<string, ElementDecl>();
  const complexTypes = new Map<string, ComplexType>();
  const simpleTypes = new Map<string, SimpleType>();
  for (const child of root.children) {
    if (child.ns !== XS) continue;
    const name = child.attributes.name;
    if (name === undefined) continue;
    if (child.local === "element") elements.set(name, readElement(child));
    else if (child.local === "complexType") complexTypes.set(name, readComplex(child));
    else if (child.local === "simpleType") simpleTypes.set(name, readSimple(child));
  }
  return { targetNamespace, elements, complexTypes, simpleTypes };
}

function readElement(el: XmlElement): ElementDecl {
  const name = el.attributes.name ?? "";
  const min = occurs(el.attributes.minOccurs, 1);
  const max = occurs(el.attributes.maxOccurs, 1);
  const inlineSimple = firstXs(el, "simpleType");
  const inlineComplex = firstXs(el, "complexType");
  let type: TypeRef;
  if (el.attributes.type !== undefined) type = { kind: "named", qname: resolveQName(el, el.attributes.type) };
  else if (inlineSimple !== undefined) type = { kind: "simple", type: readSimple(inlineSimple) };
  else if (inlineComplex !== undefined) type = { kind: "complex", type: readComplex(inlineComplex) };
  else type = { kind: "named", qname: { ns: XS, local: "anyType" } };
  return { name, type, minOccurs: min, maxOccurs: max };
}

function readParticle(el: XmlElement): Particle {
  const minOccurs = occurs(el.attributes.minOccurs, 1);
  const maxOccurs = occurs(el.attributes.maxOccurs, 1);
  if (el.local === "element") {
    if (el.attributes.ref !== undefined) return { kind: "unsupported", what: `element ref=${el.attributes.ref}`, minOccurs, maxOccurs };
    return { kind: "element", decl: readElement(el), minOccurs, maxOccurs };
  }
  if (el.local === "sequence" || el.local === "choice") {
    const items = el.children.filter((c) => c.ns === XS && c.local !== "annotation").map(readParticle);
    return { kind: el.local, items, minOccurs, maxOccurs };
  }
  return { kind: "unsupported", what: `xs:${el.local}`, minOccurs, maxOccurs };
}

const contentParticle = (el: XmlElement): Particle | null => {
  const group = el.children.find((c) => c.ns === XS && ["sequence", "choice", "all", "group"].includes(c.local));
  return group === undefined ? null : readParticle(group);
};

function readComplex(el: XmlElement): ComplexType {
  const base = { ...(el.attributes.name === undefined ? {} : { name: el.attributes.name }), abstract: el.attributes.abstract === "true" };
  const complexContent = firstXs(el, "complexContent");
  const simpleContent = firstXs(el, "simpleContent");
  if (complexContent !== undefined) {
    const extension = firstXs(complexContent, "extension");
    if (extension === undefined) return { ...base, particle: { kind: "unsupported", what: "complexContent restriction", minOccurs: 1, maxOccurs: 1 } };
    return { ...base, extends: resolveQName(extension, extension.attributes.base ?? ""), particle: contentParticle(extension) };
  }
  if (simpleContent !== undefined) {
    const derivation = simpleContent.children.find((c) => c.ns === XS && (c.local === "extension" || c.local === "restriction"));
    return { ...base, particle: null, simpleContent: resolveQName(simpleContent, derivation?.attributes.base ?? "xs:string") };
  }
  return { ...base, particle: contentParticle(el) };
}

function readSimple(el: XmlElement): SimpleType {
  const restriction = firstXs(el, "restriction");
  if (restriction === undefined) throw new Error(`simpleType ${el.attributes.name ?? "(inline)"}: only restrictions are supported`);
  const values = (local: string) => xs(restriction, local).map((f) => f.attributes.value ?? "");
  const number = (local: string) => {
    const [value] = values(local);
    return value === undefined ? {} : { [local]: Number(value) };
  };
  return {
    ...(el.attributes.name === undefined ? {} : { name: el.attributes.name }),
    base: resolveQName(restriction, restriction.attributes.base ?? "xs:string"),
    facets: {
      patterns: values("pattern"),
      enumeration: values("enumeration"),
      ...number("minLength"),
      ...number("maxLength"),
      ...number("length"),
      ...number("minInclusive"),
      ...number("maxInclusive"),
    },
  };
}
