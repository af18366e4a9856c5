import type { XmlElement } from "../../src/adapters/push/vip/vip-xml.js";
import { XS, type ComplexType, type ElementDecl, type Facets, type Particle, type QName, type SimpleType, type TypeRef, type XsdSchema } from "./xsd-model.js";

/**
 * Checks an element against an XSD model (see xsd-model.ts): it must be a declared global element
 * in the target namespace; children must follow the content model (sequence order, choices,
 * minOccurs/maxOccurs, extension bases first), in the target namespace (elementFormDefault
 * qualified); text must satisfy its simple type (built-in lexical forms, patterns, lengths,
 * enumerations, ranges). Returns every problem found; empty means valid.
 *
 * Matching is greedy without backtracking, which is exact for the deterministic content models
 * XSD's Unique Particle Attribution rule requires.
 */
export function validateElement(schema: XsdSchema, el: XmlElement): string[] {
  const decl = schema.elements.get(el.local);
  if (el.ns !== schema.targetNamespace) return [`<${el.local}> is in namespace '${el.ns}', not '${schema.targetNamespace}'`];
  if (decl === undefined) return [`<${el.local}> is not a global element of the schema`];
  return checkElement(schema, el, decl, el.local);
}

function checkElement(schema: XsdSchema, el: XmlElement, decl: ElementDecl, path: string): string[] {
  const type = resolveType(schema, decl.type);
  if (type === undefined) return [`${path}: unknown type`];
  if (type.kind === "simple") {
    if (el.children.length > 0) return [`${path}: holds elements but is a simple value`];
    return checkSimple(schema, type.type, el.text, path);
  }
  const complex = type.type;
  if (complex.abstract) return [`${path}: its type ${complex.name ?? ""} is abstract`];
  const problems = Object.keys(el.attributes)
    .filter((a) => !a.startsWith("xsi:"))
    .map((a) => `${path}: attribute ${a} is not declared`);
  if (complex.simpleContent !== undefined) {
    if (el.children.length > 0) problems.push(`${path}: holds elements but has simple content`);
    return [...problems, ...checkSimple(schema, { base: complex.simpleContent, facets: { patterns: [], enumeration: [] } }, el.text, path)];
  }
  if (el.text.trim() !== "") problems.push(`${path}: has text but only elements are allowed`);
  const particle = effectiveParticle(schema, complex);
  const matched: [XmlElement, ElementDecl][] = [];
  const furthest: Furthest = { index: -1, expected: [] };
  const end = particle === null ? 0 : repeat(schema, particle, el.children, 0, matched, furthest);
  if (end === null || end < el.children.length) {
    problems.push(describeMismatch(el, furthest, end, path));
    return problems;
  }
  for (const [child, childDecl] of matched) problems.push(...checkElement(schema, child, childDecl, `${path}/${child.local}`));
  return problems;
}

interface Furthest {
  index: number;
  expected: string[];
}

function describeMismatch(el: XmlElement, furthest: Furthest, end: number | null, path: string): string {
  const at = Math.max(furthest.index, end ?? 0);
  const found = el.children[at];
  const expected = furthest.index === at ? [...new Set(furthest.expected)].join(" or ") : "";
  const foundText = found === undefined ? "the end" : `<${found.local}>${found.ns === "" ? " (no namespace)" : ""}`;
  if (end !== null && at === end) {
    return `${path}: unexpected ${foundText} at position ${at + 1} (out of order, repeated too often, or not declared${expected === "" ? "" : `; only ${expected} may come here`})`;
  }
  return `${path}: expected ${expected === "" ? "another element" : expected} at position ${at + 1} but found ${foundText}`;
}

/** The content of a type with its extension bases' content first. */
function effectiveParticle(schema: XsdSchema, type: ComplexType): Particle | null {
  const own = type.particle;
  if (type.extends === undefined || type.extends.ns === XS) return own;
  const base = schema.complexTypes.get(type.extends.local);
  const inherited = base === undefined ? null : effectiveParticle(schema, base);
  if (inherited === null) return own;
  if (own === null) return inherited;
  return { kind: "sequence", items: [inherited, own], minOccurs: 1, maxOccurs: 1 };
}

/** Matches `particle` minOccurs..maxOccurs times from `start`; the index after, or null when it cannot. */
function repeat(schema: XsdSchema, particle: Particle, kids: readonly XmlElement[], start: number, out: [XmlElement, ElementDecl][], furthest: Furthest): number | null {
  let index = start;
  let count = 0;
  while (count < particle.maxOccurs) {
    const mark = out.length;
    const next = once(schema, particle, kids, index, out, furthest);
    if (next === null) {
      out.length = mark;
      break;
    }
    // An empty match satisfies any remaining minimum; repeating it would loop forever.
    if (next === index) {
      if (count < particle.minOccurs) count = particle.minOccurs;
      else out.length = mark;
      break;
    }
    index = next;
    count += 1;
  }
  if (count < particle.minOccurs && !nullable(particle)) return null;
  return index;
}

function once(schema: XsdSchema, particle: Particle, kids: readonly XmlElement[], index: number, out: [XmlElement, ElementDecl][], furthest: Furthest): number | null {
  switch (particle.kind) {
    case "unsupported":
      throw new Error(`the schema uses ${particle.what}, which this validator does not support`);
    case "element": {
      const kid = kids[index];
      if (kid !== undefined && kid.ns === schema.targetNamespace && kid.local === particle.decl.name) {
        out.push([kid, particle.decl]);
        return index + 1;
      }
      if (index > furthest.index) {
        furthest.index = index;
        furthest.expected = [];
      }
      if (index === furthest.index) furthest.expected.push(particle.decl.name);
      return null;
    }
    case "sequence": {
      let at = index;
      for (const item of particle.items) {
        const next = repeat(schema, item, kids, at, out, furthest);
        if (next === null) return null;
        at = next;
      }
      return at;
    }
    case "choice": {
      for (const item of particle.items) {
        const mark = out.length;
        const next = repeat(schema, item, kids, index, out, furthest);
        if (next !== null && next > index) return next;
        out.length = mark;
      }
      return particle.items.some(nullable) ? index : null;
    }
  }
}

function nullable(particle: Particle): boolean {
  if (particle.minOccurs === 0) return true;
  if (particle.kind === "sequence") return particle.items.every(nullable);
  if (particle.kind === "choice") return particle.items.some(nullable);
  return false;
}

type Resolved = { readonly kind: "simple"; readonly type: SimpleType } | { readonly kind: "complex"; readonly type: ComplexType };

function resolveType(schema: XsdSchema, ref: TypeRef): Resolved | undefined {
  if (ref.kind === "simple") return { kind: "simple", type: ref.type };
  if (ref.kind === "complex") return { kind: "complex", type: ref.type };
  return resolveQNameType(schema, ref.qname);
}

function resolveQNameType(schema: XsdSchema, qname: QName): Resolved | undefined {
  if (qname.ns === XS) return { kind: "simple", type: { base: qname, facets: { patterns: [], enumeration: [] } } };
  if (qname.ns !== schema.targetNamespace) return undefined;
  const complex = schema.complexTypes.get(qname.local);
  if (complex !== undefined) return { kind: "complex", type: complex };
  const simple = schema.simpleTypes.get(qname.local);
  return simple === undefined ? undefined : { kind: "simple", type: simple };
}

const BUILT_INS: Readonly<Record<string, RegExp | null>> = {
  string: null,
  normalizedString: /^[^\t\n\r]*$/,
  token: null,
  language: /^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$/,
  boolean: /^(true|false|1|0)$/,
  hexBinary: /^([0-9a-fA-F]{2})*$/,
  base64Binary: /^[A-Za-z0-9+/=\s]*$/,
  integer: /^[+-]?\d+$/,
  int: /^[+-]?\d+$/,
  long: /^[+-]?\d+$/,
  decimal: /^[+-]?(\d+(\.\d*)?|\.\d+)$/,
  double: /^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF|-INF|NaN)$/,
  dateTime: /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/,
  anyURI: null,
  anyType: null,
};

/** Checks text against a simple type and every type it restricts. */
function checkSimple(schema: XsdSchema, type: SimpleType, raw: string, path: string): string[] {
  const chain: Facets[] = [type.facets];
  let base = type.base;
  for (let depth = 0; base.ns !== XS && depth < 10; depth += 1) {
    const parent = schema.simpleTypes.get(base.local);
    if (parent === undefined) return [`${path}: unknown simple type ${base.local}`];
    chain.push(parent.facets);
    base = parent.base;
  }
  if (!(base.local in BUILT_INS)) return [`${path}: built-in type xs:${base.local} is not supported by this validator`];
  const stringLike = ["string", "normalizedString", "anyURI"].includes(base.local);
  const value = stringLike ? raw : raw.trim().replace(/\s+/g, " ");
  const show = JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  const lexical = BUILT_INS[base.local];
  const problems: string[] = [];
  if (lexical !== null && lexical !== undefined && !lexical.test(value)) problems.push(`${path} = ${show} is not a valid xs:${base.local}`);
  const length = [...value].length;
  for (const facets of chain) {
    for (const pattern of facets.patterns) {
      if (!new RegExp(`^(?:${pattern})$`, "u").test(value)) problems.push(`${path} = ${show} does not match the pattern ${pattern}`);
    }
    if (facets.enumeration.length > 0 && !facets.enumeration.includes(value)) problems.push(`${path} = ${show} is not one of ${facets.enumeration.join(", ")}`);
    if (facets.minLength !== undefined && length < facets.minLength) problems.push(`${path} is shorter than ${facets.minLength} characters`);
    if (facets.maxLength !== undefined && length > facets.maxLength) problems.push(`${path} is longer than ${facets.maxLength} characters (${length})`);
    if (facets.length !== undefined && length !== facets.length) problems.push(`${path} is not ${facets.length} characters long`);
    if (facets.minInclusive !== undefined && Number(value) < facets.minInclusive) problems.push(`${path} is below ${facets.minInclusive}`);
    if (facets.maxInclusive !== undefined && Number(value) > facets.maxInclusive) problems.push(`${path} is above ${facets.maxInclusive}`);
  }
  return problems;
}
