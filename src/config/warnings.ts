import type { ConfigProblem } from "./load.js";
import type { Config } from "./schema.js";
import { GeneratedSecret, Secret } from "./secret.js";
import { isCallerPageKind, parseMethod } from "../domain/methods.js";

/** NIST SP 800-63B: a secret sent out of band is valid for at most 10 minutes. */
export const NIST_CODE_TTL_SECONDS = 600;
/** Verity's default checks per verification; each check is one guess at the code. */
export const DEFAULT_MAX_CHECKS = 5;

const LITERAL_SECRET = "written literally in the file; use ${ENV_NAME} or ${file:/path} so the secret stays out of the file";

/**
 * Settings that are valid but weaken Verity: secrets written into the file, and code lifetimes
 * or check budgets beyond what NIST SP 800-63B and Verity's defaults allow. They never fail a
 * load; `config check` prints them and `serve` logs them once at start.
 *
 * @param referenced paths whose value held a `${…}` reference (from interpolate()); a Secret
 *   anywhere else was written literally.
 */
export function configWarnings(config: Config, referenced: ReadonlySet<string>, options: { demo?: boolean } = {}): ConfigProblem[] {
  // The demo's links point at its own loopback address.
  return [
    ...literalSecrets(config, referenced),
    ...laxVerification(config),
    ...(options.demo === true ? [] : [...linksWithoutAddress(config), ...verifiedIdWithoutPublicCallback(config)]),
    ...openMetrics(config),
  ];
}

/** Microsoft's Request Service calls Verity back from the internet: an https server.publicUrl it can reach. */
function verifiedIdWithoutPublicCallback(config: Config): ConfigProblem[] {
  if (config.server.publicUrl?.startsWith("https://") === true) return [];
  return Object.entries(config.providers)
    .filter(([, provider]) => provider.kind === "verified-id")
    .map(([name]) => ({
      path: `providers.${name}`,
      message: "Microsoft Entra Verified ID calls back at <server.publicUrl>/hooks/verified-id: set server.publicUrl to an https address reachable from the internet, or its presentation requests are refused",
    }));
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"]);

/** A metrics listener on a reachable address with no token shows the service's activity to anyone who reaches it. */
function openMetrics(config: Config): ConfigProblem[] {
  const metrics = config.server.metrics;
  if (metrics?.port === undefined || metrics.token !== undefined || LOOPBACK_HOSTS.has(metrics.host)) return [];
  return [{ path: "server.metrics.host", message: `serves metrics on ${metrics.host} without a token: anyone who reaches that address reads them; add server.metrics.token or bind to a private address only the scraper reaches` }];
}

/** A confirmation link (or a manager's approval link) must open on a phone: without server.publicUrl a start is refused. */
function linksWithoutAddress(config: Config): ConfigProblem[] {
  if (config.server.publicUrl !== undefined) return [];
  return config.tenants.flatMap((tenant, i) =>
    Object.keys(tenant.methods)
      .filter((m) => isCallerPageKind(parseMethod(m).kind))
      .map((m) => ({ path: `tenants[${i}].methods.${m}`, message: "needs server.publicUrl (the address in the link the caller opens); until it is set, starting this method is refused" })),
  );
}

function literalSecrets(config: Config, referenced: ReadonlySet<string>): ConfigProblem[] {
  const found: ConfigProblem[] = [];
  const walk = (node: unknown, path: string): void => {
    if (node instanceof Secret) {
      if (!referenced.has(path) && !(node instanceof GeneratedSecret)) found.push({ path, message: LITERAL_SECRET });
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${path}[${i}]`));
    } else if (node !== null && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) walk(value, path === "" ? key : `${path}.${key}`);
    }
  };
  walk(config, "");
  return found;
}

function laxVerification(config: Config): ConfigProblem[] {
  const blocks = [
    { path: "verification", settings: config.verification },
    ...config.tenants.map((tenant, i) => ({ path: `tenants[${i}].verification`, settings: tenant.verification })),
  ];
  const found: ConfigProblem[] = [];
  for (const { path, settings } of blocks) {
    const { codeTtlSeconds, maxChecks } = settings;
    if (codeTtlSeconds !== undefined && codeTtlSeconds > NIST_CODE_TTL_SECONDS) {
      found.push({
        path: `${path}.codeTtlSeconds`,
        message: `is ${codeTtlSeconds} seconds; NIST SP 800-63B lets a code sent by SMS or email live at most 10 minutes (${NIST_CODE_TTL_SECONDS}, Verity's default)`,
      });
    }
    if (maxChecks !== undefined && maxChecks > DEFAULT_MAX_CHECKS) {
      found.push({
        path: `${path}.maxChecks`,
        message: `allows ${maxChecks} guesses at each code; every check above Verity's default of ${DEFAULT_MAX_CHECKS} makes a lucky guess likelier (NIST SP 800-63B asks verifiers to limit failed attempts)`,
      });
    }
  }
  return found;
}
