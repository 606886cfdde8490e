/** The public surface of the Huawei Cloud client. Other modules import from here, not from the files inside. */
export { createCloudClient, type ClosableCloudClient } from './create-client.js';
export {
  resolveEndpoints,
  type CallMeta,
  type CallOptions,
  type CloudClient,
  type CloudClientDeps,
  type CloudClientOptions,
  type CloudCredentials,
  type VpcV3Client,
} from './client.js';
export { CloudError, isCloudError, type CloudErrorKind, type CloudErrorFields } from './errors.js';
export { classifyCloudError, parseErrorBody, parseRetryAfter, DEFAULT_RETRY_AFTER_MS, type ClassifyInput } from './classify.js';
export {
  ALGORITHM,
  AUTHORIZATION_RE,
  EMPTY_BODY_SHA256,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  encodeQuery,
  formatSdkDate,
  hmacSha256Hex,
  parseAuthorization,
  parseQuery,
  parseSdkDate,
  rfc3986,
  sha256Hex,
  signRequest,
  signature,
  stringToSign,
  type CanonicalRequestInput,
  type ParsedAuthorization,
  type SignRequestInput,
} from './signer.js';
export {
  VpcSchema,
  VpcV3Schema,
  ListVpcsV3PageSchema,
  SubnetSchema,
  PortSchema,
  JobSchema,
  SubJobSchema,
  JobAcceptedSchema,
  ServerDetailSchema,
  InterfaceAttachmentSchema,
  ServerInterfacesSchema,
  ServerAttachableNicNumSchema,
} from './schemas.js';
export type * from './types.js';
