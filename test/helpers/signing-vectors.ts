/**
 * The official SDK-HMAC-SHA256 vectors (test/fixtures/sdk-signing-vectors.json), typed: four from the Node SDK
 * (request → Authorization) and two from the Go SDK (with their signed headers and signature).
 */
import { readFileSync } from 'node:fs';

export interface NodeVector {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  authorization: string;
}

export interface GoVector {
  access_key: string;
  secret_key: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  signed_headers: string;
  signature: string;
}

export interface SigningVectors {
  /** The key pair of the Node SDK vectors. */
  access_key: string;
  secret_key: string;
  vectors: NodeVector[];
  go_sdk_vectors: GoVector[];
}

export const signingVectors = JSON.parse(readFileSync(new URL('../fixtures/sdk-signing-vectors.json', import.meta.url), 'utf8')) as SigningVectors;
