// JWTs signed with node:crypto, for the authentication tests.
import { createHmac, createSign } from "node:crypto";

const b64url = (data) => Buffer.from(data).toString("base64url");

export function signJwt(header, claims, signer) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${signer === null ? "" : b64url(signer(input))}`;
}

export const hs256 = (secret) => (input) => createHmac("sha256", secret).update(input).digest();
export const rs256 = (privatePem) => (input) => createSign("RSA-SHA256").update(input).sign(privatePem);

export function claims(testbed, overrides = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: testbed.jwt.issuer,
    aud: testbed.jwt.audience,
    sub: "user-1",
    tenant: "acme",
    roles: ["educator"],
    iat: now,
    exp: now + 300,
    ...overrides,
  };
}
