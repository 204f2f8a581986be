export type { AthenaQuery, CloudTrailTableOptions, PrincipalActivityQueryOptions } from './queries.js';
export { cloudTrailTableDdl, principalActivityQuery } from './queries.js';
