import type { PolicyDocument, PolicyStatement } from './policy-document.js';

/** Character limits IAM applies to policy documents, counted without whitespace. */
export const policySizeLimits = {
  managed: 6144,
  'role-inline': 10240,
  'user-inline': 2048,
} as const;

export type PolicyKind = keyof typeof policySizeLimits;

/** How many documents of a kind one principal can carry: 10 managed policies (default quota), one inline. */
export function attachableDocuments(kind: PolicyKind): number {
  return kind === 'managed' ? 10 : 1;
}

/** IAM's way of counting a policy's size: the JSON without whitespace. */
export function policySize(document: PolicyDocument): number {
  return JSON.stringify(document).length;
}

const version = '2012-10-17';

/**
 * Packs statements into as few documents as fit the limit: first-fit decreasing by statement size, after
 * cutting statements that alone exceed it. Statement order inside a document follows the input.
 */
export function packDocuments(statements: readonly PolicyStatement[], limit: number): PolicyDocument[] {
  const emptySize = policySize({ Version: version, Statement: [] });
  const single: PolicyDocument = { Version: version, Statement: statements };
  if (policySize(single) <= limit) return [single];
  const pieces = statements.flatMap((statement) => splitStatement(statement, limit - emptySize));
  // Each statement but the first costs a comma; counting one for every statement keeps the sum an upper bound.
  const sized = pieces.map((statement, order) => ({ statement, order, size: JSON.stringify(statement).length + 1 }));
  const bins: { size: number; items: typeof sized }[] = [];
  for (const item of [...sized].sort((a, b) => b.size - a.size || a.order - b.order)) {
    const bin = bins.find((b) => b.size + item.size <= limit);
    if (bin === undefined) bins.push({ size: emptySize + item.size, items: [item] });
    else {
      bin.size += item.size;
      bin.items.push(item);
    }
  }
  return bins.map((bin) => ({
    Version: version,
    Statement: [...bin.items].sort((a, b) => a.order - b.order).map((item) => item.statement),
  }));
}

/**
 * Cuts a statement too big for one document into statements over parts of its resource list (or, for `*`,
 * of its action list). Each part keeps the actions and condition, and gets a numbered Sid.
 */
function splitStatement(statement: PolicyStatement, room: number): PolicyStatement[] {
  if (JSON.stringify(statement).length + 1 <= room) return [statement];
  const resources = asList(statement.Resource);
  const actions = asList(statement.Action);
  const field = resources.length > 1 ? 'Resource' : 'Action';
  const values = field === 'Resource' ? resources : actions;
  if (values.length <= 1) return [statement];
  const base = statement.Sid ?? 'Allow';
  // Sized with the longest suffix a part can get, so no part outgrows the room once it is named.
  const fixed = JSON.stringify({ ...statement, Sid: `${base}Part${values.length}`, [field]: [] }).length + 1;
  const parts: string[][] = [[]];
  let used = fixed;
  for (const value of values) {
    const cost = JSON.stringify(value).length + 1;
    const current = parts[parts.length - 1] ?? [];
    if (current.length > 0 && used + cost > room) {
      parts.push([value]);
      used = fixed + cost;
    } else {
      current.push(value);
      used += cost;
    }
  }
  return parts.map((part, i) => ({ ...statement, Sid: i === 0 ? base : `${base}Part${i + 1}`, [field]: part }));
}

function asList(value: string | readonly string[] | undefined): readonly string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}
