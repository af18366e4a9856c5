import { XMLParser, XMLValidator } from "fast-xml-parser";

/** An element with its namespace resolved, its children in document order, and its own text. */
export interface XmlElement {
  /** The namespace URI, or "" for none. */
  readonly ns: string;
  readonly local: string;
  /** The name as written, with its prefix. */
  readonly qname: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** The concatenated text directly inside this element (CDATA included). */
  readonly text: string;
  /** Prefix → URI in scope here ("" is the default namespace), to resolve QName values. */
  readonly namespaces: Readonly<Record<string, string>>;
}

/** The markup and attribute characters XML gives meaning to, plus CR (kept as a reference so it survives). */
const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\r": "&#xD;" };
// XML 1.0 allows only these code points, even as references; anything else (NUL, lone surrogates) is replaced.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Makes any string safe as XML character data or an attribute value. */
export function escapeXml(value: string): string {
  return value.replace(NOT_XML_CHAR, "\uFFFD").replace(/[&<>"'\r]/g, (c) => ESCAPES[c] ?? c);
}

/** A child of `element()`: another element's markup, or undefined/false to leave it out. */
export type XmlPart = string | undefined | false;

/**
 * One element whose children are already serialised. `text` is escaped; names are ours (never
 * caller input), so they are written as given.
 */
export function element(name: string, content: { readonly text: string } | readonly XmlPart[], attributes: Readonly<Record<string, string>> = {}): string {
  const attrs = Object.entries(attributes)
    .map(([key, value]) => ` ${key}="${escapeXml(value)}"`)
    .join("");
  const inner = "text" in content ? escapeXml(content.text) : content.filter((part): part is string => typeof part === "string").join("");
  return `<${name}${attrs}>${inner}</${name}>`;
}

/** A leaf element holding text. */
export const leaf = (name: string, text: string): string => element(name, { text });

const PARSER = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: "#cdata",
  commentPropName: "#comment",
});

/** Bigger answers than this are not VIP's; refusing them bounds memory. */
export const MAX_XML_BYTES = 1_048_576;

type RawNode = Record<string, unknown> & { ":@"?: Record<string, string> };

/**
 * Parses a document into namespace-resolved elements.
 *
 * A DOCTYPE is refused outright: SOAP forbids one, and internal entities are the classic
 * expansion attack. Throws an Error saying why when the text is not one well-formed document.
 */
export function parseXml(text: string): XmlElement {
  if (text.length > MAX_XML_BYTES) throw new Error("the document is too large");
  if (/<!DOCTYPE/i.test(text)) throw new Error("the document has a DOCTYPE, which SOAP forbids");
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`not well-formed XML (${valid.err.msg} at line ${valid.err.line})`);
  const nodes = PARSER.parse(text) as RawNode[];
  const roots = nodes.filter((node) => elementName(node) !== undefined);
  const [root] = roots;
  if (root === undefined || roots.length !== 1) throw new Error("the document must have exactly one root element");
  return build(root, { xml: "http://www.w3.org/XML/1998/namespace" });
}

function elementName(node: RawNode): string | undefined {
  return Object.keys(node).find((key) => key !== ":@" && key !== "#text" && key !== "#cdata" && key !== "#comment");
}

function build(node: RawNode, inherited: Readonly<Record<string, string>>): XmlElement {
  const qname = elementName(node) ?? "";
  const rawAttributes = node[":@"] ?? {};
  const namespaces: Record<string, string> = { ...inherited };
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(rawAttributes)) {
    if (key === "xmlns") namespaces[""] = value;
    else if (key.startsWith("xmlns:")) namespaces[key.slice(6)] = value;
    else attributes[key] = value;
  }
  const [prefix, local] = splitQName(qname);
  const ns = namespaces[prefix];
  if (ns === undefined && prefix !== "") throw new Error(`the prefix '${prefix}' of <${qname}> is not declared`);
  const children: XmlElement[] = [];
  let text = "";
  for (const child of (node[qname] ?? []) as RawNode[]) {
    if (typeof child["#text"] === "string") text += child["#text"];
    else if (Array.isArray(child["#cdata"])) text += (child["#cdata"] as RawNode[]).map((c) => (typeof c["#text"] === "string" ? c["#text"] : "")).join("");
    else if (elementName(child) !== undefined) children.push(build(child, namespaces));
  }
  return { ns: ns ?? "", local, qname, attributes, children, text, namespaces };
}

/** `vip:userId` → ["vip", "userId"]; `userId` → ["", "userId"]. */
export function splitQName(qname: string): [string, string] {
  const colon = qname.indexOf(":");
  return colon === -1 ? ["", qname] : [qname.slice(0, colon), qname.slice(colon + 1)];
}

/** The children of `parent` with this namespace and local name. */
export const childrenNamed = (parent: XmlElement, ns: string, local: string): XmlElement[] =>
  parent.children.filter((c) => c.ns === ns && c.local === local);

/** A generic value for zod: a leaf becomes its text, an element with children a record of arrays. */
export type PlainValue = string | PlainRecord;
export interface PlainRecord {
  readonly [name: string]: readonly PlainValue[];
}

/**
 * The children of `el` in namespace `ns` as `{ name: [value, …] }`, every name an array so a
 * schema says what may repeat. Elements of other namespaces are ignored.
 */
export function toPlain(el: XmlElement, ns: string): PlainRecord {
  const out: Record<string, PlainValue[]> = {};
  for (const child of el.children) {
    if (child.ns !== ns) continue;
    const value: PlainValue = child.children.length === 0 ? child.text : toPlain(child, ns);
    (out[child.local] ??= []).push(value);
  }
  return out;
}
