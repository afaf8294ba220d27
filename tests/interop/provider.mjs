// oidc-provider (an independently written, OpenID-certified provider) set up the way the
// Digital Agency documents デジタル認証アプリ: authorization code only, PKCE S256 required,
// private_key_jwt, acr_values aal3/crl, RFC 9207 iss on the callback, pairwise-looking subjects.
// The resident approves at once (no pages): the test drives the redirects itself.
//
//   node provider.mjs PORT CLIENT_ID REDIRECT_URI CLIENT_JWKS_FILE ID_TOKEN_ALG
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, clientId, redirectUri, jwksFile, idTokenAlg] = process.argv.slice(2);
const clientJwks = JSON.parse(readFileSync(jwksFile, 'utf8'));

function providerKey(alg) {
  const { privateKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: `interop-${alg}-${randomUUID()}`, use: 'sig', alg };
}

const resident = {
  sub: 'ppid-interop-0001',
  name: '髙﨑 花子',
  address: { formatted: '東京都千代田区霞が関一丁目1番1号' },
  birthdate: '1985-03-15',
  gender: '2',
};

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'private_key_jwt',
    id_token_signed_response_alg: idTokenAlg,
    jwks: { keys: clientJwks.keys.filter((key) => key.use !== 'enc') },
  }],
  jwks: { keys: [providerKey('RS256'), providerKey('ES256')] },
  pkce: { required: () => true },
  acrValues: ['aal3', 'crl'],
  scopes: ['openid', 'name', 'address', 'birthdate', 'gender'],
  claims: { openid: ['sub'], name: ['name'], address: ['address'], birthdate: ['birthdate'], gender: ['gender'] },
  enabledJWA: { clientAuthSigningAlgValues: ['ES256', 'RS256'], idTokenSigningAlgValues: ['ES256', 'RS256'] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ ...resident, sub }) }),
});
provider.proxy = false;

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  let result;
  if (details.prompt.name === 'login') {
    result = { login: { accountId: resident.sub, acr: 'aal3', amr: ['hwk', 'pin'] } };
  } else {
    const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    result = { consent: { grantId: await grant.save() } };
  }
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
