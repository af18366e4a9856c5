import { readFileSync } from "node:fs";
import { parseXml, type XmlElement } from "../../src/adapters/push/vip/vip-xml.js";
import { resolveQName, type QName } from "./xsd-model.js";

const WSDL = "http://schemas.xmlsoap.org/wsdl/";
const WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/";

/** One operation of a document/literal SOAP 1.1 WSDL, as a client must call it. */
export interface WsdlOperation {
  readonly name: string;
  /** The global element the request body must be. */
  readonly input: QName;
  readonly output: QName;
  /** The binding's `soapAction` (sent quoted in the SOAPAction header). */
  readonly soapAction: string;
}

export interface WsdlService {
  readonly name: string;
  readonly operations: readonly WsdlOperation[];
  /** The `soap:address` location. */
  readonly address: string;
}

const wsdl = (el: XmlElement, local: string) => el.children.filter((c) => c.ns === WSDL && c.local === local);

/**
 * Reads the parts of a WSDL 1.1 document a contract test needs: each port type operation's input
 * and output elements (through its messages), the binding's soapAction, and the service address.
 */
export function loadWsdl(path: string): WsdlService {
  const root = parseXml(readFileSync(path, "utf8"));
  if (root.ns !== WSDL || root.local !== "definitions") throw new Error(`${path} is not a WSDL 1.1 document`);
  const messages = new Map<string, QName>();
  for (const message of wsdl(root, "message")) {
    const part = wsdl(message, "part")[0];
    if (part?.attributes.element !== undefined) messages.set(message.attributes.name ?? "", resolveQName(part, part.attributes.element));
  }
  const actions = new Map<string, string>();
  for (const binding of wsdl(root, "binding")) {
    for (const op of wsdl(binding, "operation")) {
      const soap = op.children.find((c) => c.ns === WSDL_SOAP && c.local === "operation");
      actions.set(op.attributes.name ?? "", soap?.attributes.soapAction ?? "");
    }
  }
  const operations: WsdlOperation[] = [];
  for (const portType of wsdl(root, "portType")) {
    for (const op of wsdl(portType, "operation")) {
      const name = op.attributes.name ?? "";
      const message = (local: string) => {
        const ref = wsdl(op, local)[0]?.attributes.message;
        const element = ref === undefined ? undefined : messages.get(resolveQName(op, ref).local);
        if (element === undefined) throw new Error(`operation ${name}: no ${local} message element`);
        return element;
      };
      operations.push({ name, input: message("input"), output: message("output"), soapAction: actions.get(name) ?? "" });
    }
  }
  const service = wsdl(root, "service")[0];
  const address = service === undefined ? undefined : wsdl(service, "port")[0]?.children.find((c) => c.ns === WSDL_SOAP && c.local === "address");
  return { name: service?.attributes.name ?? "", operations, address: address?.attributes.location ?? "" };
}
