import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A PEM certificate and its PEM private key. */
export interface CertifiedKey {
  readonly cert: string;
  readonly key: string;
}

/** Throwaway certificates for mutual TLS tests; nothing here is ever written to the repository. */
export interface TestPki {
  /** The CA the fake VIP trusts for clients and that signs its server certificate. */
  readonly ca: CertifiedKey;
  /** The fake's server certificate, for 127.0.0.1 and localhost. */
  readonly server: CertifiedKey;
  /** A client certificate the fake accepts: the stand-in for a VIP certificate. */
  readonly client: CertifiedKey;
  /** The same client key encrypted (PKCS#8, AES-256) with `passphrase`. */
  readonly clientEncrypted: CertifiedKey & { readonly passphrase: string };
  /** A client certificate from another CA: the fake refuses it during the TLS handshake. */
  readonly rogueClient: CertifiedKey;
  /** A CA nobody uses, to configure a client that does not trust the fake's server. */
  readonly otherCa: CertifiedKey;
}

let cached: TestPki | undefined;

/**
 * Makes (once per test process) a CA, a server certificate and client certificates with the
 * `openssl` command, in a temporary folder that is removed at once.
 */
export function createTestPki(): TestPki {
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), "verity-vip-pki-"));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  const read = (name: string) => readFileSync(path(name), "utf8");
  try {
    // EC keys are instant to make; the client key is RSA, like the VIP certificates VIP Manager issues.
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
    const selfSigned = (name: string, cn: string) =>
      openssl("req", "-x509", ...ec, "-nodes", "-keyout", path(`${name}.key`), "-out", path(`${name}.crt`), "-days", "400", "-subj", `/CN=${cn}`);
    const issued = (name: string, cn: string, ca: string, extensions?: string, keyArgs: readonly string[] = ec) => {
      openssl("req", ...keyArgs, "-nodes", "-keyout", path(`${name}.key`), "-out", path(`${name}.csr`), "-subj", `/CN=${cn}`);
      const ext = extensions === undefined ? [] : ["-extfile", path(`${name}.ext`)];
      if (extensions !== undefined) writeFileSync(path(`${name}.ext`), extensions);
      openssl("x509", "-req", "-in", path(`${name}.csr`), "-CA", path(`${ca}.crt`), "-CAkey", path(`${ca}.key`), "-CAcreateserial", "-out", path(`${name}.crt`), "-days", "400", ...ext);
    };
    selfSigned("ca", "Verity test VIP CA");
    selfSigned("rogue-ca", "Rogue CA");
    selfSigned("other-ca", "Unrelated CA");
    issued("server", "localhost", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    issued("client", "VIP certificate for Verity tests", "ca", "extendedKeyUsage=clientAuth\n", ["-newkey", "rsa:2048"]);
    issued("rogue", "Someone else's certificate", "rogue-ca", "extendedKeyUsage=clientAuth\n");
    const passphrase = "correct horse battery staple";
    openssl("pkcs8", "-topk8", "-in", path("client.key"), "-out", path("client-enc.key"), "-v2", "aes-256-cbc", "-passout", `pass:${passphrase}`);
    cached = {
      ca: { cert: read("ca.crt"), key: read("ca.key") },
      server: { cert: read("server.crt"), key: read("server.key") },
      client: { cert: read("client.crt"), key: read("client.key") },
      clientEncrypted: { cert: read("client.crt"), key: read("client-enc.key"), passphrase },
      rogueClient: { cert: read("rogue.crt"), key: read("rogue.key") },
      otherCa: { cert: read("other-ca.crt"), key: read("other-ca.key") },
    };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
