import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCertificate {
  /** PKCS#8 PEM private key. */
  readonly privateKey: string;
  /** Self-signed PEM X.509 certificate for the key. */
  readonly certificate: string;
}

const made = new Map<string, TestCertificate>();

/**
 * A throwaway RSA key and self-signed certificate, made with the `openssl` command (Node can
 * generate keys but not certificates). Memoised per name within a test process.
 */
export function testCertificate(name = "verity-test"): TestCertificate {
  const existing = made.get(name);
  if (existing !== undefined) return existing;
  const dir = mkdtempSync(join(tmpdir(), "verity-entra-cert-"));
  try {
    const keyPath = join(dir, "key.pem");
    const certPath = join(dir, "cert.pem");
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "2", "-subj", `/CN=${name}`],
      { stdio: "ignore" },
    );
    const pair = { privateKey: readFileSync(keyPath, "utf8"), certificate: readFileSync(certPath, "utf8") };
    made.set(name, pair);
    return pair;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
