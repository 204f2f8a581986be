import { ipInCidr } from './ip.js';
import { substituteVariables } from './policy-variables.js';
import type { RequestContext } from './request.js';
import { wildcardMatch } from './wildcard.js';

type Compare = (requestValue: string, policyValue: string) => boolean;

interface Operator {
  readonly compare: Compare;
  /** Negated operators (`StringNotEquals`) are true when no policy value matches, and when the key is absent. */
  readonly negated: boolean;
}

const toNumber = (v: string) => (v.trim() === '' ? Number.NaN : Number(v));
const toDate = (v: string) => (/^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v));
const numeric =
  (test: (a: number, b: number) => boolean): Compare =>
  (a, b) => {
    const x = toNumber(a);
    const y = toNumber(b);
    return !Number.isNaN(x) && !Number.isNaN(y) && test(x, y);
  };
const date =
  (test: (a: number, b: number) => boolean): Compare =>
  (a, b) => {
    const x = toDate(a);
    const y = toDate(b);
    return !Number.isNaN(x) && !Number.isNaN(y) && test(x, y);
  };

const operators: Readonly<Record<string, Operator>> = {
  stringequals: { compare: (a, b) => a === b, negated: false },
  stringnotequals: { compare: (a, b) => a === b, negated: true },
  stringequalsignorecase: { compare: (a, b) => a.toLowerCase() === b.toLowerCase(), negated: false },
  stringnotequalsignorecase: { compare: (a, b) => a.toLowerCase() === b.toLowerCase(), negated: true },
  stringlike: { compare: (a, b) => wildcardMatch(b, a), negated: false },
  stringnotlike: { compare: (a, b) => wildcardMatch(b, a), negated: true },
  numericequals: { compare: numeric((a, b) => a === b), negated: false },
  numericnotequals: { compare: numeric((a, b) => a === b), negated: true },
  numericlessthan: { compare: numeric((a, b) => a < b), negated: false },
  numericlessthanequals: { compare: numeric((a, b) => a <= b), negated: false },
  numericgreaterthan: { compare: numeric((a, b) => a > b), negated: false },
  numericgreaterthanequals: { compare: numeric((a, b) => a >= b), negated: false },
  dateequals: { compare: date((a, b) => a === b), negated: false },
  datenotequals: { compare: date((a, b) => a === b), negated: true },
  datelessthan: { compare: date((a, b) => a < b), negated: false },
  datelessthanequals: { compare: date((a, b) => a <= b), negated: false },
  dategreaterthan: { compare: date((a, b) => a > b), negated: false },
  dategreaterthanequals: { compare: date((a, b) => a >= b), negated: false },
  bool: { compare: (a, b) => a.toLowerCase() === b.toLowerCase(), negated: false },
  binaryequals: { compare: (a, b) => a === b, negated: false },
  ipaddress: { compare: (a, b) => ipInCidr(a, b), negated: false },
  notipaddress: { compare: (a, b) => ipInCidr(a, b), negated: true },
  arnequals: { compare: (a, b) => wildcardMatch(b, a), negated: false },
  arnlike: { compare: (a, b) => wildcardMatch(b, a), negated: false },
  arnnotequals: { compare: (a, b) => wildcardMatch(b, a), negated: true },
  arnnotlike: { compare: (a, b) => wildcardMatch(b, a), negated: true },
};

export type ConditionResult = { readonly matches: boolean } | { readonly error: string };

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** Evaluates a statement's `Condition` block: every operator and every key must hold (values within a key: any). */
export function evaluateCondition(condition: unknown, context: RequestContext): ConditionResult {
  if (condition === undefined) return { matches: true };
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) {
    return { error: 'Condition is not an object' };
  }
  for (const [operatorName, block] of Object.entries(condition)) {
    if (typeof block !== 'object' || block === null || Array.isArray(block)) {
      return { error: `condition operator ${operatorName} does not hold an object of keys` };
    }
    for (const [key, policyValues] of Object.entries(block as Record<string, unknown>)) {
      const result = evaluateOne(operatorName, key, asList(policyValues).map(String), context);
      if ('error' in result || !result.matches) return result;
    }
  }
  return { matches: true };
}

function evaluateOne(
  operatorName: string,
  key: string,
  rawPolicyValues: string[],
  context: RequestContext,
): ConditionResult {
  const match = /^(?:(ForAnyValue|ForAllValues):)?(.+?)(IfExists)?$/i.exec(operatorName);
  const setOperator = match?.[1]?.toLowerCase();
  const baseName = (match?.[2] ?? operatorName).toLowerCase();
  const ifExists = match?.[3] !== undefined;
  const present = context[key.toLowerCase()];
  const requestValues = present === undefined ? [] : Array.isArray(present) ? [...present] : [present as string];

  if (baseName === 'null') {
    const wantsAbsent = rawPolicyValues.some((v) => v.toLowerCase() === 'true');
    return { matches: wantsAbsent ? requestValues.length === 0 : requestValues.length > 0 };
  }
  const operator = operators[baseName];
  if (operator === undefined) return { error: `unknown condition operator ${operatorName}` };
  const policyValues = rawPolicyValues
    .map((v) => substituteVariables(v, context))
    .filter((v): v is string => v !== undefined);
  const anyPolicyValue = (requestValue: string) => policyValues.some((p) => operator.compare(requestValue, p));
  const holds = (requestValue: string) =>
    operator.negated ? !anyPolicyValue(requestValue) : anyPolicyValue(requestValue);

  if (setOperator === 'forallvalues') return { matches: requestValues.every(holds) };
  if (setOperator === 'foranyvalue') return { matches: requestValues.some(holds) };
  if (requestValues.length === 0) return { matches: ifExists || operator.negated };
  return { matches: requestValues.some(holds) };
}
