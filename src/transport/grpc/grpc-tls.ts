/**
 * gRPC over TLS whose certificate follows `TlsMaterial`: grpc-js's certificate-provider credentials (exported as
 * `experimental`) hand every update to the running server's `setSecureContext`, so a rotated certificate is used by
 * new connections without a new bind; connections already open keep the certificate they were made with.
 */
import { experimental, type ServerCredentials } from '@grpc/grpc-js';
import type { ClientAuth } from '../../config/index.js';
import type { TlsFiles, TlsMaterial } from '../../security/tls-material.js';

type IdentityListener = experimental.IdentityCertificateUpdateListener;
type CaListener = experimental.CaCertificateUpdateListener;

/** Serves `material`'s current certificate and CA to grpc-js, and every later one. */
class MaterialCertificateProvider implements experimental.CertificateProvider {
  private readonly identity = new Set<IdentityListener>();
  private readonly ca = new Set<CaListener>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly material: TlsMaterial) {}

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identity.add(listener);
    this.follow();
    // Later, not now: grpc-js registers its server's watcher only after adding this listener.
    process.nextTick(() => this.identity.has(listener) && listener(identityOf(this.material.current)));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identity.delete(listener);
    this.unfollowWhenUnused();
  }

  addCaCertificateListener(listener: CaListener): void {
    this.ca.add(listener);
    this.follow();
    process.nextTick(() => this.ca.has(listener) && listener(caOf(this.material.current)));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.ca.delete(listener);
    this.unfollowWhenUnused();
  }

  private follow(): void {
    this.unsubscribe ??= this.material.onChange((files) => {
      for (const listener of this.ca) listener(caOf(files));
      for (const listener of this.identity) listener(identityOf(files));
    });
  }

  private unfollowWhenUnused(): void {
    if (this.identity.size > 0 || this.ca.size > 0) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

function identityOf(files: TlsFiles): experimental.IdentityCertificateUpdate {
  return { certificate: files.cert, privateKey: files.key };
}

function caOf(files: TlsFiles): experimental.CaCertificateUpdate | null {
  return files.ca ? { caCertificate: files.ca } : null;
}

/**
 * Server credentials from `material`. `clientAuth`: none asks for no client certificate; request asks and accepts
 * connections without one (or with one the CA did not sign); require refuses those (mutual TLS).
 */
export function grpcTlsCredentials(material: TlsMaterial, clientAuth: ClientAuth): ServerCredentials {
  const provider = new MaterialCertificateProvider(material);
  // grpc-js declares the parameters as (ca, identity) but passes them on as (identity, ca): the first provider
  // supplies the server's certificate, the second (null: no client certificates asked for) the CA. One provider
  // does both, so the order cannot go wrong.
  return experimental.createCertificateProviderServerCredentials(
    provider,
    clientAuth === 'none' ? null : provider,
    clientAuth === 'require',
  );
}
