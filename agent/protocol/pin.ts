import { createHash, X509Certificate } from 'node:crypto';
import { pinProblem } from '../contract/index.js';
import { UsageError } from '../errors.js';

// docs/protocol.md §3.5: pin = "sha256:" + hex(SHA-256(SubjectPublicKeyInfo DER)).

// A process that joins many times (the UI, a fleet) sees the same CA bundle again and
// again: its parsed certificates and their pins are kept, not recomputed per join.
const pins = new WeakMap<X509Certificate, string>();
const bundles = new Map<string, readonly X509Certificate[]>();
const MAX_BUNDLES = 16;

/** The pin of one certificate (PEM, DER or parsed). */
export function pinOf(cert: X509Certificate | string | Buffer): string {
  const x509 = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  let pin = pins.get(x509);
  if (pin === undefined) {
    const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
    pin = `sha256:${createHash('sha256').update(spki).digest('hex')}`;
    pins.set(x509, pin);
  }
  return pin;
}

/** Splits a PEM bundle into its certificates (parsed once per bundle and process). */
export function certificatesOf(pemBundle: string): X509Certificate[] {
  let certs = bundles.get(pemBundle);
  if (!certs) {
    const blocks = pemBundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    certs = blocks.map((b) => new X509Certificate(b));
    if (bundles.size >= MAX_BUNDLES) bundles.delete(bundles.keys().next().value!);
    bundles.set(pemBundle, certs);
  }
  return [...certs];
}

/** Normalises one pin or throws a UsageError that says which formats are accepted. */
export function parsePin(value: string): string {
  const problem = pinProblem(value);
  if (problem) {
    throw new UsageError(problem, 'Give it as sha256:<64 hex digits>, as printed by "kubeadm token create --print-join-command" or "kubejoin ca-hash".');
  }
  return value.trim().toLowerCase();
}

/** A set of allowed CA public-key pins (kubeadm's pubkeypin.Set). */
export class PinSet {
  private readonly pins = new Set<string>();

  constructor(pins: Iterable<string> = []) {
    for (const p of pins) this.allow(p);
  }

  allow(pin: string): void {
    this.pins.add(parsePin(pin));
  }

  get size(): number {
    return this.pins.size;
  }

  /** The first certificate of `certs` whose pin is allowed, or undefined. */
  matchAny(certs: readonly X509Certificate[]): X509Certificate | undefined {
    return certs.find((c) => this.pins.has(pinOf(c)));
  }
}
