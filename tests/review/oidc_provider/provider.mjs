// A real OpenID Provider on loopback for the review's sign-in tests: panva/oidc-provider (OpenID
// Certified), its development sign-in pages (any login name, which becomes the subject), a fresh
// RS256 signing key per start, one confidential client that must use PKCE (S256).
//
//   PORT=13001 REDIRECT_URI=http://127.0.0.1:18181/login/oidc/callback node provider.mjs
//
// Prints "ready <issuer>" on stdout once it listens; stops on SIGTERM.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 13001);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-signing', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID || 'paxshare-review',
    client_secret: process.env.CLIENT_SECRET || 'test-client-secret',
    redirect_uris: [process.env.REDIRECT_URI || 'http://127.0.0.1:18181/login/oidc/callback'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
  conformIdTokenClaims: false, // profile claims in the ID token too, not only from userinfo
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, name: `Officer ${sub}`, preferred_username: sub, email: `${sub}@agency.test` }),
  }),
  cookies: { keys: ['paxshare-review-test-cookie-key'] },
  features: { devInteractions: { enabled: true } },
});

const server = provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
process.on('SIGTERM', () => { server.closeAllConnections(); process.exit(0); });
