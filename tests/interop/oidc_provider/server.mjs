// panva/node-oidc-provider as a third-party FAPI 1.0 Advanced server for the interop tests.
//
// The Python test (tests/interop/conftest.py) writes a JSON configuration - server certificate,
// the CA that issued the client certificates, the provider's signing keys, the registered
// clients - and starts `node server.mjs CONFIG`. The provider serves two HTTPS listeners on
// 127.0.0.1 that share one provider:
//   - the issuer's host (discovery, JWKS, authorization endpoint), no client certificate asked;
//   - an mTLS host that asks for a client certificate, advertised as mtls_endpoint_aliases
//     (token, PAR, userinfo, revocation, introspection), as Open Finance servers do.
// When both listen, it prints one JSON line: {"issuer": ..., "mtls": ...}.
//
// Nothing here is lenient on purpose: the provider runs its own FAPI 1.0 Final profile for
// FAPI clients (signed request objects with exp/nbf/aud, PKCE with PAR, s_hash, certificate-
// bound tokens), so the client is checked by code nobody in this project wrote. The only
// glue is what every deployment of oidc-provider writes: reading the client certificate from
// the TLS socket, and an interaction that logs a fixed test customer in and consents.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { X509Certificate } from 'node:crypto';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ACCOUNT = config.account ?? 'customer-76109277673';

function listen(server) {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

function tlsOptions(requestCert) {
  return {
    cert: config.server_cert,
    key: config.server_key,
    ca: config.client_ca,
    requestCert,
    // A wrong or self-signed certificate still reaches the provider, which decides per
    // client (tls_client_auth needs a CA-issued one, self_signed_tls_client_auth does not).
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
  };
}

function peerCertificate(ctx) {
  const socket = ctx.req.socket;
  const peer = typeof socket.getPeerX509Certificate === 'function'
    ? socket.getPeerX509Certificate()
    : undefined;
  return peer ? peer.toString() : undefined;
}

// RFC 4514 writes the most significant RDN last; Node lists them in certificate order.
function subjectDn(pem) {
  return new X509Certificate(pem).subject.split('\n').reverse().join(',');
}

// FAPI clients (ids starting "fapi-") get the FAPI 1.0 Final profile; service clients that
// only use client credentials with a shared secret do not.
function fapiProfile(_ctx, client) {
  return client?.clientId?.startsWith('fapi-') ? '1.0 Final' : undefined;
}

async function autoConsent(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { params, prompt } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: ACCOUNT, clientId: params.client_id });
  grant.addOIDCScope(String(params.scope ?? ''));
  for (const claim of prompt.details.missingOIDCClaims ?? []) grant.addOIDCClaims([claim]);
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: ACCOUNT }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

async function main() {
  const issuerServer = createServer(tlsOptions(false));
  const mtlsServer = createServer(tlsOptions(true));
  const issuerPort = await listen(issuerServer);
  const mtlsPort = await listen(mtlsServer);
  const issuer = `https://127.0.0.1:${issuerPort}`;
  const mtls = `https://127.0.0.1:${mtlsPort}`;

  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: config.jwks,
    cookies: { keys: [config.cookie_key] },
    clockTolerance: config.clock_tolerance ?? 15,
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, name: 'Cliente Teste' }),
    }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    scopes: ['openid', 'offline_access', 'accounts'],
    responseTypes: ['code id_token', 'code'],
    clientAuthMethods: [
      'client_secret_basic', 'client_secret_post', 'private_key_jwt',
      'tls_client_auth', 'self_signed_tls_client_auth',
    ],
    enabledJWA: {
      clientAuthSigningAlgValues: ['PS256', 'ES256'],
      idTokenSigningAlgValues: ['PS256', 'ES256'],
      requestObjectSigningAlgValues: ['PS256', 'ES256'],
      authorizationSigningAlgValues: ['PS256', 'ES256'],
    },
    pkce: { required: () => true },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: config.access_token_ttl ?? 300,
      ClientCredentials: config.access_token_ttl ?? 300,
      AuthorizationCode: 60,
      IdToken: 300,
      RefreshToken: 3600,
      Grant: 3600,
      Session: 3600,
      Interaction: 600,
    },
    discovery: {
      mtls_endpoint_aliases: {
        token_endpoint: `${mtls}/token`,
        pushed_authorization_request_endpoint: `${mtls}/request`,
        userinfo_endpoint: `${mtls}/me`,
        revocation_endpoint: `${mtls}/token/revocation`,
        introspection_endpoint: `${mtls}/token/introspection`,
      },
    },
    features: {
      devInteractions: { enabled: false },
      fapi: { enabled: true, profile: fapiProfile },
      pushedAuthorizationRequests: { enabled: true },
      requestObjects: { enabled: true, requireSignedRequestObject: true },
      jwtResponseModes: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        getCertificate: peerCertificate,
        certificateAuthorized: (ctx) => ctx.req.socket.authorized === true,
        certificateSubjectMatches: (ctx, property, expected) => {
          const pem = peerCertificate(ctx);
          return property === 'tls_client_auth_subject_dn' && pem !== undefined
            && subjectDn(pem) === expected;
        },
      },
    },
  });

  provider.on('server_error', (_ctx, error) => {
    process.stderr.write(`oidc-provider server_error: ${error.stack}\n`);
  });

  const callback = provider.callback();
  const handle = (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      autoConsent(provider, req, res).catch((error) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    callback(req, res);
  };
  issuerServer.on('request', handle);
  mtlsServer.on('request', handle);

  process.stdout.write(`${JSON.stringify({ issuer, mtls })}\n`);
  const stop = () => {
    issuerServer.close();
    mtlsServer.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
