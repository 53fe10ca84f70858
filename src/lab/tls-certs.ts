// `lab --tls`: a throwaway CA and one certificate per server (and one for repl-spy), made with the openssl
// command in the lab directory, so they go away with it. P-256 keys (fast to make); every certificate is valid
// for 127.0.0.1 and localhost, for two days, as a server and as a client (a Redis server uses its tls-cert-file
// both ways: replicas present it to their master).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ReplSpyError } from '../core/errors.js';

export interface CertFiles {
  cert: string;
  key: string;
}

export interface LabCerts {
  dir: string;
  /** the CA every server and repl-spy trust */
  ca: string;
  /** by name ("master", "replica-1", ..., "repl-spy") */
  certs: Record<string, CertFiles>;
}

const SUBJECT_ORG = 'repl-spy lab';
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const DAYS = '2';
const EXTENSIONS = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature,keyEncipherment',
  'extendedKeyUsage=serverAuth,clientAuth',
  'subjectAltName=IP:127.0.0.1,DNS:localhost',
].join('\n');

/** Makes `<dir>/ca.crt` (common name `caName`) and `<dir>/<name>.crt|.key` for every name. Throws
 *  RSPY_LAB_START when openssl is missing or fails. */
export function makeLabCerts(dir: string, names: string[], caName = 'repl-spy lab CA'): LabCerts {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string): string => path.join(dir, name);
  openssl(['req', '-x509', ...NEW_KEY, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', DAYS, '-subj', `/O=${SUBJECT_ORG}/CN=${caName}`]);
  writeFileSync(file('ext.cnf'), `${EXTENSIONS}\n`);
  const made: LabCerts = { dir, ca: file('ca.crt'), certs: {} };
  for (const name of names) addLabCert(made, name);
  return made;
}

/** Signs one more certificate with the lab's CA (e.g. for a Sentinel started later); returns it. */
export function addLabCert(certs: LabCerts, name: string): CertFiles {
  const file = (f: string): string => path.join(certs.dir, f);
  const cert = file(`${name}.crt`);
  const key = file(`${name}.key`);
  openssl(['req', '-new', ...NEW_KEY, '-keyout', key, '-out', file(`${name}.csr`), '-subj', `/O=${SUBJECT_ORG}/CN=${name}`]);
  openssl(['x509', '-req', '-in', file(`${name}.csr`), '-CA', certs.ca, '-CAkey', file('ca.key'), '-CAcreateserial', '-days', DAYS, '-out', cert, '-extfile', file('ext.cnf')]);
  certs.certs[name] = { cert, key };
  return certs.certs[name];
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') {
      throw new ReplSpyError('RSPY_LAB_START', 'lab --tls needs the openssl command to make its certificates', {
        hint: 'install it (Debian/Ubuntu: sudo apt-get install openssl)',
      });
    }
    throw new ReplSpyError('RSPY_LAB_START', `openssl ${args[0]} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
}
