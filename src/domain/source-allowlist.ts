import { BlockList, isIP } from "node:net";

/**
 * One allowlist entry: an IPv4 or IPv6 address, or a CIDR range (`203.0.113.0/24`,
 * `2001:db8::/32`). Returns undefined for anything else, so configuration can name the bad entry.
 */
export function parseSourceRange(entry: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } | undefined {
  const [address = "", prefixText, extra] = entry.trim().split("/");
  if (extra !== undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/**
 * Whether a request's address is one a webhook may come from. HaloPSA cannot sign its webhooks,
 * so an allowlist of its egress addresses is a second, independent check next to the shared
 * secret. An IPv4 peer seen through an IPv6 socket (`::ffff:203.0.113.9`) is matched as IPv4.
 *
 * @example
 * ```ts
 * const allowed = createSourceAllowlist(["203.0.113.0/24", "2001:db8::/32"]);
 * allowed("203.0.113.9"); // true
 * allowed("::ffff:203.0.113.9"); // true
 * allowed("198.51.100.1"); // false
 * ```
 */
export function createSourceAllowlist(entries: readonly string[]): (address: string | undefined) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const range = parseSourceRange(entry);
    if (range === undefined) throw new Error(`not an IP address or CIDR range: ${entry}`);
    list.addSubnet(range.address, range.prefix, range.family);
  }
  return (address) => {
    if (address === undefined) return false;
    const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)?.[1];
    const plain = mapped ?? address;
    const version = isIP(plain);
    if (version === 0) return false;
    return list.check(plain, version === 4 ? "ipv4" : "ipv6");
  };
}
