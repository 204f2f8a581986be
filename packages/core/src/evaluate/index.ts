export type { Decision, Evaluation } from './evaluate.js';
export { evaluate } from './evaluate.js';
export type { AccessRequest, RequestContext } from './request.js';
export { wildcardMatch } from './wildcard.js';
