/**
 * What clients print when they cannot verify a server's certificate: npm/Node
 * (`SELF_SIGNED_CERT_IN_CHAIN`, `UNABLE_TO_GET_ISSUER_CERT_LOCALLY`, "self-signed certificate in
 * certificate chain"), pip and Python (`CERTIFICATE_VERIFY_FAILED`), git and curl ("SSL certificate
 * problem: unable to get local issuer certificate").
 */
const TLS_TRUST_FAILURE =
  /SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERTIFICATE_VERIFY_FAILED|self[- ]signed certificate|unable to get local issuer certificate|SSL certificate problem/i;

/**
 * The fix to name when a setup command failed on an untrusted TLS certificate (a TLS-intercepting proxy,
 * common on company networks), or undefined when `output` shows no such failure.
 * @param output the command's output (stdout and stderr, any order).
 * @param caConfigured whether the sandbox had extra CA certificates (`TANDEM_SANDBOX_CA_CERTS`).
 */
export function tlsTrustHint(output: string, caConfigured: boolean): string | undefined {
  if (!TLS_TRUST_FAILURE.test(output)) {
    return undefined;
  }
  return caConfigured
    ? 'the setup could not verify a TLS certificate even with the extra CA certificates of ' +
        'TANDEM_SANDBOX_CA_CERTS: make sure that file holds the CA of the proxy that intercepts TLS ' +
        '(docs/sandbox.md)'
    : 'the setup could not verify a TLS certificate: on a network whose proxy intercepts TLS, set ' +
        'TANDEM_SANDBOX_CA_CERTS to a PEM file of the CA certificates to trust (often ' +
        '/etc/ssl/certs/ca-certificates.crt on the host) (docs/sandbox.md)';
}
