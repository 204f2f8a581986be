export type { ActivityRow, RequestProjection, RowObservation } from './projection.js';
export { activityColumnNames, observationOfRow, projectionTwin } from './projection.js';
export type {
  AthenaQuery,
  CloudTrailTableOptions,
  PrincipalActivityQueryOptions,
  PrincipalPattern,
} from './queries.js';
export { cloudTrailTableDdl, principalActivityQuery, principalLikePatterns } from './queries.js';
