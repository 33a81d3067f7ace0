import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { writeFileDurably } from './durable-file.js';
import { ValidationError } from './errors.js';

export interface TlsKeyPair {
  key: string;
  cert: string;
  /** Where the pair came from, for the start-up message. */
  origin: 'configured' | 'generated';
}

const VALID_DAYS = 3650;

/**
 * The certificate a TLS-capable listener presents: the configured PEM files, or else a self-signed
 * pair generated once into `<dataDir>/tls/<name>.{key,crt}` (renewed when it has expired), so that
 * STARTTLS works out of the box. Mail servers accept self-signed certificates for opportunistic TLS.
 */
export async function loadOrCreateTlsKeyPair(
  dataDir: string,
  name: string,
  options: { certFile?: string; keyFile?: string; hostname: string },
): Promise<TlsKeyPair> {
  if (options.certFile || options.keyFile) {
    if (!options.certFile || !options.keyFile)
      throw new ValidationError(`${name}: a TLS certificate needs both the certificate and the key file`);
    return {
      cert: readFileSync(options.certFile, 'utf8'),
      key: readFileSync(options.keyFile, 'utf8'),
      origin: 'configured',
    };
  }
  const dir = join(dataDir, 'tls');
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  if (existsSync(certPath) && existsSync(keyPath)) {
    try {
      const cert = readFileSync(certPath, 'utf8');
      const key = readFileSync(keyPath, 'utf8');
      const parsed = new X509Certificate(cert);
      if (Date.parse(parsed.validTo) > Date.now() && parsed.checkPrivateKey(createPrivateKey(key)))
        return { cert, key, origin: 'generated' };
    } catch {
      // Unreadable, expired or mismatched (e.g. cut short by a power loss): make a new pair.
    }
  }
  const notBeforeDate = new Date();
  const notAfterDate = new Date(notBeforeDate.getTime() + VALID_DAYS * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: options.hostname }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: options.hostname }] }],
  });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Key first: a crash in between leaves a key without its certificate, which is regenerated.
  await writeFileDurably(keyPath, [Buffer.from(pems.private)]);
  await writeFileDurably(certPath, [Buffer.from(pems.cert)]);
  return { cert: pems.cert, key: pems.private, origin: 'generated' };
}
