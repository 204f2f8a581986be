export { dataEventServicesOf, isDataPlaneAction } from './data-plane.js';
export type { DiffOptions, PolicyDiff, RemovalReason, RemovedGrant } from './diff.js';
export { diffPolicies } from './diff.js';
export type { Grant } from './grants.js';
export { expandGrants } from './grants.js';
export { codeSpan, markdownText } from './markdown.js';
export { diffAsJson, renderDiffMarkdown, renderDiffText } from './render-diff.js';
