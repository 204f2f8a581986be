export type { AccessSetState, ObservedAccess, Sighting, SightingTotal } from './access-set.js';
export { AccessSet, foldEvent, totalSighting } from './access-set.js';
export type {
  AnalysisOptions,
  CallOccurrence,
  CountedPair,
  DeniedCall,
  EventSpan,
  PreparedCall,
  PrincipalActivity,
  PrincipalAnalysisState,
  PrincipalCounts,
  ReadCounts,
  TrailAnalysisState,
} from './analysis.js';
export { PrincipalAnalysis, TrailAnalysis } from './analysis.js';
export type { NonAuthorizationReason, Principal, PrincipalKind, PrincipalSelector } from './attribute.js';
export { nonAuthorizationReason, principalName, principalOf, readsSessionName, selectorMatches } from './attribute.js';
export { compareCodePoints } from './collections.js';
export type { CommonPolicies } from './common.js';
export { splitCommonPolicies } from './common.js';
export type { AddedCompanion } from './companions.js';
export { addUnloggedCompanions } from './companions.js';
export type { CoverageResult } from './coverage.js';
export { describeAccess, proveCoverage } from './coverage.js';
export type { DataEventGap } from './data-events.js';
export { dataEventGaps } from './data-events.js';
export type { DiffOptions, Grant, PolicyDiff, RemovalReason, RemovedGrant } from './diff/index.js';
export {
  codeSpan,
  dataEventServicesOf,
  diffAsJson,
  diffPolicies,
  expandGrants,
  isDataPlaneAction,
  markdownText,
  renderDiffMarkdown,
  renderDiffText,
} from './diff/index.js';
export type { EscalationOptions, GrantToNarrow } from './escalation.js';
export { escapeControlCharacters } from './escape.js';
export type { AccessRequest, Decision, Evaluation, RequestContext } from './evaluate/index.js';
export { evaluate, wildcardMatch } from './evaluate/index.js';
export type { EvidenceSample, StatementEvidence } from './explain.js';
export { explainStatements, renderExplanationMarkdown, renderExplanationText } from './explain.js';
export type { Generalization, GeneralizationRule, GeneralizeMode } from './generalize/index.js';
export { generalizeModes } from './generalize/index.js';
export type {
  GeneratedPolicies,
  GeneratePoliciesOptions,
  ParameterRequest,
  PolicyOptions,
  PrincipalPolicyOutcome,
} from './generate.js';
export { generatePolicies, parameterPlanOf, principalPolicy } from './generate.js';
export type { GrantPlan } from './grant-plan.js';
export { planGrants } from './grant-plan.js';
export type { AccessLevel, CatalogAction, CatalogService, CatalogSource, ServiceData } from './iam-catalog.js';
export { IamCatalog, loadIamCatalog, qualifiedName } from './iam-catalog.js';
export type { MappingOutcome } from './mapping/index.js';
export { mapEvent } from './mapping/index.js';
export type { RequestProjection } from './mapping/request-fields.js';
export { resourceRequestFields } from './mapping/request-fields.js';
export type { RecordOrIssue } from './normalize.js';
export { describeOrigin, isIssue, normalizeEventTime, normalizeRecord, recordsOfDocument } from './normalize.js';
export type { PolicyKind } from './packing.js';
export { attachableDocuments, policySize, policySizeLimits } from './packing.js';
export type { ParameterName, ParameterPlan } from './parameterize.js';
export {
  deployedSizes,
  parameterNames,
  planParameters,
  plansAnything,
  proveParameterizedCoverage,
} from './parameterize.js';
export type { PolicyDocument, PolicyStatement } from './policy-document.js';
export { policyDocumentProblem } from './policy-document.js';
export type { RenderTarget } from './render.js';
export { cloudFormationTemplate, renderJson, renderTerraform } from './render.js';
export type { PrefilterNeedles, PrincipalSelection, PrincipalTarget } from './selection.js';
export {
  emptySelection,
  exclusionFromAll,
  isGlob,
  mayBelongToSelection,
  prefilterNeedles,
  selectorTarget,
  unmatchedGlobs,
} from './selection.js';
export type { ShapedPolicy, ShapeOptions } from './shape.js';
export { defaultShapeOptions, shapePolicy } from './shape.js';
export type {
  Access,
  ConditionBlock,
  Issue,
  IssueKind,
  Origin,
  TrailEvent,
  TrailIdentity,
  TrailResource,
} from './types.js';
