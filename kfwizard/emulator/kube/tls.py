"""A throwaway CA and a server certificate for 127.0.0.1, so clients run with TLS
verification on, as against GKE (``masterAuth.clusterCaCertificate`` is this CA).

Why ECDSA P-256: key generation is instant (RSA-2048 costs tens of milliseconds per
emulator), and both Go (kubectl) and OpenSSL (the Python client) accept it. Go is strict
about the CA: it must carry BasicConstraints CA=true and the keyCertSign usage; the
server certificate carries the IP SAN 127.0.0.1 and the serverAuth usage.
"""

from __future__ import annotations

import datetime
import os
import ssl
import tempfile
from dataclasses import dataclass


@dataclass(frozen=True)
class CertBundle:
    ca_pem: str
    ca_key_pem: str
    cert_pem: str
    key_pem: str

    def to_dict(self) -> dict[str, str]:
        return {
            "ca_pem": self.ca_pem,
            "ca_key_pem": self.ca_key_pem,
            "cert_pem": self.cert_pem,
            "key_pem": self.key_pem,
        }

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> CertBundle:
        return cls(data["ca_pem"], data["ca_key_pem"], data["cert_pem"], data["key_pem"])


def generate(cluster_name: str) -> CertBundle:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, f"kfwizard-emulator-ca-{cluster_name}")]
    )
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.DNSName("localhost"),
                    x509.DNSName("kubernetes"),
                    x509.DNSName("kubernetes.default"),
                    x509.DNSName("kubernetes.default.svc"),
                    x509.DNSName("kubernetes.default.svc.cluster.local"),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    def key_pem(k: ec.EllipticCurvePrivateKey) -> str:
        return k.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    return CertBundle(
        ca_pem=ca_cert.public_bytes(serialization.Encoding.PEM).decode(),
        ca_key_pem=key_pem(ca_key),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        key_pem=key_pem(key),
    )


def server_context(bundle: CertBundle) -> ssl.SSLContext:
    """An SSLContext serving the bundle's certificate (HTTP/1.1 only via ALPN)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix="kfwizard-kube-tls-") as folder:
        cert_path = os.path.join(folder, "tls.crt")
        key_path = os.path.join(folder, "tls.key")
        with open(cert_path, "w", encoding="ascii") as handle:
            handle.write(bundle.cert_pem + bundle.ca_pem)
        with open(key_path, "w", encoding="ascii") as handle:
            handle.write(bundle.key_pem)
        os.chmod(key_path, 0o600)
        context.load_cert_chain(cert_path, key_path)
    context.set_alpn_protocols(["http/1.1"])
    return context
